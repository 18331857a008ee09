"""Recording jobs in the caller's transaction; jobs/outbox.py hands them to arq after commit."""

from datetime import datetime
from typing import Any

import orjson

from models.outbox import OutboxJob
from resolvers.core.clock import Clock
from resolvers.core.sql import Params, connection, rows_table


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
    await connection().execute_query(jobs_insert(params, jobs, clock.now()), params.values)


def jobs_insert(
    params: Params, jobs: list[tuple[str, dict[str, Any]]], now: datetime, *, guard: str = ""
) -> str:
    """The INSERT of ``record_jobs``, for a caller that sends it with other writes; with a
    ``guard`` (PostgreSQL, in a data-modifying CTE), written only when it holds."""
    at = params(now)
    if guard:
        encoded = [(function, orjson.dumps(kwargs).decode()) for function, kwargs in jobs]
        rows = rows_table(params, "j", encoded, [("function", "VARCHAR(64)"), ("kwargs", "JSONB")])
        return (
            "INSERT INTO outbox_job (function, kwargs, created_at, attempts, last_error) "
            f"SELECT j.function, j.kwargs, {at}, 0, '' FROM {rows} WHERE {guard}"
        )
    values = ", ".join(
        f"({params(function)}, {params(orjson.dumps(kwargs).decode())}, {at}, 0, '')"
        for function, kwargs in jobs
    )
    return (
        "INSERT INTO outbox_job (function, kwargs, created_at, attempts, last_error) "
        f"VALUES {values}"
    )


def mail_job(to: str, template: str, context: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The job ``queue_mail`` records, for ``record_jobs``."""
    return "send_mail", {"to": to, "template": template, "context": context}
