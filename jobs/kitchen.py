"""The kitchens' daily forecast mail: a cron queues it at the booking cut-off, a job sends it."""

from datetime import date
from typing import Any

from jobs.mail import deliver, render_mail
from jobs.outbox import outbox_job, relay_outbox
from resolvers.clock import Clock, SystemClock
from resolvers.french import format_date
from resolvers.kitchen import queue_kitchen_mails, site_day_forecast
from settings import get_settings


@outbox_job
async def send_kitchen_forecast(
    ctx: dict[str, Any], *, outbox_id: int, site_id: int, day: str, to: str
) -> str:
    """Count the meals when the mail leaves, so it says what the bookings say then."""
    settings = get_settings()
    site, tenant, forecast = await site_day_forecast(site_id, date.fromisoformat(day))
    domain = settings.mail_from.rsplit("@", 1)[-1].strip("> ")
    message = render_mail(
        "kitchen_forecast",
        {
            "town": tenant.name,
            "site": site.name,
            "day": format_date(forecast.day),
            "meals": forecast.meals,
            "standard": forecast.standard,
            "no_pork": forecast.no_pork,
            "vegetarian": forecast.vegetarian,
            "packed_meal": forecast.packed_meal,
            "pai": forecast.pai,
            "reported_absent": forecast.reported_absent,
        },
        to=to,
        settings=settings,
        message_id=f"<outbox-{outbox_id}@{domain}>",
    )
    await deliver(message, name=f"{outbox_id:08d}-kitchen_forecast", settings=settings)
    return f"sent the forecast of {site.name} on {day} to {to}"


async def kitchen_forecast_cron(ctx: dict[str, Any]) -> int:
    """Worker cron, every minute: queue the mails whose cut-off passed, then hand them over."""
    clock: Clock = ctx.get("clock") or SystemClock()
    queued = await queue_kitchen_mails(clock=clock)
    if queued:
        await relay_outbox(ctx["redis"], clock=clock)
    return queued
