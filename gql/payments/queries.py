"""Payment queries: a household's payment history, staff review list and set-up, desk
payments and a household's credit at a régie."""

from typing import Annotated

import strawberry

from gql.billing.types import Money
from gql.context import Info
from gql.ids import decode_id
from gql.payments.types import DeskPayment, Payment, PaymentReview, PaymentSetup
from models.payments import PaymentProvider
from resolvers.payments import desk, payments


@strawberry.type
class PaymentQueries:
    @strawberry.field(
        description="Payments (online and at the desk) and refunds of a household, newest "
        "first (200 at most), with the invoices each settled."
    )
    async def payments(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="The household.")],
    ) -> list[Payment]:
        entries = await payments.payments_of(
            info.context.account, decode_id(household_id, "Household", field="householdId")
        )
        return [Payment.from_entry(entry) for entry in entries]

    @strawberry.field(
        description="A payment received at the régie's desk, with its receipt link (the "
        "household's parents and the town's staff)."
    )
    async def desk_payment(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The desk payment.")],
    ) -> DeskPayment:
        found = await desk.desk_payment_for(
            info.context.account, decode_id(id, "DeskPayment", field="id")
        )
        return DeskPayment.from_receipt(await desk.load_receipt(found))

    @strawberry.field(
        description="A household's credit at a régie (desk overpayments not yet used by "
        "its invoices), applied to its next invoices when they are issued."
    )
    async def household_credit(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="The household.")],
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
    ) -> Money:
        cents = await desk.household_credit(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
        )
        return Money.of(cents)

    @strawberry.field(
        description="Staff: payments to review (amount mismatch, refund needed, late, "
        "reversed), oldest first."
    )
    async def payments_to_review(
        self,
        info: Info,
        resolved: Annotated[
            bool, strawberry.argument(description="True: the ones already handled.")
        ] = False,
    ) -> list[PaymentReview]:
        rows = await payments.reviews_of(info.context.account, resolved=resolved)
        return [PaymentReview.from_model(row) for row in rows]

    @strawberry.field(description="Staff: a régie's online-payment provider; null = none.")
    async def payment_setup(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
    ) -> PaymentSetup | None:
        setup = await payments.payment_setup_of(
            info.context.account, decode_id(authority_id, "BillingAuthority", field="authorityId")
        )
        if setup is None:
            return None
        return PaymentSetup.from_model(
            setup, payments.callback_url(PaymentProvider(setup.provider))
        )
