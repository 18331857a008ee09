"""The town's optional block: while an invoice is unpaid longer past its due date than the
town allows, the family books no new day (the calendar says why); it keeps and may cancel
its bookings, staff may still book for it, and paying lifts the block."""

from datetime import UTC, date, datetime
from typing import Any

from gql.ids import encode_id
from models.billing import Invoice
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from tests.billing_factories import make_billing_town, make_family
from tests.conftest import GraphQL
from tests.factories import token_for

UPDATE_TOWN = """
mutation($days: Int) { updateTown(input: {unpaidBlockDays: $days}) { errors { code } } }"""
CALENDAR = """
query($householdId: ID!) {
  calendar(householdId: $householdId, from: "2027-01-11", to: "2027-01-11") {
    days { date status canChange changeableUntil reason message }
  }
}"""
SUBMIT = """
mutation($householdId: ID!, $input: BookingChangesInput!) {
  submitBookingChanges(householdId: $householdId, input: $input) {
    lines { date accepted reason message } errors { code message }
  }
}"""


def monday_11_january(calendar: dict[str, Any]) -> dict[str, Any]:
    [line] = calendar["data"]["calendar"]
    [day] = line["days"]
    return dict(day)


async def test_an_invoice_unpaid_past_the_delay_blocks_new_bookings(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given October billed on 8 November (due 30 November) and a town blocking after 10 days
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    clock.current = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)
    admin = await token_for(town.staff, clock)
    parent = await token_for(family.parent, clock)
    household = {"householdId": encode_id("Household", family.household.id)}
    assert (await api(UPDATE_TOWN, {"days": 10}, token=admin))["data"]["updateTown"]["errors"] == []
    book = {
        **household,
        "input": {
            "changes": [
                {
                    "childId": encode_id("Child", family.child_id),
                    "activityId": encode_id("Activity", town.catalogue.canteen.id),
                    "date": "2027-01-11",
                    "action": "BOOK",
                }
            ]
        },
    }

    # when the parent looks on 10 December (10 days late: still within the delay)
    within = monday_11_january(await api(CALENDAR, household, token=parent))

    # and on 11 December (11 days late)
    clock.current = datetime(2026, 12, 11, 8, 0, tzinfo=UTC)
    blocked = monday_11_january(await api(CALENDAR, household, token=parent))
    refused = (await api(SUBMIT, book, token=parent))["data"]["submitBookingChanges"]
    for_staff = monday_11_january(await api(CALENDAR, household, token=admin))

    # then the day is bookable, then blocked with the reason; staff may still book
    assert within["reason"] == "CHANGEABLE"
    assert blocked["reason"] == "UNPAID_INVOICE"
    assert blocked["canChange"] is False
    assert blocked["message"].startswith("Nouvelles réservations suspendues")
    assert [(line["accepted"], line["reason"]) for line in refused["lines"]] == [
        (False, "UNPAID_INVOICE")
    ]
    assert for_staff["reason"] == "CHANGEABLE"

    # when the invoice is paid, the block lifts
    await Invoice.filter(household_id=family.household.id).update(settled_cents=10_000_00)
    paid = monday_11_january(await api(CALENDAR, household, token=parent))
    assert paid["reason"] == "CHANGEABLE"

    # and a town without the rule never blocks
    await Invoice.filter(household_id=family.household.id).update(settled_cents=0)
    await town.tenant.refresh_from_db()
    cleared = await api(
        "mutation { updateTown(input: {clearUnpaidBlock: true}) { town { unpaidBlockDays } } }",
        token=admin,
    )
    assert cleared["data"]["updateTown"]["town"] == {"unpaidBlockDays": None}
    assert monday_11_january(await api(CALENDAR, household, token=parent))["reason"] == "CHANGEABLE"
