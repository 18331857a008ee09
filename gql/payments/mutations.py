"""Payment mutations: staff set a régie's provider; parents start a payment; staff close
a review; staff record and cancel payments received at the régie's desk."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.context import Info
from gql.errors import BillingError, handles_errors
from gql.ids import decode_id
from gql.payments.types import DeskPayment, PaymentRequest, PaymentReview, PaymentSetup
from models.payments import DeskPaymentMode, PaymentMode, PaymentProvider
from resolvers.payments import desk, payments
from resolvers.payments.payfip import payfip_client


@strawberry.input(description="A régie's provider and credentials; only its own fields count.")
class PaymentSetupInput:
    provider: PaymentProvider = strawberry.field(description="The provider.")
    mode: PaymentMode = strawberry.field(default=PaymentMode.TEST, description="Test or live.")
    payzen_site_id: str = strawberry.field(default="", description="PayZen shop id.")
    payzen_test_key: str = strawberry.field(default="", description="PayZen TEST key.")
    payzen_production_key: str = strawberry.field(default="", description="PayZen PRODUCTION key.")
    paybox_site: str = strawberry.field(default="", description="Paybox site (7 digits).")
    paybox_rang: str = strawberry.field(default="", description="Paybox rang.")
    paybox_identifiant: str = strawberry.field(default="", description="Paybox identifiant.")
    paybox_hmac_key: str = strawberry.field(
        default="", description="Paybox HMAC key (hex) signing the request."
    )
    paybox_public_key_pem: str = strawberry.field(
        default="", description="Paybox's RSA public key (PEM) verifying its callbacks."
    )
    payfip_numcli: str = strawberry.field(default="", description="PayFiP client number.")


@strawberry.type(description="Result of `setPaymentSetup`.")
class PaymentSetupPayload:
    setup: PaymentSetup | None = strawberry.field(default=None, description="Saved.")
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(description="Result of `startPayment`.")
class StartPaymentPayload:
    request: PaymentRequest | None = strawberry.field(
        default=None, description="Where to send the parent."
    )
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(description="Result of `resolvePaymentReview`.")
class PaymentReviewPayload:
    review: PaymentReview | None = strawberry.field(default=None, description="Marked done.")
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.input(description="A cheque: its number is required.")
class ChequeInput:
    number: str = strawberry.field(description="Cheque number.")
    bank: str = strawberry.field(default="", description="Bank it is drawn on.")
    drawer: str = strawberry.field(default="", description="Drawer (tireur), if not the payer.")


@strawberry.input(description="CESU: the paper titles' numbers, or e-CESU.")
class CesuInput:
    electronic: bool = strawberry.field(default=False, description="Paid with e-CESU.")
    title_numbers: list[str] = strawberry.field(
        default_factory=list, description="Numbers of the paper titles handed over."
    )


@strawberry.input(description="Part of a desk payment applied to one invoice.")
class DeskAllocationInput:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    amount_cents: int = strawberry.field(description="Cents applied to it (> 0).")


@strawberry.input(
    description="Money received at the desk for one household's invoices of one régie. "
    "Give `invoiceIds` (settled oldest first) or `allocations` (exactly); what they do not "
    "need becomes the household's credit."
)
class DeskPaymentInput:
    household_id: strawberry.ID = strawberry.field(description="The household who pays.")
    mode: DeskPaymentMode = strawberry.field(description="How it was paid.")
    amount_cents: int = strawberry.field(description="Amount received, in cents (> 0).")
    received_on: dt.date = strawberry.field(description="Day the money was handed over.")
    invoice_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Invoices to settle, oldest first."
    )
    allocations: list[DeskAllocationInput] = strawberry.field(
        default_factory=list, description="Explicit amounts per invoice (instead of oldest first)."
    )
    cheque: ChequeInput | None = strawberry.field(
        default=None, description="Mode CHEQUE: the cheque (number required)."
    )
    cesu: CesuInput | None = strawberry.field(
        default=None, description="Mode CESU: the titles, or e-CESU."
    )
    reference: str = strawberry.field(
        default="", description="TRANSFER or OTHER: a reference, e.g. the transfer's."
    )
    payer_name: str = strawberry.field(
        default="", description="Who paid; empty = the invoices' payer."
    )
    email: str = strawberry.field(
        default="", description="Where the receipt goes; empty = the household's payer."
    )
    note: str = strawberry.field(default="", description="Staff note.")


@strawberry.type(description="Result of `recordDeskPayment` and `cancelDeskPayment`.")
class DeskPaymentPayload:
    desk_payment: DeskPayment | None = strawberry.field(
        default=None, description="Recorded or cancelled."
    )
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(
        description="Staff (régisseur): record a payment received at the régie's desk for "
        "invoices of one household and régie, settle them (partially if need be) and keep "
        "any overpayment as the household's credit; a receipt is mailed to the payer."
    )
    @handles_errors()
    async def record_desk_payment(
        self,
        info: Info,
        input: Annotated[DeskPaymentInput, strawberry.argument(description="The payment.")],
    ) -> DeskPaymentPayload:
        cheque = input.cheque or ChequeInput(number="")
        cesu = input.cesu or CesuInput()
        recorded = await desk.record_desk_payment(
            info.context.account,
            desk.DeskForm(
                household_id=decode_id(input.household_id, "Household", field="householdId"),
                mode=input.mode,
                amount_cents=input.amount_cents,
                received_on=input.received_on,
                invoice_ids=[
                    decode_id(i, "Invoice", field="invoiceIds") for i in input.invoice_ids
                ],
                allocations=[
                    (
                        decode_id(a.invoice_id, "Invoice", field="allocations"),
                        a.amount_cents,
                    )
                    for a in input.allocations
                ],
                payer_name=input.payer_name,
                email=input.email,
                cheque_bank=cheque.bank,
                cheque_number=cheque.number,
                cheque_drawer=cheque.drawer,
                cesu_electronic=cesu.electronic,
                cesu_titles=cesu.title_numbers,
                reference=input.reference,
                note=input.note,
            ),
            clock=info.context.clock,
        )
        return DeskPaymentPayload(
            desk_payment=DeskPayment.from_receipt(await desk.load_receipt(recorded))
        )

    @strawberry.mutation(
        description="Staff: cancel a desk payment (never edited): its invoices are due "
        "again and its credit is removed; refused once its credit settled a later invoice."
    )
    @handles_errors()
    async def cancel_desk_payment(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The desk payment.")],
        reason: Annotated[str, strawberry.argument(description="Why, for the audit trail.")],
    ) -> DeskPaymentPayload:
        cancelled = await desk.cancel_desk_payment(
            info.context.account,
            decode_id(id, "DeskPayment", field="id"),
            reason,
            clock=info.context.clock,
        )
        return DeskPaymentPayload(
            desk_payment=DeskPayment.from_receipt(await desk.load_receipt(cancelled))
        )

    @strawberry.mutation(description="Staff: set the online-payment provider of a régie.")
    @handles_errors()
    async def set_payment_setup(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
        input: Annotated[PaymentSetupInput, strawberry.argument(description="Provider.")],
    ) -> PaymentSetupPayload:
        setup = await payments.save_payment_setup(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            payments.SetupForm(
                provider=input.provider,
                mode=input.mode,
                payzen_site_id=input.payzen_site_id,
                payzen_test_key=input.payzen_test_key,
                payzen_production_key=input.payzen_production_key,
                paybox_site=input.paybox_site,
                paybox_rang=input.paybox_rang,
                paybox_identifiant=input.paybox_identifiant,
                paybox_hmac_key=input.paybox_hmac_key,
                paybox_public_key_pem=input.paybox_public_key_pem,
                payfip_numcli=input.payfip_numcli,
            ),
            clock=info.context.clock,
        )
        return PaymentSetupPayload(
            setup=PaymentSetup.from_model(
                setup, payments.callback_url(PaymentProvider(setup.provider))
            )
        )

    @strawberry.mutation(
        description="Pay one or several open invoices of a household and régie online: "
        "returns the provider's URL and the signed fields. Refused outside the payment "
        "window, when nothing is due, or while a payment of one of them is still open."
    )
    # Not atomic: PayFiP's web service is called over HTTP once the attempt is recorded,
    # and must not hold a transaction (and the invoices' row locks) open meanwhile; a
    # refusal keeps the attempt, cancelled. payments.start_payment has its own transaction.
    @handles_errors(atomic=False)
    async def start_payment(
        self,
        info: Info,
        invoice_ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="The invoices to pay.")
        ],
        amount_cents: Annotated[
            int | None,
            strawberry.argument(description="Pay only this much (cents); null = all due."),
        ] = None,
    ) -> StartPaymentPayload:
        form = await payments.start_payment(
            info.context.account,
            [decode_id(i, "Invoice", field="invoiceIds") for i in invoice_ids],
            payfip_client(),
            amount_cents=amount_cents,
            clock=info.context.clock,
        )
        return StartPaymentPayload(request=PaymentRequest.from_form(form))

    @strawberry.mutation(description="Staff: mark a payment review handled, saying how.")
    @handles_errors()
    async def resolve_payment_review(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The review.")],
        note: Annotated[str, strawberry.argument(description="What was done.")] = "",
    ) -> PaymentReviewPayload:
        review = await payments.resolve_review(
            info.context.account,
            decode_id(id, "PaymentReview", field="id"),
            note,
            clock=info.context.clock,
        )
        return PaymentReviewPayload(review=PaymentReview.from_model(review))
