"""A change set's input refused before anything is written: other households' children,
impossible weekdays, reused or overlong idempotency keys."""

import base64
from datetime import date
from typing import Any

import pytest
from tortoise.exceptions import IntegrityError

from gql.ids import encode_id
from models.bookings import Booking
from models.outbox import OutboxJob
from models.requests import Request
from resolvers.calendar import bookings
from resolvers.calendar.bookings import BookingAction, BookingChange, ChangeSet, submit_changes
from resolvers.core.clock import FrozenClock
from tests.calendar.test_bookings import SUBMIT, day_change, setup, winter_recurrence
from tests.conftest import GraphQL

pytestmark = pytest.mark.usefixtures("backend")

PREVIEW_ERRORS = """
mutation($householdId: ID!, $input: BookingChangesInput!) {
  previewBookingChanges(householdId: $householdId, input: $input) {
    lines { outcome } errors { code field message }
  }
}
"""
SUBMIT_ERRORS = """
mutation($householdId: ID!, $input: BookingChangesInput!, $key: String) {
  submitBookingChanges(householdId: $householdId, input: $input, idempotencyKey: $key) {
    lines { outcome } replayed errors { code field message }
  }
}
"""
CALENDAR_OF = """
query($householdId: ID!, $childIds: [ID!]) {
  calendar(householdId: $householdId, from: "2026-12-01", to: "2026-12-31",
           childIds: $childIds) { child { firstNames } }
}
"""


async def test_a_child_of_another_household_is_not_found_and_nothing_is_written(
    api: GraphQL, clock: FrozenClock
) -> None:
    # Given two families; the first one's parent knows an id of the other's child
    f, other = await setup(clock), await setup(clock)
    foreign = encode_id("Child", other["child_ids"][0])
    unknown = encode_id("Child", 999_999_999)
    outbox_before = await OutboxJob.all().count()
    requests_before = await Request.filter(household_id=f["household"].id).count()
    cases = {
        "changes.childId": {"changes": [{**day_change(f, "2026-12-07"), "childId": foreign}]},
        "days.childId": {
            "days": [
                {
                    "childId": unknown,
                    "activityId": f["activity_id"],
                    "action": "BOOK",
                    "dates": ["2026-12-07"],
                }
            ]
        },
        "recurrences.childId": {"recurrences": [{**winter_recurrence(f), "childId": foreign}]},
        "sameForChildIds": {
            "changes": [day_change(f, "2026-12-07")],
            "sameForChildIds": [foreign],
        },
    }
    for field, input in cases.items():
        # When it is previewed and submitted
        variables = {"householdId": f["household_id"], "input": input}
        preview = await api(PREVIEW_ERRORS, variables, token=f["token"])
        submit = await api(SUBMIT_ERRORS, {**variables, "key": field}, token=f["token"])
        # Then both answer NOT_FOUND naming the field, and no line, request, mail or booking
        for payload in (
            preview["data"]["previewBookingChanges"],
            submit["data"]["submitBookingChanges"],
        ):
            assert payload["lines"] == []
            assert payload["errors"] == [
                {"code": "NOT_FOUND", "field": field, "message": "Enfant introuvable."}
            ], field
    assert await Request.filter(household_id=f["household"].id).count() == requests_before
    assert await Booking.filter(child__household_id=f["household"].id).count() == 0
    assert await Booking.filter(child__household_id=other["household"].id).count() == 0
    assert await OutboxJob.all().count() == outbox_before


@pytest.mark.parametrize(
    "number",
    [
        str(2**31),  # one past PostgreSQL's integer
        str(2**63),  # one past its bigint
        str(10**40),
        "9" * 5000,  # past int()'s digits
        "007",  # not how an id is spelt
    ],
    ids=["int", "bigint", "10^40", "5000 digits", "007"],
)
async def test_a_forged_number_in_an_id_is_invalid_and_nothing_is_written(
    api: GraphQL, clock: FrozenClock, number: str
) -> None:
    # Given a family, and ids whose number no row can have
    f = await setup(clock)
    outbox_before = await OutboxJob.all().count()
    requests_before = await Request.filter(household_id=f["household"].id).count()
    forged = {
        kind: base64.urlsafe_b64encode(f"{kind.capitalize()}:{number}".encode()).decode()
        for kind in ("child", "activity")
    }
    for key, global_id in forged.items():  # a forged child's id, then an activity's
        input = {"changes": [{**day_change(f, "2026-12-07"), f"{key}Id": global_id}]}
        # When it is submitted, and the calendar asked for that child
        body = await api(
            SUBMIT_ERRORS,
            {"householdId": f["household_id"], "input": input, "key": key},
            token=f["token"],
        )
        # Then the id is refused as any malformed one, not as an internal error
        assert body["data"]["submitBookingChanges"] == {
            "lines": [],
            "replayed": False,
            "errors": [
                {"code": "INVALID", "field": f"changes.{key}Id", "message": "Identifiant invalide."}
            ],
        }, body
    calendar = await api(
        CALENDAR_OF,
        {"householdId": f["household_id"], "childIds": [forged["child"]]},
        token=f["token"],
    )
    assert [e["extensions"]["code"] for e in calendar["errors"]] == ["INVALID"]
    # and nothing was written
    assert await Request.filter(household_id=f["household"].id).count() == requests_before
    assert await Booking.filter(child__household_id=f["household"].id).count() == 0
    assert await OutboxJob.all().count() == outbox_before


async def test_the_calendar_of_another_households_child_is_not_found(
    api: GraphQL, clock: FrozenClock
) -> None:
    f, other = await setup(clock), await setup(clock)
    mine = encode_id("Child", f["child_ids"][0])
    foreign = encode_id("Child", other["child_ids"][0])
    ok = await api(
        CALENDAR_OF, {"householdId": f["household_id"], "childIds": [mine]}, token=f["token"]
    )
    assert len(ok["data"]["calendar"]) == 1
    body = await api(
        CALENDAR_OF,
        {"householdId": f["household_id"], "childIds": [mine, foreign]},
        token=f["token"],
    )
    [error] = body["errors"]
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "childIds"}
    assert error["message"] == "Enfant introuvable."


async def test_weekdays_out_of_0_to_6_are_invalid_and_nothing_is_mailed(
    api: GraphQL, clock: FrozenClock
) -> None:
    f = await setup(clock)
    outbox_before = await OutboxJob.all().count()
    requests_before = await Request.filter(household_id=f["household"].id).count()
    input = {"recurrences": [{**winter_recurrence(f), "weekdays": [7, -1]}]}
    body = await api(
        SUBMIT_ERRORS, {"householdId": f["household_id"], "input": input}, token=f["token"]
    )
    assert body["data"]["submitBookingChanges"]["errors"] == [
        {
            "code": "INVALID",
            "field": "recurrences.weekdays",
            "message": "Jours de la semaine : de 0 (lundi) à 6 (dimanche).",
        }
    ]
    assert await Request.filter(household_id=f["household"].id).count() == requests_before
    assert await OutboxJob.all().count() == outbox_before


async def test_a_key_reused_for_other_changes_is_refused_the_same_changes_replay(
    api: GraphQL, clock: FrozenClock
) -> None:
    # Given a submit with a key
    f = await setup(clock)
    first_input = {"changes": [day_change(f, "2026-12-07")]}
    variables = {"householdId": f["household_id"], "input": first_input, "key": "k-1"}
    first = (await api(SUBMIT_ERRORS, variables, token=f["token"]))["data"]["submitBookingChanges"]
    assert first["errors"] == [] and first["replayed"] is False
    outbox_after_first = await OutboxJob.all().count()
    requests_after_first = await Request.filter(household_id=f["household"].id).count()

    # When the same key comes with another change set
    other = {**variables, "input": {"changes": [day_change(f, "2026-12-08")]}}
    reused = (await api(SUBMIT_ERRORS, other, token=f["token"]))["data"]["submitBookingChanges"]

    # Then it is refused, and nothing more is written
    assert reused["lines"] == []
    assert reused["errors"] == [
        {
            "code": "IDEMPOTENCY_KEY_REUSED",
            "field": "idempotencyKey",
            "message": "Cette clé d'idempotence a déjà servi pour d'autres changements : "
            "envoyez une nouvelle clé pour ces changements.",
        }
    ]
    assert await Request.filter(household_id=f["household"].id).count() == requests_after_first
    assert await Booking.filter(child__household_id=f["household"].id).count() == 1
    assert await OutboxJob.all().count() == outbox_after_first

    # and the same key with the same changes (ids encoded alike) still replays
    again = (await api(SUBMIT, variables, token=f["token"]))["data"]["submitBookingChanges"]
    assert again["replayed"] is True and again["errors"] == []
    assert [line["outcome"] for line in again["lines"]] == ["BOOKED"]


async def test_a_key_longer_than_64_characters_is_invalid_not_cut(
    api: GraphQL, clock: FrozenClock
) -> None:
    f = await setup(clock)
    requests_before = await Request.filter(household_id=f["household"].id).count()
    input = {"changes": [day_change(f, "2026-12-07")]}
    long_key = "k" * 65
    body = await api(
        SUBMIT_ERRORS,
        {"householdId": f["household_id"], "input": input, "key": long_key},
        token=f["token"],
    )
    assert body["data"]["submitBookingChanges"]["errors"] == [
        {
            "code": "INVALID",
            "field": "idempotencyKey",
            "message": "La clé d'idempotence fait 64 caractères au plus.",
        }
    ]
    assert await Request.filter(household_id=f["household"].id).count() == requests_before
    at_most = await api(
        SUBMIT_ERRORS,
        {"householdId": f["household_id"], "input": input, "key": "k" * 64},
        token=f["token"],
    )
    assert at_most["data"]["submitBookingChanges"]["errors"] == []


async def test_an_integrity_failure_without_a_key_is_raised_not_looked_up(
    clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a household with two requests sent without a key (idempotency_key NULL)
    f = await setup(clock)
    household_id, child_id = f["household"].id, f["child_ids"][0]
    activity_id = f["catalogue"].canteen.id
    for day in (date(2026, 12, 7), date(2026, 12, 8)):
        change = BookingChange(child_id, activity_id, day, BookingAction.BOOK)
        await submit_changes(f["parent"], household_id, ChangeSet([change]), clock=clock)

    # When a submit without a key meets an integrity failure of its own
    async def failing(*args: Any) -> Any:
        raise IntegrityError("booking_child_id_fkey")

    monkeypatch.setattr(bookings, "_apply", failing)
    change = BookingChange(child_id, activity_id, date(2026, 12, 10), BookingAction.BOOK)

    # Then that failure comes back, not a lookup of "the" request whose key is NULL
    with pytest.raises(IntegrityError, match="booking_child_id_fkey"):
        await submit_changes(f["parent"], household_id, ChangeSet([change]), clock=clock)
