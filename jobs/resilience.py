"""Living with a dependency that goes away: Redis for the API and the worker.

``Dependency`` remembers whether the last attempt worked, logs the change once (lost,
then back — never once per retry) and spaces the next attempts out while it is down
(0.5 s, 1 s, 2 s… capped at 30 s), so that a dead Redis costs neither a connection
attempt per request nor a log line per poll.
"""

import asyncio
import logging
import time
import weakref
from collections.abc import Callable

from redis.exceptions import RedisError

logger = logging.getLogger("famille.services")

# What "Redis is unreachable or went away" looks like from redis-py and arq.
REDIS_DOWN: tuple[type[BaseException], ...] = (RedisError, asyncio.TimeoutError)


class Dependency:
    """The state of one external service as this process last saw it."""

    def __init__(
        self,
        name: str,
        *,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._monotonic = monotonic
        self.up = True
        self.failures = 0
        self.last_error = ""
        self._next_attempt = 0.0

    def lost(self, exc: BaseException) -> float:
        """Record a failure; returns how long to wait before the next attempt."""
        self.failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        if self.up:
            self.up = False
            logger.warning("%s injoignable (%s) : nouvelles tentatives espacées", self.name, exc)
        delay = float(min(self.first_delay * 2 ** (self.failures - 1), self.max_delay))
        self._next_attempt = self._monotonic() + delay
        return delay

    def back(self) -> None:
        """Record a success; logs the recovery once."""
        if not self.up:
            logger.warning(
                "%s de nouveau joignable après %d tentative(s)", self.name, self.failures
            )
        self.up = True
        self.failures = 0
        self.last_error = ""
        self._next_attempt = 0.0

    def may_try(self) -> bool:
        """Up, or down and its backoff delay is over."""
        return self.up or self._monotonic() >= self._next_attempt

    def status(self) -> str:
        return "ok" if self.up else "down"


_redis_states: "weakref.WeakKeyDictionary[object, Dependency]" = weakref.WeakKeyDictionary()


def redis_state(redis: object) -> Dependency:
    """The state of one Redis client (the API's pool), kept as long as the client is."""
    state = _redis_states.get(redis)
    if state is None:
        state = _redis_states[redis] = Dependency("Redis")
    return state
