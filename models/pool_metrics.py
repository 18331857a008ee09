"""The database pool seen from Prometheus: connections in use, and the acquisitions that
had to wait because every connection was taken (docs/monitoring.md).

Tortoise asks asyncpg's pool for a connection with ``await pool.acquire()`` and gives it
back with ``pool.release``; ``instrument`` wraps both on the pool of the ``default``
connection (or on the pool Tortoise creates later: it opens it at the first statement).
SQLite has no pool: nothing to measure there.
"""

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from tortoise import connections

IN_USE = Gauge(
    "famille_db_pool_connections_in_use",
    "Database connections taken from the pool (summed over the live processes)",
    multiprocess_mode="livesum",
)
WAITS = Counter(
    "famille_db_pool_waits_total",
    "Acquisitions that found every connection of the pool taken and had to wait",
)
ACQUIRE_SECONDS = Histogram(
    "famille_db_pool_acquire_seconds",
    "Time to get a connection from the pool",
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
)
_MARK = "_famille_measured"


class MeasuredPool:
    """asyncpg's pool (its class has slots: its methods cannot be wrapped in place) with
    ``acquire`` and ``release`` measured; everything else passes through."""

    def __init__(self, pool: Any) -> None:
        self._famille_pool = pool

    def __getattr__(self, name: str) -> Any:
        return getattr(self._famille_pool, name)

    async def acquire(self, *args: Any, **kwargs: Any) -> Any:
        pool = self._famille_pool
        if pool.get_idle_size() == 0 and pool.get_size() >= pool.get_max_size():
            WAITS.inc()
        start = time.perf_counter()
        connection = await pool.acquire(*args, **kwargs)
        ACQUIRE_SECONDS.observe(time.perf_counter() - start)
        IN_USE.inc()
        return connection

    async def release(self, *args: Any, **kwargs: Any) -> Any:
        IN_USE.dec()
        return await self._famille_pool.release(*args, **kwargs)


def _measured(pool: Any) -> Any:
    return pool if isinstance(pool, MeasuredPool) else MeasuredPool(pool)


def instrument(name: str = "default") -> None:
    """Measure the pool of connection ``name`` (once per process; a no-op on SQLite)."""
    client = connections.get(name)
    if not hasattr(client, "create_pool"):
        return
    if getattr(client, "_pool", None) is not None:
        client._pool = _measured(client._pool)
    if getattr(client, _MARK, False):
        return
    create_pool = client.create_pool

    async def measured_create_pool(**kwargs: Any) -> Any:
        return _measured(await create_pool(**kwargs))

    client.create_pool = measured_create_pool
    setattr(client, _MARK, True)
