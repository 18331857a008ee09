"""Probes of the services a deployment needs, shared by ``/healthz`` (gql/health.py) and
``famille doctor`` (jobs/doctor.py), so that both call a service down for the same reason."""

import asyncio

import aiosmtplib

from settings import Settings


def failure_text(exc: BaseException) -> str:
    """An exception as one short line: its type, and its message when it has one."""
    return f"{type(exc).__name__}: {exc}"[:200] if str(exc) else type(exc).__name__


async def smtp_greeting_failure(settings: Settings, timeout: float) -> str | None:
    """Connect to ``FAMILLE_SMTP_HOST`` and read its greeting (a 421 greeting or silence is
    a failure), then QUIT; the failure's text, or None when the server greeted us."""
    assert settings.smtp_host
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_security == "tls",
        start_tls=False,
        timeout=timeout,
    )
    try:
        await asyncio.wait_for(client.connect(), timeout)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return failure_text(exc)
    try:
        await asyncio.wait_for(client.quit(), timeout)
    except Exception:  # noqa: BLE001 - it greeted us: up
        client.close()
    return None
