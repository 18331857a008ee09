"""Calendar-area queries: the town's catalogue and a household's calendar."""

from datetime import date
from typing import Annotated

import strawberry

from gql.calendar.types import (
    Activity,
    CalendarLine,
    CalendarPrices,
    Period,
    Site,
    calendar_day,
)
from gql.context import Info
from gql.ids import decode_id
from resolvers.accounts.accounts import get_town
from resolvers.calendar.calendar import household_calendar
from resolvers.calendar.catalogue import town_catalogue


@strawberry.type(description="What a town offers: activities, sites and periods.")
class Catalogue:
    activities: list[Activity] = strawberry.field(description="Activities, by code.")
    sites: list[Site] = strawberry.field(description="Sites, by name.")
    periods: list[Period] = strawberry.field(description="Periods, latest first.")


@strawberry.type
class CalendarQueries:
    @strawberry.field(description="A town's catalogue; public, as on the town's website.")
    async def catalogue(
        self, town: Annotated[str, strawberry.argument(description="Town slug.")]
    ) -> Catalogue:
        offer = await town_catalogue((await get_town(town)).id)
        return Catalogue(
            activities=[Activity.from_model(row) for row in offer.activities],
            sites=[Site.from_model(row) for row in offer.sites],
            periods=[Period.from_model(row) for row in offer.periods],
        )

    @strawberry.field(
        description="Every day × activity of the household's children between two dates "
        "(a day to a school year, 400 days at most), with its state, until when it can "
        "change, and why not when it cannot. Constant SQL cost whatever the range."
    )
    async def calendar(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        start: Annotated[date, strawberry.argument(name="from", description="First day.")],
        end: Annotated[date, strawberry.argument(name="to", description="Last day.")],
        child_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="Only these children (default: all)."),
        ] = None,
    ) -> list[CalendarLine]:
        household = decode_id(household_id, "Household", field="householdId")
        lines = await household_calendar(
            info.context.account,
            household,
            start,
            end,
            calendar_day,
            clock=info.context.clock,
            child_ids=[decode_id(c, "Child", field="childIds") for c in child_ids]
            if child_ids
            else None,
        )
        pricing = CalendarPrices(household, sorted({line.enrollment.activity_id for line in lines}))
        return [CalendarLine.from_row(line, pricing) for line in lines]
