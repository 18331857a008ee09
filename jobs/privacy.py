"""The daily RGPD retention job: families gone for the retention period lose their document
files, health notes, contacts and contact details, with every copy of them
(resolvers/privacy/privacy.py says what "gone" means and what is erased)."""

from typing import Any

from resolvers.core.clock import Clock, SystemClock
from resolvers.privacy.privacy import apply_retention


async def apply_retention_cron(ctx: dict[str, Any]) -> int:
    """How many households were erased; safe to run twice (erased ones are skipped)."""
    clock: Clock = ctx.get("clock") or SystemClock()
    run = await apply_retention(clock=clock)
    return sum(len(households) for households in run.households.values())
