"""GraphQL types of the Trésor public exports: a régie's PES model and its PES files."""

import datetime as dt

import strawberry

from gql.billing.types import Money
from gql.context import Info
from gql.ids import encode_id
from models.treasury import PesActivityCode as ActivityCodeModel
from models.treasury import PesBatch as BatchModel
from models.treasury import PesBatchStatus
from models.treasury import PesSettings as SettingsModel
from resolvers.treasury.pes_export import TitreRow, pes_url

strawberry.enum(
    PesBatchStatus, description="EXPORTED (invoices locked) or CANCELLED (invoices unlocked)."
)


@strawberry.type(description="An activity billed under its own product code.")
class PesActivityCode:
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    product_code: str = strawberry.field(description="CodProdLoc, 1 to 4 characters.")
    nature: str = strawberry.field(description="Nature (accounting), digits.")

    @classmethod
    def from_model(cls, model: ActivityCodeModel) -> "PesActivityCode":
        return cls(
            activity_id=strawberry.ID(encode_id("Activity", model.activity_id)),
            product_code=model.product_code,
            nature=model.nature,
        )


@strawberry.type(description="A régie's PES model: how its titres are sent to Hélios.")
class PesSettings:
    authority_id: strawberry.ID = strawberry.field(description="The régie.")
    code: str = strawberry.field(description="Short code (CLI `--regie`).")
    siret: str = strawberry.field(description="IdColl: the town's SIRET.")
    accounting_post: str = strawberry.field(description="IdPost: the poste comptable codique.")
    collectivity_code: str = strawberry.field(description="CodCol, 3 characters.")
    budget_code: str = strawberry.field(description="CodBud, 2 characters.")
    product_code: str = strawberry.field(description="Default CodProdLoc.")
    nature: str = strawberry.field(description="Default nature (588 for an ORMC rôle).")
    bordereau_subject: str = strawberry.field(
        description="Objet of the bordereau; empty = the régie's name and the month."
    )
    attach_invoice_pdf: bool = strawberry.field(
        description="The invoice PDFs go in the file for the DGFiP's print centre (Edition 06)."
    )
    activity_codes: list[PesActivityCode] = strawberry.field(
        description="Activities billed under another product code than the default."
    )

    @classmethod
    def from_model(cls, model: SettingsModel, codes: list[ActivityCodeModel]) -> "PesSettings":
        return cls(
            authority_id=strawberry.ID(encode_id("BillingAuthority", model.authority_id)),
            code=model.code,
            siret=model.siret,
            accounting_post=model.accounting_post,
            collectivity_code=model.collectivity_code,
            budget_code=model.budget_code,
            product_code=model.product_code,
            nature=model.nature,
            bordereau_subject=model.bordereau_subject,
            attach_invoice_pdf=bool(model.attach_invoice_pdf),
            activity_codes=[PesActivityCode.from_model(code) for code in codes],
        )


@strawberry.type(description="One invoice sent as a titre (pièce) of a PES file.")
class PesTitre:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    invoice_number: str = strawberry.field(description="Its number.")
    household_id: strawberry.ID = strawberry.field(description="The household.")
    household_name: str = strawberry.field(description="Its name.")
    piece_number: int = strawberry.field(description="IdPce in the bordereau.")
    amount: Money = strawberry.field(description="Amount of the titre (what was still due).")
    sequence_type: str | None = strawberry.field(
        description="FRST or RCUR when the Trésor debits it under a mandate, else null."
    )

    @classmethod
    def from_row(cls, row: TitreRow) -> "PesTitre":
        titre = row.titre
        return cls(
            invoice_id=strawberry.ID(encode_id("Invoice", titre.invoice_id)),
            invoice_number=row.invoice_number,
            household_id=strawberry.ID(encode_id("Household", row.household_id)),
            household_name=row.household_name,
            piece_number=titre.piece_number,
            amount=Money.of(titre.amount_cents),
            sequence_type=titre.sequence_type or None,
        )


@strawberry.type(description="One PES V2 file (rôle) of a régie for a month.")
class TitresExport:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    authority_id: strawberry.ID = strawberry.field(description="The régie.")
    month: dt.date = strawberry.field(description="First day of the month billed.")
    status: PesBatchStatus = strawberry.field(description="Exported or cancelled.")
    exercise: int = strawberry.field(description="Exer: the accounting year.")
    bordereau_number: int = strawberry.field(description="IdBord, sequential per budget.")
    file_name: str = strawberry.field(description="NomFic, the file's name.")
    piece_count: int = strawberry.field(description="Titres in the file.")
    total: Money = strawberry.field(description="MtBordHt: sum of the titres.")
    created_at: dt.datetime = strawberry.field(description="Export time (UTC).")
    cancelled_at: dt.datetime | None = strawberry.field(description="Cancelled.")
    cancel_reason: str = strawberry.field(description="Why it was cancelled.")
    titres: list[PesTitre] = strawberry.field(description="One per invoice.")
    model: strawberry.Private[BatchModel]

    @strawberry.field(
        description="Signed link to the ISO-8859-1 XML file, valid FAMILLE_SIGNED_LINK_TTL_MINUTES."
    )
    def download_url(self, info: Info) -> str:
        url, _ = pes_url(self.model, info.context.require_account(), clock=info.context.clock)
        return url

    @classmethod
    def from_model(cls, model: BatchModel, titres: list[TitreRow]) -> "TitresExport":
        return cls(
            id=strawberry.ID(encode_id("PesBatch", model.id)),
            authority_id=strawberry.ID(encode_id("BillingAuthority", model.authority_id)),
            month=model.month,
            status=PesBatchStatus(model.status),
            exercise=model.exercise,
            bordereau_number=model.bordereau_number,
            file_name=model.file_name,
            piece_count=model.piece_count,
            total=Money.of(model.total_cents),
            created_at=model.created_at,
            cancelled_at=model.cancelled_at,
            cancel_reason=model.cancel_reason,
            titres=[PesTitre.from_row(row) for row in titres],
            model=model,
        )
