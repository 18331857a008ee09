"""The calendar costs three SQL statements, for one child and a week or three and a year;
a submit as many for two days as for a school year."""

from typing import Any

from gql.ids import encode_id
from models.accounts import AccountRole
from models.households import Guardian
from resolvers.core.clock import FrozenClock
from tests.conftest import Backend, GraphQL
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)
from tests.sql_count import count_queries

CALENDAR = """
query($householdId: ID!, $from: Date!, $to: Date!) {
  calendar(householdId: $householdId, from: $from, to: $to) {
    child { firstNames } activity { code name } site { name }
    days { date status canChange changeableUntil reason message }
  }
}
"""
SUBMIT = """
mutation($householdId: ID!, $input: BookingChangesInput!) {
  submitBookingChanges(householdId: $householdId, input: $input) { summary }
}
"""
# Bearer-token lookup 1, enrolments with their rules 1, bookings + counts + closures 1.
CALENDAR_STATEMENTS = 3


async def family(clock: FrozenClock, children: int) -> tuple[str, str, list[int], str]:
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock, capacity=50)
    household = await make_household(staff, clock, children=children, guardians=1)
    child_ids = await enroll_all(staff, household, catalogue, clock)
    parent = await make_account(town, clock)
    await Guardian.filter(household=household).update(account_id=parent.id)
    return (
        encode_id("Household", household.id),
        await token_for(parent, clock),
        child_ids,
        encode_id("Activity", catalogue.canteen.id),
    )


async def test_calendar_statements_do_not_grow_with_children_or_days(
    api: GraphQL, clock: FrozenClock
) -> None:
    small_id, small_token, _, _ = await family(clock, children=1)
    big_id, big_token, child_ids, activity_id = await family(clock, children=3)
    recurrence = [
        {
            "childId": encode_id("Child", child),
            "activityId": activity_id,
            "action": "BOOK",
            "from": "2026-12-01",
            "to": "2027-07-02",
            "weekdays": [0, 1, 3, 4],
        }
        for child in child_ids
    ]
    await api(
        SUBMIT, {"householdId": big_id, "input": {"recurrences": recurrence}}, token=big_token
    )

    async with count_queries() as week:
        small: dict[str, Any] = await api(
            CALENDAR,
            {"householdId": small_id, "from": "2026-11-30", "to": "2026-12-06"},
            token=small_token,
        )
    async with count_queries() as year:
        big: dict[str, Any] = await api(
            CALENDAR,
            {"householdId": big_id, "from": "2026-09-01", "to": "2027-07-03"},
            token=big_token,
        )

    assert len(small["data"]["calendar"][0]["days"]) == 7
    assert [len(line["days"]) for line in big["data"]["calendar"]] == [306, 306, 306]
    assert sum(day["status"] == "BOOKED" for day in big["data"]["calendar"][2]["days"]) > 100
    assert week.count == CALENDAR_STATEMENTS, week.statements
    assert year.count == CALENDAR_STATEMENTS, year.statements


async def test_a_submit_sends_as_many_statements_for_two_days_as_for_a_school_year(
    api: GraphQL, clock: FrozenClock, backend: Backend
) -> None:
    household_id, token, [child], activity_id = await family(clock, children=1)

    def recurrence(action: str, start: str, end: str) -> dict[str, Any]:
        days = {
            "childId": encode_id("Child", child),
            "activityId": activity_id,
            "action": action,
            "from": start,
            "to": end,
            "weekdays": [0, 1, 3, 4],
        }
        return {"householdId": household_id, "input": {"recurrences": [days]}}

    counts = []
    for action in ("BOOK", "CANCEL"):
        for start, end in (("2026-12-01", "2026-12-03"), ("2026-12-07", "2027-07-02")):
            async with count_queries() as statements:
                answer = await api(SUBMIT, recurrence(action, start, end), token=token)
            assert answer["data"]["submitBookingChanges"]["summary"].startswith("Réservations : ")
            counts.append(statements.count)
    # PostgreSQL: the token, the enrolments and the town's closures, the openings' locks
    # with the request's number, the bookings and counts, then one statement writes the
    # request, its history, the bookings, the mail and the live events; after the commit
    # the outbox relay claims them. SQLite writes them one by one (4), and looks for
    # waiting children after a cancellation.
    expected = [6, 6, 6, 6] if backend.name == "postgres" else [8, 8, 9, 9]
    assert counts == expected


async def test_an_idempotency_key_costs_no_statement_of_its_own(
    api: GraphQL, clock: FrozenClock, backend: Backend
) -> None:
    # given a family booking one day from a phone (with a key), one without
    household_id, token, [child], activity_id = await family(clock, children=1)
    keyed = SUBMIT.replace(
        "$input: BookingChangesInput!)", "$input: BookingChangesInput!, $key: String)"
    )
    keyed = keyed.replace("input: $input)", "input: $input, idempotencyKey: $key)")

    def day(date: str) -> dict[str, Any]:
        change = {
            "childId": encode_id("Child", child),
            "activityId": activity_id,
            "date": date,
            "action": "BOOK",
        }
        return {"householdId": household_id, "input": {"changes": [change]}}

    counts = []
    for document, variables in (
        (SUBMIT, day("2026-12-01")),
        (keyed, {**day("2026-12-03"), "key": "telephone-1"}),
        (keyed, {**day("2026-12-03"), "key": "telephone-1"}),  # the retry
    ):
        async with count_queries() as statements:
            answer = await api(document, variables, token=token)
        assert answer["data"]["submitBookingChanges"]["summary"] == "Réservations : 1 jour réservé"
        counts.append(statements.count)
    # then the key is looked up with the household's enrolments, not by a statement of its
    # own; its retry costs the token, that statement, reading the first request and the
    # relay every mutation asks for after its commit
    assert counts[1] == counts[0]
    assert counts[2] == 4
