"""The family app's home screen: what a parent sees of their household (each child's next
days as the calendar shows them, what is left to pay, the messages to read, the latest
requests), who else may see it, and its constant SQL cost."""

from datetime import UTC, date, datetime
from typing import Any

from gql.ids import encode_id
from models.accounts import AccountRole
from models.households import Child
from models.requests import RequestKind, RequestStatus
from resolvers.calendar.bookings import BookingAction, ChangeSet, Recurrence, submit_changes
from resolvers.calendar.enrollments import enroll
from resolvers.core.clock import FrozenClock
from resolvers.households.requests import open_request
from resolvers.messages.messages import start_thread
from tests.billing_factories import BillingTown, make_billing_town
from tests.calendar.test_bookings import parent_of
from tests.conftest import GraphQL
from tests.factories import enroll_all, make_account, make_household, make_town, token_for
from tests.payment_factories import make_invoice
from tests.sql_count import count_queries

HOME = """
query($householdId: ID!) {
  home(householdId: $householdId) {
    household { id name }
    children {
      id firstNames
      nextDays { activity { code name } site { name } day { date status canChange reason } }
    }
    unpaidInvoiceCount amountDue { cents text } unreadMessageCount
    latestRequests { id kind status summary } requestCount
  }
}
"""
# Bearer-token lookup 1; the calendar's 2 (access rule and enrolments, then bookings);
# unpaid invoices 1; unread messages 1; latest requests 3 (count, ranking, rows).
HOME_STATEMENTS = 8


async def family(
    town: BillingTown, clock: FrozenClock, *, children: int
) -> tuple[Any, list[int], Any, str]:
    """A household of ``children`` enrolled in the canteen and its parent."""
    household = await make_household(town.staff, clock, children=children, guardians=1)
    child_ids = await enroll_all(town.staff, household, town.catalogue, clock)
    parent, token = await parent_of(household, town.tenant, clock)
    return household, child_ids, parent, token


async def book(
    town: BillingTown, household: Any, child_id: int, start: date, end: date, clock: FrozenClock
) -> None:
    """Staff book the canteen every open day between the two dates."""
    result = await submit_changes(
        town.staff,
        household.id,
        ChangeSet(
            recurrences=[
                Recurrence(
                    child_id,
                    town.catalogue.canteen.id,
                    BookingAction.BOOK,
                    start,
                    end,
                    frozenset({0, 1, 3, 4}),
                )
            ]
        ),
        clock=clock,
    )
    assert all(line.accepted for line in result.lines)


async def test_a_parent_sees_the_next_days_the_bills_the_messages_and_the_requests(
    api: GraphQL, clock: FrozenClock
) -> None:
    # Given, on Monday 23 November, a family of two whose eldest has the canteen booked
    # this week, an unpaid invoice, a paid one and a credit note, a message from the town
    # and one of their own, and four requests
    town = await make_billing_town(clock)
    household, (eldest, youngest), parent, token = await family(town, clock, children=2)
    await book(town, household, eldest, date(2026, 11, 23), date(2026, 11, 27), clock)
    for revision, (total, settled) in enumerate(((4250, 0), (1000, 1000), (-300, 0))):
        invoice = await make_invoice(
            town.tenant, town.authority, household, total, f"26100000{revision}", revision
        )
        invoice.settled_cents = settled
        await invoice.save()
    await start_thread(town.staff, household.id, "Cantine", "Bonjour", clock=clock)
    await start_thread(parent, household.id, "Question", "Bonjour", clock=clock)
    for n in range(3):
        await open_request(
            household,
            RequestKind.CONTACT_UPDATE,
            f"Changement {n}",
            actor=parent,
            clock=clock,
            status=RequestStatus.COMPLETED,
        )

    # when the parent opens the app
    home = (await api(HOME, {"householdId": encode_id("Household", household.id)}, token=token))[
        "data"
    ]["home"]

    # then they see their household and each child's canteen on Monday, Tuesday and
    # Thursday (Wednesday closed), booked for the eldest, too late to book for the youngest
    assert home["household"] == {
        "id": encode_id("Household", household.id),
        "name": "Famille Test",
    }
    assert [(c["id"], c["firstNames"]) for c in home["children"]] == [
        (encode_id("Child", eldest), "Enfant0"),
        (encode_id("Child", youngest), "Enfant1"),
    ]
    week = ["2026-11-23", "2026-11-24", "2026-11-26"]
    [first, second] = home["children"]
    assert [(d["day"]["date"], d["day"]["status"]) for d in first["nextDays"]] == [
        (day, "BOOKED") for day in week
    ]
    youngest_days = [
        (d["day"]["date"], d["day"]["status"], d["day"]["reason"]) for d in second["nextDays"]
    ]
    assert youngest_days == [(day, "NOT_BOOKED", "DEADLINE_PASSED") for day in week]
    assert first["nextDays"][0]["activity"] == {
        "code": "RS-REPAS",
        "name": "Restauration scolaire",
    }
    assert first["nextDays"][0]["site"] == {"name": "École Jean Jaurès"}
    # and the unpaid invoice (not the paid one nor the credit note), the town's message,
    # the three latest requests of six (two enrolments and the booking came first)
    assert home["unpaidInvoiceCount"] == 1
    assert home["amountDue"] == {"cents": 4250, "text": "42,50 €"}
    assert home["unreadMessageCount"] == 1
    assert [r["summary"] for r in home["latestRequests"]] == [
        "Changement 2",
        "Changement 1",
        "Changement 0",
    ]
    assert {r["status"] for r in home["latestRequests"]} == {"COMPLETED"}
    assert home["requestCount"] == 6


async def test_the_days_start_on_the_towns_today(api: GraphQL, clock: FrozenClock) -> None:
    # Given Tuesday 24 November at 23:30 UTC: Wednesday 25 already in the town (Paris)
    town = await make_billing_town(clock)
    household, [child], _, token = await family(town, clock, children=1)
    clock.current = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)

    # when the parent opens the app
    home = await api(HOME, {"householdId": encode_id("Household", household.id)}, token=token)

    # then the days start on Thursday: Tuesday is over there, Wednesday closed
    [shown] = home["data"]["home"]["children"]
    assert [d["day"]["date"] for d in shown["nextDays"]] == [
        "2026-11-26",
        "2026-11-27",
        "2026-11-30",
    ]


async def test_the_holidays_and_a_child_without_enrolment_show_no_day(
    api: GraphQL, clock: FrozenClock
) -> None:
    # Given a family of two whose youngest is not enrolled, on the eve of the Christmas
    # holidays (two weeks without canteen)
    clock.current = datetime(2026, 12, 18, 20, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    household = await make_household(town.staff, clock, children=2, guardians=1)
    eldest = await Child.filter(household=household).order_by("birth_date").first()
    assert eldest is not None
    catalogue = town.catalogue
    await enroll(
        town.staff, eldest.id, catalogue.canteen.id, catalogue.site.id, catalogue.period.id,
        clock=clock,
    )  # fmt: skip
    _, token = await parent_of(household, town.tenant, clock)

    # when the parent opens the app
    home = await api(HOME, {"householdId": encode_id("Household", household.id)}, token=token)

    # then both children are there: the eldest with Friday only (the holidays fill the two
    # weeks after it), the child not enrolled without a day
    children = home["data"]["home"]["children"]
    assert [(c["firstNames"], [d["day"]["date"] for d in c["nextDays"]]) for c in children] == [
        ("Enfant0", ["2026-12-18"]),
        ("Enfant1", []),
    ]


async def test_who_may_see_a_home_screen(api: GraphQL, clock: FrozenClock) -> None:
    # Given a family, another of the same town, and staff of every kind here and elsewhere
    town = await make_billing_town(clock)
    household, _, parent, token = await family(town, clock, children=1)
    other, _, _, other_token = await family(town, clock, children=1)
    await start_thread(parent, household.id, "Question", "Bonjour", clock=clock)
    elsewhere = await make_town()
    tokens = {
        role: await token_for(await make_account(town.tenant, clock, role=role), clock)
        for role in (AccountRole.AGENT, AccountRole.REGISSEUR, AccountRole.SITE)
    }
    stranger = await token_for(await make_account(elsewhere, clock, role=AccountRole.ADMIN), clock)
    mine = encode_id("Household", household.id)

    async def code(household_id: str, token: str | None) -> str | None:
        answer = await api(HOME, {"householdId": household_id}, token=token)
        errors = answer.get("errors")
        return errors[0]["extensions"]["code"] if errors else None

    # then another family's file, a bad id and an anonymous call are refused as `household`
    # refuses them, and so are a régisseur, a site member and the staff of another town
    assert await code(encode_id("Household", other.id), token) == "NOT_FOUND"
    assert await code(encode_id("Household", 999_999), token) == "NOT_FOUND"
    assert await code("pas-un-id", token) == "INVALID"
    assert await code(encode_id("Child", household.id), token) == "INVALID"
    assert await code(mine, None) == "NOT_AUTHENTICATED"
    assert await code(mine, tokens[AccountRole.REGISSEUR]) == "FORBIDDEN"
    assert await code(mine, tokens[AccountRole.SITE]) == "FORBIDDEN"
    assert await code(mine, stranger) == "NOT_FOUND"
    assert await code(mine, other_token) == "NOT_FOUND"
    # and an agent of the town sees it, with the family's message unread by them
    agent = await api(HOME, {"householdId": mine}, token=tokens[AccountRole.AGENT])
    assert agent["data"]["home"]["household"]["id"] == mine
    assert agent["data"]["home"]["unreadMessageCount"] == 1


async def test_the_home_screen_costs_the_same_statements_whatever_the_family(
    api: GraphQL, clock: FrozenClock
) -> None:
    # Given a family of one without history and a family of four with bookings, invoices,
    # messages and requests
    town = await make_billing_town(clock)
    small, _, _, small_token = await family(town, clock, children=1)
    big, children, parent, big_token = await family(town, clock, children=4)
    for child in children:
        await book(town, big, child, date(2026, 11, 23), date(2026, 12, 18), clock)
    for n in range(5):
        await make_invoice(town.tenant, town.authority, big, 1000 + n, f"26100000{n:02d}", n)
        await start_thread(town.staff, big.id, f"Objet {n}", "Bonjour", clock=clock)
        await open_request(
            big,
            RequestKind.CONTACT_UPDATE,
            f"Changement {n}",
            actor=parent,
            clock=clock,
            status=RequestStatus.COMPLETED,
        )

    # when each parent opens the app
    async with count_queries() as few:
        one = await api(HOME, {"householdId": encode_id("Household", small.id)}, token=small_token)
    async with count_queries() as many:
        four = await api(HOME, {"householdId": encode_id("Household", big.id)}, token=big_token)

    # then both cost the same statements
    assert [len(c["nextDays"]) for c in one["data"]["home"]["children"]] == [3]
    assert [len(c["nextDays"]) for c in four["data"]["home"]["children"]] == [3, 3, 3, 3]
    assert four["data"]["home"]["unreadMessageCount"] == 5
    assert (few.count, many.count) == (HOME_STATEMENTS, HOME_STATEMENTS), many.statements
