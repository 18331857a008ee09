"""What staff do daily in GraphQL: edit and delete the catalogue (sites, periods, openings,
closures), find a family by a child, list the children expected at a site on a day."""

from datetime import date
from typing import Annotated

import strawberry

from gql.calendar.mutations import CatalogueItemPayload
from gql.calendar.types import Activity, Period, Site
from gql.context import Info
from gql.enums import Diet, SiteKind
from gql.errors import CalendarError, handles_errors
from gql.households.types import Child, Household, HouseholdConnection
from gql.ids import decode_id, encode_id
from gql.pagination import EDGES, PAGE_INFO, Edge, PageInfo, after_pk, connection_fields, page_size
from models import catalogue as m
from resolvers.calendar import catalogue_edits, directory
from resolvers.calendar.booking_rules import weekday_mask


@strawberry.type(description="An activity open at a site over a period.")
class Opening:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    activity: Activity = strawberry.field(description="The activity.")
    site: Site = strawberry.field(description="Where.")
    period: Period = strawberry.field(description="When.")
    weekdays: list[int] = strawberry.field(description="Open weekdays, 0 = Monday … 6.")
    capacity: int | None = strawberry.field(description="Children per day; null = no limit.")

    @classmethod
    def from_model(cls, row: m.Opening) -> "Opening":
        return cls(
            id=strawberry.ID(encode_id("Opening", row.id)),
            activity=Activity.from_model(row.activity),
            site=Site.from_model(row.site),
            period=Period.from_model(row.period),
            weekdays=[day for day in range(7) if row.weekdays & weekday_mask([day])],
            capacity=row.capacity,
        )


@strawberry.type(description="An exceptional closure or opening of one day.")
class CalendarException:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    day: date = strawberry.field(description="The day.")
    is_open: bool = strawberry.field(description="True: an exceptional opening.")
    label: str = strawberry.field(description="Reason shown to families.")
    activity_id: strawberry.ID | None = strawberry.field(
        description="Only this activity; null = every activity."
    )
    site_id: strawberry.ID | None = strawberry.field(
        description="Only this site; null = every site."
    )

    @classmethod
    def from_model(cls, row: m.CalendarException) -> "CalendarException":
        return cls(
            id=strawberry.ID(encode_id("CalendarException", row.id)),
            day=row.day,
            is_open=row.is_open,
            label=row.label,
            activity_id=strawberry.ID(encode_id("Activity", row.activity_id))
            if row.activity_id
            else None,
            site_id=strawberry.ID(encode_id("Site", row.site_id)) if row.site_id else None,
        )


@strawberry.type(description="A child expected at a site on a day, for one activity.")
class ExpectedChild:
    id: strawberry.ID = strawberry.field(description="The booking's id (stable cursor).")
    child: Child = strawberry.field(description="The child, with class, diet and PAI.")
    household: Household = strawberry.field(description="The child's family file.")
    activity: Activity = strawberry.field(description="The activity booked.")
    on_waiting_list: bool = strawberry.field(description="Waiting for a place, not booked.")


@strawberry.type(description="A page of the children expected at a site on a day.")
class ExpectedChildConnection:
    nodes: list[ExpectedChild] = strawberry.field(description="The lines of this page.")
    edges: list[Edge[ExpectedChild]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = strawberry.field(description="Number of matching lines.")


@strawberry.type(description="Result of a deletion.")
class DeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="Id of what was deleted."
    )
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why it failed (IN_USE: what depends on it)."
    )


@strawberry.type
class StaffDeskQueries:
    @strawberry.field(description="Staff: a period's openings, by activity code and site name.")
    async def openings(
        self,
        info: Info,
        period_id: Annotated[strawberry.ID, strawberry.argument(description="Period.")],
    ) -> list[Opening]:
        rows = await catalogue_edits.period_openings(
            info.context.account, decode_id(period_id, "Period", field="periodId")
        )
        return [Opening.from_model(row) for row in rows]

    @strawberry.field(
        description="Staff: the town's closures and exceptional openings between two days "
        "(400 days at most), by day."
    )
    async def calendar_exceptions(
        self,
        info: Info,
        start: Annotated[date, strawberry.argument(name="from", description="First day.")],
        end: Annotated[date, strawberry.argument(name="to", description="Last day.")],
    ) -> list[CalendarException]:
        rows = await catalogue_edits.calendar_exceptions(info.context.account, start, end)
        return [CalendarException.from_model(row) for row in rows]

    @strawberry.field(
        description="Staff: the town's families with a child matching every criterion given "
        "(at least one): part of the child's name (accents and case ignored), birth date, "
        "part of the name of a school the child is or was enrolled at. In file order."
    )
    async def find_families(
        self,
        info: Info,
        child_name: Annotated[
            str, strawberry.argument(description="Part of a child's first or last name.")
        ] = "",
        birth_date: Annotated[
            date | None, strawberry.argument(description="A child's birth date.")
        ] = None,
        school: Annotated[
            str, strawberry.argument(description="Part of the name of the child's school.")
        ] = "",
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> HouseholdConnection:
        page = await directory.find_families(
            info.context.account,
            child_name=child_name,
            birth_date=birth_date,
            school=school,
            first=page_size(first),
            after_id=after_pk(after),
        )
        return HouseholdConnection(
            **connection_fields(
                [Household.from_model(row) for row in page.households],
                [row.id for row in page.households],
                page.has_next,
                after,
            ),
            total_count=page.total,
        )

    @strawberry.field(
        description="Staff: the children booked at a site on a day, one line per child and "
        "activity, in booking order, with filters; the waiting list on demand."
    )
    async def site_children(
        self,
        info: Info,
        site_id: Annotated[strawberry.ID, strawberry.argument(description="The site.")],
        day: Annotated[date, strawberry.argument(description="The day.")],
        activity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this activity.")
        ] = None,
        child_name: Annotated[
            str, strawberry.argument(description="Part of the child's name (accents ignored).")
        ] = "",
        school_class: Annotated[
            str, strawberry.argument(description="Only this class (CP, CE1…).")
        ] = "",
        diet: Annotated[Diet | None, strawberry.argument(description="Only this diet.")] = None,
        has_pai: Annotated[
            bool | None, strawberry.argument(description="Only children with (or without) a PAI.")
        ] = None,
        with_waiting_list: Annotated[
            bool, strawberry.argument(description="Also the children on the waiting list.")
        ] = False,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> ExpectedChildConnection:
        page = await directory.site_children(
            info.context.account,
            decode_id(site_id, "Site", field="siteId"),
            day,
            directory.ChildFilters(
                activity_id=decode_id(activity_id, "Activity", field="activityId")
                if activity_id
                else None,
                child_name=child_name,
                school_class=school_class,
                diet=diet,
                has_pai=has_pai,
                with_waiting_list=with_waiting_list,
            ),
            first=page_size(first),
            after_id=after_pk(after),
        )
        nodes = [
            ExpectedChild(
                id=strawberry.ID(encode_id("Booking", item.booking_id)),
                child=Child.from_model(item.child),
                household=Household.from_model(item.household),
                activity=Activity.from_model(item.activity),
                on_waiting_list=item.on_waiting_list,
            )
            for item in page.items
        ]
        return ExpectedChildConnection(
            **connection_fields(nodes, [i.booking_id for i in page.items], page.has_next, after),
            total_count=page.total,
        )


@strawberry.type
class StaffDeskMutations:
    @strawberry.mutation(description="Staff: rename a site, change its kind or address.")
    @handles_errors()
    async def update_site(
        self,
        info: Info,
        site_id: Annotated[strawberry.ID, strawberry.argument(description="The site.")],
        name: Annotated[str, strawberry.argument(description="Name shown to families.")],
        kind: Annotated[SiteKind, strawberry.argument(description="Kind of place.")],
        address: Annotated[str, strawberry.argument(description="Postal address.")] = "",
    ) -> CatalogueItemPayload:
        site = await catalogue_edits.update_site(
            info.context.account,
            decode_id(site_id, "Site", field="siteId"),
            name,
            kind,
            address,
            clock=info.context.clock,
        )
        return CatalogueItemPayload(site=Site.from_model(site))

    @strawberry.mutation(
        description="Staff: delete a site with its openings and closures; refused (IN_USE, "
        "saying what depends on it) once children were enrolled, booked or called there."
    )
    @handles_errors()
    async def delete_site(
        self,
        info: Info,
        site_id: Annotated[strawberry.ID, strawberry.argument(description="The site.")],
    ) -> DeletePayload:
        await catalogue_edits.delete_site(
            info.context.account,
            decode_id(site_id, "Site", field="siteId"),
            clock=info.context.clock,
        )
        return DeletePayload(deleted_id=site_id)

    @strawberry.mutation(
        description="Staff: rename a period or move its dates; refused (IN_USE) when booked "
        "days or roll calls would fall outside it."
    )
    @handles_errors()
    async def update_period(
        self,
        info: Info,
        period_id: Annotated[strawberry.ID, strawberry.argument(description="The period.")],
        name: Annotated[str, strawberry.argument(description="« Année scolaire 2026-2027 ».")],
        starts_on: Annotated[date, strawberry.argument(description="First day.")],
        ends_on: Annotated[date, strawberry.argument(description="Last day.")],
    ) -> CatalogueItemPayload:
        period = await catalogue_edits.update_period(
            info.context.account,
            decode_id(period_id, "Period", field="periodId"),
            name,
            starts_on,
            ends_on,
            clock=info.context.clock,
        )
        return CatalogueItemPayload(period=Period.from_model(period))

    @strawberry.mutation(
        description="Staff: delete a period and its openings; refused (IN_USE) while children "
        "are enrolled in it, or booked, called or invoiced on its days."
    )
    @handles_errors()
    async def delete_period(
        self,
        info: Info,
        period_id: Annotated[strawberry.ID, strawberry.argument(description="The period.")],
    ) -> DeletePayload:
        await catalogue_edits.delete_period(
            info.context.account,
            decode_id(period_id, "Period", field="periodId"),
            clock=info.context.clock,
        )
        return DeletePayload(deleted_id=period_id)

    @strawberry.mutation(
        description="Staff: stop an activity at a site for a period; refused (IN_USE) while "
        "children are enrolled in it, or booked, called or invoiced on its days. "
        "`setOpening` changes its weekdays and capacity."
    )
    @handles_errors()
    async def delete_opening(
        self,
        info: Info,
        opening_id: Annotated[strawberry.ID, strawberry.argument(description="The opening.")],
    ) -> DeletePayload:
        await catalogue_edits.delete_opening(
            info.context.account,
            decode_id(opening_id, "Opening", field="openingId"),
            clock=info.context.clock,
        )
        return DeletePayload(deleted_id=opening_id)

    @strawberry.mutation(
        description="Staff: change a closure or exceptional opening. Its label always "
        "changes; an exceptional opening on which children are booked keeps its day and "
        "scope (IN_USE)."
    )
    @handles_errors()
    async def update_calendar_exception(
        self,
        info: Info,
        exception_id: Annotated[
            strawberry.ID, strawberry.argument(description="The closure or opening.")
        ],
        day: Annotated[date, strawberry.argument(description="The day.")],
        is_open: Annotated[bool, strawberry.argument(description="True opens, false closes.")],
        label: Annotated[str, strawberry.argument(description="Reason shown to families.")],
        activity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this activity.")
        ] = None,
        site_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this site.")
        ] = None,
    ) -> CatalogueItemPayload:
        exception = await catalogue_edits.update_calendar_exception(
            info.context.account,
            decode_id(exception_id, "CalendarException", field="exceptionId"),
            catalogue_edits.ExceptionForm(
                day=day,
                is_open=is_open,
                label=label,
                activity_id=decode_id(activity_id, "Activity", field="activityId")
                if activity_id
                else None,
                site_id=decode_id(site_id, "Site", field="siteId") if site_id else None,
            ),
            clock=info.context.clock,
        )
        return CatalogueItemPayload(id=strawberry.ID(encode_id("CalendarException", exception.id)))

    @strawberry.mutation(
        description="Staff: delete a closure (the day opens again as usual) or an exceptional "
        "opening (refused, IN_USE, while children are booked on it)."
    )
    @handles_errors()
    async def delete_calendar_exception(
        self,
        info: Info,
        exception_id: Annotated[
            strawberry.ID, strawberry.argument(description="The closure or opening.")
        ],
    ) -> DeletePayload:
        await catalogue_edits.delete_calendar_exception(
            info.context.account,
            decode_id(exception_id, "CalendarException", field="exceptionId"),
            clock=info.context.clock,
        )
        return DeletePayload(deleted_id=exception_id)
