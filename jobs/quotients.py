"""The nightly refresh of CAF/MSA quotients about to lapse (API Particulier). Safe to run
twice: a household refreshed or tried today is skipped."""

from typing import Any

from resolvers.core.clock import Clock, SystemClock
from resolvers.quotients.api_particulier import quotient_client
from resolvers.quotients.family_quotients import refresh_lapsing_quotients


async def refresh_family_quotients(ctx: dict[str, Any]) -> str:
    """Worker cron: within the API's rate limits; a 429 leaves the rest for the next night."""
    clock: Clock = ctx.get("clock") or SystemClock()
    summary = await refresh_lapsing_quotients(quotient_client(), clock=clock)
    stopped = " (arrêté par API Particulier : 429)" if summary.stopped else ""
    return f"{summary.refreshed} quotients refreshed, {summary.failed} failed{stopped}"
