"""Recording jobs in the caller's transaction; jobs/relay.py hands them to arq after commit."""

from typing import Any

import orjson

from models.outbox import OutboxJob
from resolvers.clock import Clock
from resolvers.sql import Params, connection


async def record_job(function: str, kwargs: dict[str, Any], *, clock: Clock) -> OutboxJob:
    """Write the job next to the data it concerns: both commit, or neither does."""
    job = await OutboxJob.create(function=function, kwargs=kwargs, created_at=clock.now())
    return job


async def queue_mail(to: str, template: str, context: dict[str, Any], *, clock: Clock) -> OutboxJob:
    """Queue one French mail rendered from ``jobs/templates/mail/<template>.*``."""
    function, kwargs = mail_job(to, template, context)
    return await record_job(function, kwargs, clock=clock)


async def record_jobs(jobs: list[tuple[str, dict[str, Any]]], *, clock: Clock) -> None:
    """Several jobs (function, kwargs) in one INSERT, for a mutation that writes a few at
    once (``bulk_create`` would send one execution per row)."""
    if not jobs:
        return
    params = Params()
    now = params(clock.now())
    values = ", ".join(
        f"({params(function)}, {params(orjson.dumps(kwargs).decode())}, {now}, 0, '')"
        for function, kwargs in jobs
    )
    await connection().execute_query(
        "INSERT INTO outbox_job (function, kwargs, created_at, attempts, last_error) "
        f"VALUES {values}",
        params.values,
    )


def mail_job(to: str, template: str, context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The job ``queue_mail`` records, for ``record_jobs``."""
    return "send_mail", {"to": to, "template": template, "context": context}
