"""What was paid: a household's tax certificates and the régies' month totals."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.accounting.types import BillingMonthTotals, TaxCertificate
from gql.context import Info
from gql.ids import decode_id
from resolvers.billing import billing_totals, tax_certificates


@strawberry.type
class AccountingQueries:
    @strawberry.field(
        description="A household's « attestations de frais de garde » of a year, one per "
        "child under 6 on 1 January with childcare paid (its parents and staff)."
    )
    async def tax_certificates(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        year: Annotated[int, strawberry.argument(description="Year of payment, e.g. 2026.")],
    ) -> list[TaxCertificate]:
        rows = await tax_certificates.certificates_of(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            year,
            clock=info.context.clock,
        )
        return [TaxCertificate.from_certificate(row) for row in rows]

    @strawberry.field(
        description="Staff: per-régie totals of a month billed: invoiced, credit notes, "
        "settled, still due, number of invoices."
    )
    async def billing_month_totals(
        self,
        info: Info,
        month: Annotated[dt.date, strawberry.argument(description="Any day of the month.")],
        authority_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this régie.")
        ] = None,
    ) -> list[BillingMonthTotals]:
        rows = await billing_totals.month_totals(
            info.context.account,
            month,
            decode_id(authority_id, "BillingAuthority", field="authorityId")
            if authority_id
            else None,
        )
        return [BillingMonthTotals.from_totals(row) for row in rows]
