"""The arq Redis pool: the real Redis when configured, else an embedded fakeredis server.

The embedded substitute is for ``famille dev`` only: API and worker then share one process
and one in-memory fakeredis server, running the same arq code as production.
"""

from collections.abc import Callable
from typing import Any

import arq.worker
from arq import ArqRedis
from arq.connections import RedisSettings
from fakeredis import FakeServer
from fakeredis.aioredis import FakeAsyncRedisConnection
from redis.asyncio import Connection, ConnectionPool
from redis.connection import HiredisRespSerializer
from redis.typing import EncodableT

from settings import Settings

_embedded_server = FakeServer()
# Seconds to connect to Redis, or to wait for one answer, before calling it unreachable.
REDIS_TIMEOUT = 5.0


class HiredisPackingConnection(Connection):
    """redis-py's asyncio connection, its commands packed as redis-py's synchronous client
    packs them when hiredis is installed (it comes with arq: ``redis[hiredis]``): the same
    bytes, the same ``DataError`` for a value Redis cannot take, in C. redis-py 5's asyncio
    connection packs them in Python, about 4 µs a command: four for each submit's relay
    (its mail job and its live events). The pool encodes text as UTF-8, as hiredis does."""

    _serializer = HiredisRespSerializer()

    def pack_command(self, *args: EncodableT) -> list[bytes]:
        # (redis-py annotates each argument of ``pack`` as a list: it takes the command's)
        packed: list[bytes] = self._serializer.pack(*args)  # type: ignore[arg-type]
        return packed


def redis_settings(settings: Settings) -> RedisSettings:
    if not settings.redis_url:
        raise RuntimeError("FAMILLE_REDIS_URL is not set")
    return RedisSettings.from_dsn(settings.redis_url)


async def open_pool(settings: Settings) -> ArqRedis:
    """An arq pool on the configured Redis, or on the process's embedded fakeredis.

    The pool connects lazily: it is created even while Redis is down (the API starts and
    serves what does not need Redis; the worker waits for it), and every command gives up
    after ``REDIS_TIMEOUT`` seconds instead of hanging on a Redis that stopped answering.
    """
    if settings.redis_url:
        pool = ConnectionPool.from_url(
            settings.redis_url,
            socket_connect_timeout=REDIS_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
            connection_class=HiredisPackingConnection,
        )
        redis = ArqRedis(pool, default_queue_name=settings.queue_name)
        redis.auto_close_connection_pool = True  # the pool is this client's: aclose() ends it
        return redis
    # fakeredis has no INFO command, which arq only uses to log the server's version.
    arq.worker.log_redis_info = _log_embedded_info  # type: ignore[attr-defined]
    pool = ConnectionPool(connection_class=FakeAsyncRedisConnection, server=_embedded_server)
    return ArqRedis(connection_pool=pool, default_queue_name=settings.queue_name)


async def _log_embedded_info(redis: Any, log_func: Callable[[str], Any]) -> None:
    log_func(f"embedded fakeredis, db_keys={await redis.dbsize()}")
