"""Direct-debit mutations: creditor settings, mandates, exports, collection, rejections."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.context import Info
from gql.errors import DirectDebitError, handles_errors
from gql.ids import decode_id
from gql.sepa.types import DirectDebitBatch, DirectDebitLine, SepaCreditor, SepaMandate
from models.sepa import DirectDebitBatch as BatchModel
from resolvers.sepa import direct_debit, sepa_mandates


@strawberry.input(description="A régie's direct-debit settings, as on its SEPA contract.")
class SepaCreditorInput:
    code: str = strawberry.field(description="Short code, e.g. PERI (CLI `--regie`).")
    creditor_identifier: str = strawberry.field(description="ICS, e.g. FR72ZZZ123456.")
    creditor_name: str = strawberry.field(description="Name on the payers' statements.")
    iban: str = strawberry.field(description="The régie's account credited.")
    bic: str | None = strawberry.field(default=None, description="Its BIC; null = from IBAN.")


@strawberry.input(description="A mandate signed by the household's payer.")
class SepaMandateInput:
    household_id: strawberry.ID = strawberry.field(description="The household.")
    guardian_id: strawberry.ID = strawberry.field(description="The payer who signed.")
    iban: str = strawberry.field(description="IBAN of the account debited.")
    bic: str | None = strawberry.field(default=None, description="BIC; null = from the IBAN.")
    signed_on: dt.date = strawberry.field(description="Date of signature.")
    holder_name: str | None = strawberry.field(
        default=None, description="Account holder; null = the payer's name."
    )
    reference: str | None = strawberry.field(
        default=None, description="RUM printed on a paper mandate; null = generated."
    )
    direct_debit: bool = strawberry.field(
        default=True, description="Pay the household's invoices by this mandate."
    )


@strawberry.type(description="Result of `saveSepaCreditor`.")
class SepaCreditorPayload:
    creditor: SepaCreditor | None = strawberry.field(default=None, description="Saved.")
    errors: list[DirectDebitError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(description="Result of the mandate mutations.")
class SepaMandatePayload:
    mandate: SepaMandate | None = strawberry.field(default=None, description="The mandate.")
    errors: list[DirectDebitError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(description="Result of the batch mutations.")
class DirectDebitBatchPayload:
    batch: DirectDebitBatch | None = strawberry.field(default=None, description="The batch.")
    errors: list[DirectDebitError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(description="Result of `recordDirectDebitRejection`.")
class DirectDebitLinePayload:
    line: DirectDebitLine | None = strawberry.field(default=None, description="The debit.")
    errors: list[DirectDebitError] = strawberry.field(default_factory=list, description="Why not.")


async def _loaded(batch: BatchModel) -> DirectDebitBatch:
    lines = await direct_debit.lines_of([batch.id])
    return DirectDebitBatch.from_model(batch, lines[batch.id])


@strawberry.type
class SepaMutations:
    @strawberry.mutation(description="Staff: a régie's creditor identifier (ICS) and account.")
    @handles_errors()
    async def save_sepa_creditor(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
        input: Annotated[SepaCreditorInput, strawberry.argument(description="Settings.")],
    ) -> SepaCreditorPayload:
        creditor = await sepa_mandates.save_creditor(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            sepa_mandates.CreditorForm(
                code=input.code,
                creditor_identifier=input.creditor_identifier,
                creditor_name=input.creditor_name,
                iban=input.iban,
                bic=input.bic,
            ),
            clock=info.context.clock,
        )
        return SepaCreditorPayload(creditor=SepaCreditor.from_model(creditor))

    @strawberry.mutation(
        description="Staff: record a payer's signed mandate (IBAN and BIC checked); one "
        "active mandate per household."
    )
    @handles_errors()
    async def create_sepa_mandate(
        self,
        info: Info,
        input: Annotated[SepaMandateInput, strawberry.argument(description="The mandate.")],
    ) -> SepaMandatePayload:
        mandate = await sepa_mandates.create_mandate(
            info.context.account,
            decode_id(input.household_id, "Household", field="householdId"),
            decode_id(input.guardian_id, "Guardian", field="guardianId"),
            iban=input.iban,
            bic=input.bic,
            signed_on=input.signed_on,
            holder_name=input.holder_name,
            reference=input.reference,
            direct_debit=input.direct_debit,
            clock=info.context.clock,
        )
        return SepaMandatePayload(mandate=SepaMandate.from_model(mandate))

    @strawberry.mutation(description="Staff: revoke a mandate; later exports skip it.")
    @handles_errors()
    async def revoke_sepa_mandate(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The mandate.")],
        reason: Annotated[str, strawberry.argument(description="Why, in French.")] = "",
    ) -> SepaMandatePayload:
        mandate = await sepa_mandates.revoke_mandate(
            info.context.account,
            decode_id(id, "SepaMandate", field="id"),
            reason,
            clock=info.context.clock,
        )
        return SepaMandatePayload(mandate=SepaMandate.from_model(mandate))

    @strawberry.mutation(
        description="The household (its parents or staff) chooses to pay its invoices by "
        "direct debit under its active mandate, or stops."
    )
    @handles_errors()
    async def set_direct_debit(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        enabled: Annotated[bool, strawberry.argument(description="Pay by direct debit.")],
    ) -> SepaMandatePayload:
        mandate = await sepa_mandates.choose_direct_debit(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            enabled,
            clock=info.context.clock,
        )
        return SepaMandatePayload(mandate=SepaMandate.from_model(mandate))

    @strawberry.mutation(
        description="Staff: export the month's open invoices of the régie's direct-debit "
        "households as a pain.008 file (one block per FRST/RCUR); refused if already "
        "exported and not cancelled. The batch's `downloadUrl` fetches the file."
    )
    @handles_errors()
    async def export_direct_debits(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
        month: Annotated[dt.date, strawberry.argument(description="Any day of the month.")],
    ) -> DirectDebitBatchPayload:
        batch = await direct_debit.export_month(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            month,
            clock=info.context.clock,
        )
        return DirectDebitBatchPayload(batch=await _loaded(batch))

    @strawberry.mutation(
        description="Staff: the bank credited the batch; its pending debits settle their invoices."
    )
    @handles_errors()
    async def mark_direct_debit_batch_collected(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The batch.")],
    ) -> DirectDebitBatchPayload:
        batch = await direct_debit.mark_collected(
            info.context.account,
            decode_id(id, "DirectDebitBatch", field="id"),
            clock=info.context.clock,
        )
        return DirectDebitBatchPayload(batch=await _loaded(batch))

    @strawberry.mutation(
        description="Staff: cancel a batch not collected yet, so its invoices can be exported "
        "again."
    )
    @handles_errors()
    async def cancel_direct_debit_batch(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The batch.")],
    ) -> DirectDebitBatchPayload:
        batch = await direct_debit.cancel_batch(
            info.context.account,
            decode_id(id, "DirectDebitBatch", field="id"),
            clock=info.context.clock,
        )
        return DirectDebitBatchPayload(batch=await _loaded(batch))

    @strawberry.mutation(
        description="Staff: a debit came back (R-transaction): the invoice is due again, the "
        "household is mailed, MD01/AC04/MD07 revoke the mandate."
    )
    @handles_errors()
    async def record_direct_debit_rejection(
        self,
        info: Info,
        line_id: Annotated[strawberry.ID, strawberry.argument(description="The debit.")],
        reason_code: Annotated[
            str, strawberry.argument(description="Bank's reason code, e.g. AM04, MD01.")
        ],
    ) -> DirectDebitLinePayload:
        line = await direct_debit.record_rejection(
            info.context.account,
            decode_id(line_id, "DirectDebitLine", field="lineId"),
            reason_code,
            clock=info.context.clock,
        )
        rows = await direct_debit.lines_of([line.batch_id])
        [row] = [row for row in rows[line.batch_id] if row.line.id == line.id]
        return DirectDebitLinePayload(line=DirectDebitLine.from_row(row))
