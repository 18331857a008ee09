"""Recording jobs in the caller's transaction; jobs/relay.py hands them to arq after commit."""

from typing import Any

from models.outbox import OutboxJob
from resolvers.clock import Clock


async def record_job(function: str, kwargs: dict[str, Any], *, clock: Clock) -> OutboxJob:
    """Write the job next to the data it concerns: both commit, or neither does."""
    job = await OutboxJob.create(function=function, kwargs=kwargs, created_at=clock.now())
    return job


async def queue_mail(to: str, template: str, context: dict[str, Any], *, clock: Clock) -> OutboxJob:
    """Queue one French mail rendered from ``jobs/templates/mail/<template>.*``."""
    return await record_job(
        "send_mail", {"to": to, "template": template, "context": context}, clock=clock
    )
