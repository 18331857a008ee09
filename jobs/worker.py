"""arq worker: ``famille worker`` (or ``arq jobs.worker.WorkerSettings``) runs this."""

from typing import Any
from zoneinfo import ZoneInfo

from arq import Worker, cron
from arq.connections import ArqRedis

from jobs.invoicing import invoice_previous_month
from jobs.kitchen import kitchen_forecast_cron, send_kitchen_forecast
from jobs.mail import send_mail
from jobs.outbox import relay_outbox_cron
from jobs.payments import reconcile_payment, recover_payments
from jobs.privacy import apply_retention_cron
from jobs.queue import redis_settings
from jobs.reminders import (
    remind_expiring_documents,
    remind_unbooked_weeks,
    remind_unpaid_invoices,
    sweep_document_files,
)
from models.database import close_db, init_db
from resolvers.core.clock import SystemClock
from settings import Settings, get_settings

# Cron schedules are read in the towns' time zone.
PARIS = ZoneInfo("Europe/Paris")
FUNCTIONS = [send_mail, send_kitchen_forecast, reconcile_payment]
CRON_JOBS = [
    # The safety net of the outbox: relays what the API could not hand over after commit.
    cron(relay_outbox_cron, name="relay_outbox", second={0, 20, 40}, run_at_startup=True),
    cron(remind_expiring_documents, name="remind_expiring_documents", hour={8}, minute={0}),
    cron(sweep_document_files, name="sweep_document_files", minute={17}),
    # Reminders: a booking deadline can fall at any minute, so every quarter of an hour.
    cron(remind_unbooked_weeks, name="remind_unbooked_weeks", minute={5, 20, 35, 50}),
    cron(remind_unpaid_invoices, name="remind_unpaid_invoices", hour={9}, minute={0}),
    # Each canteen's booking cut-off (town time) queues the kitchens' forecast of that day.
    cron(kitchen_forecast_cron, name="kitchen_forecast", second=30),
    # Bills the month that ended; a second run (or a manual `famille invoice`) is a no-op.
    cron(invoice_previous_month, name="invoice_month", day=1, hour=2, minute=0, second=0),
    # RGPD: files and health data of families gone for FAMILLE_RETENTION_DAYS.
    cron(apply_retention_cron, name="apply_retention", hour={3}, minute={30}, second=0),
    # Online payments nobody called us back about (PayFiP asked again, others abandoned).
    cron(recover_payments, name="recover_payments", minute=set(range(0, 60, 5)), second=10),
]


async def startup(ctx: dict[str, Any]) -> None:
    await init_db()
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
) -> Worker:
    """A worker on an existing pool: used in-process by ``famille dev`` and by the tests."""
    return Worker(
        functions=FUNCTIONS,  # type: ignore[arg-type]
        cron_jobs=CRON_JOBS,
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
