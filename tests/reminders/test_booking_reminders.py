"""« Next week is not booked yet »: mailed before the booking deadline of the week's first
open day, in town time (summer time included), once, to guardians who did not opt out."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from gql.ids import encode_id
from jobs.reminders import remind_unbooked_weeks
from models.accounts import Account, AccountRole
from models.households import Guardian, Household
from models.reminders import SentReminder
from resolvers.calendar.bookings import BookingAction, BookingChange, ChangeSet, submit_changes
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL, Mailbox
from tests.factories import (
    Catalogue,
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)

# The week of Monday 5 April 2027 is bookable until Monday 29 March 23:59 in Paris, already
# summer time (UTC+2 since Sunday 28 March): 21:59:59 UTC.
LAST_MINUTE = datetime(2027, 3, 29, 21, 59, tzinfo=UTC)  # 23h59 in Paris
MINUTE_AFTER = datetime(2027, 3, 29, 22, 0, tzinfo=UTC)  # Tuesday 00h00 in Paris
# The 48-hour window opens 48 real hours earlier, across the change of time: Saturday 27
# March 22:59:59 in Paris, still winter time (21:59:59 UTC).
TOO_EARLY = datetime(2027, 3, 27, 21, 59, tzinfo=UTC)
WINDOW_OPEN = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)

SET_REMINDERS = """
mutation($householdId: ID!, $enabled: Boolean!) {
  setReminders(householdId: $householdId, enabled: $enabled) {
    guardian { remindersEnabled } errors { code }
  }
}
"""


@dataclass
class Family:
    household: Household
    parent: Account
    child_id: int


async def families(clock: FrozenClock, count: int) -> tuple[Catalogue, list[Family]]:
    """Families of one town, each child enrolled in the canteen, nothing booked."""
    tenant = await make_town()
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock)
    found = []
    for _ in range(count):
        household = await make_household(staff, clock, children=1, guardians=1)
        [child_id] = await enroll_all(staff, household, catalogue, clock)
        parent = await make_account(tenant, clock)
        await Guardian.filter(household=household).update(account_id=parent.id)
        found.append(Family(household, parent, child_id))
    return catalogue, found


async def reminders_to(mailbox: Mailbox, family: Family) -> list[str]:
    return [m["Subject"] for m in mailbox.to(family.parent.email) if "Rappel" in m["Subject"]]


async def test_a_family_with_nothing_booked_is_reminded_once_before_the_deadline(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given three families: nothing booked, 6 April booked, and reminders turned off
    catalogue, (idle, booked, quiet) = await families(clock, 3)
    await submit_changes(
        booked.parent,
        booked.household.id,
        ChangeSet(
            changes=[
                BookingChange(
                    booked.child_id, catalogue.canteen.id, date(2027, 4, 6), BookingAction.BOOK
                )
            ]
        ),
        clock=clock,
    )
    turned_off = await api(
        SET_REMINDERS,
        {"householdId": encode_id("Household", quiet.household.id), "enabled": False},
        token=await token_for(quiet.parent, clock),
    )
    assert turned_off["data"]["setReminders"] == {
        "guardian": {"remindersEnabled": False},
        "errors": [],
    }

    # when the cron runs a minute before the 48-hour window, then at 23h59 on the last day,
    # twice (two workers at once)
    clock.current = TOO_EARLY
    await remind_unbooked_weeks({"clock": clock})
    assert not await SentReminder.exists(guardian__household_id=idle.household.id)
    clock.current = LAST_MINUTE
    await asyncio.gather(
        remind_unbooked_weeks({"clock": clock}), remind_unbooked_weeks({"clock": clock})
    )
    await remind_unbooked_weeks({"clock": clock})
    await run_jobs()

    # then only the family with nothing booked gets one mail, on the real SMTP server
    [subject] = await reminders_to(mailbox, idle)
    assert subject == "Rappel : rien n'est réservé pour Enfant0 la semaine du lundi 5 avril 2027"
    [mail] = [m for m in mailbox.to(idle.parent.email) if m["Subject"] == subject]
    body = Mailbox.text(mail)
    assert "Restauration scolaire" in body
    assert "jusqu'au lundi 29 mars 2027 à 23h59" in body
    assert await reminders_to(mailbox, booked) == []
    assert await reminders_to(mailbox, quiet) == []


async def test_the_window_opens_48_hours_before_the_deadline(
    clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    _, [family] = await families(clock, 1)
    clock.current = WINDOW_OPEN
    await remind_unbooked_weeks({"clock": clock})
    await run_jobs()
    assert await reminders_to(mailbox, family) == [
        "Rappel : rien n'est réservé pour Enfant0 la semaine du lundi 5 avril 2027"
    ]


async def test_no_reminder_once_the_deadline_passed(
    clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # at 00h00 the week of 5 April is locked, and the next week's deadline is days away
    _, [family] = await families(clock, 1)
    clock.current = MINUTE_AFTER
    await remind_unbooked_weeks({"clock": clock})
    await run_jobs()
    assert await reminders_to(mailbox, family) == []
    assert not await SentReminder.exists(guardian__household_id=family.household.id)


async def test_turning_reminders_back_on_and_others_cannot_choose(
    api: GraphQL, clock: FrozenClock
) -> None:
    _, [ours, theirs] = await families(clock, 2)
    token = await token_for(ours.parent, clock)
    household_id = encode_id("Household", ours.household.id)
    for value in (False, True):
        result = await api(
            SET_REMINDERS, {"householdId": household_id, "enabled": value}, token=token
        )
    assert result["data"]["setReminders"]["guardian"] == {"remindersEnabled": True}

    neighbour = await api(
        SET_REMINDERS,
        {"householdId": household_id, "enabled": False},
        token=await token_for(theirs.parent, clock),
    )
    assert [e["code"] for e in neighbour["data"]["setReminders"]["errors"]] == ["NOT_FOUND"]
