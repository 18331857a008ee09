"""The kitchen forecast and the attendance sheets cost a fixed number of SQL statements,
however many children are booked (no N+1): the morning's busiest reads."""

from datetime import date, timedelta

from gql.ids import encode_id
from resolvers.calendar.bookings import BookingAction
from resolvers.core.clock import FrozenClock
from resolvers.households.consents import ConsentTypeForm, save_consent_type
from tests.conftest import GraphQL
from tests.factories import token_for
from tests.ops_factories import OpsTown, change, make_ops_town
from tests.sql_count import count_queries

FORECAST = """
query { kitchenForecast(from: "2026-11-30", to: "2026-12-11") { date meals pai } }
"""
SHEETS = """
query($siteId: ID!) {
  attendanceSheets(siteId: $siteId, date: "2026-12-03") {
    expectedCount children { firstNames healthNotes pickups { name phone } }
  }
}
"""
# The canteen days of two weeks (Monday, Tuesday, Thursday, Friday).
WEEKS = [date(2026, 11, 30) + timedelta(days=n) for n in range(12) if n % 7 in (0, 1, 3, 4)]

# Bearer-token lookup 1, the site check none (all sites), openings 1, town calendar 1,
# booked days 1.
FORECAST_STATEMENTS = 4
# Bearer-token lookup 1, site 1, tenant 1, openings 1, town calendar 1, activities 1, booked
# days 1, guardians 1, pick-up contacts 1, consent types 1, consent answers 1, audit entries 1.
SHEETS_STATEMENTS = 12


async def book(town: OpsTown, children: list[str], clock: FrozenClock) -> None:
    for child in children:
        family = town.household_of(child).name.removeprefix("Famille ")
        await change(town, town.parents[family], child, WEEKS, BookingAction.BOOK, clock)


async def test_the_forecast_and_the_sheets_do_not_grow_with_the_children(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_ops_town(clock)
    await save_consent_type(town.staff, ConsentTypeForm("Droit à l'image"), clock=clock)
    token = await token_for(town.staff, clock)
    site = {"siteId": encode_id("Site", town.catalogue.site.id)}
    counts = []
    for children in (["Léa"], ["Hugo", "Inès", "Noé", "Jade", "Tom"]):
        await book(town, children, clock)
        async with count_queries() as forecast:
            result = await api(FORECAST, token=token)
        assert "errors" not in result, result
        async with count_queries() as sheets:
            result = await api(SHEETS, site, token=token)
        assert "errors" not in result, result
        counts.append((forecast.count, sheets.count))
    assert counts == [(FORECAST_STATEMENTS, SHEETS_STATEMENTS)] * 2
    assert result["data"]["attendanceSheets"][0]["expectedCount"] == 6
