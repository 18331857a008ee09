"""Direct-debit queries: a household's mandates, a régie's settings and batches."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.pagination import (
    EDGES,
    PAGE_INFO,
    After,
    Edge,
    First,
    PageInfo,
    after_pk,
    connection_fields,
    page_size,
)
from gql.sepa.types import DirectDebitBatch, RejectReason, SepaCreditor, SepaMandate
from resolvers.sepa import direct_debit, sepa_mandates


@strawberry.type(description="A page of a household's mandates, active first then newest.")
class SepaMandateConnection:
    nodes: list[SepaMandate] = strawberry.field(description="Mandates.")
    edges: list[Edge[SepaMandate]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = strawberry.field(description="The household's mandates in all.")


@strawberry.type(description="A page of a régie's direct-debit exports, newest first.")
class DirectDebitBatchConnection:
    nodes: list[DirectDebitBatch] = strawberry.field(description="Exports.")
    edges: list[Edge[DirectDebitBatch]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = strawberry.field(description="Exports matching the filter.")


@strawberry.type
class SepaQueries:
    @strawberry.field(
        description="A household's SEPA mandates, active first (its parents and staff); "
        "the IBAN is masked but its last 4 characters.",
        deprecation_reason="Not paginated: use `sepaMandatesConnection`.",
    )
    async def sepa_mandates(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
    ) -> list[SepaMandate]:
        rows = await sepa_mandates.mandates_of(
            info.context.account, decode_id(household_id, "Household", field="householdId")
        )
        return [SepaMandate.from_model(row) for row in rows]

    @strawberry.field(
        description="A household's SEPA mandates, active first then newest (its parents and "
        "staff), a page at a time; the IBAN is masked but its last 4 characters."
    )
    async def sepa_mandates_connection(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        first: First = None,
        after: After = None,
    ) -> SepaMandateConnection:
        page = await sepa_mandates.mandates_page(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            first=page_size(first),
            after_id=after_pk(after),
        )
        return SepaMandateConnection(
            **connection_fields(
                [SepaMandate.from_model(row) for row in page.rows],
                [row.id for row in page.rows],
                page.has_next,
                after,
            ),
            total_count=page.total,
        )

    @strawberry.field(description="Staff: a régie's direct-debit settings; null = none yet.")
    async def sepa_creditor(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
    ) -> SepaCreditor | None:
        row = await sepa_mandates.creditor_of(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
        )
        return SepaCreditor.from_model(row) if row else None

    @strawberry.field(
        description="Staff: a régie's direct-debit exports, newest first.",
        deprecation_reason="Not paginated: use `directDebitBatchesConnection`.",
    )
    async def direct_debit_batches(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
        month: Annotated[
            dt.date | None, strawberry.argument(description="Only this month (any day of it).")
        ] = None,
    ) -> list[DirectDebitBatch]:
        rows = await direct_debit.batches_of(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            month,
        )
        lines = await direct_debit.lines_of([row.id for row in rows])
        return [DirectDebitBatch.from_model(row, lines[row.id]) for row in rows]

    @strawberry.field(
        description="Staff: a régie's direct-debit exports, newest first, a page at a time."
    )
    async def direct_debit_batches_connection(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
        month: Annotated[
            dt.date | None, strawberry.argument(description="Only this month (any day of it).")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> DirectDebitBatchConnection:
        rows, has_next, total = await direct_debit.batches_page(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            month,
            first=page_size(first),
            after_id=after_pk(after),
        )
        lines = await direct_debit.lines_of([row.id for row in rows])
        return DirectDebitBatchConnection(
            **connection_fields(
                [DirectDebitBatch.from_model(row, lines[row.id]) for row in rows],
                [row.id for row in rows],
                has_next,
                after,
            ),
            total_count=total,
        )

    @strawberry.field(description="The rejection reasons staff can record, with French labels.")
    def direct_debit_reject_reasons(self) -> list[RejectReason]:
        return [
            RejectReason(code=code, label=label)
            for code, label in direct_debit.REJECT_REASONS.items()
        ]
