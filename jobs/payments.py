"""Payment jobs: reconcile one stored provider callback, and the recovery cron that asks
again about attempts nobody told us about. Both are safe to run twice: the ledger's
unique key on the provider's transaction id is what counts a payment once."""

from typing import Any

from jobs.outbox import outbox_job, relay_outbox
from resolvers.core.clock import Clock, SystemClock
from resolvers.payments.payfip import payfip_client
from resolvers.payments.reconcile import process_notification, recover_attempts


@outbox_job
async def reconcile_payment(ctx: dict[str, Any], *, outbox_id: int, notification_id: int) -> str:
    """Recorded by the callback route in the transaction that stored the notification."""
    clock: Clock = ctx.get("clock") or SystemClock()
    outcome = await process_notification(notification_id, payfip_client(), clock=clock)
    # The receipt mail was recorded in the reconcile transaction: hand it over now.
    await relay_outbox(ctx["redis"], clock=clock)
    return f"notification {notification_id}: {outcome}"


async def recover_payments(ctx: dict[str, Any]) -> str:
    """Worker cron: closes attempts left pending past their provider session."""
    clock: Clock = ctx.get("clock") or SystemClock()
    closed = await recover_attempts(payfip_client(), clock=clock)
    if closed:
        await relay_outbox(ctx["redis"], clock=clock)
    return f"{closed} attempts closed"
