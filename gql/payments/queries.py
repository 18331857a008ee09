"""Payment queries: a household's payment history, staff review list and set-up, desk
payments and a household's credit at a régie."""

from typing import Annotated

import strawberry

from gql.billing.types import Money
from gql.context import Info
from gql.ids import decode_id
from gql.pagination import EDGES, Edge, PageInfo, after_pk, connection_fields, page_size
from gql.payments.types import DeskPayment, Payment, PaymentReview, PaymentSetup
from models.payments import PaymentProvider
from resolvers.payments import desk, payments

First = Annotated[
    int | None, strawberry.argument(description="Page size (default 20, at most 100).")
]
After = Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")]


@strawberry.type(description="A page of a household's payments, newest first.")
class PaymentConnection:
    nodes: list[Payment] = strawberry.field(description="Payments and refunds.")
    edges: list[Edge[Payment]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Payments in all.")


@strawberry.type(description="A page of payments to review, oldest first.")
class PaymentReviewConnection:
    nodes: list[PaymentReview] = strawberry.field(description="Payments to review.")
    edges: list[Edge[PaymentReview]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Reviews matching the filter.")


@strawberry.type
class PaymentQueries:
    @strawberry.field(
        description="Payments (online and at the desk) and refunds of a household, newest "
        "first (200 at most), with the invoices each settled.",
        deprecation_reason="Capped at 200: use `paymentsConnection`, paginated.",
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
        description="Payments (online and at the desk) and refunds of a household, newest "
        "first, with the invoices each settled, a page at a time."
    )
    async def payments_connection(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="The household.")],
        first: First = None,
        after: After = None,
    ) -> PaymentConnection:
        entries, has_next, total = await payments.payments_page(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            first=page_size(first),
            after_id=after_pk(after),
        )
        return PaymentConnection(
            **connection_fields(
                [Payment.from_entry(entry) for entry in entries],
                [entry.payment.id for entry in entries],
                has_next,
                after,
            ),
            total_count=total,
        )

    @strawberry.field(
        description="Staff: payments to review (amount mismatch, refund needed, late, "
        "reversed), oldest first (500 at most).",
        deprecation_reason="Capped at 500: use `paymentsToReviewConnection`, paginated.",
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

    @strawberry.field(
        description="Staff: payments to review (amount mismatch, refund needed, late, "
        "reversed), oldest first, a page at a time."
    )
    async def payments_to_review_connection(
        self,
        info: Info,
        resolved: Annotated[
            bool, strawberry.argument(description="True: the ones already handled.")
        ] = False,
        first: First = None,
        after: After = None,
    ) -> PaymentReviewConnection:
        rows, has_next, total = await payments.reviews_page(
            info.context.account,
            resolved=resolved,
            first=page_size(first),
            after_id=after_pk(after),
        )
        return PaymentReviewConnection(
            **connection_fields(
                [PaymentReview.from_model(row) for row in rows],
                [row.id for row in rows],
                has_next,
                after,
            ),
            total_count=total,
        )

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
