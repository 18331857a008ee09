"""Monthly SEPA direct debit of a régie: the pain.008 export (built and checked against the
ISO 20022 schema by ``sepaxml``), the bank's collection, cancellation, and rejected debits
(R-transactions).

Money moves only at collection: marking a batch collected writes each line to the one
payment ledger (models/payments.py: an attempt with provider SEPA, a PAYMENT, its
allocation) and adds it to its invoice's ``settled_cents`` in the same transaction; a
rejection after collection writes the REVERSAL and the invoice is due again. The sequence
type follows the EPC rulebook: a mandate's first collection is FRST, the next ones RCUR; a
returned first collection leaves the mandate on FRST, and a reason that means the mandate
is gone (MD01, AC04, MD07) revokes it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sepaxml import SepaDD
from tortoise.expressions import F
from tortoise.queryset import QuerySet

from models.accounts import Account
from models.authorities import BillingAuthority
from models.billing import Invoice, InvoiceKind
from models.households import Household
from models.payments import AttemptStatus, PaymentKind, PaymentMode, PaymentProvider
from models.sepa import (
    BatchStatus,
    DirectDebitBatch,
    DirectDebitLine,
    LineStatus,
    MandateStatus,
    SepaCreditor,
    SepaMandate,
    SequenceType,
)
from models.tenants import Tenant
from resolvers.core import audit, signed_links
from resolvers.core.clock import Clock
from resolvers.core.errors import DirectDebitErrorCode, DomainError, NotFound
from resolvers.core.french import format_euros, format_short_date, month_label
from resolvers.core.outbox import queue_mail
from resolvers.core.roles import require_authority
from resolvers.core.sql import Params, connection
from resolvers.core.transactions import atomic
from resolvers.households.households import guardian_emails, require_staff

# ISO 20022 / EPC reason codes a French bank returns, with the label the household reads.
REJECT_REASONS: dict[str, str] = {
    "AC01": "Coordonnées bancaires incorrectes",
    "AC04": "Compte clôturé",
    "AC06": "Compte bloqué",
    "AG01": "Prélèvement interdit sur ce compte",
    "AG02": "Code opération incorrect",
    "AM04": "Provision insuffisante",
    "AM05": "Prélèvement en double",
    "BE05": "Créancier inconnu de la banque",
    "FF01": "Fichier ou opération invalide",
    "MD01": "Absence de mandat ou mandat invalide",
    "MD02": "Informations du mandat manquantes ou erronées",
    "MD06": "Remboursement demandé par le titulaire du compte",
    "MD07": "Titulaire du compte décédé",
    "MS02": "Opposition du titulaire du compte",
    "MS03": "Motif non communiqué par la banque",
    "RC01": "BIC incorrect",
    "RR01": "Identification du titulaire manquante",
    "SL01": "Service spécifique de la banque du titulaire",
}
# After these the mandate cannot be used again: no mandate, closed account, holder deceased.
REVOKING_REASONS = frozenset({"MD01", "AC04", "MD07"})

_SEPA = PaymentProvider.SEPA.value
SCHEMA = "pain.008.001.02"


def _error(code: DirectDebitErrorCode, message: str, field: str | None = None) -> DomainError:
    return DomainError(code, message, field)


async def _authority_for(staff: Account, authority_id: int) -> BillingAuthority:
    authority = await BillingAuthority.get_or_none(id=authority_id, tenant_id=staff.tenant_id)
    if authority is None:
        raise NotFound("Régie", "authorityId")
    await require_authority(staff, authority.id)
    return authority


async def _batch_for(staff: Account, batch_id: int) -> DirectDebitBatch:
    batch = await DirectDebitBatch.get_or_none(id=batch_id, tenant_id=staff.tenant_id)
    if batch is None:
        raise NotFound("Lot de prélèvements", "batchId")
    return batch


def collection_date(due_dates: list[date], today: date) -> date:
    """The régie's due date of the invoices; a late export asks for the next day instead
    (a bank refuses a collection date in the past)."""
    return max([*due_dates, today + timedelta(days=1)])


async def export_month(
    actor: Account | None, authority_id: int, month: date, *, clock: Clock
) -> DirectDebitBatch:
    """Export the month's open invoices of the régie's direct-debit households (staff)."""
    staff = require_staff(actor)
    authority = await _authority_for(staff, authority_id)
    return await export_authority_month(authority, month, actor=staff, clock=clock)


async def export_authority_month(
    authority: BillingAuthority, month: date, *, actor: Account | None, clock: Clock
) -> DirectDebitBatch:
    """One pain.008 file, one payment information block per sequence type (FRST, RCUR).

    Refused while an earlier export of the same régie and month is not cancelled: the
    creditor row is locked for the check, so two staff members exporting at once get one
    file, not two.
    """
    month = month.replace(day=1)
    tenant = await Tenant.get(id=authority.tenant_id)
    today = clock.now().astimezone(ZoneInfo(tenant.timezone)).date()
    async with atomic():
        creditor = await SepaCreditor.filter(authority_id=authority.id).select_for_update().first()
        if creditor is None:
            raise _error(
                DirectDebitErrorCode.NO_CREDITOR,
                "Renseignez d'abord l'identifiant créancier SEPA (ICS) et le compte de la régie.",
                "authorityId",
            )
        if await DirectDebitBatch.filter(authority_id=authority.id, month=month).exclude(
            status=BatchStatus.CANCELLED
        ):
            raise _error(
                DirectDebitErrorCode.ALREADY_EXPORTED,
                f"Les prélèvements de {month_label(month)} ont déjà été exportés : annulez "
                "d'abord ce lot pour en produire un nouveau.",
                "month",
            )
        mandates = {
            mandate.household_id: mandate
            for mandate in await SepaMandate.filter(
                tenant_id=authority.tenant_id, status=MandateStatus.ACTIVE, direct_debit=True
            )
        }
        invoices = [
            invoice
            for invoice in await Invoice.filter(
                authority_id=authority.id,
                month=month,
                household_id__in=list(mandates),
                kind__in=[InvoiceKind.INVOICE, InvoiceKind.COMPLEMENT],
                # A titre sent to the Trésor public is collected by the Trésor (PES debit).
                pes_batch_id=None,
            ).order_by("number")
            if invoice.total_cents > invoice.settled_cents
        ]
        if not invoices:
            raise _error(
                DirectDebitErrorCode.NOTHING_TO_EXPORT,
                f"Aucune facture de {month_label(month)} à prélever pour cette régie.",
                "month",
            )
        when = collection_date([invoice.due_on for invoice in invoices], today)
        batch = await DirectDebitBatch.create(
            tenant_id=authority.tenant_id,
            authority_id=authority.id,
            month=month,
            message_id="",
            collection_date=when,
            total_cents=0,
            line_count=0,
            xml="",
            created_by=actor,
            created_at=clock.now(),
        )
        document = SepaDD(
            {
                "name": creditor.creditor_name,
                "IBAN": creditor.iban,
                "BIC": creditor.bic,
                "batch": True,
                "creditor_id": creditor.creditor_identifier,
                "currency": "EUR",
            },
            schema=SCHEMA,
        )
        lines = []
        for invoice in invoices:
            mandate = mandates[invoice.household_id]
            amount = invoice.total_cents - invoice.settled_cents
            end_to_end = f"{invoice.number}-{batch.id}"
            document.add_payment(
                {
                    "name": mandate.holder_name,
                    "IBAN": mandate.iban,
                    "BIC": mandate.bic,
                    "amount": amount,
                    "type": mandate.sequence_type,
                    "collection_date": when,
                    "mandate_id": mandate.reference,
                    "mandate_date": mandate.signed_on,
                    "description": f"Facture {invoice.number} {month_label(month)} "
                    f"ref {invoice.payment_reference}",
                    "endtoend_id": end_to_end,
                }
            )
            lines.append(
                DirectDebitLine(
                    batch_id=batch.id,
                    invoice_id=invoice.id,
                    mandate_id=mandate.id,
                    sequence_type=mandate.sequence_type,
                    amount_cents=amount,
                    end_to_end_id=end_to_end,
                )
            )
        # sepaxml validates the document against its bundled pain.008 XSD before returning.
        xml = document.export(validate=True).decode()
        await DirectDebitLine.bulk_create(lines)
        batch.message_id = document.msg_id
        batch.total_cents = sum(line.amount_cents for line in lines)
        batch.line_count = len(lines)
        batch.xml = xml
        await batch.save(update_fields=["message_id", "total_cents", "line_count", "xml"])
        await audit.record(
            "sepa.exported",
            tenant_id=authority.tenant_id,
            actor=actor,
            target_type="DirectDebitBatch",
            target_id=batch.id,
            clock=clock,
            details={"month": month.isoformat(), "lines": len(lines), "total": batch.total_cents},
        )
    return batch


async def mark_collected(actor: Account | None, batch_id: int, *, clock: Clock) -> DirectDebitBatch:
    """The bank credited the régie: each line still pending settles its invoice, and the
    mandates debited for the first time move on to RCUR."""
    staff = require_staff(actor)
    batch = await _batch_for(staff, batch_id)
    async with atomic():
        batch = await DirectDebitBatch.filter(id=batch.id).select_for_update().get()
        if batch.status != BatchStatus.EXPORTED:
            raise _error(
                DirectDebitErrorCode.BATCH_CLOSED,
                "Ce lot est déjà encaissé ou annulé.",
                "batchId",
            )
        now = clock.now()
        await _write_ledger(batch, now)
        # Five statements whatever the number of lines: the ledger's attempts, payments
        # and allocations (``_write_ledger``), the invoices settled from the pending lines
        # in one UPDATE, then the FRST mandates, the lines, the mandates.
        params = Params()
        batch_param, pending_param = params(batch.id), params(LineStatus.PENDING.value)
        await connection().execute_query(
            "UPDATE invoice SET settled_cents = settled_cents + ("
            "SELECT SUM(l.amount_cents) FROM direct_debit_line l WHERE l.invoice_id = invoice.id "
            f"AND l.batch_id = {batch_param} AND l.status = {pending_param}) "
            "WHERE id IN (SELECT invoice_id FROM direct_debit_line "
            f"WHERE batch_id = {batch_param} AND status = {pending_param})",
            params.values,
        )
        first_mandates = await DirectDebitLine.filter(
            batch_id=batch.id, status=LineStatus.PENDING, sequence_type=SequenceType.FRST
        ).values_list("mandate_id", flat=True)
        collected = await DirectDebitLine.filter(
            batch_id=batch.id, status=LineStatus.PENDING
        ).update(status=LineStatus.COLLECTED, collected_at=now)
        if first_mandates:
            await SepaMandate.filter(id__in=list(first_mandates)).update(
                sequence_type=SequenceType.RCUR
            )
        batch.status = BatchStatus.COLLECTED
        batch.collected_at = now
        await batch.save(update_fields=["status", "collected_at"])
        await audit.record(
            "sepa.collected",
            tenant_id=batch.tenant_id,
            actor=staff,
            target_type="DirectDebitBatch",
            target_id=batch.id,
            clock=clock,
            details={"lines": collected},
        )
    return batch


async def _write_ledger(batch: DirectDebitBatch, now: datetime) -> None:
    """The pending lines of a collected batch in the one payment ledger, as the online and
    desk payments are: per line an attempt (provider SEPA, referenced by the line's
    end-to-end id), a PAYMENT and its allocation to the invoice. Three set-based INSERTs,
    whatever the number of lines."""
    p = Params()
    batch_param, pending = p(batch.id), p(LineStatus.PENDING.value)
    await connection().execute_query(
        "INSERT INTO payment_attempt (tenant_id, authority_id, household_id, account_id, "
        "provider, mode, shop, order_ref, trans_id, trans_day, return_token, amount_cents, "
        "currency, status, provider_txn_id, email, credit_cents, created_at, expires_at, "
        "updated_at) "
        f"SELECT i.tenant_id, i.authority_id, i.household_id, NULL, {p(_SEPA)}, "
        f"{p(PaymentMode.PRODUCTION.value)}, 'sepa', l.end_to_end_id, NULL, "
        f"{p(batch.collection_date)}, 'sepa-' || l.end_to_end_id, l.amount_cents, '978', "
        f"{p(AttemptStatus.PAID.value)}, l.end_to_end_id, '', 0, {p(now)}, {p(now)}, {p(now)} "
        "FROM direct_debit_line l JOIN invoice i ON i.id = l.invoice_id "
        f"WHERE l.batch_id = {batch_param} AND l.status = {pending}",
        p.values,
    )
    await _ledger_rows(batch, PaymentKind.PAYMENT, now, pending_only=True)


async def _ledger_rows(
    batch: DirectDebitBatch,
    kind: PaymentKind,
    now: datetime,
    *,
    pending_only: bool = False,
    line_id: int | None = None,
) -> None:
    """A PAYMENT (or the REVERSAL of a returned debit) per line, on the line's attempt,
    and its allocation to the invoice (negative for a reversal)."""
    sign = -1 if kind == PaymentKind.REVERSAL else 1
    p = Params()
    where = f"l.batch_id = {p(batch.id)}"
    if pending_only:
        where += f" AND l.status = {p(LineStatus.PENDING.value)}"
    if line_id is not None:
        where += f" AND l.id = {p(line_id)}"
    await connection().execute_query(
        "INSERT INTO payment (attempt_id, household_id, provider, provider_txn_id, kind, "
        "amount_cents, currency, notification_id, created_at) "
        f"SELECT a.id, a.household_id, {p(_SEPA)}, l.end_to_end_id, {p(kind.value)}, "
        f"{sign} * l.amount_cents, '978', NULL, {p(now)} "
        "FROM direct_debit_line l JOIN payment_attempt a "
        f"ON a.order_ref = l.end_to_end_id AND a.provider = {p(_SEPA)} WHERE {where}",
        p.values,
    )
    p = Params()
    where = f"l.batch_id = {p(batch.id)}"
    if pending_only:
        where += f" AND l.status = {p(LineStatus.PENDING.value)}"
    if line_id is not None:
        where += f" AND l.id = {p(line_id)}"
    await connection().execute_query(
        "INSERT INTO payment_allocation (payment_id, invoice_id, amount_cents) "
        f"SELECT pay.id, l.invoice_id, {sign} * l.amount_cents "
        "FROM direct_debit_line l JOIN payment pay "
        f"ON pay.provider_txn_id = l.end_to_end_id AND pay.provider = {p(_SEPA)} "
        f"AND pay.kind = {p(kind.value)} WHERE {where}",
        p.values,
    )


async def cancel_batch(actor: Account | None, batch_id: int, *, clock: Clock) -> DirectDebitBatch:
    """Withdraw a file not yet collected (never sent, or refused whole by the bank): its
    invoices can be exported again."""
    staff = require_staff(actor)
    batch = await _batch_for(staff, batch_id)
    async with atomic():
        updated = await DirectDebitBatch.filter(id=batch.id, status=BatchStatus.EXPORTED).update(
            status=BatchStatus.CANCELLED, cancelled_at=clock.now()
        )
        if not updated:
            raise _error(
                DirectDebitErrorCode.BATCH_CLOSED,
                "Seul un lot exporté et pas encore encaissé peut être annulé.",
                "batchId",
            )
        await audit.record(
            "sepa.cancelled",
            tenant_id=batch.tenant_id,
            actor=staff,
            target_type="DirectDebitBatch",
            target_id=batch.id,
            clock=clock,
        )
    await batch.refresh_from_db()
    return batch


async def record_rejection(
    actor: Account | None, line_id: int, reason_code: str, *, clock: Clock
) -> DirectDebitLine:
    """A debit came back (before or after collection): the invoice is due again, the
    household is told in French, and the mandate follows the reason."""
    staff = require_staff(actor)
    code = reason_code.strip().upper()
    if code not in REJECT_REASONS:
        raise _error(
            DirectDebitErrorCode.INVALID,
            "Motif de rejet inconnu : utilisez le code ISO transmis par la banque "
            "(AM04, MD01, AC04…).",
            "reasonCode",
        )
    line = await DirectDebitLine.get_or_none(id=line_id, batch__tenant_id=staff.tenant_id)
    if line is None:
        raise NotFound("Prélèvement", "lineId")
    async with atomic():
        line = await DirectDebitLine.filter(id=line.id).select_for_update().get()
        batch = await DirectDebitBatch.get(id=line.batch_id)
        if batch.status == BatchStatus.CANCELLED:
            raise _error(DirectDebitErrorCode.BATCH_CLOSED, "Ce lot a été annulé.", "lineId")
        if line.status == LineStatus.REJECTED:
            raise _error(
                DirectDebitErrorCode.ALREADY_REJECTED,
                "Ce prélèvement est déjà enregistré comme rejeté.",
                "lineId",
            )
        if line.status == LineStatus.COLLECTED:
            await _ledger_rows(batch, PaymentKind.REVERSAL, clock.now(), line_id=line.id)
            await Invoice.filter(id=line.invoice_id).update(
                settled_cents=F("settled_cents") - line.amount_cents
            )
        line.status = LineStatus.REJECTED
        line.reject_code = code
        line.rejected_at = clock.now()
        await line.save(update_fields=["status", "reject_code", "rejected_at"])
        mandate = await SepaMandate.get(id=line.mandate_id)
        revoked = code in REVOKING_REASONS and mandate.status == MandateStatus.ACTIVE
        if revoked:
            mandate.status = MandateStatus.REVOKED
            mandate.revoked_at = clock.now()
            mandate.revoked_reason = f"Rejet {code} : {REJECT_REASONS[code]}"
            await mandate.save(update_fields=["status", "revoked_at", "revoked_reason"])
        elif (
            line.sequence_type == SequenceType.FRST
            and not await DirectDebitLine.filter(
                mandate_id=mandate.id, status=LineStatus.COLLECTED
            ).exists()
        ):
            # The first collection never happened: the next one is a first one again.
            await SepaMandate.filter(id=mandate.id).update(sequence_type=SequenceType.FRST)
        invoice = await Invoice.get(id=line.invoice_id)
        household = await Household.get(id=invoice.household_id)
        tenant = await Tenant.get(id=household.tenant_id)
        context = {
            "town": tenant.name,
            "household": household.name,
            "number": invoice.number,
            "month": month_label(invoice.month),
            "amount": format_euros(line.amount_cents),
            "collection_date": format_short_date(batch.collection_date),
            "reason": REJECT_REASONS[code],
            "code": code,
            "due": format_euros(max(invoice.total_cents - invoice.settled_cents, 0)),
            "revoked": revoked,
        }
        for email in await guardian_emails(household.id):
            await queue_mail(email, "direct_debit_rejected", context, clock=clock)
        await audit.record(
            "sepa.rejected",
            tenant_id=batch.tenant_id,
            actor=staff,
            target_type="Invoice",
            target_id=invoice.id,
            clock=clock,
            details={"line": line.id, "code": code, "mandate_revoked": revoked},
        )
    return line


async def _batches(
    actor: Account | None, authority_id: int, month: date | None
) -> QuerySet[DirectDebitBatch]:
    staff = require_staff(actor)
    authority = await _authority_for(staff, authority_id)
    query = DirectDebitBatch.filter(authority_id=authority.id)
    if month is not None:
        query = query.filter(month=month.replace(day=1))
    return query


async def batches_of(
    actor: Account | None, authority_id: int, month: date | None
) -> list[DirectDebitBatch]:
    """A régie's exports, newest first (staff)."""
    return await (await _batches(actor, authority_id, month)).order_by("-id")


async def batches_page(
    actor: Account | None,
    authority_id: int,
    month: date | None,
    *,
    first: int,
    after_id: int | None,
) -> tuple[list[DirectDebitBatch], bool, int]:
    """A page of ``batches_of`` (``after_id``: the last export shown), whether more follow,
    and how many there are in all."""
    query = await _batches(actor, authority_id, month)
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(first + 1)
    return rows[:first], len(rows) > first, total


@dataclass
class LineRow:
    """One debit as staff read it, with the invoice and mandate it concerns."""

    line: DirectDebitLine
    invoice_number: str
    household_id: int
    household_name: str
    mandate_reference: str


async def lines_of(batch_ids: list[int]) -> dict[int, list[LineRow]]:
    """The lines of several batches in three statements."""
    lines = await DirectDebitLine.filter(batch_id__in=batch_ids).order_by("batch_id", "id")
    invoices = {
        row["id"]: row
        for row in await Invoice.filter(id__in={line.invoice_id for line in lines}).values(
            "id", "number", "household_id", "household__name"
        )
    }
    references = dict(
        await SepaMandate.filter(id__in={line.mandate_id for line in lines}).values_list(
            "id", "reference"
        )
    )
    by_batch: dict[int, list[LineRow]] = {batch_id: [] for batch_id in batch_ids}
    for line in lines:
        invoice = invoices[line.invoice_id]
        by_batch[line.batch_id].append(
            LineRow(
                line,
                str(invoice["number"]),
                int(invoice["household_id"]),
                str(invoice["household__name"]),
                str(references[line.mandate_id]),
            )
        )
    return by_batch


def xml_url(batch: DirectDebitBatch, account: Account, *, clock: Clock) -> tuple[str, datetime]:
    """A short-lived signed link to the batch's pain.008 file, for the staff member."""
    return signed_links.DIRECT_DEBIT_XML.url(account, {"batch": batch.id}, clock=clock)


async def batch_from_token(token: str, *, clock: Clock) -> DirectDebitBatch:
    """The batch a link names, if its account is still staff of that town.

    Raises ``signed_links.InvalidLink`` or a DomainError (FORBIDDEN, NOT_FOUND).
    """
    account, params = await signed_links.DIRECT_DEBIT_XML.verify(token, clock=clock)
    return await _batch_for(require_staff(account), int(params["batch"]))


def xml_filename(batch: DirectDebitBatch) -> str:
    return f"prelevements-{batch.month:%Y-%m}-lot{batch.id}.xml"


async def authority_by_code(code: str, town: str | None) -> BillingAuthority:
    """The régie whose creditor settings carry ``code`` (the CLI's ``--regie``); ``town``
    (slug) picks one when several towns use the same code."""
    query = SepaCreditor.filter(code=code.strip().upper())
    if town:
        query = query.filter(tenant__slug=town)
    creditors = await query
    if not creditors:
        raise NotFound(f"Régie {code}", "regie")
    if len(creditors) > 1:
        raise _error(
            DirectDebitErrorCode.INVALID,
            f"Plusieurs communes ont une régie {code} : précisez la commune (--town).",
            "town",
        )
    return await BillingAuthority.get(id=creditors[0].authority_id)
