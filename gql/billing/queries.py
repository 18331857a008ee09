"""Billing queries: the public price simulation, staff grids and sheets, invoices."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.billing.types import (
    AttendanceEntry,
    BillingAuthority,
    Invoice,
    PriceSimulation,
    Tariff,
)
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
from models.billing import Invoice as InvoiceModel
from models.billing import InvoiceDelivery
from resolvers.billing import billing, invoices
from resolvers.billing.invoices import InvoiceFilter
from resolvers.core.clock import Clock
from resolvers.operations import attendance_records


@strawberry.type(
    description="A page of the price grid, by activity, residents first, date and bracket."
)
class TariffConnection:
    nodes: list[Tariff] = strawberry.field(description="Tariffs.")
    edges: list[Edge[Tariff]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = strawberry.field(description="Tariffs matching the filter.")


@strawberry.input(description="An activity planned on some weekdays.")
class WeeklyChoiceInput:
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    weekdays: list[int] = strawberry.field(description="Days of the week, 0 = Monday.")


@strawberry.type(description="A page of invoices, newest first.")
class InvoiceConnection:
    nodes: list[Invoice] = strawberry.field(description="Invoices.")
    edges: list[Edge[Invoice]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Invoices matching the filter.")


async def load_invoices(rows: list[InvoiceModel], clock: Clock) -> list[Invoice]:
    """Invoices with their lines and their town's time zone, in two statements."""
    lines = await invoices.lines_of([row.id for row in rows])
    zones = await invoices.time_zones({row.tenant_id for row in rows})
    return [Invoice.from_model(row, lines[row.id], clock, zones[row.tenant_id]) for row in rows]


@strawberry.type
class BillingQueries:
    @strawberry.field(
        description="Public « Simulation des tarifs »: prices of a weekly pattern for a family "
        "quotient, a week and an average school month. No login needed."
    )
    async def price_simulation(
        self,
        info: Info,
        town: Annotated[str, strawberry.argument(description="Town slug.")],
        pattern: Annotated[
            list[WeeklyChoiceInput], strawberry.argument(description="Activities × weekdays.")
        ],
        quotient: Annotated[
            int | None,
            strawberry.argument(description="Quotient familial (euros); null = maximum tariff."),
        ] = None,
        resident: Annotated[
            bool, strawberry.argument(description="Living in the town (resident prices).")
        ] = True,
        date: Annotated[
            dt.date | None, strawberry.argument(description="Prices in force that day; today.")
        ] = None,
    ) -> PriceSimulation:
        result = await billing.simulate_prices(
            town,
            quotient,
            resident,
            [
                billing.WeeklyChoice(
                    decode_id(choice.activity_id, "Activity", field="activityId"),
                    choice.weekdays,
                )
                for choice in pattern
            ],
            on=date,
            clock=info.context.clock,
        )
        return PriceSimulation.from_result(result)

    @strawberry.field(description="Staff: the town's régies.")
    async def billing_authorities(self, info: Info) -> list[BillingAuthority]:
        rows = await billing.billing_authorities(info.context.account)
        return [BillingAuthority.from_model(row) for row in rows]

    @strawberry.field(
        description="Staff: the price grid, of one activity or all.",
        deprecation_reason="Not paginated: use `tariffsConnection`.",
    )
    async def tariffs(
        self,
        info: Info,
        activity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this activity.")
        ] = None,
    ) -> list[Tariff]:
        rows = await billing.tariffs_of(
            info.context.account,
            decode_id(activity_id, "Activity", field="activityId") if activity_id else None,
        )
        return [Tariff.from_model(row) for row in rows]

    @strawberry.field(
        description="Staff: the price grid, of one activity or all, by activity, residents "
        "first, date and bracket, a page at a time."
    )
    async def tariffs_connection(
        self,
        info: Info,
        activity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this activity.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> TariffConnection:
        page = await billing.tariffs_page(
            info.context.account,
            decode_id(activity_id, "Activity", field="activityId") if activity_id else None,
            first=page_size(first),
            after_id=after_pk(after),
        )
        return TariffConnection(
            **connection_fields(
                [Tariff.from_model(row) for row in page.rows],
                [row.id for row in page.rows],
                page.has_next,
                after,
            ),
            total_count=page.total,
        )

    @strawberry.field(
        description="Staff: the attendance sheet of a site, activity and day: booked children "
        "and those recorded, with what was recorded."
    )
    async def attendance(
        self,
        info: Info,
        site_id: Annotated[strawberry.ID, strawberry.argument(description="The site.")],
        activity_id: Annotated[strawberry.ID, strawberry.argument(description="The activity.")],
        day: Annotated[dt.date, strawberry.argument(description="The day.")],
    ) -> list[AttendanceEntry]:
        rows = await attendance_records.attendance_sheet(
            info.context.account,
            decode_id(site_id, "Site", field="siteId"),
            decode_id(activity_id, "Activity", field="activityId"),
            day,
        )
        return [AttendanceEntry.from_row(row) for row in rows]

    @strawberry.field(
        description="Invoices, newest first: a household's (parents: their own), or staff: "
        "the town's when no household is given."
    )
    async def invoices(
        self,
        info: Info,
        household_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The household.")
        ] = None,
        status: Annotated[
            InvoiceFilter, strawberry.argument(description="ALL, UNPAID or PAID.")
        ] = InvoiceFilter.ALL,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
        delivery: Annotated[
            InvoiceDelivery | None,
            strawberry.argument(description="Only those mailed (EMAIL) or to print (PRINT)."),
        ] = None,
    ) -> InvoiceConnection:
        rows, has_next, total = await invoices.invoices_of(
            info.context.account,
            decode_id(household_id, "Household", field="householdId") if household_id else None,
            status,
            first=page_size(first),
            after_id=after_pk(after),
            delivery=delivery,
        )
        return InvoiceConnection(
            **connection_fields(
                await load_invoices(rows, info.context.clock),
                [row.id for row in rows],
                has_next,
                after,
            ),
            total_count=total,
        )

    @strawberry.field(description="One invoice with its lines, what is still due, its PDF.")
    async def invoice(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The invoice.")],
    ) -> Invoice:
        row = await invoices.invoice_for(info.context.account, decode_id(id, "Invoice", field="id"))
        [loaded] = await load_invoices([row], info.context.clock)
        return loaded

    @strawberry.field(description="Dashboard: « Vous avez N facture(s) non réglée(s) ».")
    async def unpaid_invoice_count(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
    ) -> int:
        return await invoices.unpaid_count(
            info.context.account, decode_id(household_id, "Household", field="householdId")
        )
