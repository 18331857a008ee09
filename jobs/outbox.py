"""The outbox relay and the run-once wrapper every outbox job goes through.

A mutation writes its jobs into ``outbox_job`` in its own transaction; ``relay_outbox``
hands them to arq after commit (right away from the API, and every 20 s from the worker's
cron, which also re-sends jobs a Redis restart lost). arq's job id ``<queue>:outbox-<id>`` makes a
double relay harmless, and ``completed_at`` makes a double run harmless.
Rows of live events are not arq jobs: the relay publishes them on Redis pub/sub itself
(jobs/live.py).
"""

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from arq import ArqRedis, Retry
from arq.constants import job_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from redis.asyncio.client import Pipeline
from tortoise.expressions import F

from jobs import live
from models.outbox import OutboxJob
from resolvers.core.clock import Clock, SystemClock
from resolvers.core.sql import Params, connection, fetch
from resolvers.live.live import LIVE_EVENTS_FUNCTION
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
    """10 s, 20 s, 40 s… (``FAMILLE_JOB_RETRY_SECONDS`` doubled) capped at one hour."""
    return int(min(get_settings().job_retry_seconds * 2 ** (job_try - 1), 3600))


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


async def relay_outbox(
    redis: ArqRedis,
    *,
    clock: Clock,
    limit: int = 500,
    stale: bool = True,
    stale_after: timedelta = STALE_AFTER,
    redis_timeout: float | None = None,
) -> int:
    """Hand new (and, with ``stale``, stale) outbox rows to arq; returns how many.

    The API relays after each mutation (over HTTP once its answer is sent) with
    ``stale=False``: what the mutation just wrote, one statement and one Redis round trip
    (``_relay_fresh``), Redis given ``redis_timeout`` seconds (a ``TimeoutError`` then).
    Re-sending the jobs a Redis restart lost is the worker cron's part (every 20 s), with
    arq's own checks; the worker also passes ``stale_after=0`` when Redis comes back after
    an outage, which may have emptied it.
    """
    relayed = await _relay_fresh(redis, clock.now(), limit, redis_timeout)
    if stale:
        relayed += await _relay_stale(redis, clock.now(), limit, stale_after)
    return relayed


async def _relay_fresh(
    redis: ArqRedis, now: datetime, limit: int, redis_timeout: float | None = None
) -> int:
    """Claim the rows never relayed in one UPDATE … RETURNING, then hand them all over in
    one Redis pipeline: each job as arq's ``enqueue_job`` writes it (``SET … NX`` and
    ``ZADD NX``: a job whose key already exists, relayed by someone else, stays as it is),
    each row of live events published (resolvers/live/live.py says why not via arq).

    The claim makes two relays running at once hand a row over once (PostgreSQL skips the
    rows another relay holds; SQLite has one writer). A live-events row is marked done by
    its claim; if Redis refuses, every claim is undone and the next relay tries again.

    Only the Redis part is timed (``redis_timeout``): a limit around the claim could cancel
    it once PostgreSQL had committed it but before its rows came back, and those rows,
    claimed by nobody who would hand them over, would wait for the stale relay (minutes).
    """
    params = Params()
    live_function = params(LIVE_EVENTS_FUNCTION)
    at = params(now)
    skip_locked = " FOR UPDATE SKIP LOCKED" if params.postgres else ""
    claimed = await fetch(
        f"""UPDATE outbox_job SET relayed_at = {at},
                completed_at = CASE WHEN function = {live_function} THEN {at}
                                    ELSE completed_at END,
                attempts = attempts + CASE WHEN function = {live_function} THEN 1 ELSE 0 END
            WHERE relayed_at IS NULL AND id IN (
                SELECT id FROM outbox_job WHERE relayed_at IS NULL
                ORDER BY id LIMIT {params(limit)}{skip_locked})
            RETURNING id, function, kwargs""",
        params,
    )
    if not claimed:
        return 0
    claimed.sort(key=lambda row: int(row["id"]))
    try:
        async with asyncio.timeout(redis_timeout), redis.pipeline(transaction=False) as pipe:
            for row in claimed:
                kwargs = row["kwargs"]
                if isinstance(kwargs, str):  # JSON text on both databases, unless decoded
                    kwargs = orjson.loads(kwargs)
                if row["function"] == LIVE_EVENTS_FUNCTION:
                    live.publish(pipe, kwargs["events"])
                else:
                    _enqueue(pipe, redis, row["function"], int(row["id"]), kwargs)
            await pipe.execute()
    except BaseException as exc:
        # BaseException: a relay timed out or cancelled mid-pipeline (the API's
        # ``redis_timeout``, a shutdown) must give its claims back too, or its mails would
        # wait for the 10-minute stale relay.
        # If Redis took the jobs before the cancellation, the next relay's SET NX keeps
        # them single; live events may then be published twice, which clients tolerate.
        params = Params()
        live_function = params(LIVE_EVENTS_FUNCTION)
        await connection().execute_query(
            f"""UPDATE outbox_job SET relayed_at = NULL,
                    completed_at = CASE WHEN function = {live_function} THEN NULL
                                        ELSE completed_at END,
                    last_error = CASE WHEN function = {live_function}
                                      THEN {params(f"{type(exc).__name__}: {exc}"[:2000])}
                                      ELSE last_error END
                WHERE id IN ({params.many([int(row["id"]) for row in claimed])})""",
            params.values,
        )
        raise
    return len(claimed)


def _enqueue(
    pipe: Pipeline, redis: ArqRedis, function: str, outbox_id: int, kwargs: dict[str, Any]
) -> None:
    """What ``ArqRedis.enqueue_job(function, _job_id=job_id(outbox_id), outbox_id=…,
    **kwargs)`` writes, queued on a pipeline: the serialised job under its key (expiring
    like arq's, 24 h) and its id in the queue, both only if not there yet. arq's own check
    of a kept result is left out: a fresh row's job has never run, and the outbox_job
    wrapper makes a second run do nothing anyway."""
    arq_id = job_id(outbox_id)
    enqueued_ms = timestamp_ms()
    job = serialize_job(
        function,
        (),
        {"outbox_id": outbox_id, **kwargs},
        None,
        enqueued_ms,
        serializer=redis.job_serializer,
    )
    pipe.set(job_key_prefix + arq_id, job, px=redis.expires_extra_ms, nx=True)
    pipe.zadd(redis.default_queue_name, {arq_id: enqueued_ms}, nx=True)


async def _relay_stale(redis: ArqRedis, now: datetime, limit: int, stale_after: timedelta) -> int:
    """Hand arq again the jobs relayed ``stale_after`` ago and still not done (lost by a
    Redis restart); arq ignores those it still holds (the job's key, or its kept result)."""
    max_tries = get_settings().job_max_tries
    rows = (
        await OutboxJob.filter(
            completed_at__isnull=True, relayed_at__lte=now - stale_after, attempts__lt=max_tries
        )
        .order_by("id")
        .limit(limit)
    )
    for row in rows:
        await redis.enqueue_job(
            row.function, _job_id=job_id(row.id), outbox_id=row.id, **row.kwargs
        )
        await OutboxJob.filter(id=row.id).update(relayed_at=now)
    return len(rows)


def relay_heartbeat_key(queue_name: str) -> str:
    """Redis key holding when the worker's relay cron last ran (ISO 8601, UTC): `famille
    doctor` reads it to tell whether any worker runs its crons."""
    return f"{queue_name}:heartbeat:relay_outbox"


async def backlog() -> tuple[datetime | None, int]:
    """The creation time of the oldest row not handed over to Redis yet, and how many
    wait: the outbox's lag (/metrics, docs/monitoring.md). A few rows at most between two
    relays; many, or an old one, mean no relay runs."""
    waiting = OutboxJob.filter(relayed_at__isnull=True)
    oldest = await waiting.order_by("created_at").first().values_list("created_at", flat=True)
    return cast(datetime | None, oldest), await waiting.count()


async def relay_outbox_cron(ctx: dict[str, Any]) -> int:
    """Worker cron: the safety net when the API could not reach Redis after a commit. Each
    run that went through leaves its time in Redis (``relay_heartbeat_key``)."""
    clock: Clock = ctx.get("clock") or SystemClock()
    relayed = await relay_outbox(ctx["redis"], clock=clock)
    await ctx["redis"].set(relay_heartbeat_key(get_settings().queue_name), clock.now().isoformat())
    return relayed
