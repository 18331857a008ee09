"""The outbox relay and the run-once wrapper every outbox job goes through.

A mutation writes its jobs into ``outbox_job`` in its own transaction; ``relay_outbox``
hands them to arq after commit (right away from the API, and every 20 s from the worker's
cron, which also re-sends jobs a Redis restart lost). arq's job id ``<queue>:outbox-<id>`` makes a
double relay harmless, and ``completed_at`` makes a double run harmless.
Rows of live events are not arq jobs: the relay publishes them on Redis pub/sub itself
(jobs/live.py).
"""

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from arq import ArqRedis, Retry
from tortoise.expressions import F, Q

from jobs import live
from models.outbox import OutboxJob
from resolvers.clock import Clock, SystemClock
from resolvers.live import LIVE_EVENTS_FUNCTION
from settings import get_settings

logger = logging.getLogger(__name__)

JobFunction = Callable[..., Awaitable[Any]]

# A relayed job not completed after this long is handed to arq again (arq ignores the
# duplicate if it still holds the job).
STALE_AFTER = timedelta(minutes=10)


def job_id(outbox_id: int) -> str:
    """arq job id of an outbox row; arq's keys are global, so the queue name prefixes it."""
    return f"{get_settings().queue_name}:outbox-{outbox_id}"


def backoff_seconds(job_try: int) -> int:
    """10 s, 20 s, 40 s… capped at one hour."""
    return int(min(10 * 2 ** (job_try - 1), 3600))


def outbox_job(func: JobFunction) -> JobFunction:
    """Run ``func`` at most once to completion per outbox row, retrying with backoff."""

    @functools.wraps(func)
    async def run(ctx: dict[str, Any], *, outbox_id: int, **kwargs: Any) -> Any:
        clock: Clock = ctx.get("clock") or SystemClock()
        job = await OutboxJob.get_or_none(id=outbox_id)
        if job is None or job.completed_at is not None:
            return "already done"
        try:
            result = await func(ctx, outbox_id=outbox_id, **kwargs)
        except Exception as exc:
            await OutboxJob.filter(id=outbox_id).update(
                attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            job_try = int(ctx.get("job_try", 1))
            if job_try >= get_settings().job_max_tries:
                logger.exception("job %s (outbox %s) gave up", func.__name__, outbox_id)
                raise
            logger.warning("job %s (outbox %s) failed, retrying: %s", func.__name__, outbox_id, exc)
            raise Retry(defer=backoff_seconds(job_try)) from exc
        await OutboxJob.filter(id=outbox_id, completed_at__isnull=True).update(
            completed_at=clock.now(), attempts=F("attempts") + 1, last_error=""
        )
        return result

    return run


async def relay_outbox(redis: ArqRedis, *, clock: Clock, limit: int = 500) -> int:
    """Hand new (and stale) outbox rows to arq; returns how many were handed over."""
    now = clock.now()
    max_tries = get_settings().job_max_tries
    fresh = Q(relayed_at__isnull=True)
    stale = Q(completed_at__isnull=True, relayed_at__lt=now - STALE_AFTER, attempts__lt=max_tries)
    rows = await OutboxJob.filter(fresh | stale).order_by("id").limit(limit)
    for row in rows:
        if row.function == LIVE_EVENTS_FUNCTION:
            await _publish_live_events(redis, row, now)
            continue
        await redis.enqueue_job(
            row.function, _job_id=job_id(row.id), outbox_id=row.id, **row.kwargs
        )
        await OutboxJob.filter(id=row.id).update(relayed_at=now)
    return len(rows)


async def _publish_live_events(redis: ArqRedis, row: OutboxJob, now: datetime) -> None:
    """Publish a row of live events straight away (resolvers/live.py says why not via arq).

    The row is claimed first, so two relays running at once publish it once; if Redis
    refuses, the claim is undone and the next relay tries again.
    """
    claimed = await OutboxJob.filter(id=row.id, relayed_at__isnull=True).update(
        relayed_at=now, completed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return
    try:
        await live.publish(redis, row.kwargs["events"])
    except Exception as exc:
        await OutboxJob.filter(id=row.id).update(
            relayed_at=None, completed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise


async def relay_outbox_cron(ctx: dict[str, Any]) -> int:
    """Worker cron: the safety net when the API could not reach Redis after a commit."""
    clock: Clock = ctx.get("clock") or SystemClock()
    return await relay_outbox(ctx["redis"], clock=clock)
