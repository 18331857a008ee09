"""The arq Redis pool: the real Redis when configured, else an embedded fakeredis server.

The embedded substitute is for ``famille dev`` only: API and worker then share one process
and one in-memory fakeredis server, running the same arq code as production.
"""

from collections.abc import Callable
from typing import Any

import arq.worker
from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from fakeredis import FakeServer
from fakeredis.aioredis import FakeAsyncRedisConnection
from redis.asyncio import ConnectionPool

from settings import Settings

_embedded_server = FakeServer()


def redis_settings(settings: Settings) -> RedisSettings:
    if not settings.redis_url:
        raise RuntimeError("FAMILLE_REDIS_URL is not set")
    return RedisSettings.from_dsn(settings.redis_url)


async def open_pool(settings: Settings) -> ArqRedis:
    """An arq pool on the configured Redis, or on the process's embedded fakeredis."""
    if settings.redis_url:
        return await create_pool(redis_settings(settings), default_queue_name=settings.queue_name)
    # fakeredis has no INFO command, which arq only uses to log the server's version.
    arq.worker.log_redis_info = _log_embedded_info  # type: ignore[attr-defined]
    pool = ConnectionPool(connection_class=FakeAsyncRedisConnection, server=_embedded_server)
    return ArqRedis(connection_pool=pool, default_queue_name=settings.queue_name)


async def _log_embedded_info(redis: Any, log_func: Callable[[str], Any]) -> None:
    log_func(f"embedded fakeredis, db_keys={await redis.dbsize()}")
