"""What the benchmark asks, of our GraphQL API and of the raw endpoint: the seeded children
to pick from, the calendar ranges, the GraphQL documents, and the 180-day booking plan."""

import hashlib
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from bench.seed import DATABASE_URL, session_token
from gql.ids import decode_id, encode_id

MONTH = (date(2026, 12, 1), date(2026, 12, 31))
YEAR = (date(2026, 9, 1), date(2027, 7, 3))
BOOKING_DAYS = 180

# The family app's calendar document, shipped and registered (gql/mobile/): the API answers
# it by its compiled path, here sent as a phone in trusted mode does, by its hash alone.
MOBILE_CALENDAR = (Path(__file__).parent.parent / "gql" / "mobile" / "calendar.graphql").read_text()
MOBILE_CALENDAR_SHA256 = hashlib.sha256(MOBILE_CALENDAR.encode()).hexdigest()
# The family app's booking submit, shipped and registered the same way (compiled path).
MOBILE_SUBMIT = (Path(__file__).parent.parent / "gql" / "mobile" / "submit.graphql").read_text()
MOBILE_SUBMIT_SHA256 = hashlib.sha256(MOBILE_SUBMIT.encode()).hexdigest()

# What a family app asks for a calendar screen; `days` is completed by `days_selection`.
# The same fields as MOBILE_CALENDAR in another text (no final newline): the general executor.
CALENDAR_QUERY = """query Calendar($householdId: ID!, $from: Date!, $to: Date!, $childIds: [ID!]) {
  calendar(householdId: $householdId, from: $from, to: $to, childIds: $childIds) {
    enrollmentId child { id firstNames } activity { id code name } site { id name }
    days%s
  }
}"""
DAY_FIELDS = " { date status canChange changeableUntil reason message }"
# CalendarDay is an object type or a JSON scalar depending on the version of the schema.
DAY_KIND_QUERY = '{ __type(name: "CalendarDay") { kind } }'

SUBMIT_MUTATION = """mutation Submit($householdId: ID!, $input: BookingChangesInput!) {
  submitBookingChanges(householdId: $householdId, input: $input) {
    summary skippedClosedDays requestId
    lines { activityId date outcome reason message }
    errors { code message field }
  }
}"""


@dataclass(frozen=True)
class Target:
    """A seeded child with the parent account that may see it."""

    child_id: int
    household_id: int
    account_id: int

    @property
    def token(self) -> str:
        return session_token(self.account_id)


async def load_targets() -> list[Target]:
    """Every seeded child whose household has a parent account, with its enrolments."""
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        rows = await conn.fetch(
            """SELECT c.id AS child_id, c.household_id, g.account_id
               FROM child c JOIN guardian g ON g.household_id = c.household_id
               WHERE g.account_id IS NOT NULL
                 AND EXISTS (SELECT 1 FROM enrollment e WHERE e.child_id = c.id)
               ORDER BY c.id"""
        )
    finally:
        await conn.close()
    return [Target(row["child_id"], row["household_id"], row["account_id"]) for row in rows]


def days_selection(kind: str | None) -> str:
    """`days { … }` for an object type, bare `days` for a scalar."""
    return DAY_FIELDS if kind == "OBJECT" else ""


def ours_calendar(
    target: Target, span: tuple[date, date], days: str, *, whole_household: bool = False
) -> dict[str, object]:
    """One child's calendar (or every child of the household's)."""
    return {
        "query": CALENDAR_QUERY % days,
        "operationName": "Calendar",
        "variables": {
            "householdId": encode_id("Household", target.household_id),
            "from": span[0].isoformat(),
            "to": span[1].isoformat(),
            "childIds": None if whole_household else [encode_id("Child", target.child_id)],
        },
    }


def compiled_calendar(target: Target, span: tuple[date, date]) -> dict[str, object]:
    """One child's calendar as the app sends it: the registered document's hash alone."""
    return {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": MOBILE_CALENDAR_SHA256}},
        "variables": {
            "householdId": encode_id("Household", target.household_id),
            "from": span[0].isoformat(),
            "to": span[1].isoformat(),
            "childIds": [encode_id("Child", target.child_id)],
        },
    }


def raw_calendar(target: Target, span: tuple[date, date]) -> dict[str, object]:
    return {
        "householdId": target.household_id,
        "childIds": [target.child_id],
        "from": span[0].isoformat(),
        "to": span[1].isoformat(),
    }


@dataclass(frozen=True)
class BookingLine:
    activity_id: int
    site_id: int
    day: date


def booking_lines(calendar: list[dict[str, Any]], count: int = BOOKING_DAYS) -> list[BookingLine]:
    """The first `count` days of a child's year calendar (GraphQL answer) that can change now,
    in date order across the child's activities."""
    lines = []
    for line in calendar:
        activity = decode_id(line["activity"]["id"], "Activity", field="activityId")
        site = decode_id(line["site"]["id"], "Site", field="siteId")
        for day in line["days"]:
            if day["canChange"] and day["status"] in ("BOOKED", "NOT_BOOKED"):
                lines.append(BookingLine(activity, site, date.fromisoformat(day["date"])))
    lines.sort(key=lambda item: (item.day, item.activity_id))
    return lines[:count]


def ours_booking(target: Target, lines: list[BookingLine], action: str) -> dict[str, object]:
    """`submitBookingChanges` of every day with one action (BOOK or CANCEL), as the
    compact `days` input: one entry per activity with its dates."""
    return {
        "query": SUBMIT_MUTATION,
        "operationName": "Submit",
        "variables": {
            "householdId": encode_id("Household", target.household_id),
            "input": booking_input(target, lines, action),
        },
    }


def compiled_booking(
    target: Target, lines: list[BookingLine], action: str, idempotency_key: str
) -> dict[str, object]:
    """The same submit as the app sends it: the registered document's hash alone (its
    compiled path), with the new idempotency key a phone sends with every submit."""
    return {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": MOBILE_SUBMIT_SHA256}},
        "operationName": "SubmitBookingChanges",
        "variables": {
            "householdId": encode_id("Household", target.household_id),
            "input": booking_input(target, lines, action),
            "idempotencyKey": idempotency_key,
        },
    }


def booking_input(target: Target, lines: list[BookingLine], action: str) -> dict[str, object]:
    """The `BookingChangesInput` of every day with one action: one `days` entry per
    activity with its dates."""
    child = encode_id("Child", target.child_id)
    dates: dict[int, list[str]] = {}
    for line in lines:
        dates.setdefault(line.activity_id, []).append(line.day.isoformat())
    return {
        "days": [
            {
                "childId": child,
                "activityId": encode_id("Activity", activity),
                "action": action,
                "dates": days,
            }
            for activity, days in dates.items()
        ]
    }


def raw_booking(
    target: Target, lines: list[BookingLine], action: str, mode: str = "values"
) -> dict[str, object]:
    return {
        "childId": target.child_id,
        "status": "booked" if action == "BOOK" else "cancelled",
        "rows": [[line.activity_id, line.site_id, line.day.isoformat()] for line in lines],
        "mode": mode,
    }


def pick(targets: list[Target], count: int, seed: int) -> list[Target]:
    """A reproducible sample of children (all of them when count is larger)."""
    if count >= len(targets):
        return list(targets)
    return random.Random(seed).sample(targets, count)
