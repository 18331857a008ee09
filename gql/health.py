"""``/healthz`` (which dependency is degraded) and ``/readyz`` (can this API serve).

The API keeps running when Redis or SMTP fail: mutations still commit, their jobs wait in
the outbox table. Only the database makes it useless, so only the database fails
readiness; ``/healthz`` answers 200 as long as the process does, with each dependency's
state, for monitoring.
"""

import asyncio

from arq import ArqRedis
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tortoise import connections

from jobs.probes import failure_text, smtp_greeting_failure
from settings import get_settings

# Seconds each check may take: a dependency that hangs is reported, not waited for.
CHECK_TIMEOUT = 2.0


async def _database() -> tuple[str, str]:
    try:
        await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"), CHECK_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return "down", failure_text(exc)
    return "ok", ""


async def _redis(redis: ArqRedis | None) -> tuple[str, str]:
    if not get_settings().redis_url:
        return "embedded", ""
    if redis is None:
        return "down", "no pool"
    try:
        await asyncio.wait_for(redis.ping(), CHECK_TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        return "down", failure_text(exc)
    return "ok", ""


async def _smtp() -> tuple[str, str]:
    settings = get_settings()
    if not settings.smtp_host:
        return "files", ""
    failure = await smtp_greeting_failure(settings, CHECK_TIMEOUT)
    return ("down", failure) if failure else ("ok", "")


async def _checks(request: Request) -> dict[str, tuple[str, str]]:
    redis: ArqRedis | None = getattr(request.app.state, "redis", None)
    database, redis_check, smtp = await asyncio.gather(_database(), _redis(redis), _smtp())
    return {"database": database, "redis": redis_check, "smtp": smtp}


async def healthz(request: Request) -> JSONResponse:
    """200 while the process answers; ``status`` is ``ok``, ``degraded`` (Redis or SMTP
    down: mail waits in the outbox) or ``down`` (no database), with each dependency's
    state (``ok``, ``down``; ``embedded`` / ``files`` in the embedded set-up) and errors."""
    checks = await _checks(request)
    if checks["database"][0] == "down":
        status = "down"
    elif any(state == "down" for state, _ in checks.values()):
        status = "degraded"
    else:
        status = "ok"
    body: dict[str, object] = {"status": status, **{name: s for name, (s, _) in checks.items()}}
    errors = {name: error for name, (_, error) in checks.items() if error}
    if errors:
        body["errors"] = errors
    return JSONResponse(body)


async def readyz(request: Request) -> JSONResponse:
    """503 only when the database is unreachable: without Redis the API still serves."""
    state, error = await _database()
    if state != "ok":
        return JSONResponse({"ready": False, "database": state, "error": error}, status_code=503)
    return JSONResponse({"ready": True, "database": state})


def routes() -> list[Route]:
    return [Route("/healthz", healthz), Route("/readyz", readyz)]
