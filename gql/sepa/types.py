"""GraphQL types of SEPA direct debit: creditor settings, mandates, batches and lines."""

import datetime as dt

import strawberry

from gql.billing.types import Money
from gql.context import Info
from gql.ids import encode_id
from models.sepa import BatchStatus, LineStatus, MandateStatus, SequenceType
from models.sepa import DirectDebitBatch as BatchModel
from models.sepa import SepaCreditor as CreditorModel
from models.sepa import SepaMandate as MandateModel
from resolvers.sepa.direct_debit import REJECT_REASONS, LineRow, xml_url
from resolvers.sepa.sepa_mandates import masked_iban

strawberry.enum(MandateStatus, description="ACTIVE (debits) or REVOKED.")
strawberry.enum(SequenceType, description="FRST (first collection) or RCUR (recurring).")
strawberry.enum(BatchStatus, description="EXPORTED, COLLECTED (money received) or CANCELLED.")
strawberry.enum(LineStatus, description="PENDING, COLLECTED or REJECTED by the payer's bank.")


@strawberry.type(description="A régie's direct-debit settings: creditor identifier and account.")
class SepaCreditor:
    authority_id: strawberry.ID = strawberry.field(description="The régie.")
    code: str = strawberry.field(description="Short code (CLI `--regie`).")
    creditor_identifier: str = strawberry.field(description="ICS, e.g. FR72ZZZ123456.")
    creditor_name: str = strawberry.field(description="Name on the payers' statements.")
    iban: str = strawberry.field(description="Account credited (the régie's own).")
    bic: str = strawberry.field(description="BIC of that account.")

    @classmethod
    def from_model(cls, model: CreditorModel) -> "SepaCreditor":
        return cls(
            authority_id=strawberry.ID(encode_id("BillingAuthority", model.authority_id)),
            code=model.code,
            creditor_identifier=model.creditor_identifier,
            creditor_name=model.creditor_name,
            iban=model.iban,
            bic=model.bic,
        )


@strawberry.type(description="A payer's SEPA mandate (mandat de prélèvement).")
class SepaMandate:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    household_id: strawberry.ID = strawberry.field(description="The household.")
    guardian_id: strawberry.ID = strawberry.field(description="The payer who signed.")
    reference: str = strawberry.field(description="Référence unique de mandat (RUM).")
    holder_name: str = strawberry.field(description="Account holder.")
    iban: str = strawberry.field(description="IBAN masked but its last 4 characters.")
    bic: str = strawberry.field(description="BIC of the payer's bank.")
    signed_on: dt.date = strawberry.field(description="Date of signature.")
    status: MandateStatus = strawberry.field(description="ACTIVE or REVOKED.")
    sequence_type: SequenceType = strawberry.field(description="Type of the next collection.")
    direct_debit: bool = strawberry.field(description="Invoices are paid by this mandate.")
    revoked_at: dt.datetime | None = strawberry.field(description="When it was revoked.")
    revoked_reason: str = strawberry.field(description="Why, in French.")

    @classmethod
    def from_model(cls, model: MandateModel) -> "SepaMandate":
        return cls(
            id=strawberry.ID(encode_id("SepaMandate", model.id)),
            household_id=strawberry.ID(encode_id("Household", model.household_id)),
            guardian_id=strawberry.ID(encode_id("Guardian", model.guardian_id)),
            reference=model.reference,
            holder_name=model.holder_name,
            iban=masked_iban(model.iban),
            bic=model.bic,
            signed_on=model.signed_on,
            status=MandateStatus(model.status),
            sequence_type=SequenceType(model.sequence_type),
            direct_debit=bool(model.direct_debit),
            revoked_at=model.revoked_at,
            revoked_reason=model.revoked_reason,
        )


@strawberry.type(description="A rejection reason (R-transaction) a bank returns.")
class RejectReason:
    code: str = strawberry.field(description="ISO 20022 code, e.g. AM04.")
    label: str = strawberry.field(description="French label, e.g. Provision insuffisante.")


@strawberry.type(description="One invoice debited in a batch.")
class DirectDebitLine:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    invoice_number: str = strawberry.field(description="Its number.")
    household_id: strawberry.ID = strawberry.field(description="The household.")
    household_name: str = strawberry.field(description="Its name.")
    mandate_reference: str = strawberry.field(description="RUM used.")
    sequence_type: SequenceType = strawberry.field(description="FRST or RCUR.")
    end_to_end_id: str = strawberry.field(description="End-to-end id in the file.")
    amount: Money = strawberry.field(description="Amount debited.")
    status: LineStatus = strawberry.field(description="Pending, collected or rejected.")
    reject_reason: RejectReason | None = strawberry.field(description="Why it was rejected.")

    @classmethod
    def from_row(cls, row: LineRow) -> "DirectDebitLine":
        line = row.line
        return cls(
            id=strawberry.ID(encode_id("DirectDebitLine", line.id)),
            invoice_id=strawberry.ID(encode_id("Invoice", line.invoice_id)),
            invoice_number=row.invoice_number,
            household_id=strawberry.ID(encode_id("Household", row.household_id)),
            household_name=row.household_name,
            mandate_reference=row.mandate_reference,
            sequence_type=SequenceType(line.sequence_type),
            end_to_end_id=line.end_to_end_id,
            amount=Money.of(line.amount_cents),
            status=LineStatus(line.status),
            reject_reason=RejectReason(
                code=line.reject_code, label=REJECT_REASONS[line.reject_code]
            )
            if line.reject_code
            else None,
        )


@strawberry.type(description="One pain.008 export of a régie for a month.")
class DirectDebitBatch:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    authority_id: strawberry.ID = strawberry.field(description="The régie.")
    month: dt.date = strawberry.field(description="First day of the month billed.")
    status: BatchStatus = strawberry.field(description="Exported, collected or cancelled.")
    message_id: str = strawberry.field(description="MsgId of the file.")
    collection_date: dt.date = strawberry.field(description="Date the bank debits.")
    total: Money = strawberry.field(description="Sum of the lines.")
    line_count: int = strawberry.field(description="Invoices debited.")
    created_at: dt.datetime = strawberry.field(description="Export time (UTC).")
    collected_at: dt.datetime | None = strawberry.field(description="Marked collected.")
    cancelled_at: dt.datetime | None = strawberry.field(description="Cancelled.")
    lines: list[DirectDebitLine] = strawberry.field(description="One per invoice.")
    model: strawberry.Private[BatchModel]

    @strawberry.field(
        description="Signed link to the XML file, valid FAMILLE_SIGNED_LINK_TTL_MINUTES."
    )
    def download_url(self, info: Info) -> str:
        url, _ = xml_url(self.model, info.context.require_account(), clock=info.context.clock)
        return url

    @classmethod
    def from_model(cls, model: BatchModel, lines: list[LineRow]) -> "DirectDebitBatch":
        return cls(
            id=strawberry.ID(encode_id("DirectDebitBatch", model.id)),
            authority_id=strawberry.ID(encode_id("BillingAuthority", model.authority_id)),
            month=model.month,
            status=BatchStatus(model.status),
            message_id=model.message_id,
            collection_date=model.collection_date,
            total=Money.of(model.total_cents),
            line_count=model.line_count,
            created_at=model.created_at,
            collected_at=model.collected_at,
            cancelled_at=model.cancelled_at,
            lines=[DirectDebitLine.from_row(row) for row in lines],
            model=model,
        )
