"""A household's credit at a régie (avoir de trésorerie): what its desk payments left
unallocated, read from the payment ledger and consumed by allocations of the same payments.

The one rule of credit, for the desk (which creates it) and the invoice run (which applies
it when it issues invoices). The credit of one desk payment is its ledger money (the
payment, less its reversal if cancelled) less what its allocations already settled; a
cancelled payment whose allocations were reversed leaves nothing. Desk payments are read
in id order, so the oldest credit is used first, and locked (``FOR UPDATE``) where credit
is consumed or cancelled, so that a cancellation and an invoice run cannot both use it.
"""

from collections import defaultdict
from dataclasses import dataclass

from tortoise.expressions import F

from models.billing import Invoice
from models.payments import DeskPayment, Payment, PaymentAllocation, PaymentKind


@dataclass
class Credit:
    """The credit one desk payment still holds."""

    desk_payment_id: int
    household_id: int
    payment_id: int
    cents: int


async def credits_of(
    authority_id: int, household_ids: list[int], *, lock: bool = False
) -> dict[int, list[Credit]]:
    """Per household, its desk payments' credit left at the régie, oldest first
    (three statements at most, one when no payment of theirs left credit)."""
    query = DeskPayment.filter(
        authority_id=authority_id,
        household_id__in=household_ids,
        credit_cents__gt=0,
        cancelled_at__isnull=True,
    ).order_by("id")
    if lock:
        query = query.select_for_update()
    desks = await query
    if not desks:
        return {}
    payments = await Payment.filter(attempt_id__in=[d.attempt_id for d in desks]).values_list(
        "id", "attempt_id", "kind", "amount_cents"
    )
    money: dict[int, int] = defaultdict(int)
    payment_of: dict[int, int] = {}
    for payment_id, attempt_id, kind, cents in payments:
        money[attempt_id] += cents
        if kind == PaymentKind.PAYMENT:
            payment_of[attempt_id] = payment_id
    allocated: dict[int, int] = defaultdict(int)
    for attempt_id, cents in await PaymentAllocation.filter(
        payment__attempt_id__in=list(payment_of)
    ).values_list("payment__attempt_id", "amount_cents"):
        allocated[attempt_id] += cents
    credits: dict[int, list[Credit]] = defaultdict(list)
    for desk in desks:
        left = money[desk.attempt_id] - allocated[desk.attempt_id]
        if left > 0 and desk.attempt_id in payment_of:
            credits[desk.household_id].append(
                Credit(desk.id, desk.household_id, payment_of[desk.attempt_id], left)
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
