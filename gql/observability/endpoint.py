"""``/metrics`` for Prometheus, behind ``FAMILLE_METRICS_TOKEN`` (docs/monitoring.md).

With ``famille serve --workers N`` each uvicorn process counts on its own and a scrape
reaches one of them: prometheus-client's multiprocess mode makes every process write its
values into files of one directory (``PROMETHEUS_MULTIPROC_DIR``, prepared by ``famille
serve``: gql/observability/multiproc.py), and the process that answers the scrape adds them
all up. A process that stops says so (``mark_process_dead``), so that its gauges leave
the live sums while its counters stay counted.

What no single process knows is read at scrape time, by the process answering: the age of
the oldest outbox row not handed over to Redis yet, how many rows wait, and the arq queue's
depth (``cluster_gauges``).
"""

import asyncio
import hmac
import logging
import os
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from gql.context import bearer_token
from gql.observability.multiproc import MULTIPROC_ENV
from jobs.outbox import backlog
from settings import get_settings

logger = logging.getLogger("famille.metrics")

# A scrape never waits on a slow database or Redis longer than this.
SCRAPE_TIMEOUT = 2.0


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def mark_process_dead() -> None:
    """Called as a process's lifespan ends: its live gauges leave the sums."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def registry() -> CollectorRegistry:
    """The values of every process of this ``famille serve``, or of this one."""
    if not multiprocess_mode():
        return REGISTRY
    aggregated = CollectorRegistry()
    multiprocess.MultiProcessCollector(aggregated)  # type: ignore[no-untyped-call]
    return aggregated


class _Families(Collector):
    """Metric families computed just now, for one scrape."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterable[GaugeMetricFamily]:
        return self.families


async def cluster_gauges(request: Request) -> list[GaugeMetricFamily]:
    """The outbox's and the queue's state now; a dependency that does not answer in time
    leaves its gauges out of this scrape (Prometheus shows a gap, not a wrong zero)."""
    families: list[GaugeMetricFamily] = []
    clock = request.app.state.clock
    try:
        oldest, pending = await asyncio.wait_for(backlog(), SCRAPE_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - the database down: the gauges are missing
        logger.warning("metrics: outbox not read (%s)", exc)
    else:
        lag = GaugeMetricFamily(
            "famille_outbox_lag_seconds",
            "Age of the oldest outbox row not handed over to Redis yet (0: none waits)",
        )
        lag.add_metric([], max(0.0, (clock.now() - oldest).total_seconds()) if oldest else 0.0)
        waiting = GaugeMetricFamily(
            "famille_outbox_pending_rows", "Outbox rows not handed over to Redis yet"
        )
        waiting.add_metric([], pending)
        families += [lag, waiting]
    redis = getattr(request.app.state, "redis", None)
    if redis is not None:
        try:
            depth = await asyncio.wait_for(redis.zcard(get_settings().queue_name), SCRAPE_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - Redis down: the gauge is missing
            logger.warning("metrics: queue depth not read (%s)", exc)
        else:
            queue = GaugeMetricFamily(
                "famille_queue_depth", "Jobs waiting in the arq queue (due or deferred)"
            )
            queue.add_metric([], int(depth))
            families.append(queue)
    return families


def authorised(request: Request, token: str) -> bool:
    presented = bearer_token(request.headers) or ""
    return hmac.compare_digest(presented.encode(), token.encode())


def metrics_route(*, with_cluster_gauges: bool = True) -> Route:
    """``GET /metrics``: 404 while ``FAMILLE_METRICS_TOKEN`` is empty (nothing tells a
    visitor the endpoint exists), 401 without the token, else Prometheus's text format."""

    async def endpoint(request: Request) -> Response:
        token = get_settings().metrics_token
        if not token:
            return PlainTextResponse("Not Found", status_code=404)
        if not authorised(request, token):
            return PlainTextResponse(
                "Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        body = generate_latest(registry())
        if with_cluster_gauges:
            scrape = CollectorRegistry(auto_describe=False)
            scrape.register(_Families(await cluster_gauges(request)))
            body += generate_latest(scrape)
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    return Route("/metrics", endpoint, methods=["GET"])


def metrics_app() -> Starlette:
    """``famille worker``'s own ``/metrics`` (FAMILLE_WORKER_METRICS_PORT): its jobs,
    mails and database pool; the outbox and the queue are the API's to report."""
    return Starlette(routes=[metrics_route(with_cluster_gauges=False)])
