"""arq worker: ``famille worker`` runs this (``arq jobs.worker.WorkerSettings`` too, without
its resilience to a Redis outage).

arq 0.28's ``Worker.main`` raises as soon as one Redis command fails (its poll, a job's
bookkeeping, the cron) and ``Worker.run`` then closes and returns: the process would exit.
``run_worker`` wraps it instead of patching it: it waits for Redis with backoff, runs an
arq ``Worker`` until Redis goes away, lets the jobs in flight finish (their work needs the
database and SMTP, not Redis), then waits for Redis again and starts a fresh ``Worker``.
"""

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from arq import Worker, cron
from arq.connections import ArqRedis
from arq.cron import CronJob

from jobs.invoicing import invoice_previous_month
from jobs.kitchen import kitchen_forecast_cron, send_kitchen_forecast
from jobs.mail import send_mail
from jobs.metrics import measured
from jobs.outbox import relay_outbox, relay_outbox_cron
from jobs.payments import reconcile_payment, recover_payments
from jobs.privacy import apply_retention_cron
from jobs.queue import open_pool, redis_settings
from jobs.quotients import refresh_family_quotients
from jobs.reminders import (
    remind_expiring_documents,
    remind_overdue_invoices,
    remind_unbooked_weeks,
    remind_unpaid_invoices,
    sweep_document_files,
)
from jobs.resilience import REDIS_DOWN, Dependency
from jobs.school_year import school_year_cron
from models import pool_metrics
from models.database import close_db, init_db
from resolvers.core.clock import SystemClock
from settings import Settings, get_settings

logger = logging.getLogger("famille.worker")

# Cron schedules are read in the towns' time zone.
PARIS = ZoneInfo("Europe/Paris")
# Each run counted by outcome and timed (jobs/metrics.py).
FUNCTIONS = [measured(f) for f in (send_mail, send_kitchen_forecast, reconcile_payment)]


def relay_cron() -> CronJob:
    """The safety net of the outbox: relays what the API could not hand over after commit,
    at the worker's start and every 20 s. A new ``CronJob`` each call: arq keeps a cron's
    next run on it, and a fresh one runs at its worker's start."""
    return cron(
        measured(relay_outbox_cron), name="relay_outbox", second={0, 20, 40}, run_at_startup=True
    )


CRON_JOBS = [
    relay_cron(),
    cron(
        measured(remind_expiring_documents), name="remind_expiring_documents", hour={8}, minute={0}
    ),
    cron(measured(sweep_document_files), name="sweep_document_files", minute={17}),
    # Reminders: a booking deadline can fall at any minute, so every quarter of an hour.
    cron(measured(remind_unbooked_weeks), name="remind_unbooked_weeks", minute={5, 20, 35, 50}),
    cron(measured(remind_unpaid_invoices), name="remind_unpaid_invoices", hour={9}, minute={0}),
    cron(measured(remind_overdue_invoices), name="remind_overdue_invoices", hour={9}, minute={30}),
    # Each canteen's booking cut-off (town time) queues the kitchens' forecast of that day.
    cron(measured(kitchen_forecast_cron), name="kitchen_forecast", second=30),
    # Bills the month that ended; a second run (or a manual `famille invoice`) is a no-op.
    cron(measured(invoice_previous_month), name="invoice_month", day=1, hour=2, minute=0, second=0),
    # RGPD: files and health data of families gone for FAMILLE_RETENTION_DAYS.
    cron(measured(apply_retention_cron), name="apply_retention", hour={3}, minute={30}, second=0),
    # CAF/MSA quotients lapsing within FAMILLE_QUOTIENT_REFRESH_DAYS, asked again at night.
    cron(
        measured(refresh_family_quotients),
        name="refresh_family_quotients",
        hour={4},
        minute={10},
        second=0,
    ),
    # Online payments nobody called us back about (PayFiP asked again, others abandoned).
    cron(
        measured(recover_payments), name="recover_payments", minute=set(range(0, 60, 5)), second=10
    ),
    # Re-enrolment reminders before a campaign's last day; classes up at the rentrée.
    cron(measured(school_year_cron), name="school_year", hour={7}, minute={15}, second=0),
]


async def startup(ctx: dict[str, Any]) -> None:
    await init_db()
    pool_metrics.instrument()
    ctx.setdefault("clock", SystemClock())


async def shutdown(ctx: dict[str, Any]) -> None:
    if ctx.get("owns_db", True):
        await close_db()


def build_worker(
    settings: Settings,
    redis: ArqRedis,
    *,
    burst: bool = False,
    ctx: dict[str, Any] | None = None,
    close_db_on_exit: bool = True,
    crons: bool = True,
) -> Worker:
    """A worker on an existing pool: used in-process by ``famille dev`` and by the tests.

    ``crons=False``: the tests' burst worker, whose jobs run on the test's frozen clock,
    with the relay at start and no other cron. arq fires a cron on the wall clock, and
    each ``CronJob`` of ``CRON_JOBS`` keeps its next run across the workers of a process:
    a cron overdue since an earlier burst ran in whichever test came next, on that test's
    day (an unbooked-week reminder mailed beside a booking confirmation). A test runs a
    cron by calling it."""
    return Worker(
        functions=FUNCTIONS,  # type: ignore[arg-type]
        cron_jobs=CRON_JOBS if crons else [relay_cron()],
        redis_pool=redis,
        queue_name=settings.queue_name,
        on_startup=startup,
        on_shutdown=shutdown,
        ctx={"owns_db": close_db_on_exit, **(ctx or {})},
        max_tries=settings.job_max_tries,
        burst=burst,
        poll_delay=0.2,
        handle_signals=False,
        timezone=PARIS,  # type: ignore[arg-type]  # arq only calls datetime.now(tz)
    )


class WorkerSettings:
    """For the ``arq`` command; ``famille worker`` builds the same worker."""

    functions = FUNCTIONS
    cron_jobs = CRON_JOBS
    on_startup = startup
    on_shutdown = shutdown
    queue_name = get_settings().queue_name
    max_tries = get_settings().job_max_tries
    redis_settings = redis_settings(get_settings()) if get_settings().redis_url else None
    timezone = PARIS


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run arq workers one after the other until ``stop`` is set; a Redis outage is waited
    out (logged once when lost, once when back), never a reason to exit."""
    redis_state = Dependency("Redis")
    clock = SystemClock()
    await init_db()
    pool_metrics.instrument()
    try:
        while not stop.is_set():
            redis = await open_pool(settings)
            try:
                await redis.ping()
                if redis_state.failures:
                    # Redis came back, maybe empty (restarted without its data): hand arq
                    # again every outbox job not done yet; those arq still holds are skipped
                    # (their job id), and the jobs that ran meanwhile are done in the
                    # database, so nothing runs twice.
                    await relay_outbox(redis, clock=clock, stale_after=timedelta(0))
            except REDIS_DOWN as exc:
                await redis.aclose()
                await _sleep_unless_stopped(stop, redis_state.lost(exc))
                continue
            redis_state.back()
            worker = build_worker(settings, redis, close_db_on_exit=False)
            try:
                await _run_until_redis_lost(worker, stop, redis_state)
            finally:
                await _drain(worker, stop)
                with contextlib.suppress(*REDIS_DOWN):
                    await redis.aclose()
    finally:
        await close_db()


async def _run_until_redis_lost(worker: Worker, stop: asyncio.Event, state: Dependency) -> None:
    main = asyncio.ensure_future(worker.main())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({main, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not main.done():  # stopped
        main.cancel()
        with contextlib.suppress(asyncio.CancelledError, *REDIS_DOWN):
            await main
        return
    exc = main.exception()
    if exc is None:
        return
    if isinstance(exc, REDIS_DOWN):
        state.lost(exc)
        return
    raise exc


async def _drain(worker: Worker, stop: asyncio.Event, grace: float = 10.0) -> None:
    """Let the jobs in flight finish before another worker may start them again; on stop,
    give them ``grace`` seconds, then cancel them (arq runs a cancelled job again)."""
    tasks = [task for task in worker.tasks.values() if not task.done()]
    if tasks and stop.is_set():
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
    if tasks:
        # Their last step, arq's bookkeeping in Redis, fails while Redis is gone: the
        # outbox row (done or not) is what counts.
        await asyncio.gather(*tasks, return_exceptions=True)
    worker.tasks.clear()


async def _sleep_unless_stopped(stop: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), delay)


async def run_worker_until_signalled(settings: Settings) -> None:
    """``famille worker``: ``run_worker`` until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run_worker(settings, stop)
    logger.info("worker arrêté")
