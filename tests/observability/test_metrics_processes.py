"""`famille serve --workers 2` as real processes: a scrape, whichever process answers it,
counts the requests both served (prometheus-client's multiprocess mode, prepared by
`famille serve`), a previous run's files are cleared at start, and a process that stops
leaves the live gauges."""

import asyncio
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.conftest import Backend
from tests.faults.services import (
    Famille,
    free_port,
    service_env,
    wait_for_log,
    wait_until_answering,
)
from tests.faults.test_several_processes import uvicorn_workers
from tests.observability.test_metrics import SCRAPER, TOKEN, parse, value

REQUESTS = "famille_graphql_requests_total"
ME = {"query": "query { me { email } }"}


def served_by(directory: Path, pid: int) -> float:
    """The `me` queries one process counted, read from its own file."""
    path = directory / f"counter_{pid}.db"
    if not path.exists():
        return 0.0
    return sum(
        sample.value
        for metric in MultiProcessCollector.merge([str(path)], accumulate=True)  # type: ignore[no-untyped-call]
        for sample in metric.samples
        if sample.name == REQUESTS and sample.labels.get("operation") == "me"
    )


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_api_processes_are_scraped_as_one(backend: Backend, tmp_path: Path) -> None:
    # given a metrics directory holding a previous run's file, and two API processes
    directory = tmp_path / "metrics"
    directory.mkdir()
    stale = directory / "counter_4242.db"
    stale.write_bytes(b"\0" * 64)
    env = service_env(FAMILLE_METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(directory))
    url = f"http://127.0.0.1:{free_port()}"
    api = Famille(
        ["serve", "--workers", "2", "--port", url.rsplit(":", 1)[1]], env, tmp_path / "a.log"
    )
    try:
        await wait_until_answering(url, api, timeout=120)  # two processes import the schema
        await wait_for_log(api, "Application startup complete.", count=2, timeout=120)
        pids = uvicorn_workers(api)
        assert len(pids) == 2 and not stale.exists()

        # when families send queries on fresh connections until both processes served some
        # (the kernel hands each connection to one of them)
        async def one() -> None:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                response = await client.post("/graphql", json=ME)
                assert response.json() == {"data": {"me": None}}

        sent = 0
        for _ in range(20):
            await asyncio.gather(*(one() for _ in range(10)))
            sent += 10
            if all(served_by(directory, pid) > 0 for pid in pids):
                break
        per_process = [served_by(directory, pid) for pid in pids]
        assert all(count > 0 for count in per_process), per_process
        assert sum(per_process) == sent

        # then every scrape, whichever process answers it, counts them all
        for _ in range(4):
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                response = await client.get("/metrics", headers=SCRAPER)
            assert response.status_code == 200, response.text
            samples = parse(response.text)
            assert value(samples, REQUESTS, operation="me", type="query", outcome="ok") == sent
        live = sorted(path.name for path in directory.glob("gauge_livesum_*.db"))
        assert live == sorted(f"gauge_livesum_{pid}.db" for pid in pids)
    finally:
        api.stop()
    # and the stopped processes left the live gauges; their counters stay
    assert list(directory.glob("gauge_livesum_*.db")) == [], api.text()
    assert all((directory / f"counter_{pid}.db").exists() for pid in pids)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_the_worker_serves_its_own_metrics(backend: Backend, tmp_path: Path) -> None:
    # given a worker with a metrics port, in an environment that names the API's directory
    directory = tmp_path / "api-metrics"
    port = free_port()
    env = service_env(
        FAMILLE_METRICS_TOKEN=TOKEN,
        FAMILLE_WORKER_METRICS_PORT=str(port),
        FAMILLE_QUEUE_NAME=f"worker-metrics-{port}:queue",
        PROMETHEUS_MULTIPROC_DIR=str(directory),
    )
    worker = Famille(["worker"], env, tmp_path / "worker.log")
    url = f"http://127.0.0.1:{port}"
    try:
        # when Prometheus scrapes it, once its outbox relay ran at start
        samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        relay = {"function": "relay_outbox_cron", "outcome": "success"}
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            for _ in range(600):
                assert worker.running(), worker.text()
                try:
                    refused = await client.get("/metrics")
                    response = await client.get("/metrics", headers=SCRAPER)
                except httpx.HTTPError:
                    await asyncio.sleep(0.2)
                    continue
                assert refused.status_code == 401
                samples = parse(response.text)
                if value(samples, "famille_jobs_total", **relay) >= 1:
                    break
                await asyncio.sleep(0.2)
        # then its job runs are there, the API's outbox and queue gauges are not, and it
        # wrote nothing into the API's directory
        assert value(samples, "famille_jobs_total", **relay) >= 1, worker.text()
        assert not any(name.startswith("famille_outbox") for name, _ in samples)
        assert not directory.exists() or list(directory.iterdir()) == []
    finally:
        assert worker.stop() == 0, worker.text()
