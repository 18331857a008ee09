"""A household's credit at a régie (avoir de trésorerie): what its desk payments left
unallocated, and what its online payments brought that no invoice needed any more (the
invoice was paid at the desk meanwhile, or paid twice), read from the payment ledger and
consumed by allocations of the same payments.

The one rule of credit, for the desk and the online callbacks (which create it), the
invoice run (which applies it when it issues invoices) and the refunds. The credit of one
payment attempt (a desk payment's, or an online one marked ``credit_cents``) is its ledger
money (payments, less reversals and refunds) less what its allocations already settled; a
cancelled desk payment whose allocations were reversed leaves nothing. Attempts are read in
id order, so the oldest credit is used first, and locked (``FOR UPDATE``) where credit is
consumed or cancelled, so that a cancellation, a callback and an invoice run cannot both
use it.
"""

from collections import defaultdict
from dataclasses import dataclass

from tortoise.expressions import F

from models.billing import Invoice
from models.payments import (
    DeskPayment,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentKind,
    PaymentProvider,
)


@dataclass
class Credit:
    """The credit one payment still holds: a desk payment's, or an online payment's
    surplus (``desk_payment_id`` None)."""

    attempt_id: int
    household_id: int
    payment_id: int
    cents: int
    desk_payment_id: int | None = None


async def credits_of(
    authority_id: int, household_ids: list[int], *, lock: bool = False
) -> dict[int, list[Credit]]:
    """Per household, its payments' credit left at the régie, oldest first (four
    statements at most, two when no payment of theirs left credit)."""
    desk_query = DeskPayment.filter(
        authority_id=authority_id,
        household_id__in=household_ids,
        credit_cents__gt=0,
        cancelled_at__isnull=True,
    ).order_by("id")
    online_query = (
        PaymentAttempt.filter(
            authority_id=authority_id, household_id__in=household_ids, credit_cents__gt=0
        )
        .exclude(provider=PaymentProvider.DESK)
        .order_by("id")
    )
    if lock:
        desk_query = desk_query.select_for_update()
        online_query = online_query.select_for_update()
    # attempt id -> (household, desk payment or None, most it may hold)
    holders: dict[int, tuple[int, int | None, int | None]] = {
        desk.attempt_id: (desk.household_id, desk.id, None) for desk in await desk_query
    }
    for attempt in await online_query:
        holders[attempt.id] = (attempt.household_id, None, attempt.credit_cents)
    if not holders:
        return {}
    payments = (
        await Payment.filter(attempt_id__in=list(holders))
        .order_by("id")
        .values_list("id", "attempt_id", "kind", "amount_cents")
    )
    money: dict[int, int] = defaultdict(int)
    payment_of: dict[int, int] = {}
    for payment_id, attempt_id, kind, cents in payments:
        money[attempt_id] += cents
        if kind == PaymentKind.PAYMENT:
            payment_of.setdefault(attempt_id, payment_id)
    allocated: dict[int, int] = defaultdict(int)
    for attempt_id, cents in await PaymentAllocation.filter(
        payment__attempt_id__in=list(payment_of)
    ).values_list("payment__attempt_id", "amount_cents"):
        allocated[attempt_id] += cents
    credits: dict[int, list[Credit]] = defaultdict(list)
    for attempt_id in sorted(holders):
        household_id, desk_payment_id, most = holders[attempt_id]
        left = money[attempt_id] - allocated[attempt_id]
        # An online attempt's money of an unexpected amount waits for review unallocated:
        # only the surplus it was credited with counts.
        if most is not None:
            left = min(left, most)
        if left > 0 and attempt_id in payment_of:
            credits[household_id].append(
                Credit(attempt_id, household_id, payment_of[attempt_id], left, desk_payment_id)
            )
    return dict(credits)


async def credit_balance(household_id: int, authority_id: int) -> int:
    """The household's credit at the régie, in cents."""
    credits = await credits_of(authority_id, [household_id])
    return sum(credit.cents for credit in credits.get(household_id, []))


async def apply_credits(authority_id: int, invoices: list[tuple[int, int, int]]) -> int:
    """Inside the caller's transaction (the invoice run's): settle the invoices just issued
    (``invoice id, household id, amount due``; in id order) from their households' credit at
    the régie, oldest credit first, each use an allocation of the desk payment that left
    it. Returns the cents applied."""
    due = [row for row in invoices if row[2] > 0]
    if not due:
        return 0
    credits = await credits_of(authority_id, sorted({row[1] for row in due}), lock=True)
    if not credits:
        return 0
    allocations: list[PaymentAllocation] = []
    settled: dict[int, int] = {}
    for invoice_id, household_id, cents in sorted(due):
        for credit in credits.get(household_id, []):
            take = min(credit.cents, cents)
            if take <= 0:
                continue
            allocations.append(
                PaymentAllocation(
                    payment_id=credit.payment_id, invoice_id=invoice_id, amount_cents=take
                )
            )
            settled[invoice_id] = settled.get(invoice_id, 0) + take
            credit.cents -= take
            cents -= take
    for allocation in allocations:
        await allocation.save()
    for invoice_id, cents in settled.items():
        await Invoice.filter(id=invoice_id).update(settled_cents=F("settled_cents") + cents)
    return sum(settled.values())
