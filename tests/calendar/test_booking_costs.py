"""What a change costs before it is made: the preview and the submit answer each child's
booked and cancelled days at the household's price, as the invoice run bills them, and
the calendar shows a day's price when asked (never computed otherwise)."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from gql.ids import encode_id
from models.authorities import BillingAuthority
from models.households import Child, Household
from resolvers.core.clock import FrozenClock
from tests.billing_factories import HIGH_PRICE, LOW_PRICE, Family, make_billing_town, make_family
from tests.conftest import Backend, GraphQL
from tests.factories import token_for
from tests.sql_count import count_queries

COST = """
cost {
  total { cents text } label
  children { child { firstNames } bookedDays cancelledDays unpricedDays amount { cents } label }
}
"""
PREVIEW = """
mutation($householdId: ID!, $input: BookingChangesInput!) {
  previewBookingChanges(householdId: $householdId, input: $input) { summary %s }
}
"""
SUBMIT = """
mutation($householdId: ID!, $input: BookingChangesInput!) {
  submitBookingChanges(householdId: $householdId, input: $input) { summary %s }
}
"""
CALENDAR = """
query($householdId: ID!) {
  calendar(householdId: $householdId, from: "2026-12-01", to: "2026-12-04") {
    days { date status } prices { cents text }
  }
}
"""
# Monday, Tuesday, Thursday and Friday of 1-18 December, before Christmas: 11 canteen days.
DECEMBER = ("2026-12-01", "2026-12-18")


@dataclass
class Setup:
    family: Family
    token: str  # the parent's
    name: str  # the child's
    canteen_id: int


def changes(setup: Setup, action: str, start: str, end: str) -> dict[str, Any]:
    """A recurrence of the family's child at the canteen (its only enrolment)."""
    family = setup.family
    recurrence = {
        "childId": encode_id("Child", family.child_id),
        "activityId": encode_id("Activity", setup.canteen_id),
        "action": action,
        "from": start,
        "to": end,
        "weekdays": [0, 1, 3, 4],
    }
    return {
        "householdId": encode_id("Household", family.household.id),
        "input": {"recurrences": [recurrence]},
    }


async def town_and_family(clock: FrozenClock, **household: Any) -> Setup:
    """A billing town (2,50 € a meal up to a quotient of 700 €, 4,00 € above or without
    one), a family with its canteen booked in October, its parent's token, the child's name."""
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    if household:
        await Household.filter(id=family.household.id).update(**household)
    child = await Child.get(id=family.child_id)
    token = await token_for(family.parent, clock)
    return Setup(family, token, child.first_names, town.catalogue.canteen.id)


async def test_a_preview_and_its_submit_say_what_the_days_will_cost(
    api: GraphQL, clock: FrozenClock, backend: Backend
) -> None:
    setup = await town_and_family(clock)  # quotient 600: 2,50 € a meal
    token, name = setup.token, setup.name
    # when the parent previews the canteen every school day of 1-18 December
    body = await api(PREVIEW % COST, changes(setup, "BOOK", *DECEMBER), token=token)
    cost = body["data"]["previewBookingChanges"]["cost"]
    # then they read what it adds to their invoices, for the child and in total
    assert cost["total"] == {"cents": 11 * LOW_PRICE, "text": "27,50 €"}
    assert cost["label"] == "Coût des changements : + 27,50 €"
    [child] = cost["children"]
    assert child["label"] == f"+ 27,50 € pour 11 repas de {name}"
    assert (child["bookedDays"], child["cancelledDays"], child["unpricedDays"]) == (11, 0, 0)

    # the submit answers the same, and then cancelling three of the days takes them off
    body = await api(SUBMIT % COST, changes(setup, "BOOK", *DECEMBER), token=token)
    assert body["data"]["submitBookingChanges"]["cost"] == cost
    body = await api(
        PREVIEW % COST, changes(setup, "CANCEL", "2026-12-01", "2026-12-04"), token=token
    )
    cost = body["data"]["previewBookingChanges"]["cost"]
    assert cost["label"] == "Coût des changements : - 7,50 €"
    assert cost["children"][0]["label"] == f"- 7,50 € pour 3 repas annulés de {name}"

    # booking days already booked changes nothing: nothing to pay
    body = await api(PREVIEW % COST, changes(setup, "BOOK", *DECEMBER), token=token)
    cost = body["data"]["previewBookingChanges"]["cost"]
    assert cost == {"total": {"cents": 0, "text": "0,00 €"}, "children": [],
                    "label": "Ces changements ne modifient pas les factures"}  # fmt: skip


async def test_without_a_valid_quotient_the_highest_price_and_outside_residents_none(
    api: GraphQL, clock: FrozenClock, backend: Backend
) -> None:
    # Given a family whose quotient certificate expired in November
    setup = await town_and_family(clock, family_quotient_valid_until=date(2026, 11, 30))
    token, name = setup.token, setup.name
    body = await api(PREVIEW % COST, changes(setup, "BOOK", *DECEMBER), token=token)
    cost = body["data"]["previewBookingChanges"]["cost"]
    assert cost["total"]["cents"] == 11 * HIGH_PRICE
    assert cost["children"][0]["label"] == f"+ 44,00 € pour 11 repas de {name}"

    # when the régie keeps its resident prices to other postal codes (it set no other)
    await BillingAuthority.all().update(resident_postal_codes="75001")
    body = await api(PREVIEW % COST, changes(setup, "BOOK", *DECEMBER), token=token)
    cost = body["data"]["previewBookingChanges"]["cost"]
    [child] = cost["children"]
    assert (child["bookedDays"], child["unpricedDays"], child["amount"]) == (0, 11, {"cents": 0})
    assert child["label"] == f"{name} : pas de tarif en vigueur pour ces jours"
    assert cost["label"] == "Ces changements ne modifient pas les factures"


async def test_the_cost_costs_one_statement_only_when_asked(
    api: GraphQL, clock: FrozenClock, backend: Backend
) -> None:
    setup = await town_and_family(clock)
    token = setup.token
    counts = {}
    for asked, query in (("without", PREVIEW % ""), ("with", PREVIEW % COST)):
        for span in (("2026-12-01", "2026-12-03"), ("2026-12-07", "2027-07-02")):
            async with count_queries() as statements:
                body = await api(query, changes(setup, "BOOK", *span), token=token)
            assert "errors" not in body, body
            counts[asked, span[0]] = statements.count
    # the same for 2 days as for the rest of the school year; one more with the cost
    assert counts["without", "2026-12-01"] == counts["without", "2026-12-07"]
    assert counts["with", "2026-12-01"] == counts["with", "2026-12-07"]
    assert counts["with", "2026-12-01"] == counts["without", "2026-12-01"] + 1


async def test_the_calendar_shows_a_day_s_price_when_asked(
    api: GraphQL, clock: FrozenClock, backend: Backend
) -> None:
    setup = await town_and_family(clock)
    token = setup.token
    variables = {"householdId": encode_id("Household", setup.family.household.id)}
    async with count_queries() as priced:
        body = await api(CALENDAR, variables, token=token)
    [line] = body["data"]["calendar"]
    assert [day["status"] for day in line["days"]] == [
        "NOT_BOOKED",
        "CLOSED",
        "NOT_BOOKED",
        "NOT_BOOKED",
    ]
    # Wednesday is closed: no price
    meal = {"cents": 250, "text": "2,50 €"}
    assert line["prices"] == [meal, None, meal, meal]
    async with count_queries() as plain:
        await api(CALENDAR.replace("prices { cents text }", ""), variables, token=token)
    assert priced.count == plain.count + 1
