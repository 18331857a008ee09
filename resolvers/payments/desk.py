"""Payments at the régie's desk (encaissements au guichet): cash, cheque, CESU, transfer or
other money a régisseur receives for a household's invoices of one régie.

A desk payment writes the one payment ledger the online payments write (models/payments.py):
an attempt with provider DESK, a ``Payment`` and one ``PaymentAllocation`` per invoice, each
invoice's ``settled_cents`` moved with it, so everything that reads the ledger (amount due,
payment history, reminders, tax certificates, the RGPD export) counts it unchanged. What the
invoices do not need is the household's credit at the régie (``billing.credits``), used by
its next invoices. A desk payment is never edited: ``cancel_desk_payment`` reverses it
(a REVERSAL ledger entry with negative allocations), refused once its credit was used.

Receipt numbers run without gaps per régie and year (``numbering``). A payment taken to the
bank on a deposit slip (``deposits``) can no longer be cancelled, nor one whose credit was
refunded (``refunds``).

Until roles exist, any staff of the town acts as régisseur (Roles: REGISSEUR).
"""

import secrets
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from tortoise.expressions import F

from models.accounts import Account
from models.billing import Invoice
from models.households import Guardian, Household
from models.payments import (
    AttemptStatus,
    DepositSlip,
    DeskPayment,
    DeskPaymentMode,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentAttemptInvoice,
    PaymentKind,
    PaymentMode,
    PaymentProvider,
)
from models.tenants import Tenant
from resolvers.billing.credits import credit_balance
from resolvers.billing.invoice_pdf import town_logo
from resolvers.billing.invoices import amount_due
from resolvers.core import audit, signed_links
from resolvers.core.clock import Clock
from resolvers.core.errors import BillingErrorCode, DomainError, NotFound, ValidationErrors
from resolvers.core.french import format_euros
from resolvers.core.outbox import record_job
from resolvers.core.roles import FamilyData, require_authority
from resolvers.core.transactions import atomic
from resolvers.households.households import guardian_emails, household_for, require_staff
from resolvers.payments.numbering import Series, next_number

MODE_LABELS = {
    DeskPaymentMode.CASH: "Espèces",
    DeskPaymentMode.CHEQUE: "Chèque",
    DeskPaymentMode.CESU: "CESU",
    DeskPaymentMode.TRANSFER: "Virement",
    DeskPaymentMode.OTHER: "Autre",
}


@dataclass
class DeskForm:
    """What the régisseur types: the money, how it came, and the invoices it pays.

    ``allocations`` (invoice id, cents) say exactly what goes where; otherwise the amount
    settles ``invoice_ids`` oldest first. The rest is the household's credit."""

    household_id: int
    mode: DeskPaymentMode
    amount_cents: int
    received_on: date
    invoice_ids: list[int] = field(default_factory=list)
    allocations: list[tuple[int, int]] = field(default_factory=list)
    payer_name: str = ""
    email: str = ""
    cheque_bank: str = ""
    cheque_number: str = ""
    cheque_drawer: str = ""
    cesu_electronic: bool = False
    cesu_titles: list[str] = field(default_factory=list)
    reference: str = ""
    note: str = ""


@dataclass
class DeskReceipt:
    """A desk payment as its receipt shows it."""

    desk: DeskPayment
    town: str
    authority: str
    household_name: str
    household_reference: str
    timezone: str
    # (invoice number, cents applied by this payment, still due on it now)
    allocations: list[tuple[str, int, int]]
    credit_left_cents: int
    # The town's logo (``updateTown``), drawn above its name.
    logo: bytes | None = None


def _invalid(message: str, field_name: str) -> DomainError:
    return DomainError(BillingErrorCode.INVALID, message, field_name)


def _check(form: DeskForm, today: date) -> None:
    errors: list[DomainError] = []
    if form.amount_cents <= 0:
        errors.append(_invalid("Le montant doit être supérieur à zéro.", "amountCents"))
    if form.received_on > today:
        errors.append(_invalid("La date de réception ne peut pas être future.", "receivedOn"))
    if form.mode == DeskPaymentMode.CHEQUE and not form.cheque_number.strip():
        errors.append(_invalid("Indiquez le numéro du chèque.", "cheque.number"))
    if (
        form.mode == DeskPaymentMode.CESU
        and not form.cesu_electronic
        and not [title for title in form.cesu_titles if title.strip()]
    ):
        errors.append(
            _invalid("Indiquez les numéros des titres CESU, ou qu'il s'agit d'e-CESU.", "cesu")
        )
    if not form.invoice_ids and not form.allocations:
        errors.append(_invalid("Choisissez au moins une facture à régler.", "invoiceIds"))
    if any(cents <= 0 for _, cents in form.allocations):
        errors.append(_invalid("Chaque imputation doit être supérieure à zéro.", "allocations"))
    elif form.amount_cents > 0 and sum(c for _, c in form.allocations) > form.amount_cents:
        errors.append(_invalid("Les imputations dépassent le montant reçu.", "allocations"))
    if len({invoice_id for invoice_id, _ in form.allocations}) != len(form.allocations):
        errors.append(_invalid("Une facture est imputée deux fois.", "allocations"))
    if errors:
        raise ValidationErrors(errors)


async def _receipt_email(household: Household) -> str:
    """The payer's address: the guardian marked payer (their account, else their e-mail),
    else the household's, else its first guardian with an account."""
    payer = (
        await Guardian.filter(household_id=household.id, is_payer=True)
        .select_related("account")
        .order_by("id")
        .first()
    )
    if payer is not None:
        if payer.account is not None and payer.account.email:
            return str(payer.account.email)
        if payer.email:
            return str(payer.email)
    if household.email:
        return str(household.email)
    emails = await guardian_emails(household.id)
    return emails[0] if emails else ""


async def record_desk_payment(
    actor: Account | None, form: DeskForm, *, clock: Clock
) -> DeskPayment:
    """Staff of the town: record money received at the desk, settle the invoices and keep
    the rest as the household's credit; a receipt is mailed to the payer.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    household = await household_for(staff, form.household_id, FamilyData.BILLING)
    tenant = await Tenant.get(id=staff.tenant_id)
    now = clock.now()
    today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    _check(form, today)
    wanted = sorted({*form.invoice_ids, *(invoice_id for invoice_id, _ in form.allocations)})
    async with atomic():
        # Locked in id order, as everywhere (online payments, settlement, refunds).
        invoices = (
            await Invoice.filter(
                id__in=wanted, tenant_id=staff.tenant_id, household_id=household.id
            )
            .order_by("id")
            .select_for_update()
        )
        if len(invoices) != len(wanted):
            raise NotFound("Facture", "invoiceIds")
        if len({invoice.authority_id for invoice in invoices}) > 1:
            raise _invalid(
                "Ces factures relèvent de régies différentes : encaissez-les séparément.",
                "invoiceIds",
            )
        await require_authority(staff, invoices[0].authority_id)
        by_id = {invoice.id: invoice for invoice in invoices}
        plan: list[tuple[Invoice, int]] = []
        if form.allocations:
            for invoice_id, cents in form.allocations:
                invoice = by_id[invoice_id]
                if cents > amount_due(invoice):
                    raise _invalid(
                        f"La facture {invoice.number} n'a que "
                        f"{format_euros(amount_due(invoice))} à régler.",
                        "allocations",
                    )
                plan.append((invoice, cents))
        else:
            left = form.amount_cents
            for invoice in sorted(invoices, key=lambda i: (i.month, i.issued_on, i.id)):
                take = min(left, amount_due(invoice))
                if take > 0:
                    plan.append((invoice, take))
                    left -= take
        allocated = sum(cents for _, cents in plan)
        first = invoices[0]
        # Gap-free per régie and year of recording (numbering.py): the counter is locked
        # until this transaction ends.
        number = await next_number(first.authority_id, Series.RECEIPT, today.year)
        email = form.email.strip() or await _receipt_email(household)
        attempt = await PaymentAttempt.create(
            tenant_id=staff.tenant_id,
            authority_id=first.authority_id,
            household_id=household.id,
            account_id=staff.id,
            provider=PaymentProvider.DESK,
            mode=PaymentMode.PRODUCTION,
            shop="desk",
            order_ref=number,
            trans_id=None,
            trans_day=form.received_on,
            return_token=secrets.token_urlsafe(18),
            amount_cents=form.amount_cents,
            status=AttemptStatus.PAID,
            provider_txn_id=number,
            email=email,
            created_at=now,
            expires_at=now,
            updated_at=now,
        )
        await PaymentAttemptInvoice.bulk_create(
            [
                PaymentAttemptInvoice(
                    attempt_id=attempt.id, invoice_id=invoice.id, due_cents=amount_due(invoice)
                )
                for invoice in invoices
            ]
        )
        payment = await Payment.create(
            attempt_id=attempt.id,
            household_id=household.id,
            provider=PaymentProvider.DESK,
            provider_txn_id=number,
            kind=PaymentKind.PAYMENT,
            amount_cents=form.amount_cents,
            currency="978",
            created_at=now,
        )
        for invoice, cents in plan:
            await PaymentAllocation.create(
                payment_id=payment.id, invoice_id=invoice.id, amount_cents=cents
            )
            await Invoice.filter(id=invoice.id).update(settled_cents=F("settled_cents") + cents)
        desk = await DeskPayment.create(
            tenant_id=staff.tenant_id,
            authority_id=first.authority_id,
            household_id=household.id,
            attempt_id=attempt.id,
            number=number,
            mode=form.mode,
            amount_cents=form.amount_cents,
            received_on=form.received_on,
            payer_name=(form.payer_name.strip() or first.payer_name or household.name)[:250],
            email=email,
            cheque_bank=form.cheque_bank.strip()[:100],
            cheque_number=form.cheque_number.strip()[:30],
            cheque_drawer=form.cheque_drawer.strip()[:250],
            cesu_electronic=form.cesu_electronic,
            cesu_titles=[title.strip()[:40] for title in form.cesu_titles if title.strip()],
            reference=form.reference.strip()[:100],
            note=form.note.strip()[:500],
            credit_cents=form.amount_cents - allocated,
            recorded_by_id=staff.id,
            created_at=now,
        )
        await audit.record(
            "desk_payment.recorded",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="DeskPayment",
            target_id=desk.id,
            clock=clock,
            details={
                "number": number,
                "mode": form.mode.value,
                "amount_cents": form.amount_cents,
                "credit_cents": desk.credit_cents,
                "invoices": {invoice.number: cents for invoice, cents in plan},
            },
        )
        if email:
            receipt = await load_receipt(desk)
            await record_job(
                "send_mail",
                {
                    "to": email,
                    "template": "desk_receipt",
                    "context": receipt_context(receipt),
                    "attachments": [{"kind": "desk_receipt_pdf", "desk_payment_id": desk.id}],
                },
                clock=clock,
            )
    return desk


async def cancel_desk_payment(
    actor: Account | None, desk_payment_id: int, reason: str, *, clock: Clock
) -> DeskPayment:
    """Staff: cancel a desk payment (never edited): its allocations are reversed in the
    ledger, its invoices are due again and its credit is removed. Refused once the credit
    went to a later invoice, was refunded, or once the money was deposited at the bank.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    if not reason.strip():
        raise _invalid("Indiquez le motif de l'annulation.", "reason")
    now = clock.now()
    async with atomic():
        desk = (
            await DeskPayment.filter(id=desk_payment_id, tenant_id=staff.tenant_id)
            .select_for_update()
            .first()
        )
        if desk is None:
            raise NotFound("Encaissement", "id")
        if desk.cancelled_at is not None:
            raise _invalid("Cet encaissement est déjà annulé.", "id")
        if desk.deposit_slip_id is not None:
            slip = await DepositSlip.get(id=desk.deposit_slip_id)
            raise _invalid(
                f"Cet encaissement a été remis en banque (bordereau n° {slip.number}) : il ne "
                "peut plus être annulé. Un remboursement se fait par l'avoir de la famille.",
                "id",
            )
        if await Payment.filter(attempt_id=desk.attempt_id, kind=PaymentKind.REFUND).exists():
            raise _invalid(
                "Une partie de l'avoir de cet encaissement a été remboursée : il ne peut "
                "plus être annulé.",
                "id",
            )
        payment = await Payment.get(attempt_id=desk.attempt_id, kind=PaymentKind.PAYMENT)
        net: dict[int, int] = {}
        for invoice_id, cents in await PaymentAllocation.filter(payment_id=payment.id).values_list(
            "invoice_id", "amount_cents"
        ):
            net[invoice_id] = net.get(invoice_id, 0) + cents
        if sum(net.values()) > desk.amount_cents - desk.credit_cents:
            raise _invalid(
                "L'avoir de cet encaissement a déjà été imputé sur une facture suivante : "
                "il ne peut plus être annulé.",
                "id",
            )
        # Locked in id order, as everywhere.
        await Invoice.filter(id__in=list(net)).order_by("id").select_for_update()
        reversal = await Payment.create(
            attempt_id=desk.attempt_id,
            household_id=desk.household_id,
            provider=PaymentProvider.DESK,
            provider_txn_id=desk.number,
            kind=PaymentKind.REVERSAL,
            amount_cents=-desk.amount_cents,
            currency="978",
            created_at=now,
        )
        for invoice_id in sorted(net):
            cents = net[invoice_id]
            if cents <= 0:
                continue
            await PaymentAllocation.create(
                payment_id=reversal.id, invoice_id=invoice_id, amount_cents=-cents
            )
            await Invoice.filter(id=invoice_id).update(settled_cents=F("settled_cents") - cents)
        await PaymentAttempt.filter(id=desk.attempt_id).update(
            status=AttemptStatus.CANCELLED, updated_at=now
        )
        desk.cancelled_at = now
        desk.cancelled_by_id = staff.id
        desk.cancel_reason = reason.strip()[:500]
        await desk.save(update_fields=["cancelled_at", "cancelled_by_id", "cancel_reason"])
        await audit.record(
            "desk_payment.cancelled",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="DeskPayment",
            target_id=desk.id,
            clock=clock,
            details={"number": desk.number, "reason": desk.cancel_reason},
        )
    return desk


async def desk_payment_for(actor: Account | None, desk_payment_id: int) -> DeskPayment:
    """The access rule of desk payments: that of their household (else NOT_FOUND)."""
    desk = await DeskPayment.get_or_none(id=desk_payment_id)
    if desk is None:
        raise NotFound("Encaissement", "id")
    try:
        await household_for(actor, desk.household_id, FamilyData.BILLING)
    except DomainError as error:
        if error.code.value == "NOT_FOUND":
            raise NotFound("Encaissement", "id") from error
        raise
    return desk


async def desk_payments_of(actor: Account | None, household_id: int) -> list[DeskPayment]:
    """A household's desk payments, newest first (200 at most)."""
    household = await household_for(actor, household_id, FamilyData.BILLING)
    return await DeskPayment.filter(household_id=household.id).order_by("-id").limit(200)


async def household_credit(actor: Account | None, household_id: int, authority_id: int) -> int:
    """The household's credit at a régie, in cents (its parents and staff)."""
    household = await household_for(actor, household_id, FamilyData.BILLING)
    return await credit_balance(household.id, authority_id)


async def load_receipt(desk: DeskPayment) -> DeskReceipt:
    """Everything the receipt prints, read from the ledger as it is now."""
    tenant = await Tenant.get(id=desk.tenant_id)
    household = await Household.get(id=desk.household_id)
    authority = await desk.authority
    rows = (
        await PaymentAllocation.filter(payment__attempt_id=desk.attempt_id)
        .order_by("invoice_id", "id")
        .values_list("invoice_id", "invoice__number", "amount_cents")
    )
    applied: dict[int, tuple[str, int]] = {}
    for invoice_id, number, cents in rows:
        previous = applied.get(invoice_id, (number, 0))[1]
        applied[invoice_id] = (number, previous + cents)
    invoices = {invoice.id: invoice for invoice in await Invoice.filter(id__in=list(applied))}
    allocations = [
        (number, cents, amount_due(invoices[invoice_id]))
        for invoice_id, (number, cents) in applied.items()
        if cents
    ]
    return DeskReceipt(
        desk,
        tenant.name,
        authority.name,
        household.name,
        household.reference,
        tenant.timezone,
        allocations,
        await credit_balance(desk.household_id, desk.authority_id),
        await town_logo(tenant.id),
    )


def receipt_context(receipt: DeskReceipt) -> dict[str, object]:
    """The receipt mail's data (plain JSON: it waits in the outbox)."""
    desk = receipt.desk
    return {
        "town": receipt.town,
        "authority": receipt.authority,
        "number": desk.number,
        "amount": format_euros(desk.amount_cents),
        "mode": MODE_LABELS[DeskPaymentMode(desk.mode)],
        "received_on": desk.received_on.isoformat(),
        "invoices": [
            {"number": number, "paid": format_euros(cents), "due": format_euros(due)}
            for number, cents, due in receipt.allocations
        ],
        "credit": format_euros(receipt.credit_left_cents) if receipt.credit_left_cents else "",
    }


def receipt_url(desk_payment_id: int, account: Account, *, clock: Clock) -> str:
    """A short-lived signed link to a desk payment's receipt (PDF), for its household's
    parents and the town's staff."""
    url, _ = signed_links.DESK_RECEIPT.url(account, {"desk_payment": desk_payment_id}, clock=clock)
    return url


async def receipt_from_token(token: str, *, clock: Clock) -> DeskPayment:
    """The desk payment a link names, if its account may still read it.

    Raises ``signed_links.InvalidLink`` (tampered, expired) or NOT_FOUND."""
    account, params = await signed_links.DESK_RECEIPT.verify(token, clock=clock)
    return await desk_payment_for(account, int(params["desk_payment"]))
