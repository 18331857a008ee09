"""The régie's till for the régisseur: credit refunds, deposit slips (bordereaux de remise)
and the daily cash journal, with their signed download links."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.billing.types import Money
from gql.context import Info
from gql.errors import BillingError, handles_errors
from gql.ids import decode_id, encode_id
from models.payments import CreditRefund as CreditRefundModel
from models.payments import DepositSlip as DepositSlipModel
from models.payments import DeskPayment as DeskPaymentModel
from models.payments import DeskPaymentMode
from resolvers.billing.ledger_modes import LABELS, LedgerMode
from resolvers.payments import cash_journal, deposits, refunds
from resolvers.payments.cash_journal import CashJournal as CashJournalData

AuthorityId = Annotated[strawberry.ID, strawberry.argument(description="The régie.")]


@strawberry.type(description="A household's credit at a régie paid back (remboursement d'avoir).")
class CreditRefund:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    number: str = strawberry.field(description="Refund number, gap-free per régie and year.")
    household_id: strawberry.ID = strawberry.field(description="The household refunded.")
    authority_id: strawberry.ID = strawberry.field(description="The régie.")
    mode: DeskPaymentMode = strawberry.field(description="How it was paid back.")
    amount: Money = strawberry.field(description="Amount paid back.")
    refunded_on: dt.date = strawberry.field(description="Day of the refund.")
    reason: str = strawberry.field(description="Why, for the audit trail.")
    created_at: dt.datetime = strawberry.field(description="Recorded at (UTC).")

    @classmethod
    def from_model(cls, model: CreditRefundModel) -> "CreditRefund":
        return cls(
            id=strawberry.ID(encode_id("CreditRefund", model.id)),
            number=model.number,
            household_id=strawberry.ID(encode_id("Household", model.household_id)),
            authority_id=strawberry.ID(encode_id("BillingAuthority", model.authority_id)),
            mode=DeskPaymentMode(model.mode),
            amount=Money.of(model.amount_cents),
            refunded_on=model.refunded_on,
            reason=model.reason,
            created_at=model.created_at,
        )


@strawberry.type(description="A desk payment as a deposit slip lists it.")
class DepositItem:
    desk_payment_id: strawberry.ID = strawberry.field(description="The desk payment.")
    receipt_number: str = strawberry.field(description="Its receipt number.")
    received_on: dt.date = strawberry.field(description="Day the money was handed over.")
    payer_name: str = strawberry.field(description="Who paid.")
    cheque_number: str = strawberry.field(description="Cheque: its number.")
    cheque_bank: str = strawberry.field(description="Cheque: the bank.")
    cheque_drawer: str = strawberry.field(description="Cheque: the drawer (tireur).")
    amount: Money = strawberry.field(description="Amount.")

    @classmethod
    def from_model(cls, model: DeskPaymentModel) -> "DepositItem":
        return cls(
            desk_payment_id=strawberry.ID(encode_id("DeskPayment", model.id)),
            receipt_number=model.number,
            received_on=model.received_on,
            payer_name=model.payer_name,
            cheque_number=model.cheque_number,
            cheque_bank=model.cheque_bank,
            cheque_drawer=model.cheque_drawer,
            amount=Money.of(model.amount_cents),
        )


@strawberry.type(
    description="A bordereau de remise: the cheques or the cash of a régie deposited together."
)
class DepositSlip:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    number: str = strawberry.field(description="Slip number, gap-free per régie and year.")
    authority_id: strawberry.ID = strawberry.field(description="The régie.")
    mode: DeskPaymentMode = strawberry.field(description="CASH or CHEQUE.")
    deposited_on: dt.date = strawberry.field(description="Day of the deposit.")
    total: Money = strawberry.field(description="Sum of its payments.")
    payment_count: int = strawberry.field(description="Number of payments.")
    created_at: dt.datetime = strawberry.field(description="Recorded at (UTC).")
    pk: strawberry.Private[int]

    @strawberry.field(description="Its payments, in receipt order.")
    async def payments(self) -> list[DepositItem]:
        rows = (await deposits.slip_payments([self.pk]))[self.pk]
        return [DepositItem.from_model(row) for row in rows]

    @strawberry.field(
        description="Download link of the slip (PDF), valid FAMILLE_SIGNED_LINK_TTL_MINUTES, "
        "no login needed: ask again rather than storing it."
    )
    def pdf_url(self, info: Info) -> str:
        account = info.context.require_account()
        return deposits.slip_url(self.pk, account, clock=info.context.clock)

    @classmethod
    def from_model(cls, model: DepositSlipModel) -> "DepositSlip":
        return cls(
            id=strawberry.ID(encode_id("DepositSlip", model.id)),
            number=model.number,
            authority_id=strawberry.ID(encode_id("BillingAuthority", model.authority_id)),
            mode=DeskPaymentMode(model.mode),
            deposited_on=model.deposited_on,
            total=Money.of(model.total_cents),
            payment_count=model.payment_count,
            created_at=model.created_at,
            pk=model.id,
        )


@strawberry.type(description="One movement of a régie's day: positive in, negative out.")
class CashJournalEntry:
    mode: LedgerMode = strawberry.field(description="How the money moved.")
    reference: str = strawberry.field(description="Receipt, refund or transaction number.")
    label: str = strawberry.field(description="What it is, in French.")
    household_name: str = strawberry.field(description="The household.")
    amount: Money = strawberry.field(description="Signed amount.")


@strawberry.type(description="A mode's total of the day.")
class LedgerModeTotal:
    mode: LedgerMode = strawberry.field(description="The mode.")
    label: str = strawberry.field(description="Its French name.")
    count: int = strawberry.field(description="Movements.")
    amount: Money = strawberry.field(description="Signed sum.")


@strawberry.type(description="A régie's daily cash journal (journal de caisse).")
class CashJournal:
    day: dt.date = strawberry.field(description="The day.")
    entries: list[CashJournalEntry] = strawberry.field(description="Movements, by mode.")
    totals: list[LedgerModeTotal] = strawberry.field(description="Per mode with a movement.")
    total: Money = strawberry.field(description="The day's net movement.")
    authority_pk: strawberry.Private[int]

    @strawberry.field(
        description="Download link of the journal as CSV (semicolons, for a spreadsheet), "
        "valid FAMILLE_SIGNED_LINK_TTL_MINUTES."
    )
    def csv_url(self, info: Info) -> str:
        account = info.context.require_account()
        return cash_journal.journal_url(
            self.authority_pk, self.day, "csv", account, clock=info.context.clock
        )

    @strawberry.field(
        description="Download link of the journal as PDF, valid FAMILLE_SIGNED_LINK_TTL_MINUTES."
    )
    def pdf_url(self, info: Info) -> str:
        account = info.context.require_account()
        return cash_journal.journal_url(
            self.authority_pk, self.day, "pdf", account, clock=info.context.clock
        )

    @classmethod
    def from_data(cls, data: CashJournalData, authority_id: int) -> "CashJournal":
        return cls(
            day=data.day,
            entries=[
                CashJournalEntry(
                    mode=entry.mode,
                    reference=entry.reference,
                    label=entry.label,
                    household_name=entry.household,
                    amount=Money.of(entry.amount_cents),
                )
                for entry in data.entries
            ],
            totals=[
                LedgerModeTotal(mode=mode, label=LABELS[mode], count=count, amount=Money.of(cents))
                for mode, count, cents in data.totals()
            ],
            total=Money.of(data.total_cents),
            authority_pk=authority_id,
        )


@strawberry.input(description="A household's credit to pay back.")
class RefundCreditInput:
    household_id: strawberry.ID = strawberry.field(description="The household.")
    authority_id: strawberry.ID = strawberry.field(description="The régie holding the credit.")
    mode: DeskPaymentMode = strawberry.field(description="CASH, CHEQUE, TRANSFER or OTHER.")
    reason: str = strawberry.field(description="Why, for the audit trail (required).")
    amount_cents: int | None = strawberry.field(
        default=None, description="Cents to pay back; null = the whole credit."
    )


@strawberry.type(description="Result of `refundCredit`.")
class RefundCreditPayload:
    refund: CreditRefund | None = strawberry.field(default=None, description="Recorded.")
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.input(description="The cheques or the cash to put on a deposit slip.")
class DepositSlipInput:
    authority_id: strawberry.ID = strawberry.field(description="The régie.")
    mode: DeskPaymentMode = strawberry.field(description="CASH or CHEQUE.")
    day: dt.date = strawberry.field(description="Day of the deposit: payments received by then.")
    desk_payment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these payments; null = every one waiting."
    )


@strawberry.type(description="Result of `createDepositSlip`.")
class DepositSlipPayload:
    slip: DepositSlip | None = strawberry.field(default=None, description="Created.")
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type
class TillQueries:
    @strawberry.field(description="A household's credit refunds, newest first (200 at most).")
    async def credit_refunds(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="The household.")],
    ) -> list[CreditRefund]:
        rows = await refunds.refunds_of(
            info.context.account, decode_id(household_id, "Household", field="householdId")
        )
        return [CreditRefund.from_model(row) for row in rows]

    @strawberry.field(
        description="Staff (régisseur): the régie's cheques (or cash) received up to `day` "
        "and not deposited yet, oldest first: what the next slip will hold."
    )
    async def payments_to_deposit(
        self,
        info: Info,
        authority_id: AuthorityId,
        mode: Annotated[DeskPaymentMode, strawberry.argument(description="CASH or CHEQUE.")],
        day: Annotated[dt.date, strawberry.argument(description="Day of the deposit.")],
    ) -> list[DepositItem]:
        rows = await deposits.payments_to_deposit(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            mode,
            day,
        )
        return [DepositItem.from_model(row) for row in rows]

    @strawberry.field(description="Staff (régisseur): a deposit slip.")
    async def deposit_slip(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The slip.")],
    ) -> DepositSlip:
        slip = await deposits.deposit_slip_for(
            info.context.account, decode_id(id, "DepositSlip", field="id")
        )
        return DepositSlip.from_model(slip)

    @strawberry.field(
        description="Staff (régisseur): a régie's deposit slips between two days, newest "
        "first (500 at most)."
    )
    async def deposit_slips(
        self,
        info: Info,
        authority_id: AuthorityId,
        since: Annotated[dt.date, strawberry.argument(description="First day.")],
        until: Annotated[dt.date, strawberry.argument(description="Last day (included).")],
    ) -> list[DepositSlip]:
        rows = await deposits.deposit_slips_of(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            since,
            until,
        )
        return [DepositSlip.from_model(row) for row in rows]

    @strawberry.field(
        description="Staff (régisseur): a régie's daily cash journal, every movement of the "
        "day by mode with totals, and its CSV and PDF links."
    )
    async def cash_journal(
        self,
        info: Info,
        authority_id: AuthorityId,
        day: Annotated[dt.date, strawberry.argument(description="The day.")],
    ) -> CashJournal:
        pk = decode_id(authority_id, "BillingAuthority", field="authorityId")
        data = await cash_journal.cash_journal(
            info.context.account, pk, day, clock=info.context.clock
        )
        return CashJournal.from_data(data, pk)


@strawberry.type
class TillMutations:
    @strawberry.mutation(
        description="Staff (régisseur): pay back a household's credit at a régie (all or "
        "part), with its mode and reason; written to the ledger and audited."
    )
    @handles_errors()
    async def refund_credit(
        self,
        info: Info,
        input: Annotated[RefundCreditInput, strawberry.argument(description="The refund.")],
    ) -> RefundCreditPayload:
        refund = await refunds.refund_credit(
            info.context.account,
            refunds.RefundForm(
                household_id=decode_id(input.household_id, "Household", field="householdId"),
                authority_id=decode_id(input.authority_id, "BillingAuthority", field="authorityId"),
                mode=input.mode,
                reason=input.reason,
                amount_cents=input.amount_cents,
            ),
            clock=info.context.clock,
        )
        return RefundCreditPayload(refund=CreditRefund.from_model(refund))

    @strawberry.mutation(
        description="Staff (régisseur): put the régie's waiting cheques (or cash) on a "
        "deposit slip and mark them deposited: they can no longer be cancelled."
    )
    @handles_errors()
    async def create_deposit_slip(
        self,
        info: Info,
        input: Annotated[DepositSlipInput, strawberry.argument(description="The slip.")],
    ) -> DepositSlipPayload:
        ids = (
            None
            if input.desk_payment_ids is None
            else [
                decode_id(i, "DeskPayment", field="deskPaymentIds") for i in input.desk_payment_ids
            ]
        )
        slip = await deposits.create_deposit_slip(
            info.context.account,
            decode_id(input.authority_id, "BillingAuthority", field="authorityId"),
            input.mode,
            input.day,
            ids,
            clock=info.context.clock,
        )
        return DepositSlipPayload(slip=DepositSlip.from_model(slip))
