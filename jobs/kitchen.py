"""The kitchens' forecast mails: a cron queues the first at the booking cut-off and an update
whenever staff change the day later; a job sends each with the figures it was queued with."""

from datetime import date
from typing import Any

from jobs.mail import deliver, render_mail
from jobs.outbox import outbox_job, relay_outbox
from resolvers.core.clock import Clock, SystemClock
from resolvers.core.french import format_date
from resolvers.operations.kitchen import mail_context, queue_kitchen_mails, queue_kitchen_updates
from settings import get_settings


@outbox_job
async def send_kitchen_forecast(
    ctx: dict[str, Any],
    *,
    outbox_id: int,
    site_id: int,
    to: str,
    figures: dict[str, Any],
    previous_meals: int | None,
) -> str:
    """The figures were counted when the mail was queued: a resend says the same thing."""
    settings = get_settings()
    context = await mail_context(site_id, figures)
    context["day"] = format_date(date.fromisoformat(figures["day"]))
    context["previous_meals"] = previous_meals
    domain = settings.mail_from.rsplit("@", 1)[-1].strip("> ")
    message = render_mail(
        "kitchen_forecast",
        context,
        to=to,
        settings=settings,
        message_id=f"<outbox-{outbox_id}@{domain}>",
    )
    await deliver(message, name=f"{outbox_id:08d}-kitchen_forecast", settings=settings)
    return f"sent the forecast of {context['site']} on {figures['day']} to {to}"


async def kitchen_forecast_cron(ctx: dict[str, Any]) -> int:
    """Worker cron, every minute: queue the mails whose cut-off passed and the updates of
    days changed since, then hand them over."""
    clock: Clock = ctx.get("clock") or SystemClock()
    queued = await queue_kitchen_mails(clock=clock) + await queue_kitchen_updates(clock=clock)
    if queued:
        await relay_outbox(ctx["redis"], clock=clock)
    return queued
