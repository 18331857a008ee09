"""The calendar as a parent's phone shows it: every day explained, deadlines to the minute."""

from datetime import UTC, date, datetime
from typing import Any

from gql.ids import encode_id
from models.accounts import AccountRole
from resolvers.calendar.catalogue import add_calendar_exception
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)

CALENDAR = """
query($householdId: ID!, $from: Date!, $to: Date!) {
  calendar(householdId: $householdId, from: $from, to: $to) {
    child { firstNames } activity { code } site { name }
    days { date status canChange changeableUntil reason message }
  }
}
"""
SUBMIT = """
mutation($householdId: ID!, $input: BookingChangesInput!) {
  submitBookingChanges(householdId: $householdId, input: $input) {
    lines { date outcome reason message } errors { code message }
  }
}
"""


async def family(
    clock: FrozenClock, *, children: int = 1, capacity: int | None = None
) -> dict[str, Any]:
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock, capacity=capacity)
    household = await make_household(staff, clock, children=children, guardians=1)
    child_ids = await enroll_all(staff, household, catalogue, clock)
    parent = await make_account(town, clock)
    from models.households import Guardian

    await Guardian.filter(household=household).update(account_id=parent.id)
    return {
        "town": town,
        "staff": staff,
        "catalogue": catalogue,
        "household": household,
        "household_id": encode_id("Household", household.id),
        "child_ids": child_ids,
        "parent": parent,
        "token": await token_for(parent, clock),
        "staff_token": await token_for(staff, clock),
        "activity_id": encode_id("Activity", catalogue.canteen.id),
    }


def by_date(calendar: dict[str, Any]) -> dict[str, dict[str, Any]]:
    [line] = calendar["data"]["calendar"]
    return {day["date"]: day for day in line["days"]}


async def test_every_day_says_what_it_is_and_why(api: GraphQL, clock: FrozenClock) -> None:
    # given a family enrolled in the canteen, on Monday 23 November 2026 at 10h00 in Paris
    f = await family(clock)
    await add_calendar_exception(
        f["staff"], date(2026, 12, 4), False, "grève du personnel", clock=clock
    )

    # when the parent opens November and December
    result = await api(
        CALENDAR,
        {"householdId": f["household_id"], "from": "2026-11-01", "to": "2026-12-31"},
        token=f["token"],
    )
    days = by_date(result)

    # then each day has a state and a French reason
    assert len(days) == 61
    assert (days["2026-11-11"]["status"], days["2026-11-11"]["message"]) == (
        "CLOSED",
        "Fermé : jour férié (Armistice)",
    )
    assert days["2026-11-11"]["reason"] == "PUBLIC_HOLIDAY"
    assert days["2026-11-25"]["message"] == "Pas d'accueil le mercredi"
    assert days["2026-11-28"]["reason"] == "WEEKDAY_CLOSED"
    assert days["2026-11-27"] == {
        "date": "2026-11-27",
        "status": "NOT_BOOKED",
        "canChange": False,
        "changeableUntil": "2026-11-20T22:59:59.999999+00:00",
        "reason": "DEADLINE_PASSED",
        "message": "Délai de 7 jours dépassé",
    }
    assert days["2026-11-30"]["canChange"] is True
    assert days["2026-11-30"]["message"] == ("Modifiable jusqu'au lundi 23 novembre 2026 à 23h59")
    assert days["2026-12-04"]["message"] == "Fermé : grève du personnel"
    assert days["2026-12-21"]["message"] == "Fermé : vacances de Noël"
    assert days["2026-12-21"]["reason"] == "SCHOOL_HOLIDAY"


async def test_a_closure_or_opening_shows_at_the_next_look(
    api: GraphQL, clock: FrozenClock
) -> None:
    # The days of a calendar are kept between requests: a staff change must still show.
    f = await family(clock)
    december = {"householdId": f["household_id"], "from": "2026-12-01", "to": "2026-12-31"}
    before = by_date(await api(CALENDAR, december, token=f["token"]))
    assert before["2026-12-10"]["reason"] == "CHANGEABLE"
    assert before["2026-12-09"]["reason"] == "WEEKDAY_CLOSED"  # a Wednesday

    strike = await add_calendar_exception(
        f["staff"], date(2026, 12, 10), False, "grève", clock=clock
    )
    await add_calendar_exception(
        f["staff"], date(2026, 12, 9), True, "accueil exceptionnel", clock=clock
    )
    after = by_date(await api(CALENDAR, december, token=f["token"]))
    assert (after["2026-12-10"]["reason"], after["2026-12-10"]["message"]) == (
        "EXCEPTIONAL_CLOSURE",
        "Fermé : grève",
    )
    assert after["2026-12-09"]["reason"] == "CHANGEABLE"

    await strike.delete()  # called off
    again = by_date(await api(CALENDAR, december, token=f["token"]))
    assert again["2026-12-10"] == before["2026-12-10"]


async def test_the_deadline_falls_at_the_minute(api: GraphQL, clock: FrozenClock) -> None:
    f = await family(clock)
    change = {
        "changes": [
            {
                "childId": encode_id("Child", f["child_ids"][0]),
                "activityId": f["activity_id"],
                "date": "2026-11-30",
                "action": "BOOK",
            }
        ]
    }
    # 23h59 (Paris) on Monday 23 November is the last minute to book Monday 30th
    clock.current = datetime(2026, 11, 23, 22, 59, 30, tzinfo=UTC)
    in_time = await api(
        SUBMIT, {"householdId": f["household_id"], "input": change}, token=f["token"]
    )
    assert in_time["data"]["submitBookingChanges"]["lines"][0]["outcome"] == "BOOKED"

    change["changes"][0]["date"] = "2026-12-01"
    clock.current = datetime(2026, 11, 24, 23, 0, 0, tzinfo=UTC)  # 00h00 Paris on the 25th
    too_late = await api(
        SUBMIT, {"householdId": f["household_id"], "input": change}, token=f["token"]
    )
    [line] = too_late["data"]["submitBookingChanges"]["lines"]
    assert (line["outcome"], line["reason"], line["message"]) == (
        "REJECTED",
        "DEADLINE_PASSED",
        "Délai de 7 jours dépassé",
    )


async def test_deadlines_follow_daylight_saving(api: GraphQL, clock: FrozenClock) -> None:
    # Summer time starts on Sunday 28 March 2027: 23h59 is 22h59 UTC before, 21h59 after.
    f = await family(clock)
    result = await api(
        CALENDAR,
        {"householdId": f["household_id"], "from": "2027-04-01", "to": "2027-04-05"},
        token=f["token"],
    )
    days = by_date(result)
    assert days["2027-04-01"]["changeableUntil"] == "2027-03-25T22:59:59.999999+00:00"
    assert days["2027-04-05"]["changeableUntil"] == "2027-03-29T21:59:59.999999+00:00"
    assert days["2027-04-05"]["message"] == "Modifiable jusqu'au lundi 29 mars 2027 à 23h59"


async def test_a_range_is_bounded(api: GraphQL, clock: FrozenClock) -> None:
    f = await family(clock)
    result = await api(
        CALENDAR,
        {"householdId": f["household_id"], "from": "2026-09-01", "to": "2027-12-31"},
        token=f["token"],
    )
    assert result["errors"][0]["extensions"]["code"] == "INVALID"
    backwards = await api(
        CALENDAR,
        {"householdId": f["household_id"], "from": "2026-12-01", "to": "2026-11-01"},
        token=f["token"],
    )
    assert backwards["errors"][0]["message"] == "La date de fin précède la date de début."


async def test_another_household_calendar_is_not_found(api: GraphQL, clock: FrozenClock) -> None:
    mine, theirs = await family(clock), await family(clock)
    for token in (mine["token"], mine["staff_token"]):
        result = await api(
            CALENDAR,
            {"householdId": theirs["household_id"], "from": "2026-11-01", "to": "2026-11-30"},
            token=token,
        )
        assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    anonymous = await api(
        CALENDAR, {"householdId": mine["household_id"], "from": "2026-11-01", "to": "2026-11-30"}
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    staff_of_town = await api(
        CALENDAR,
        {"householdId": theirs["household_id"], "from": "2026-11-01", "to": "2026-11-30"},
        token=theirs["staff_token"],
    )
    assert "errors" not in staff_of_town


async def test_a_full_day_shows_to_whoever_could_still_book_it(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given one place a day, and an exceptional opening on Wednesday 2 December
    f = await family(clock, children=2, capacity=1)
    await add_calendar_exception(
        f["staff"], date(2026, 12, 2), True, "journée sportive", clock=clock
    )
    first = encode_id("Child", f["child_ids"][0])
    changes = [
        {"childId": first, "activityId": f["activity_id"], "date": day, "action": "BOOK"}
        for day in ("2026-12-01", "2026-12-02")
    ]
    booked = await api(
        SUBMIT, {"householdId": f["household_id"], "input": {"changes": changes}}, token=f["token"]
    )
    assert [line["outcome"] for line in booked["data"]["submitBookingChanges"]["lines"]] == [
        "BOOKED",
        "BOOKED",
    ]
    december = {"householdId": f["household_id"], "from": "2026-12-01", "to": "2026-12-03"}

    # then the first child's days are booked, and both are full for the second
    lines = (await api(CALENDAR, december, token=f["token"]))["data"]["calendar"]
    assert [day["status"] for day in lines[0]["days"]] == ["BOOKED", "BOOKED", "NOT_BOOKED"]
    assert [(day["status"], day["canChange"]) for day in lines[1]["days"]] == [
        ("FULL", True),
        ("FULL", True),
        ("NOT_BOOKED", True),
    ]

    # and once the days are past, the parent sees them locked, staff still see them full
    clock.current = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
    parent_token, staff_token = (
        await token_for(f["parent"], clock),
        await token_for(f["staff"], clock),
    )
    parent_view = (await api(CALENDAR, december, token=parent_token))["data"]["calendar"]
    assert [day["reason"] for day in parent_view[1]["days"]] == ["DEADLINE_PASSED"] * 3
    staff_view = (await api(CALENDAR, december, token=staff_token))["data"]["calendar"]
    assert [day["status"] for day in staff_view[1]["days"]] == ["FULL", "FULL", "NOT_BOOKED"]
