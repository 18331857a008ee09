"""The month's rôle of a régie sent to the Trésor public: one PES V2 ORMC file with one
bordereau, one pièce (titre) per invoice still due, its lines per product code, the debtor
with their address, the SEPA debit the Trésor presents for households paying by mandate,
and the invoice PDF for the DGFiP's print centre when the PES model asks for it.

The file is kept byte for byte as a batch, downloaded through a signed link. A second export
of the same régie and month is refused until the first is cancelled (a file Hélios never
took); the invoices sent are locked meanwhile (``Invoice.pes_batch``): a correction is a new
document. Every refusal is checked before anything is written, in French, naming the
household at fault, so a file that leaves is one Hélios can take.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib import metadata
from zoneinfo import ZoneInfo

from models.accounts import Account, Civility
from models.authorities import BillingAuthority
from models.billing import Invoice, InvoiceKind, InvoiceLine
from models.catalogue import Activity
from models.households import Guardian, Household
from models.sepa import (
    BatchStatus,
    DirectDebitLine,
    LineStatus,
    MandateStatus,
    SepaMandate,
    SequenceType,
)
from models.tenants import Tenant
from models.treasury import PesActivityCode, PesBatch, PesBatchStatus, PesSettings, PesTitre
from resolvers.billing.invoice_pdf import invoice_title, load_document, pdf_filename, render_pdf
from resolvers.core import audit, signed_links
from resolvers.core.clock import Clock
from resolvers.core.errors import (
    DomainError,
    NotFound,
    TreasuryErrorCode,
    ValidationErrors,
)
from resolvers.core.french import month_label
from resolvers.core.roles import require_authority
from resolvers.core.transactions import atomic
from resolvers.households.households import require_staff
from resolvers.sepa.direct_debit import collection_date
from resolvers.treasury.pes_xml import (
    PesAttachment,
    PesDebit,
    PesDebtor,
    PesFile,
    PesLine,
    PesPiece,
    build_pes,
    pes_text,
)

SENDER = "FAMILLE"
_POSTAL_CODE = re.compile(r"^\d{5}$")
# The SEPA rulebook's characters for a mandate reference (RUM), at most 35.
_RUM = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,35}$")
_CIVILITIES = {Civility.MONSIEUR: "M", Civility.MADAME: "MME"}


def _error(code: TreasuryErrorCode, message: str, field: str | None = None) -> DomainError:
    return DomainError(code, message, field)


def _version() -> str:
    try:
        return metadata.version("famille")
    except metadata.PackageNotFoundError:
        return "dev"


@dataclass(frozen=True)
class BilledLine:
    """An invoice line as the rôle groups it: under its activity's product code."""

    product_code: str
    nature: str
    label: str
    amount_cents: int


def titre_lines(lines: Sequence[BilledLine], settled_cents: int) -> list[PesLine]:
    """The pièce's lines: one per product code and nature, summing to what is still due.

    Hélios takes positive amounts only, so what the household already paid, and a product
    code whose lines are a net discount, come off the positive codes in order; a code left
    at zero is not sent.
    """
    sums: dict[tuple[str, str], int] = {}
    labels: dict[tuple[str, str], list[str]] = {}
    for line in lines:
        key = (line.product_code, line.nature)
        sums[key] = sums.get(key, 0) + line.amount_cents
        names = labels.setdefault(key, [])
        if line.label not in names:
            names.append(line.label)
    reduction = settled_cents + sum(-amount for amount in sums.values() if amount < 0)
    result = []
    for key, amount in sums.items():
        if amount <= 0:
            continue
        taken = min(amount, reduction)
        reduction -= taken
        if amount > taken:
            result.append(PesLine(key[0], key[1], ", ".join(labels[key]), amount - taken))
    return result


async def _authority_for(staff: Account, authority_id: int) -> BillingAuthority:
    authority = await BillingAuthority.get_or_none(id=authority_id, tenant_id=staff.tenant_id)
    if authority is None:
        raise NotFound("Régie", "authorityId")
    await require_authority(staff, authority.id)
    return authority


async def _batch_for(staff: Account, batch_id: int) -> PesBatch:
    batch = await PesBatch.get_or_none(id=batch_id, tenant_id=staff.tenant_id)
    if batch is None:
        raise NotFound("Export de titres", "batchId")
    await require_authority(staff, batch.authority_id)
    return batch


async def export_titres(
    actor: Account | None, authority_id: int, month: date, *, clock: Clock
) -> PesBatch:
    """Export the month's titres of a régie as a PES file.

    Roles: REGISSEUR.
    """
    staff = require_staff(actor)
    authority = await _authority_for(staff, authority_id)
    return await export_authority_month(authority, month, actor=staff, clock=clock)


def _debtor(household: Household, payer: Guardian | None, invoice: Invoice) -> PesDebtor:
    """The debtor of an invoice, or DEBTOR_INCOMPLETE saying what Hélios would reject."""
    missing = []
    if payer is None:
        missing.append("aucun responsable payeur")
    elif not pes_text(payer.first_names, 38) or not pes_text(payer.last_name, 38):
        missing.append("le nom et le prénom du payeur")
    if not pes_text(household.address_line, 38):
        missing.append("l'adresse (rue)")
    if not _POSTAL_CODE.match(household.postal_code.strip()):
        missing.append("un code postal de 5 chiffres")
    if not pes_text(household.city, 38):
        missing.append("la commune")
    if missing or payer is None:
        raise _error(
            TreasuryErrorCode.DEBTOR_INCOMPLETE,
            f"Facture {invoice.number} ({household.name}, dossier {household.reference}) : "
            f"il manque {', '.join(missing)}. Complétez le dossier de la famille avant l'export.",
            "month",
        )
    return PesDebtor(
        reference=household.reference,
        civility=_CIVILITIES[Civility(payer.civility)],
        last_name=payer.last_name,
        first_name=payer.first_names.replace(",", " ").split()[0],
        street=household.address_line,
        complement=household.address_complement,
        postal_code=household.postal_code.strip(),
        city=household.city,
    )


async def _payers(household_ids: list[int]) -> dict[int, Guardian]:
    """Each household's payer: the guardian marked payer, else its first guardian."""
    payers: dict[int, Guardian] = {}
    for guardian in await Guardian.filter(household_id__in=household_ids).order_by(
        "household_id", "-is_payer", "id"
    ):
        payers.setdefault(guardian.household_id, guardian)
    return payers


async def _lock_budget(settings: PesSettings) -> None:
    """IdBord is sequential per exercise and budget, and several régies may bill on one
    budget: every PES model of that budget is locked (in id order) while numbering."""
    await (
        PesSettings.filter(
            tenant_id=settings.tenant_id,
            collectivity_code=settings.collectivity_code,
            budget_code=settings.budget_code,
        )
        .order_by("id")
        .select_for_update()
    )


async def _next_bordereau(settings: PesSettings, exercise: int) -> int:
    row = (
        await PesBatch.filter(
            tenant_id=settings.tenant_id,
            collectivity_code=settings.collectivity_code,
            budget_code=settings.budget_code,
            exercise=exercise,
            status=PesBatchStatus.EXPORTED,
        )
        .order_by("-bordereau_number")
        .first()
        .values_list("bordereau_number", flat=True)
    )
    return int(str(row or 0)) + 1


async def export_authority_month(
    authority: BillingAuthority, month: date, *, actor: Account | None, clock: Clock
) -> PesBatch:
    """Build, store and lock the month's rôle; see the module docstring for the refusals."""
    month = month.replace(day=1)
    tenant = await Tenant.get(id=authority.tenant_id)
    today = clock.now().astimezone(ZoneInfo(tenant.timezone)).date()
    async with atomic():
        settings = await PesSettings.get_or_none(authority_id=authority.id)
        if settings is None:
            raise _error(
                TreasuryErrorCode.NO_PES_SETTINGS,
                "Renseignez d'abord le modèle PES de la régie (SIRET, poste comptable, codes "
                "collectivité, budget et produit).",
                "authorityId",
            )
        await _lock_budget(settings)
        if (
            await PesBatch.filter(authority_id=authority.id, month=month)
            .exclude(status=PesBatchStatus.CANCELLED)
            .exists()
        ):
            raise _error(
                TreasuryErrorCode.ALREADY_EXPORTED,
                f"Les titres de {month_label(month)} ont déjà été exportés : annulez d'abord "
                "cet export pour en produire un nouveau.",
                "month",
            )
        invoices = [
            invoice
            for invoice in await Invoice.filter(
                authority_id=authority.id,
                month=month,
                kind__in=[InvoiceKind.INVOICE, InvoiceKind.COMPLEMENT],
                pes_batch_id=None,
            ).order_by("number")
            if invoice.total_cents > invoice.settled_cents
        ]
        if not invoices:
            raise _error(
                TreasuryErrorCode.NOTHING_TO_EXPORT,
                f"Aucune facture de {month_label(month)} reste à payer pour cette régie.",
                "month",
            )
        invoice_ids = [invoice.id for invoice in invoices]
        pending = await DirectDebitLine.filter(
            invoice_id__in=invoice_ids,
            status=LineStatus.PENDING,
            batch__status=BatchStatus.EXPORTED,
        ).values_list("invoice__number", flat=True)
        if pending:
            raise _error(
                TreasuryErrorCode.DIRECT_DEBIT_PENDING,
                "Ces factures sont dans un lot de prélèvement SEPA pas encore encaissé : "
                f"{', '.join(sorted(str(number) for number in pending))}. Encaissez ou "
                "annulez ce lot avant d'envoyer les titres au Trésor public.",
                "month",
            )
        household_ids = sorted({invoice.household_id for invoice in invoices})
        households = {h.id: h for h in await Household.filter(id__in=household_ids)}
        payers = await _payers(household_ids)
        mandates = {
            mandate.household_id: mandate
            for mandate in await SepaMandate.filter(
                household_id__in=household_ids, status=MandateStatus.ACTIVE, direct_debit=True
            )
        }
        codes = {
            row.activity_id: row for row in await PesActivityCode.filter(settings_id=settings.id)
        }
        lines_by_invoice: dict[int, list[InvoiceLine]] = {i: [] for i in invoice_ids}
        for line in await InvoiceLine.filter(invoice_id__in=invoice_ids).order_by(
            "invoice_id", "position"
        ):
            lines_by_invoice[line.invoice_id].append(line)
        activity_names = dict(
            await Activity.filter(
                id__in={line.activity_id for lines in lines_by_invoice.values() for line in lines}
            ).values_list("id", "name")
        )

        failures: list[DomainError] = []
        debtors: dict[int, PesDebtor] = {}
        for invoice in invoices:
            try:
                debtors[invoice.id] = _debtor(
                    households[invoice.household_id], payers.get(invoice.household_id), invoice
                )
            except DomainError as failure:
                failures.append(failure)
            mandate = mandates.get(invoice.household_id)
            if mandate is not None and not _RUM.match(mandate.reference):
                failures.append(
                    _error(
                        TreasuryErrorCode.INVALID,
                        f"Facture {invoice.number} : la référence du mandat {mandate.reference} "
                        "contient des caractères refusés par le Trésor public.",
                        "month",
                    )
                )
        if failures:
            raise ValidationErrors(failures)

        exercise = today.year
        number = await _next_bordereau(settings, exercise)
        file_name = f"PES_{settings.code}_{month:%Y%m}_{exercise}_{number:07d}.xml"
        debit_day = collection_date([invoice.due_on for invoice in invoices], today)
        batch = await PesBatch.create(
            tenant_id=authority.tenant_id,
            authority_id=authority.id,
            month=month,
            exercise=exercise,
            bordereau_number=number,
            collectivity_code=settings.collectivity_code,
            budget_code=settings.budget_code,
            file_name=file_name,
            piece_count=0,
            total_cents=0,
            content=b"",
            created_by=actor,
            created_at=clock.now(),
        )
        pieces: list[PesPiece] = []
        titres: list[PesTitre] = []
        for index, invoice in enumerate(invoices, start=1):
            billed = [
                BilledLine(
                    product_code=codes[line.activity_id].product_code
                    if line.activity_id in codes
                    else settings.product_code,
                    nature=codes[line.activity_id].nature
                    if line.activity_id in codes
                    else settings.nature,
                    label=activity_names.get(line.activity_id, line.label),
                    amount_cents=line.amount_cents,
                )
                for line in lines_by_invoice[invoice.id]
            ]
            mandate = mandates.get(invoice.household_id)
            label = f"Facture {invoice.number} {month_label(month)}"
            debit = (
                PesDebit(
                    sequence=str(mandate.sequence_type),
                    collection_date=debit_day,
                    mandate_reference=mandate.reference,
                    signed_on=mandate.signed_on,
                    label=label,
                    iban=mandate.iban,
                    bic=mandate.bic,
                    holder=mandate.holder_name,
                )
                if mandate is not None
                else None
            )
            attachment = None
            if settings.attach_invoice_pdf:
                attachment = PesAttachment(
                    unique_id=f"FAM{batch.id}-{invoice.number}",
                    file_name=pdf_filename(invoice),
                    description=invoice_title(invoice),
                    pdf=render_pdf(await load_document(invoice)),
                )
            piece = PesPiece(
                number=index,
                subject=f"{invoice_title(invoice)} {households[invoice.household_id].reference}",
                debt_number=invoice.number if invoice.number.isdigit() else "",
                invoice_number=invoice.number,
                debtor=debtors[invoice.id],
                lines=titre_lines(billed, invoice.settled_cents),
                debit=debit,
                attachment=attachment,
            )
            pieces.append(piece)
            titres.append(
                PesTitre(
                    batch_id=batch.id,
                    invoice_id=invoice.id,
                    piece_number=index,
                    amount_cents=piece.amount_cents,
                    mandate_id=mandate.id if mandate else None,
                    sequence_type=str(mandate.sequence_type) if mandate else "",
                )
            )
        pes_file = PesFile(
            file_name=file_name,
            sender=SENDER,
            sender_version=_version(),
            created_on=today,
            accounting_post=settings.accounting_post,
            siret=settings.siret,
            collectivity_code=settings.collectivity_code,
            budget_code=settings.budget_code,
            exercise=exercise,
            bordereau_number=number,
            issued_on=today,
            subject=settings.bordereau_subject or f"{authority.name} {month_label(month)}",
            pieces=pieces,
        )
        batch.content = build_pes(pes_file)
        batch.piece_count = len(pieces)
        batch.total_cents = pes_file.total_cents
        await batch.save(update_fields=["content", "piece_count", "total_cents"])
        await PesTitre.bulk_create(titres)
        await Invoice.filter(id__in=invoice_ids).update(pes_batch_id=batch.id)
        # The Trésor presents these debits: a mandate's first one makes the next recurring.
        first = [t.mandate_id for t in titres if t.sequence_type == SequenceType.FRST]
        if first:
            await SepaMandate.filter(id__in=first).update(sequence_type=SequenceType.RCUR)
        await audit.record(
            "pes.exported",
            tenant_id=authority.tenant_id,
            actor=actor,
            target_type="PesBatch",
            target_id=batch.id,
            clock=clock,
            details={
                "month": month.isoformat(),
                "bordereau": number,
                "pieces": len(pieces),
                "total": batch.total_cents,
            },
        )
    return batch


async def cancel_titres_export(
    actor: Account | None, batch_id: int, reason: str, *, clock: Clock
) -> PesBatch:
    """Withdraw a rôle Hélios never took: its invoices are unlocked and can be exported
    again, and the mandates it debited first go back to FRST.

    Roles: REGISSEUR.
    """
    staff = require_staff(actor)
    batch = await _batch_for(staff, batch_id)
    async with atomic():
        updated = await PesBatch.filter(id=batch.id, status=PesBatchStatus.EXPORTED).update(
            status=PesBatchStatus.CANCELLED,
            cancelled_at=clock.now(),
            cancel_reason=" ".join(reason.split())[:250],
        )
        if not updated:
            raise _error(TreasuryErrorCode.BATCH_CLOSED, "Cet export est déjà annulé.", "batchId")
        await Invoice.filter(pes_batch_id=batch.id).update(pes_batch_id=None)
        first = await PesTitre.filter(
            batch_id=batch.id, sequence_type=SequenceType.FRST
        ).values_list("mandate_id", flat=True)
        if first:
            await SepaMandate.filter(id__in=list(first)).update(sequence_type=SequenceType.FRST)
        await audit.record(
            "pes.cancelled",
            tenant_id=batch.tenant_id,
            actor=staff,
            target_type="PesBatch",
            target_id=batch.id,
            clock=clock,
            details={"reason": reason[:250]},
        )
    await batch.refresh_from_db()
    return batch


async def titres_exports_of(
    actor: Account | None, authority_id: int, month: date | None
) -> list[PesBatch]:
    """A régie's PES exports, newest first.

    Roles: REGISSEUR.
    """
    staff = require_staff(actor)
    authority = await _authority_for(staff, authority_id)
    query = PesBatch.filter(authority_id=authority.id)
    if month is not None:
        query = query.filter(month=month.replace(day=1))
    return await query.order_by("-id")


@dataclass
class TitreRow:
    """One pièce as staff read it."""

    titre: PesTitre
    invoice_number: str
    household_id: int
    household_name: str


async def titres_of(batch_ids: list[int]) -> dict[int, list[TitreRow]]:
    """The pièces of several exports in two statements."""
    titres = await PesTitre.filter(batch_id__in=batch_ids).order_by("batch_id", "piece_number")
    invoices = {
        row["id"]: row
        for row in await Invoice.filter(id__in={t.invoice_id for t in titres}).values(
            "id", "number", "household_id", "household__name"
        )
    }
    by_batch: dict[int, list[TitreRow]] = {batch_id: [] for batch_id in batch_ids}
    for titre in titres:
        invoice = invoices[titre.invoice_id]
        by_batch[titre.batch_id].append(
            TitreRow(
                titre,
                str(invoice["number"]),
                int(invoice["household_id"]),
                str(invoice["household__name"]),
            )
        )
    return by_batch


def pes_url(batch: PesBatch, account: Account, *, clock: Clock) -> tuple[str, datetime]:
    """A short-lived signed link to the batch's PES file, for the staff member."""
    return signed_links.PES_XML.url(account, {"batch": batch.id}, clock=clock)


async def batch_from_token(token: str, *, clock: Clock) -> PesBatch:
    """The export a link names, if its account is still staff of that town.

    Raises ``signed_links.InvalidLink`` or a DomainError (FORBIDDEN, NOT_FOUND).
    """
    account, params = await signed_links.PES_XML.verify(token, clock=clock)
    return await _batch_for(require_staff(account), int(params["batch"]))


async def authority_by_code(code: str, town: str | None) -> BillingAuthority:
    """The régie whose PES model carries ``code`` (the CLI's ``--regie``); ``town`` (slug)
    picks one when several towns use the same code."""
    query = PesSettings.filter(code=code.strip().upper())
    if town:
        query = query.filter(tenant__slug=town)
    found = await query
    if not found:
        raise NotFound(f"Modèle PES de la régie {code}", "regie")
    if len(found) > 1:
        raise _error(
            TreasuryErrorCode.INVALID,
            f"Plusieurs communes ont une régie {code} : précisez la commune (--town).",
            "town",
        )
    return await BillingAuthority.get(id=found[0].authority_id)
