"""Calendar-area queries: the town's catalogue and a household's calendar."""

from collections.abc import Sequence
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
from models.accounts import Account
from resolvers.accounts.accounts import get_town
from resolvers.calendar.calendar import household_calendar
from resolvers.calendar.catalogue import town_catalogue
from resolvers.core.clock import Clock


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
        return await calendar_lines(
            info.context.account, household_id, start, end, child_ids, clock=info.context.clock
        )


async def calendar_lines(
    account: Account | None,
    household_id: str,
    start: date,
    end: date,
    child_ids: Sequence[str] | None = None,
    *,
    clock: Clock,
) -> list[CalendarLine]:
    """``calendar``'s answer, for the field's resolver and for the mobile app's compiled
    document (gql/mobile/compiled.py), which serialises these same lines straight to JSON:
    one place for the ids' decoding, the access rule and the days' evaluation."""
    household = decode_id(household_id, "Household", field="householdId")
    lines = await household_calendar(
        account,
        household,
        start,
        end,
        calendar_day,
        clock=clock,
        child_ids=[decode_id(c, "Child", field="childIds") for c in child_ids]
        if child_ids
        else None,
    )
    pricing = CalendarPrices(household, sorted({line.enrollment.activity_id for line in lines}))
    return [CalendarLine.from_row(line, pricing) for line in lines]
