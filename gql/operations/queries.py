"""Operations queries: the staff's kitchen forecast and attendance sheets (with their signed
download links), and a household's calendar feeds."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.operations.types import (
    AttendanceSheet,
    CalendarFeed,
    DownloadLink,
    HealthNotesReadConnection,
    KitchenForecastDay,
)
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
from resolvers.core import signed_links
from resolvers.households.households import require_staff
from resolvers.operations import attendance, feeds, kitchen


def _link(info: Info, kind: signed_links.LinkKind, params: dict[str, str | None]) -> DownloadLink:
    staff = require_staff(info.context.account)
    url, expires_at = kind.url(staff, params, clock=info.context.clock)
    return DownloadLink(url=url, expires_at=expires_at)


@strawberry.type(description="A page of a household's calendar links, newest first.")
class CalendarFeedConnection:
    nodes: list[CalendarFeed] = strawberry.field(description="Calendar links.")
    edges: list[Edge[CalendarFeed]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = strawberry.field(description="The household's links in all.")


@strawberry.type
class OperationsQueries:
    @strawberry.field(
        description="Staff: meals per site and day with the special diets, read live from the "
        "bookings (late staff changes included); 31 days at most."
    )
    async def kitchen_forecast(
        self,
        info: Info,
        start: Annotated[dt.date, strawberry.argument(name="from", description="First day.")],
        end: Annotated[dt.date, strawberry.argument(name="to", description="Last day.")],
        site_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="One site (default: all).")
        ] = None,
    ) -> list[KitchenForecastDay]:
        rows = await kitchen.kitchen_forecast(
            info.context.account,
            start,
            end,
            site_id=decode_id(site_id, "Site", field="siteId") if site_id else None,
        )
        return [KitchenForecastDay.of(row) for row in rows]

    @strawberry.field(
        description="Staff: a signed link (valid a few minutes) to the same forecast as CSV "
        "(semicolon-separated, UTF-8), for a spreadsheet or the kitchen's software."
    )
    async def kitchen_forecast_export(
        self,
        info: Info,
        start: Annotated[dt.date, strawberry.argument(name="from", description="First day.")],
        end: Annotated[dt.date, strawberry.argument(name="to", description="Last day.")],
        site_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="One site (default: all).")
        ] = None,
    ) -> DownloadLink:
        # Checked now, so that a wrong range fails here rather than on download.
        await kitchen.check_forecast_request(
            info.context.account,
            start,
            end,
            decode_id(site_id, "Site", field="siteId") if site_id else None,
        )
        return _link(
            info,
            signed_links.KITCHEN_CSV,
            {"from": start.isoformat(), "to": end.isoformat(), "site": site_id},
        )

    @strawberry.field(
        description="Staff: the attendance sheets of a site on a day (each open activity, or "
        "one), with who may pick each child up and their health notes and PAI. Every read "
        "is recorded in the audit log."
    )
    async def attendance_sheets(
        self,
        info: Info,
        site_id: Annotated[strawberry.ID, strawberry.argument(description="The site.")],
        date: Annotated[dt.date, strawberry.argument(description="The day.")],
        activity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="One activity (default: all).")
        ] = None,
    ) -> list[AttendanceSheet]:
        sheets = await attendance.attendance_sheets(
            info.context.account,
            decode_id(site_id, "Site", field="siteId"),
            date,
            activity_id=decode_id(activity_id, "Activity", field="activityId")
            if activity_id
            else None,
            via="graphql",
            clock=info.context.clock,
        )
        return [AttendanceSheet.of(sheet) for sheet in sheets]

    @strawberry.field(
        description="Staff: a signed link (valid a few minutes) to the printable PDF of the "
        "same sheets; opening it is recorded in the audit log."
    )
    async def attendance_sheets_pdf(
        self,
        info: Info,
        site_id: Annotated[strawberry.ID, strawberry.argument(description="The site.")],
        date: Annotated[dt.date, strawberry.argument(description="The day.")],
        activity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="One activity (default: all).")
        ] = None,
    ) -> DownloadLink:
        await attendance.check_sheet_request(
            info.context.account,
            decode_id(site_id, "Site", field="siteId"),
            decode_id(activity_id, "Activity", field="activityId") if activity_id else None,
        )
        return _link(
            info,
            signed_links.ATTENDANCE_PDF,
            {"site": site_id, "date": date.isoformat(), "activity": activity_id},
        )

    @strawberry.field(
        description="The household's private calendar links, live and revoked, newest first "
        "(the links themselves are shown only when created).",
        deprecation_reason="Not paginated: use `calendarFeedsConnection`.",
    )
    async def calendar_feeds(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
    ) -> list[CalendarFeed]:
        rows = await feeds.feeds_of(
            info.context.account, decode_id(household_id, "Household", field="householdId")
        )
        return [CalendarFeed.from_model(row, row.child.first_names) for row in rows]

    @strawberry.field(
        description="The household's private calendar links, live and revoked, newest first, "
        "a page at a time (the links themselves are shown only when created)."
    )
    async def calendar_feeds_connection(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        first: First = None,
        after: After = None,
    ) -> CalendarFeedConnection:
        page = await feeds.feeds_page(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            first=page_size(first),
            after_id=after_pk(after),
        )
        return CalendarFeedConnection(
            **connection_fields(
                [CalendarFeed.from_model(row, row.child.first_names) for row in page.rows],
                [row.id for row in page.rows],
                page.has_next,
                after,
            ),
            total_count=page.total,
        )

    @strawberry.field(
        description="Admins: who read a child's health notes (attendance sheets on screen or "
        "printed, or the family file), when, latest first."
    )
    async def health_notes_reads(
        self,
        info: Info,
        child_id: Annotated[strawberry.ID, strawberry.argument(description="The child.")],
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> HealthNotesReadConnection:
        page = await attendance.health_reads(
            info.context.account,
            decode_id(child_id, "Child", field="childId"),
            first=page_size(first),
            after_id=after_pk(after),
        )
        return HealthNotesReadConnection.of(page, after)
