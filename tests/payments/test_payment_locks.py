"""Invoices are locked in id order everywhere (``ORDER BY id FOR UPDATE``), so two
transactions over the same invoices wait for each other instead of deadlocking."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from models.payments import PaymentAllocation, PaymentNotification
from resolvers.core.clock import FrozenClock
from resolvers.payments.payfip import FakePayfip
from resolvers.payments.reconcile import process_notification
from tests.conftest import Backend, GraphQL
from tests.payment_factories import (
    invoice_due,
    later,
    paying_family,
    payzen_ipn,
    post_payzen,
    start,
)

Jobs = Callable[[], Awaitable[None]]


async def waiting_on_locks(blocker: asyncpg.Connection, count: int) -> None:
    """Until ``count`` other sessions of this database wait for a row lock."""
    for _ in range(200):
        waiting = await blocker.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} sessions never waited")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_refund_and_a_payment_over_the_same_two_invoices_at_once_do_not_deadlock(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, backend: Backend, run_jobs: Jobs
) -> None:
    family = await paying_family(clock, totals=(4250, 1800))
    first = (await start(api, family, (0, 1)))["request"]
    later(clock, 16)  # its session is over: a second attempt may start on the same invoices
    second = (await start(api, family, (0, 1)))["request"]
    assert (await post_payzen(http, payzen_ipn(first))).status_code == 200
    await run_jobs()
    assert await invoice_due(api, family, 0) == await invoice_due(api, family, 1) == 0
    # Then, at once: the first payment refunded (its money taken back from both invoices)
    # and the second one paid (allocated to both).
    refund = payzen_ipn(first, "CAPTURED", operation="CREDIT", suffix="refund", source="BO")
    assert (await post_payzen(http, refund)).status_code == 200
    assert (await post_payzen(http, payzen_ipn(second))).status_code == 200
    refund_id, paid_id = [
        n.id
        for n in await PaymentNotification.filter(
            attempt__household_id=family.household.id, processed_at__isnull=True
        ).order_by("id")
    ]
    ids = sorted(invoice.id for invoice in family.invoices)
    blocker = await asyncpg.connect(backend.settings.database_url)
    try:
        # A third session holds the second invoice, so that both reach their row locks
        # before either gets them all: the refund first, then the payment.
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("SELECT id FROM invoice WHERE id = $1 FOR UPDATE", ids[1])
        tasks: list[asyncio.Task[Any]] = []
        for count, notification_id in enumerate((refund_id, paid_id), start=1):
            tasks.append(
                asyncio.create_task(
                    process_notification(notification_id, FakePayfip(), clock=clock)
                )
            )
            await waiting_on_locks(blocker, count)
        await transaction.commit()
        outcomes = await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    finally:
        await blocker.close()
    assert outcomes == ["processed", "processed"]
    # The ledger and the invoices agree: refunded, then paid again by the second attempt.
    for invoice in family.invoices:
        await invoice.refresh_from_db()
        allocated = await PaymentAllocation.filter(invoice_id=invoice.id).values_list(
            "amount_cents", flat=True
        )
        assert invoice.settled_cents == sum(allocated) == invoice.total_cents  # type: ignore[arg-type]
