"""Refunding a household's credit at a régie (remboursement d'avoir): money the régie holds
for it (desk overpayments, online surpluses: ``billing.credits``) paid back in cash, by
cheque or by transfer, with a reason, audited.

The ledger says so: one REFUND entry (negative) per payment whose credit it takes,
oldest credit first, on that payment's attempt, so that the credit, the household's
payment history, the RGPD export and the cash journal all read it from the ledger. A
refund is numbered without gaps per régie and year (« V… », ``numbering``).
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from models.accounts import Account
from models.authorities import BillingAuthority
from models.payments import (
    CreditRefund,
    DeskPaymentMode,
    Payment,
    PaymentKind,
    PaymentProvider,
)
from models.tenants import Tenant
from resolvers.billing.credits import credits_of
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import BillingErrorCode, DomainError, NotFound
from resolvers.core.french import format_euros
from resolvers.core.roles import FamilyData
from resolvers.core.transactions import atomic
from resolvers.households.households import household_for, require_staff
from resolvers.payments.numbering import Series, next_number

# CESU cannot be handed back: the régie refunds in money.
REFUND_MODES = (
    DeskPaymentMode.CASH,
    DeskPaymentMode.CHEQUE,
    DeskPaymentMode.TRANSFER,
    DeskPaymentMode.OTHER,
)


@dataclass
class RefundForm:
    """What the régisseur types; ``amount_cents`` None refunds the whole credit."""

    household_id: int
    authority_id: int
    mode: DeskPaymentMode
    reason: str
    amount_cents: int | None = None


def _invalid(message: str, field_name: str) -> DomainError:
    return DomainError(BillingErrorCode.INVALID, message, field_name)


async def refund_credit(actor: Account | None, form: RefundForm, *, clock: Clock) -> CreditRefund:
    """Staff: pay back (part of) a household's credit at a régie. Refused above the
    credit, for CESU, without a reason.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    household = await household_for(staff, form.household_id, FamilyData.BILLING)
    authority = await BillingAuthority.get_or_none(id=form.authority_id, tenant_id=staff.tenant_id)
    if authority is None:
        raise NotFound("Régie", "authorityId")
    if form.mode not in REFUND_MODES:
        raise _invalid(
            "Un avoir se rembourse en espèces, par chèque, par virement ou autrement, pas en CESU.",
            "mode",
        )
    if not form.reason.strip():
        raise _invalid("Indiquez le motif du remboursement.", "reason")
    if form.amount_cents is not None and form.amount_cents <= 0:
        raise _invalid("Le montant doit être supérieur à zéro.", "amountCents")
    tenant = await Tenant.get(id=staff.tenant_id)
    now = clock.now()
    today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    async with atomic():
        # Locked (FOR UPDATE), as the invoice run and cancellations lock them.
        credits = (await credits_of(authority.id, [household.id], lock=True)).get(household.id, [])
        available = sum(credit.cents for credit in credits)
        amount = available if form.amount_cents is None else form.amount_cents
        if available == 0:
            raise _invalid("Cette famille n'a pas d'avoir auprès de cette régie.", "householdId")
        if amount > available:
            raise _invalid(
                f"L'avoir de la famille n'est que de {format_euros(available)}.", "amountCents"
            )
        number = await next_number(authority.id, Series.REFUND, today.year)
        left = amount
        taken: dict[str, int] = {}
        taken_online: dict[str, int] = {}
        for credit in credits:
            take = min(left, credit.cents)
            if take <= 0:
                break
            # Desk credit by its desk payment's id; an online surplus by its attempt's ("A").
            holder = (
                str(credit.desk_payment_id)
                if credit.desk_payment_id is not None
                else f"A{credit.attempt_id}"
            )
            await Payment.create(
                attempt_id=credit.attempt_id,
                household_id=household.id,
                provider=PaymentProvider.DESK,
                provider_txn_id=f"{number}/{holder}",
                kind=PaymentKind.REFUND,
                amount_cents=-take,
                currency="978",
                created_at=now,
            )
            if credit.desk_payment_id is not None:
                taken[holder] = take
            else:
                taken_online[str(credit.attempt_id)] = take
            left -= take
        refund = await CreditRefund.create(
            tenant_id=staff.tenant_id,
            authority_id=authority.id,
            household_id=household.id,
            number=number,
            mode=form.mode,
            amount_cents=amount,
            refunded_on=today,
            reason=form.reason.strip()[:500],
            refunded_by_id=staff.id,
            created_at=now,
        )
        await audit.record(
            "credit.refunded",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="CreditRefund",
            target_id=refund.id,
            clock=clock,
            details={
                "number": number,
                "mode": form.mode.value,
                "amount_cents": amount,
                "reason": refund.reason,
                "desk_payments": taken,
                "online_payments": taken_online,
            },
        )
    return refund


async def refunds_of(
    actor: Account | None, household_id: int, authority_id: int | None = None
) -> list[CreditRefund]:
    """A household's credit refunds, newest first (its parents and staff)."""
    household = await household_for(actor, household_id, FamilyData.BILLING)
    query = CreditRefund.filter(household_id=household.id)
    if authority_id is not None:
        query = query.filter(authority_id=authority_id)
    return await query.order_by("-id").limit(200)
