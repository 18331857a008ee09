"""The monthly invoice run as an arq cron: on the 1st at 02:00 (Europe/Paris), bill the
month that just ended. Running it twice, or next to a `famille invoice` started by hand,
issues nothing twice (see resolvers/billing/invoicing.py)."""

import logging
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from resolvers.billing.invoicing import first_of_month, invoice_month
from resolvers.core.clock import Clock, SystemClock

logger = logging.getLogger(__name__)
PARIS = ZoneInfo("Europe/Paris")


async def invoice_previous_month(ctx: dict[str, Any]) -> str:
    clock: Clock = ctx.get("clock") or SystemClock()
    today = clock.now().astimezone(PARIS).date()
    month = first_of_month(first_of_month(today) - timedelta(days=1))
    summary = await invoice_month(month, clock=clock)
    message = (
        f"{month:%Y-%m}: {summary.invoices} invoices, {summary.corrections} corrections, "
        f"{summary.mailed} mailed, {summary.printed} to print"
    )
    logger.info("invoice run %s", message)
    return message
