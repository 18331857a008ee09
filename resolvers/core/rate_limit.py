"""Counting submissions per key over a fixed window, in Redis (the embedded fakeredis in
development and on SQLite, as the queue): public forms have no account to throttle, so
their client address and e-mail are counted instead.

The window is read from the app's clock (tests move it); each key expires two windows
later. A Redis outage lets submissions through: the form's other guards (honeypot, lengths)
stay, and a town would rather read one spam than lose a family's question.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError

from resolvers.core.clock import Clock

logger = logging.getLogger("famille.rate_limit")


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits of one key per ``window``."""

    scope: str
    count: int
    window: timedelta


def _window(limit: Limit, now: datetime) -> tuple[int, datetime]:
    seconds = int(limit.window.total_seconds())
    index = int(now.timestamp()) // seconds
    return index, datetime.fromtimestamp((index + 1) * seconds, now.tzinfo)


async def hit(redis: Any, limit: Limit, key: str, *, clock: Clock) -> datetime | None:
    """Count one hit of ``key``; None when it is within the limit, otherwise when the
    window ends (the time to tell the user to come back)."""
    if redis is None:
        return None
    index, ends_at = _window(limit, clock.now())
    name = f"famille:rate:{limit.scope}:{index}:{key}"
    try:
        count = int(await redis.incr(name))
        if count == 1:
            await redis.expire(name, int(limit.window.total_seconds()) * 2)
    except (RedisError, OSError):
        logger.warning("rate limit %s not counted (Redis unavailable)", limit.scope, exc_info=True)
        return None
    return ends_at if count > limit.count else None
