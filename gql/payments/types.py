"""GraphQL types of payments: a régie's provider set-up (keys never shown), the signed
form that starts a payment, the payment history, the staff review list and the payments
recorded at the régie's desk."""

import datetime as dt

import strawberry

from gql.billing.types import Money
from gql.context import Info
from gql.ids import encode_id
from gql.node import Node
from models.payments import (
    AttemptStatus,
    DeskPaymentMode,
    PaymentKind,
    PaymentMode,
    PaymentProvider,
    ReviewReason,
)
from models.payments import DeskPayment as DeskPaymentModel
from models.payments import PaymentReview as PaymentReviewModel
from models.payments import PaymentSetup as PaymentSetupModel
from resolvers.payments.desk import DeskReceipt, receipt_url
from resolvers.payments.payments import PaymentEntry, PaymentForm

strawberry.enum(
    PaymentProvider,
    description="PAYZEN, PAYBOX or PAYFIP online; DESK: paid at the régie's desk.",
)
strawberry.enum(
    DeskPaymentMode,
    description="How money was handed to the régisseur: CASH, CHEQUE, CESU, TRANSFER, OTHER.",
)
strawberry.enum(PaymentMode, description="TEST (no real money) or PRODUCTION.")
strawberry.enum(AttemptStatus, description="Where a trip to the provider stands.")
strawberry.enum(PaymentKind, description="PAYMENT in, REFUND or REVERSAL out.")
strawberry.enum(
    ReviewReason,
    description="AMOUNT_MISMATCH (not applied), REFUND_NEEDED (invoice already paid), "
    "LATE_PAYMENT, REVERSED (authorisation lapsed), UNMATCHED_REFUND.",
)


@strawberry.type(description="A régie's online-payment provider; secret keys are not shown.")
class PaymentSetup:
    provider: PaymentProvider = strawberry.field(description="The provider.")
    mode: PaymentMode = strawberry.field(description="Test or production.")
    payzen_site_id: str = strawberry.field(description="PayZen shop id (8 digits).")
    paybox_site: str = strawberry.field(description="Paybox site (7 digits).")
    paybox_rang: str = strawberry.field(description="Paybox rang.")
    paybox_identifiant: str = strawberry.field(description="Paybox identifiant.")
    payfip_numcli: str = strawberry.field(description="PayFiP client number (6 digits).")
    callback_url: str = strawberry.field(
        description="The notification URL to declare in the provider's back office."
    )
    updated_at: dt.datetime = strawberry.field(description="Last change (UTC).")

    @classmethod
    def from_model(cls, model: PaymentSetupModel, callback_url: str) -> "PaymentSetup":
        return cls(
            provider=PaymentProvider(model.provider),
            mode=PaymentMode(model.mode),
            payzen_site_id=model.payzen_site_id,
            paybox_site=model.paybox_site,
            paybox_rang=model.paybox_rang,
            paybox_identifiant=model.paybox_identifiant,
            payfip_numcli=model.payfip_numcli,
            callback_url=callback_url,
            updated_at=model.updated_at,
        )


@strawberry.type(description="One field of the form the browser sends to the provider.")
class FormField:
    name: str = strawberry.field(description="Field name, e.g. vads_amount or PBX_TOTAL.")
    value: str = strawberry.field(description="Its value, exactly as signed.")


@strawberry.type(
    description="Where to send the parent: submit `fields` to `url` with `method` "
    "(an auto-submitted HTML form for POST, a link for GET), in this order."
)
class PaymentRequest:
    attempt_reference: str = strawberry.field(description="Our payment reference.")
    provider: PaymentProvider = strawberry.field(description="The provider.")
    url: str = strawberry.field(description="The provider's payment page.")
    method: str = strawberry.field(description="POST or GET.")
    fields: list[FormField] = strawberry.field(description="The signed fields.")
    amount: Money = strawberry.field(description="Amount to pay.")
    expires_at: dt.datetime = strawberry.field(
        description="End of the provider session (UTC): the invoices cannot be paid again "
        "online before, unless this payment ends."
    )

    @classmethod
    def from_form(cls, form: PaymentForm) -> "PaymentRequest":
        return cls(
            attempt_reference=form.attempt.order_ref,
            provider=PaymentProvider(form.attempt.provider),
            url=form.url,
            method=form.method,
            fields=[FormField(name=name, value=value) for name, value in form.fields],
            amount=Money.of(form.attempt.amount_cents),
            expires_at=form.attempt.expires_at,
        )


@strawberry.type(description="The part of a payment applied to one invoice.")
class PaymentAllocation:
    invoice_number: str = strawberry.field(description="The invoice.")
    amount: Money = strawberry.field(description="Applied (negative when given back).")


@strawberry.type(description="Money received online, or refunded.")
class Payment(Node):
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    kind: PaymentKind = strawberry.field(description="Payment, refund or reversal.")
    provider: PaymentProvider = strawberry.field(description="The provider.")
    provider_transaction_id: str = strawberry.field(description="The provider's reference.")
    amount: Money = strawberry.field(description="Amount (negative when money went back).")
    created_at: dt.datetime = strawberry.field(description="When it was recorded (UTC).")
    allocations: list[PaymentAllocation] = strawberry.field(description="Invoices settled.")

    @classmethod
    def from_entry(cls, entry: PaymentEntry) -> "Payment":
        payment = entry.payment
        return cls(
            id=strawberry.ID(encode_id("Payment", payment.id)),
            kind=PaymentKind(payment.kind),
            provider=PaymentProvider(payment.provider),
            provider_transaction_id=payment.provider_txn_id,
            amount=Money.of(payment.amount_cents),
            created_at=payment.created_at,
            allocations=[
                PaymentAllocation(invoice_number=number, amount=Money.of(cents))
                for number, cents in entry.allocations
            ],
        )


@strawberry.type(description="A payment the régisseur must look at.")
class PaymentReview:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    reason: ReviewReason = strawberry.field(description="Why.")
    household_id: strawberry.ID = strawberry.field(description="The household who paid.")
    attempt_reference: str = strawberry.field(description="Our payment reference.")
    provider: PaymentProvider = strawberry.field(description="The provider.")
    amount: Money = strawberry.field(description="Money concerned.")
    message: str = strawberry.field(description="What happened, in French.")
    created_at: dt.datetime = strawberry.field(description="Flagged at (UTC).")
    resolved_at: dt.datetime | None = strawberry.field(description="Marked done at (UTC).")
    resolution_note: str = strawberry.field(description="What staff did.")

    @classmethod
    def from_model(cls, model: PaymentReviewModel) -> "PaymentReview":
        return cls(
            id=strawberry.ID(encode_id("PaymentReview", model.id)),
            reason=ReviewReason(model.reason),
            household_id=strawberry.ID(encode_id("Household", model.attempt.household_id)),
            attempt_reference=model.attempt.order_ref,
            provider=PaymentProvider(model.attempt.provider),
            amount=Money.of(model.amount_cents),
            message=model.message,
            created_at=model.created_at,
            resolved_at=model.resolved_at,
            resolution_note=model.resolution_note,
        )


@strawberry.type(description="A desk payment's allocation to one invoice, as its receipt shows.")
class DeskAllocation:
    invoice_number: str = strawberry.field(description="The invoice.")
    amount: Money = strawberry.field(description="Settled by this payment.")
    amount_due: Money = strawberry.field(description="Still due on the invoice now.")


@strawberry.type(
    description="Money received at the régie's desk (encaissement au guichet); never edited, "
    "cancelled with a reason."
)
class DeskPayment:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    number: str = strawberry.field(description="Receipt number (also the ledger reference).")
    household_id: strawberry.ID = strawberry.field(description="The household who paid.")
    authority_id: strawberry.ID = strawberry.field(description="The régie paid.")
    mode: DeskPaymentMode = strawberry.field(description="Cash, cheque, CESU, transfer…")
    amount: Money = strawberry.field(description="Amount received.")
    received_on: dt.date = strawberry.field(description="Day the money was handed over.")
    payer_name: str = strawberry.field(description="Who paid, as on the receipt.")
    cheque_bank: str = strawberry.field(description="Cheque: the bank.")
    cheque_number: str = strawberry.field(description="Cheque: its number.")
    cheque_drawer: str = strawberry.field(description="Cheque: the drawer (tireur).")
    cesu_electronic: bool = strawberry.field(description="CESU: paid with e-CESU.")
    cesu_titles: list[str] = strawberry.field(description="CESU: the paper titles' numbers.")
    reference: str = strawberry.field(description="Transfer reference or other detail.")
    note: str = strawberry.field(description="Staff note.")
    credit_created: Money = strawberry.field(
        description="Left unallocated when recorded: the household's credit it created."
    )
    allocations: list[DeskAllocation] = strawberry.field(
        description="The invoices it settles now (credit used later included)."
    )
    household_credit: Money = strawberry.field(
        description="The household's whole credit at the régie now."
    )
    created_at: dt.datetime = strawberry.field(description="Recorded at (UTC).")
    cancelled_at: dt.datetime | None = strawberry.field(description="Cancelled at (UTC).")
    cancel_reason: str = strawberry.field(description="Why it was cancelled.")
    pk: strawberry.Private[int]

    @strawberry.field(
        description="Download link of the receipt (« Reçu de paiement », PDF), valid "
        "FAMILLE_SIGNED_LINK_TTL_MINUTES, no login needed: ask again rather than storing it."
    )
    def receipt_url(self, info: Info) -> str:
        account = info.context.require_account()
        return receipt_url(self.pk, account, clock=info.context.clock)

    @classmethod
    def from_receipt(cls, receipt: DeskReceipt) -> "DeskPayment":
        desk: DeskPaymentModel = receipt.desk
        return cls(
            id=strawberry.ID(encode_id("DeskPayment", desk.id)),
            number=desk.number,
            household_id=strawberry.ID(encode_id("Household", desk.household_id)),
            authority_id=strawberry.ID(encode_id("BillingAuthority", desk.authority_id)),
            mode=DeskPaymentMode(desk.mode),
            amount=Money.of(desk.amount_cents),
            received_on=desk.received_on,
            payer_name=desk.payer_name,
            cheque_bank=desk.cheque_bank,
            cheque_number=desk.cheque_number,
            cheque_drawer=desk.cheque_drawer,
            cesu_electronic=desk.cesu_electronic,
            cesu_titles=list(desk.cesu_titles or []),
            reference=desk.reference,
            note=desk.note,
            credit_created=Money.of(desk.credit_cents),
            allocations=[
                DeskAllocation(
                    invoice_number=number, amount=Money.of(cents), amount_due=Money.of(due)
                )
                for number, cents, due in receipt.allocations
            ],
            household_credit=Money.of(receipt.credit_left_cents),
            created_at=desk.created_at,
            cancelled_at=desk.cancelled_at,
            cancel_reason=desk.cancel_reason,
            pk=desk.id,
        )
