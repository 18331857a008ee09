"""Booking changes as parents send them: recurrences, siblings, retries, full days, staff."""

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest

from gql.ids import encode_id
from models.accounts import AccountRole
from models.audit import AuditEntry
from models.bookings import Booking, BookingStatus
from models.households import Child, Guardian
from models.requests import Request
from resolvers.calendar.bookings import _deserialise
from resolvers.calendar.catalogue import set_opening
from resolvers.calendar.enrollments import enroll
from resolvers.core.clock import FrozenClock
from tests.conftest import Backend, GraphQL, Mailbox
from tests.factories import (
    Catalogue,
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)

PREVIEW = """
mutation($householdId: ID!, $input: BookingChangesInput!) {
  previewBookingChanges(householdId: $householdId, input: $input) {
    lines { child { firstNames } date outcome accepted reason message }
    summary skippedClosedDays requestId errors { code message }
  }
}
"""
SUBMIT = """
mutation($householdId: ID!, $input: BookingChangesInput!, $key: String) {
  submitBookingChanges(householdId: $householdId, input: $input, idempotencyKey: $key) {
    lines { child { firstNames } date outcome accepted reason message }
    summary skippedClosedDays requestId replayed errors { code message }
  }
}
"""
CALENDAR = """
query($householdId: ID!, $from: Date!, $to: Date!) {
  calendar(householdId: $householdId, from: $from, to: $to) {
    child { firstNames } days { date status canChange changeableUntil reason message }
  }
}
"""
REQUESTS = """
query($id: ID!) {
  household(id: $id) { requests { nodes { kind status summary history { status comment } } } }
}
"""


async def parent_of(household: Any, town: Any, clock: FrozenClock) -> tuple[Any, str]:
    parent = await make_account(town, clock)
    guardian = await Guardian.filter(household=household).order_by("id").first()
    assert guardian is not None
    guardian.account_id = parent.id
    await guardian.save()
    return parent, await token_for(parent, clock)


async def setup(
    clock: FrozenClock,
    *,
    children: int = 1,
    capacity: int | None = None,
    enrolled: int | None = None,
) -> dict[str, Any]:
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock, capacity=capacity)
    household = await make_household(staff, clock, children=children, guardians=1)
    child_ids = await enroll_all(staff, household, catalogue, clock)
    if enrolled is not None:  # un-enrol the youngest ones
        from models.bookings import Enrollment

        await Enrollment.filter(child_id__in=child_ids[enrolled:]).delete()
    parent, token = await parent_of(household, town, clock)
    return {
        "town": town,
        "staff": staff,
        "catalogue": catalogue,
        "household": household,
        "household_id": encode_id("Household", household.id),
        "child_ids": child_ids,
        "parent": parent,
        "token": token,
        "staff_token": await token_for(staff, clock),
        "activity_id": encode_id("Activity", catalogue.canteen.id),
    }


def day_change(f: dict[str, Any], day: str, action: str = "BOOK", child: int = 0) -> dict[str, Any]:
    return {
        "childId": encode_id("Child", f["child_ids"][child]),
        "activityId": f["activity_id"],
        "date": day,
        "action": action,
    }


def winter_recurrence(f: dict[str, Any]) -> dict[str, Any]:
    """Every Monday, Tuesday, Thursday and Friday from 14 December to 15 January."""
    return {
        "childId": encode_id("Child", f["child_ids"][0]),
        "activityId": f["activity_id"],
        "action": "BOOK",
        "from": "2026-12-14",
        "to": "2027-01-15",
        "weekdays": [0, 1, 3, 4],
    }


async def test_a_recurrence_across_christmas_and_new_year(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    f = await setup(clock)
    input = {"recurrences": [winter_recurrence(f)]}

    # the preview shows what would happen, and changes nothing
    preview = (
        await api(PREVIEW, {"householdId": f["household_id"], "input": input}, token=f["token"])
    )["data"]["previewBookingChanges"]
    booked_days = [line["date"] for line in preview["lines"]]
    # 14-18 Dec: Mon Tue Thu Fri; holidays 19 Dec - 3 Jan (incl. 1 Jan); 4-15 Jan: 8 days
    assert booked_days == [
        "2026-12-14",
        "2026-12-15",
        "2026-12-17",
        "2026-12-18",
        "2027-01-04",
        "2027-01-05",
        "2027-01-07",
        "2027-01-08",
        "2027-01-11",
        "2027-01-12",
        "2027-01-14",
        "2027-01-15",
    ]
    assert preview["skippedClosedDays"] == 8
    assert {line["outcome"] for line in preview["lines"]} == {"BOOKED"}
    assert preview["requestId"] is None
    assert await Booking.filter(child_id=f["child_ids"][0]).count() == 0

    # the submit applies them as one request, mailed to the parent
    submitted = (
        await api(
            SUBMIT,
            {"householdId": f["household_id"], "input": input, "key": "k-1"},
            token=f["token"],
        )
    )["data"]
    result = submitted["submitBookingChanges"]
    assert result["summary"] == "Réservations : 12 jours réservés"
    assert (
        await Booking.filter(child_id=f["child_ids"][0], status=BookingStatus.BOOKED).count() == 12
    )
    requests = await api(REQUESTS, {"id": f["household_id"]}, token=f["token"])
    [request] = [
        r
        for r in requests["data"]["household"]["requests"]["nodes"]
        if r["kind"] == "BOOKING_CHANGE"
    ]
    assert request["status"] == "COMPLETED"
    assert [step["status"] for step in request["history"]] == ["SUBMITTED", "COMPLETED"]
    await run_jobs()
    [mail] = mailbox.to(f["parent"].email)
    assert mail["Subject"] == "Réservations : 12 jours réservés — Famille Test"
    text = Mailbox.text(mail)
    # one line for the 12 days, worded month by month
    assert (
        "- Enfant0, Restauration scolaire : lundi 14, mardi 15, jeudi 17, vendredi 18 "
        "décembre 2026, lundi 4, mardi 5, jeudi 7, vendredi 8, lundi 11, mardi 12, jeudi 14, "
        "vendredi 15 janvier 2027 — Réservé"
    ) in text.splitlines()
    assert "8 jour(s) de la répétition étaient fermés" in text


async def test_a_retried_submit_applies_once(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    f = await setup(clock)
    variables = {
        "householdId": f["household_id"],
        "key": "telephone-42",
        "input": {"changes": [day_change(f, "2026-12-01")]},
    }
    first = (await api(SUBMIT, variables, token=f["token"]))["data"]["submitBookingChanges"]
    again = (await api(SUBMIT, variables, token=f["token"]))["data"]["submitBookingChanges"]
    assert first["replayed"] is False and again["replayed"] is True
    assert again["requestId"] == first["requestId"]
    assert again["lines"] == first["lines"]
    assert await Request.filter(household_id=f["household"].id, kind="booking_change").count() == 1
    await run_jobs()
    assert len(mailbox.to(f["parent"].email)) == 1


async def test_a_replay_answers_every_line_in_the_first_order(
    api: GraphQL, clock: FrozenClock
) -> None:
    """The request keeps its lines grouped by outcome (its replay copy's version 2); a
    replay gives them back by day."""
    f = await setup(clock)
    days = ["2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]  # the 2nd is a Wednesday
    variables = {
        "householdId": f["household_id"],
        "key": "telephone-43",
        "input": {"changes": [day_change(f, day) for day in days]},
    }
    first = (await api(SUBMIT, variables, token=f["token"]))["data"]["submitBookingChanges"]
    again = (await api(SUBMIT, variables, token=f["token"]))["data"]["submitBookingChanges"]
    assert [line["date"] for line in first["lines"]] == days
    assert [line["outcome"] for line in first["lines"]] == [
        "BOOKED",
        "REJECTED",
        "BOOKED",
        "BOOKED",
    ]
    assert again["replayed"] is True and again["lines"] == first["lines"]
    assert again["summary"] == first["summary"]
    stored = await Request.get(household_id=f["household"].id, idempotency_key="telephone-43")
    assert stored.payload["version"] == 2 and "groups" in stored.payload


async def test_a_request_stored_line_by_line_still_replays(
    api: GraphQL, clock: FrozenClock
) -> None:
    """Requests written before lines were grouped (a replay copy without a version:
    version 1, one line a day) keep answering their retries."""
    f = await setup(clock)
    await Request.create(
        tenant_id=f["town"].id,
        household_id=f["household"].id,
        submitted_by_id=f["parent"].id,
        kind="booking_change",
        status="completed",
        summary="Réservations : 1 jour réservé",
        idempotency_key="avant",
        created_at=clock.now(),
        updated_at=clock.now(),
        payload={
            "skipped_closed_days": 0,
            "lines": [
                {
                    "child_id": f["child_ids"][0],
                    "child_name": "Léa",
                    "activity_id": f["catalogue"].canteen.id,
                    "activity_name": "Restauration scolaire",
                    "day": "2026-12-01",
                    "action": "book",
                    "outcome": "booked",
                    "reason": "CHANGEABLE",
                    "message": "Réservé",
                    "overridden": False,
                }
            ],
        },
    )
    variables = {
        "householdId": f["household_id"],
        "key": "avant",
        "input": {"changes": [day_change(f, "2026-12-03")]},
    }
    again = (await api(SUBMIT, variables, token=f["token"]))["data"]["submitBookingChanges"]
    assert again["replayed"] is True
    assert again["lines"] == [
        {
            "child": {"firstNames": "Léa"},
            "date": "2026-12-01",
            "outcome": "BOOKED",
            "accepted": True,
            "reason": "CHANGEABLE",
            "message": "Réservé",
        }
    ]
    assert await Booking.filter(child_id=f["child_ids"][0]).count() == 0


async def test_a_replay_copy_of_an_unknown_version_is_refused_not_guessed(backend: Backend) -> None:
    """A copy written by a later release is not read as if it were one of ours."""
    stored = Request(id=7, payload={"version": 3, "skipped_closed_days": 0, "groups": []})
    with pytest.raises(ValueError, match="request 7: replay copy of unknown version 3"):
        _deserialise(stored)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_submit_retried_while_the_first_runs_applies_once(
    api: GraphQL, clock: FrozenClock, backend: Any
) -> None:
    # given a full canteen day and a free one, sent twice at once with the same key
    f = await setup(clock, capacity=5)
    variables = {
        "householdId": f["household_id"],
        "key": "telephone-43",
        "input": {"changes": [day_change(f, "2026-12-01"), day_change(f, "2026-12-03")]},
    }
    first, second = await asyncio.gather(
        api(SUBMIT, variables, token=f["token"]), api(SUBMIT, variables, token=f["token"])
    )
    answers = [first["data"]["submitBookingChanges"], second["data"]["submitBookingChanges"]]
    # then one applied it, the other answers the same request without applying it again
    assert sorted(answer["replayed"] for answer in answers) == [False, True]
    assert answers[0]["requestId"] == answers[1]["requestId"]
    assert answers[0]["lines"] == answers[1]["lines"]
    assert [line["outcome"] for line in answers[0]["lines"]] == ["BOOKED", "BOOKED"]
    assert await Request.filter(household_id=f["household"].id, kind="booking_change").count() == 1
    assert (
        await Booking.filter(child_id=f["child_ids"][0], status=BookingStatus.BOOKED).count() == 2
    )


async def test_do_the_same_for_a_sibling(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    f = await setup(clock, children=3, enrolled=2)
    input = {
        "changes": [day_change(f, "2026-12-01")],
        "sameForChildIds": [encode_id("Child", c) for c in f["child_ids"][1:]],
    }
    named = SUBMIT.replace("reason message", "reason message activityName")
    result = (
        await api(named, {"householdId": f["household_id"], "input": input}, token=f["token"])
    )["data"]["submitBookingChanges"]
    outcomes = {
        line["child"]["firstNames"]: (line["outcome"], line["reason"]) for line in result["lines"]
    }
    assert outcomes["Enfant0"] == ("BOOKED", "CHANGEABLE")
    assert outcomes["Enfant1"] == ("BOOKED", "CHANGEABLE")
    assert outcomes["Enfant2"][0] == "REJECTED" and outcomes["Enfant2"][1] == "NOT_ENROLLED"
    assert result["summary"] == "Réservations : 2 jours réservés, 1 demande refusée"
    # the refused sibling's line names the activity, in the answer and in the mail
    [refused] = [line for line in result["lines"] if line["outcome"] == "REJECTED"]
    assert refused["activityName"] == "Restauration scolaire"
    await run_jobs()
    [mail] = mailbox.to(f["parent"].email)
    assert (
        "- Enfant2, Restauration scolaire : mardi 1 décembre 2026 — refusé : Enfant2 n'est "
        "pas inscrit(e) à cette activité ce jour-là."
    ) in Mailbox.text(mail).splitlines()


async def test_days_grouped_by_activity_do_what_single_changes_do(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a family sending three days as one `days` entry, one of them also in `changes`
    f = await setup(clock)
    child = encode_id("Child", f["child_ids"][0])
    dates = ["2026-12-03", "2026-12-01", "2026-12-04"]
    input = {
        "changes": [day_change(f, "2026-12-03", "CANCEL")],
        "days": [
            {"childId": child, "activityId": f["activity_id"], "action": "BOOK", "dates": dates}
        ],
    }
    preview = (
        await api(PREVIEW, {"householdId": f["household_id"], "input": input}, token=f["token"])
    )["data"]["previewBookingChanges"]
    result = (
        await api(SUBMIT, {"householdId": f["household_id"], "input": input}, token=f["token"])
    )["data"]["submitBookingChanges"]
    # then each day is one line in date order, `days` winning over `changes`, as previewed
    assert [(line["date"], line["outcome"]) for line in result["lines"]] == [
        ("2026-12-01", "BOOKED"),
        ("2026-12-03", "BOOKED"),
        ("2026-12-04", "BOOKED"),
    ]
    assert preview["lines"] == result["lines"] and result["errors"] == []
    booked = await Booking.filter(child_id=f["child_ids"][0], status=BookingStatus.BOOKED)
    assert sorted(str(b.day) for b in booked) == sorted(dates)
    # and an id of the wrong kind is refused like in `changes`
    wrong = {"days": [{**input["days"][0], "childId": f["activity_id"]}]}
    refused = (
        await api(SUBMIT, {"householdId": f["household_id"], "input": wrong}, token=f["token"])
    )["data"]["submitBookingChanges"]
    assert refused["errors"] and refused["lines"] == []


async def test_cancel_within_and_past_the_deadline(api: GraphQL, clock: FrozenClock) -> None:
    f = await setup(clock)
    await api(
        SUBMIT,
        {
            "householdId": f["household_id"],
            "input": {"changes": [day_change(f, "2026-12-01"), day_change(f, "2026-12-03")]},
        },
        token=f["token"],
    )
    clock.current = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 1 Dec locked, 3 Dec open
    result = (
        await api(
            SUBMIT,
            {
                "householdId": f["household_id"],
                "input": {
                    "changes": [
                        day_change(f, "2026-12-01", "CANCEL"),
                        day_change(f, "2026-12-03", "CANCEL"),
                    ]
                },
            },
            token=f["token"],
        )
    )["data"]["submitBookingChanges"]
    assert [(line["date"], line["outcome"]) for line in result["lines"]] == [
        ("2026-12-01", "REJECTED"),
        ("2026-12-03", "CANCELLED"),
    ]


async def test_staff_may_book_past_the_deadline_and_it_is_audited(
    api: GraphQL, clock: FrozenClock
) -> None:
    f = await setup(clock)
    input = {"changes": [day_change(f, "2026-11-26")]}  # deadline was 19 November
    parent_try = (
        await api(SUBMIT, {"householdId": f["household_id"], "input": input}, token=f["token"])
    )["data"]["submitBookingChanges"]
    assert parent_try["lines"][0]["reason"] == "DEADLINE_PASSED"
    staff_try = (
        await api(
            SUBMIT, {"householdId": f["household_id"], "input": input}, token=f["staff_token"]
        )
    )["data"]["submitBookingChanges"]
    assert staff_try["lines"][0]["outcome"] == "BOOKED"
    [entry] = await AuditEntry.filter(action="bookings.deadline_override", tenant_id=f["town"].id)
    assert entry.actor_id == f["staff"].id
    assert entry.details["lines"][0]["day"] == "2026-11-26"


async def test_a_full_day_offers_the_waiting_list_then_frees_in_order(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given a canteen with one place, taken by the first family
    first = await setup(clock, capacity=1)
    second_household = await make_household(
        first["staff"], clock, children=1, guardians=1, name="Famille Seconde"
    )
    second_children = await enroll_all(first["staff"], second_household, first["catalogue"], clock)
    second_parent, second_token = await parent_of(second_household, first["town"], clock)
    second = {
        **first,
        "household": second_household,
        "child_ids": second_children,
        "household_id": encode_id("Household", second_household.id),
    }
    await api(
        SUBMIT,
        {
            "householdId": first["household_id"],
            "input": {"changes": [day_change(first, "2026-12-01")]},
        },
        token=first["token"],
    )

    # when the second family asks for the same day, they are put on the waiting list
    calendar = await api(
        CALENDAR,
        {"householdId": second["household_id"], "from": "2026-12-01", "to": "2026-12-01"},
        token=second_token,
    )
    assert calendar["data"]["calendar"][0]["days"][0]["status"] == "FULL"
    waiting = (
        await api(
            SUBMIT,
            {
                "householdId": second["household_id"],
                "input": {"changes": [day_change(second, "2026-12-01")]},
            },
            token=second_token,
        )
    )["data"]["submitBookingChanges"]
    assert waiting["lines"][0]["outcome"] == "WAITING_LIST"

    # then when the first family cancels, the place goes to the second, who is mailed
    await api(
        SUBMIT,
        {
            "householdId": first["household_id"],
            "input": {"changes": [day_change(first, "2026-12-01", "CANCEL")]},
        },
        token=first["token"],
    )
    calendar = await api(
        CALENDAR,
        {"householdId": second["household_id"], "from": "2026-12-01", "to": "2026-12-01"},
        token=second_token,
    )
    assert calendar["data"]["calendar"][0]["days"][0]["status"] == "BOOKED"
    await run_jobs()
    promoted = [
        m
        for m in mailbox.to(second_parent.email)
        if m["Subject"].startswith("Une place s'est libérée")
    ]
    assert len(promoted) == 1
    assert "mardi 1 décembre 2026" in Mailbox.text(promoted[0])


async def test_an_enrolment_awaiting_review_cannot_be_booked(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    catalogue: Catalogue = await make_catalogue(staff, clock)
    household = await make_household(staff, clock, children=1, guardians=1)
    parent, token = await parent_of(household, town, clock)
    child = await Child.filter(household=household).get()
    await enroll(
        parent, child.id, catalogue.canteen.id, catalogue.site.id, catalogue.period.id, clock=clock
    )
    calendar = await api(
        CALENDAR,
        {
            "householdId": encode_id("Household", household.id),
            "from": "2026-12-01",
            "to": "2026-12-01",
        },
        token=token,
    )
    day = calendar["data"]["calendar"][0]["days"][0]
    assert (day["status"], day["reason"]) == ("AWAITING_ENROLLMENT", "ENROLLMENT_PENDING")


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_concurrent_submits_never_exceed_capacity(
    api: GraphQL, clock: FrozenClock, backend: Any
) -> None:
    # given a canteen with 3 places and 12 families wanting the same day at the same time
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock, capacity=3)
    families = []
    for n in range(12):
        household = await make_household(staff, clock, children=1, guardians=1, name=f"Famille {n}")
        [child_id] = await enroll_all(staff, household, catalogue, clock)
        _, token = await parent_of(household, town, clock)
        families.append((household, child_id, token))

    async def book(household: Any, child_id: int, token: str) -> str:
        result = await api(
            SUBMIT,
            {
                "householdId": encode_id("Household", household.id),
                "input": {
                    "changes": [
                        {
                            "childId": encode_id("Child", child_id),
                            "activityId": encode_id("Activity", catalogue.canteen.id),
                            "date": "2026-12-01",
                            "action": "BOOK",
                        }
                    ]
                },
            },
            token=token,
        )
        outcome: str = result["data"]["submitBookingChanges"]["lines"][0]["outcome"]
        return outcome

    outcomes = await asyncio.gather(*(book(*family) for family in families))
    assert sorted(outcomes).count("BOOKED") == 3
    assert sorted(outcomes).count("WAITING_LIST") == 9
    booked = await Booking.filter(
        activity_id=catalogue.canteen.id, day=date(2026, 12, 1), status=BookingStatus.BOOKED
    ).count()
    assert booked == 3
    # and when staff raise the capacity to 5, the first two waiting families get a place
    await set_opening(
        staff,
        catalogue.canteen.id,
        catalogue.site.id,
        catalogue.period.id,
        [0, 1, 3, 4],
        5,
        clock=clock,
    )
    assert (
        await Booking.filter(activity_id=catalogue.canteen.id, status=BookingStatus.BOOKED).count()
        == 5
    )
    assert (
        await Booking.filter(activity_id=catalogue.canteen.id, status=BookingStatus.WAITING).count()
        == 7
    )


async def test_a_slot_becomes_countable_when_more_children_enrol_than_it_has_places(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given two places and two enrolled children: no day of the slot can be full
    f = await setup(clock, children=3, capacity=2, enrolled=2)
    both = [day_change(f, "2026-12-01"), day_change(f, "2026-12-01", child=1)]
    first = await api(
        SUBMIT, {"householdId": f["household_id"], "input": {"changes": both}}, token=f["token"]
    )
    lines = first["data"]["submitBookingChanges"]["lines"]
    assert [line["outcome"] for line in lines] == ["BOOKED", "BOOKED"]

    # when a third child is enrolled, the day is full for it: waiting list, not a third place
    await enroll(
        f["staff"],
        f["child_ids"][2],
        f["catalogue"].canteen.id,
        f["catalogue"].site.id,
        f["catalogue"].period.id,
        clock=clock,
    )
    third = await api(
        SUBMIT,
        {
            "householdId": f["household_id"],
            "input": {"changes": [day_change(f, "2026-12-01", child=2)]},
        },
        token=f["token"],
    )
    [line] = third["data"]["submitBookingChanges"]["lines"]
    assert line["outcome"] == "WAITING_LIST"
    booked = Booking.filter(
        child_id__in=f["child_ids"], day=date(2026, 12, 1), status=BookingStatus.BOOKED
    )
    assert await booked.count() == 2
