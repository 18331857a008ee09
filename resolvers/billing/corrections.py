"""Corrections of invoices by the régisseur: a manual line (a charge, or a discount, with its
label) and the cancellation of an invoice by a credit note (avoir), both audited.

An invoice not yet sent to the Treasury (``pes_batch`` null: the PES export sets it) takes
the manual line itself and its total moves. Once sent it is locked: a charge becomes a
complementary invoice and a discount a credit note, each a new document of the same month
numbered in the régie's sequence (``invoicing.take_invoice_number``) and pointing at the
invoice it corrects (``corrects``). A credit note is applied at once to what the invoice it
corrects still owes: that invoice's ``settled_cents`` grows by the amount and the credit
note keeps minus it as its own (models/billing.py), so amounts due, reminders, direct
debits and totals read it unchanged, and the tax certificate does not count it as paid.

Money already paid is not turned into credit here: a discount larger than what is still
due, or cancelling an invoice that received payments, is refused with what to do first
(cancel the desk payment, or refund). Manual lines are the run's to keep: the monthly
run ignores them when it compares what is billed with what is owed (``invoicing``).
"""

from zoneinfo import ZoneInfo

from tortoise.expressions import F

from models.accounts import Account
from models.authorities import BillingAuthority
from models.billing import Invoice, InvoiceKind, InvoiceLine, InvoiceLineKind
from models.catalogue import Activity
from models.tenants import Tenant
from resolvers.billing.invoices import amount_due
from resolvers.billing.invoicing import payment_reference, schedule_for, take_invoice_number
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import BillingErrorCode, DomainError, NotFound
from resolvers.core.french import format_euros
from resolvers.core.transactions import atomic
from resolvers.households.households import require_staff


def _invalid(message: str, field_name: str) -> DomainError:
    return DomainError(BillingErrorCode.INVALID, message, field_name)


async def _locked_invoice(staff: Account, invoice_id: int) -> Invoice:
    invoice = (
        await Invoice.filter(id=invoice_id, tenant_id=staff.tenant_id).select_for_update().first()
    )
    if invoice is None:
        raise NotFound("Facture", "invoiceId")
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        raise _invalid("Un avoir ne se corrige pas : corrigez la facture.", "invoiceId")
    return invoice


async def _issue_correction(
    staff: Account,
    invoice: Invoice,
    kind: InvoiceKind,
    lines: list[InvoiceLine],
    *,
    clock: Clock,
) -> Invoice:
    """A complementary invoice or a credit note of ``invoice``'s month with ``lines``
    (unsaved, positions set here); a credit note is applied to ``invoice`` at once."""
    tenant = await Tenant.get(id=invoice.tenant_id)
    authority = await BillingAuthority.get(id=invoice.authority_id)
    now = clock.now()
    today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    number = await take_invoice_number(invoice.authority_id, invoice.month)
    # Read once the counter is ours: a run of the same month has committed by now.
    last = (
        await Invoice.filter(
            household_id=invoice.household_id,
            authority_id=invoice.authority_id,
            month=invoice.month,
        )
        .order_by("-revision")
        .first()
    )
    schedule = schedule_for(authority, invoice.month, today, tenant.timezone)
    total = sum(line.amount_cents for line in lines)
    applied = -total if kind == InvoiceKind.CREDIT_NOTE else 0
    document = await Invoice.create(
        tenant_id=invoice.tenant_id,
        authority_id=invoice.authority_id,
        household_id=invoice.household_id,
        month=invoice.month,
        revision=(last.revision if last else 0) + 1,
        kind=kind,
        number=number,
        issued_on=today,
        due_on=schedule.due_on,
        payment_opens_at=schedule.opens_at,
        payment_closes_at=schedule.closes_at,
        total_cents=total,
        settled_cents=-applied,
        payer_name=invoice.payer_name,
        payer_address=invoice.payer_address,
        household_reference=invoice.household_reference,
        payment_reference=payment_reference(number),
        delivery=invoice.delivery,
        corrects_id=invoice.id,
        created_at=now,
    )
    for position, line in enumerate(lines, start=1):
        line.invoice_id = document.id
        line.position = position
    await InvoiceLine.bulk_create(lines)
    if applied:
        await Invoice.filter(id=invoice.id).update(settled_cents=F("settled_cents") + applied)
    return document


async def add_manual_line(
    actor: Account | None,
    invoice_id: int,
    label: str,
    amount_cents: int,
    *,
    activity_id: int | None = None,
    clock: Clock,
) -> Invoice:
    """Staff: a charge (positive) or a discount (negative) with its label on an invoice.
    Returns the invoice itself while it is not sent to the Treasury, else the
    complementary invoice or credit note issued for it.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    label = " ".join(label.split())
    if not label:
        raise _invalid("Indiquez le libellé de la ligne.", "label")
    if len(label) > 200:
        raise _invalid("Le libellé compte 200 caractères au plus.", "label")
    if amount_cents == 0:
        raise _invalid(
            "Le montant est positif pour un supplément, négatif pour une remise.", "amountCents"
        )
    async with atomic():
        invoice = await _locked_invoice(staff, invoice_id)
        if activity_id is None:
            first = await InvoiceLine.filter(invoice_id=invoice.id).order_by("position").first()
            if first is None:
                raise _invalid("Choisissez l'activité de la ligne.", "activityId")
            activity_id = first.activity_id
        elif not await Activity.filter(id=activity_id, tenant_id=staff.tenant_id).exists():
            raise NotFound("Activité", "activityId")
        if amount_cents < 0 and -amount_cents > amount_due(invoice):
            raise _invalid(
                f"La remise dépasse le reste à payer de la facture "
                f"({format_euros(amount_due(invoice))}) : annulez d'abord l'encaissement "
                "ou remboursez la famille.",
                "amountCents",
            )
        line = InvoiceLine(
            kind=InvoiceLineKind.MANUAL,
            child_id=None,
            activity_id=activity_id,
            label=label,
            quantity=1,
            unit_price_cents=amount_cents,
            amount_cents=amount_cents,
        )
        if invoice.pes_batch_id is None:
            last = await InvoiceLine.filter(invoice_id=invoice.id).order_by("-position").first()
            line.invoice_id = invoice.id
            line.position = (last.position if last else 0) + 1
            await line.save()
            await Invoice.filter(id=invoice.id).update(total_cents=F("total_cents") + amount_cents)
            result = await Invoice.get(id=invoice.id)
        else:
            kind = InvoiceKind.COMPLEMENT if amount_cents > 0 else InvoiceKind.CREDIT_NOTE
            result = await _issue_correction(staff, invoice, kind, [line], clock=clock)
        await audit.record(
            "invoice.line_added",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="Invoice",
            target_id=invoice.id,
            clock=clock,
            details={
                "number": invoice.number,
                "label": label,
                "amount_cents": amount_cents,
                "document": result.number,
            },
        )
    return result


async def cancel_invoice(
    actor: Account | None, invoice_id: int, reason: str, *, clock: Clock
) -> Invoice:
    """Staff: cancel an invoice by a credit note of its whole amount (every line reversed),
    numbered in the régie's sequence; refused once it received payments or credit.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    reason = " ".join(reason.split())
    if not reason:
        raise _invalid("Indiquez le motif de l'annulation.", "reason")
    async with atomic():
        invoice = await _locked_invoice(staff, invoice_id)
        if await Invoice.filter(corrects_id=invoice.id, kind=InvoiceKind.CREDIT_NOTE).exists():
            raise _invalid(
                "Cette facture a déjà un avoir : elle est annulée ou remisée.", "invoiceId"
            )
        if invoice.settled_cents != 0:
            raise _invalid(
                f"Cette facture a déjà reçu {format_euros(invoice.settled_cents)} de paiements "
                "ou d'avoirs : annulez d'abord les encaissements, ou corrigez-la par une remise.",
                "invoiceId",
            )
        if invoice.total_cents <= 0:
            raise _invalid("Cette facture n'a rien à annuler.", "invoiceId")
        originals = await InvoiceLine.filter(invoice_id=invoice.id).order_by("position")
        lines = [
            InvoiceLine(
                kind=InvoiceLineKind.MANUAL,
                child_id=line.child_id,
                activity_id=line.activity_id,
                label=f"Annulation : {line.label}"[:250],
                quantity=line.quantity,
                unit_price_cents=-line.unit_price_cents,
                amount_cents=-line.amount_cents,
            )
            for line in originals
        ]
        credit_note = await _issue_correction(
            staff, invoice, InvoiceKind.CREDIT_NOTE, lines, clock=clock
        )
        await audit.record(
            "invoice.cancelled",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="Invoice",
            target_id=invoice.id,
            clock=clock,
            details={
                "number": invoice.number,
                "credit_note": credit_note.number,
                "amount_cents": invoice.total_cents,
                "reason": reason[:500],
            },
        )
    return credit_note
