"""The worker seen from Prometheus: each job's outcome and duration by function, and the
mails sent and failed (docs/monitoring.md). ``measured`` wraps every function and cron the
worker runs (jobs/worker.py), and gives its log lines the job's name."""

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from arq import Retry
from prometheus_client import Counter, Histogram

from resolvers.core import logs

JOBS = Counter(
    "famille_jobs_total",
    "Job runs by function and outcome: success, retry (tried again later), failure (given "
    "up or crashed), cancelled (stopped with the worker; arq runs it again)",
    ["function", "outcome"],
)
JOB_SECONDS = Histogram(
    "famille_job_duration_seconds",
    "Duration of a job run, by function",
    ["function"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
MAILS = Counter(
    "famille_mails_total",
    "Mails handed to SMTP (or written as .eml): sent, or failed (the job retries)",
    ["outcome"],
)

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def measured(function: F) -> F:
    """``function`` counted by outcome and timed; arq still sees its name."""
    name = function.__qualname__

    @functools.wraps(function)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        outcome = "failure"
        start = time.perf_counter()
        with logs.bound(job=name, request_id=str(ctx.get("job_id", ""))[-64:]):
            try:
                result = await function(ctx, *args, **kwargs)
                outcome = "success"
                return result
            except Retry:
                outcome = "retry"
                raise
            except asyncio.CancelledError:
                outcome = "cancelled"
                raise
            finally:
                JOBS.labels(name, outcome).inc()
                JOB_SECONDS.labels(name).observe(time.perf_counter() - start)

    return run  # type: ignore[return-value]
