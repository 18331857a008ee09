"""Redis missing at start, then killed and restarted, under a running `famille serve` and
`famille worker`.

The test owns everything it breaks: a redis-server on a free port (restarted empty), an
SMTP collector, the two processes. Registrations (each queues one activation mail) are
sent before, during and after the outage; every one must be answered, and every mail
delivered exactly once after recovery.
"""

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from models.outbox import OutboxJob
from tests.conftest import Backend
from tests.factories import make_town
from tests.faults.services import (
    Collector,
    Famille,
    RedisServer,
    free_port,
    service_env,
    wait_for_log,
    wait_until_answering,
)
from tests.jobs.test_outbox import REGISTER, registration

LOST = "Redis injoignable"
BACK = "Redis de nouveau joignable"


# Separate `serve` and `worker` processes are the production shape, on PostgreSQL. SQLite is
# the embedded, one-process shape (`famille dev`): two processes writing one SQLite file
# refuse each other's write transactions ("database is locked"), see docs/deployment.md.
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_redis_killed_and_restarted_loses_and_duplicates_no_mail(
    backend: Backend, tmp_path: Path
) -> None:
    town = await make_town()
    collector = Collector()
    smtp = Controller(collector, hostname="127.0.0.1", port=free_port())
    smtp.start()
    redis = RedisServer()  # not started yet: both processes must start without it
    api_port = free_port()
    env = service_env(
        FAMILLE_REDIS_URL=redis.url,
        FAMILLE_QUEUE_NAME=f"faults-{town.slug}:queue",
        FAMILLE_SMTP_HOST="127.0.0.1",
        FAMILLE_SMTP_PORT=str(smtp.port),
        FAMILLE_SMTP_SECURITY="none",
        FAMILLE_JOB_RETRY_SECONDS="1",
    )
    api = Famille(["serve", "--port", str(api_port)], env, tmp_path / "api.log")
    worker = Famille(["worker"], env, tmp_path / "worker.log")
    base_url = f"http://127.0.0.1:{api_port}"
    attempted: list[str] = []
    completed: list[str] = []

    async def register(client: httpx.AsyncClient, n: int, phase: str) -> None:
        for i in range(n):
            address = f"{phase}-{i}-{town.slug}@exemple.fr"
            attempted.append(address)
            response = await client.post(
                "/graphql", json={"query": REGISTER, "variables": registration(town.slug, address)}
            )
            body = response.json()
            assert response.status_code == 200 and "errors" not in body, body
            assert body["data"]["register"]["errors"] == [], body
            completed.append(body["data"]["register"]["account"]["email"])

    try:
        await wait_until_answering(base_url, api)
        async with httpx.AsyncClient(base_url=base_url, timeout=15) as client:
            # Started without Redis: the API serves, the worker waits.
            health = (await client.get("/healthz")).json()
            assert health["status"] == "degraded" and health["redis"] == "down", health
            assert (await client.get("/readyz")).status_code == 200
            await register(client, 3, "demarrage")
            await wait_for_log(worker, LOST)  # the worker saw Redis missing, and lives on
            assert worker.running(), worker.text()
            redis.start()
            await wait_for_log(worker, BACK)
            # Redis up: mails flow.
            await register(client, 5, "avant")
            # Redis killed (no persistence: whatever it held is gone).
            redis.kill()
            await register(client, 10, "pendant")
            assert (await client.post("/graphql", json={"query": "{ __typename }"})).json() == {
                "data": {"__typename": "Query"}
            }
            health = (await client.get("/healthz")).json()
            assert health["status"] == "degraded" and health["redis"] == "down", health
            assert health["database"] == "ok" and health["smtp"] == "ok", health
            assert (await client.get("/readyz")).status_code == 200
            await asyncio.sleep(3)  # the worker retries with backoff meanwhile
            assert api.running() and worker.running(), worker.text()
            # Redis back, empty.
            redis.start()
            await register(client, 5, "apres")
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and len(set(completed) - _delivered(collector)):
                await asyncio.sleep(0.5)
            await asyncio.sleep(3)  # room for a duplicate to show up
            health = (await client.get("/healthz")).json()
            assert health["status"] == "ok", health

        delivered = collector.count_by_recipient()
        lost = [address for address in attempted if delivered[address] == 0]
        duplicated = [address for address in attempted if delivered[address] > 1]
        print(
            f"\nredis outage: attempted={len(attempted)} completed={len(completed)} "
            f"lost={len(lost)} duplicated={len(duplicated)} "
            f"(messages received, older rows of the test database included: "
            f"{len(collector.messages)})"
        )
        assert len(attempted) == 23
        assert len(completed) == 23
        assert lost == []
        assert duplicated == [] and collector.duplicated_ids() == []
        # The outbox agrees: one row per mail, each done.
        rows = [
            row
            for row in await OutboxJob.filter(function="send_mail")
            if row.kwargs.get("to") in set(attempted)
        ]
        assert len(rows) == 23 and all(row.completed_at is not None for row in rows)
        assert api.running() and worker.running()
        # Logged once when lost, once when back (at start, then the outage): not per retry.
        assert worker.text().count(LOST) == 2, worker.text()
        assert worker.text().count(BACK) == 2, worker.text()
        # The API only meets Redis when it hands jobs over: under load it may see the
        # two outages as one (no successful hand-over between them). Either way each loss
        # it saw is logged once, not once per retry, and so is each recovery.
        api_lost, api_back = api.text().count(LOST), api.text().count(BACK)
        assert 1 <= api_lost <= 2 and api_back == api_lost, api.text()
    finally:
        worker_exit = worker.stop()
        api_exit = api.stop()
        redis.kill()
        smtp.stop()
    assert worker_exit == 0, worker.text()
    assert api_exit in (0, -signal.SIGTERM), api.text()  # uvicorn re-raises the signal


def _delivered(collector: Collector) -> set[str]:
    return set(collector.count_by_recipient())
