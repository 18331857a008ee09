"""Changing bookings: a change set, expanded by recurrences and siblings, previewed line by
line, then submitted atomically as one request with its confirmation mail.

Capacity is protected by locking the openings concerned (PostgreSQL ``FOR UPDATE``) before
counting, so concurrent submissions on the last place serialise instead of overbooking.
"""

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, cast

import orjson
from tortoise.fields import CharField

from models.accounts import Account, AccountRole
from models.bookings import Booking, BookingStatus
from models.catalogue import Activity
from models.households import Child
from models.requests import Request, RequestKind, RequestStatus
from resolvers.calendar.booking_rules import DayReason, DayStatus
from resolvers.calendar.calendar import (
    CalendarContext,
    Counted,
    EnrollmentRow,
    as_date,
    check_children,
    check_range,
    every_day_counted,
    load_context,
    load_day_rows,
)
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CalendarErrorCode, CommonErrorCode, DomainError
from resolvers.core.french import format_date
from resolvers.core.outbox import jobs_insert, mail_job, queue_mail
from resolvers.core.sql import Params, connection, fetch, is_postgres, rows_table
from resolvers.core.transactions import atomic
from resolvers.households.households import guardian_emails
from resolvers.live import live

MAX_LINES = 2000  # a school year for a few children and activities
# The request's idempotency_key column (models/requests.py).
_KEY_COLUMN = cast("CharField[str]", Request._meta.fields_map["idempotency_key"])
IDEMPOTENCY_KEY_MAX_LENGTH = _KEY_COLUMN.max_length
FREED_COLUMNS = [("activity_id", "INTEGER"), ("site_id", "INTEGER"), ("day", "DATE")]
WRITTEN_COLUMNS = [("child_id", "INTEGER"), *FREED_COLUMNS, ("status", "VARCHAR(16)")]
_EVENT_COLUMNS = [("status", "VARCHAR(16)"), ("comment", "TEXT")]
# In the submit's one statement (``_Written.at_once``): its request was written.
WRITTEN = "EXISTS (SELECT 1 FROM req)"


class BookingAction(StrEnum):
    BOOK = "book"
    CANCEL = "cancel"


class WeekParity(StrEnum):
    ALL = "all"
    EVEN = "even"
    ODD = "odd"


class LineOutcome(StrEnum):
    """What an accepted line did; rejected lines keep the day as it was."""

    BOOKED = "booked"
    WAITING_LIST = "waiting_list"
    CANCELLED = "cancelled"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


# Day statuses a line cannot change, whatever it asks; already booked; not booked. Tuples:
# membership tests identity first, where a set would hash each enum member in Python.
_NOT_CHANGEABLE = (DayStatus.CLOSED, DayStatus.AWAITING_ENROLLMENT, DayStatus.NOT_ENROLLED)
_BOOKED = (DayStatus.BOOKED, DayStatus.WAITING_LIST)
_NOT_BOOKED = (DayStatus.NOT_BOOKED, DayStatus.FULL)

_WEEKDAYS = frozenset(range(7))
# A line's reason is the value of its day's: by a lookup (an enum's ``.value`` is a
# Python-level property, read once per line).
_REASONS = {reason: reason.value for reason in DayReason}
_CHANGEABLE = DayReason.CHANGEABLE.value

# The booking status each written outcome leaves (UNCHANGED and REJECTED write nothing).
_WRITTEN = {
    LineOutcome.BOOKED: BookingStatus.BOOKED.value,
    LineOutcome.WAITING_LIST: BookingStatus.WAITING.value,
    LineOutcome.CANCELLED: BookingStatus.CANCELLED.value,
}


class BookingChange(NamedTuple):
    """One asked change. A named tuple: a change set holds hundreds, built in C."""

    child_id: int
    activity_id: int
    day: date
    action: BookingAction


# A change's (child, activity, day), and its place in a change set: by day, child, activity.
_LINE_KEY = itemgetter(0, 1, 2)
_LINE_ORDER = itemgetter(2, 0, 1)


class BookingDays(NamedTuple):
    """Many days of one activity for one child with one action (``days`` of the input)."""

    child_id: int
    activity_id: int
    action: BookingAction
    days: list[date]


@dataclass(frozen=True)
class Recurrence:
    """« Every Monday, Tuesday, Thursday and Friday from 2 January to 7 July »."""

    child_id: int
    activity_id: int
    action: BookingAction
    starts_on: date
    ends_on: date
    weekdays: frozenset[int]
    parity: WeekParity = WeekParity.ALL


@dataclass
class ChangeSet:
    changes: list[BookingChange] = field(default_factory=list)
    recurrences: list[Recurrence] = field(default_factory=list)
    same_for_child_ids: list[int] = field(default_factory=list)
    days: list[BookingDays] = field(default_factory=list)

    def single_days(self) -> Iterator[BookingChange]:
        """``changes``, then ``days`` one by one: of two lines of a day, the later wins."""
        yield from self.changes
        for child_id, activity_id, action, days in self.days:
            yield from map(
                BookingChange, repeat(child_id), repeat(activity_id), days, repeat(action)
            )

    def fingerprint(self, household_id: int) -> str:
        """What a retry must send again to be answered the first result: a hash of the
        change set as the domain reads it (ids decoded, weekdays as a set), stored with
        the request it created."""
        normalised = {
            "household": household_id,
            "changes": [[c.child_id, c.activity_id, c.day, c.action] for c in self.changes],
            "days": [[d.child_id, d.activity_id, d.action, d.days] for d in self.days],
            "recurrences": [
                [r.child_id, r.activity_id, r.action, r.starts_on, r.ends_on]
                + [sorted(r.weekdays), r.parity]
                for r in self.recurrences
            ],
            "same_for": self.same_for_child_ids,
        }
        return hashlib.sha256(orjson.dumps(normalised)).hexdigest()


@dataclass(slots=True)
class LineResult:
    child_id: int
    child_name: str
    activity_id: int
    activity_name: str
    day: date
    action: BookingAction
    outcome: LineOutcome
    reason: str
    message: str
    overridden: bool = False  # staff changed it past the deadline (audited)
    site_id: int = 0  # where the line's enrolment is (0: not enrolled, or a replayed line)

    @property
    def accepted(self) -> bool:
        return self.outcome != LineOutcome.REJECTED


@dataclass
class Promotion:
    """A waiting child who got a freed place."""

    child_id: int
    activity_id: int
    activity_name: str
    day: date


@dataclass
class ChangeResult:
    lines: list[LineResult]
    skipped_closed_days: int
    request_id: int | None = None
    replayed: bool = False
    _summary: str | None = field(default=None, repr=False, compare=False)

    def summary(self) -> str:
        """« Réservations : 178 jours réservés, 2 demandes refusées » (worded once: the
        request, its history, the mail and the answer all show it)."""
        if self._summary is None:
            self._summary = self._word_summary()
        return self._summary

    def _word_summary(self) -> str:
        counts = Counter(line.outcome for line in self.lines)
        parts = []
        for outcome, singular, plural in (
            (LineOutcome.BOOKED, "jour réservé", "jours réservés"),
            (LineOutcome.WAITING_LIST, "jour en liste d'attente", "jours en liste d'attente"),
            (LineOutcome.CANCELLED, "jour annulé", "jours annulés"),
            (LineOutcome.REJECTED, "demande refusée", "demandes refusées"),
        ):
            n = counts[outcome]
            if n:
                parts.append(f"{n} {singular if n == 1 else plural}")
        return "Réservations : " + (", ".join(parts) if parts else "aucun changement")


def _expand(change_set: ChangeSet, context: CalendarContext) -> tuple[list[BookingChange], int]:
    """Explicit lines, recurrences (closed days skipped and counted) and siblings."""
    lines: dict[tuple[int, int, date], BookingChange] = {}
    skipped = 0
    for recurrence in change_set.recurrences:
        day = recurrence.starts_on
        while day <= recurrence.ends_on:
            week_even = day.isocalendar().week % 2 == 0
            if day.weekday() in recurrence.weekdays and (
                recurrence.parity == WeekParity.ALL
                or (recurrence.parity == WeekParity.EVEN) == week_even
            ):
                row = context.enrollment_for(recurrence.child_id, recurrence.activity_id, day)
                if row is not None and context.is_closed(row, day):
                    skipped += 1
                else:
                    lines[(recurrence.child_id, recurrence.activity_id, day)] = BookingChange(
                        recurrence.child_id, recurrence.activity_id, day, recurrence.action
                    )
            day += timedelta(days=1)
    singles = list(change_set.single_days())  # explicit lines win over recurrences
    lines.update(zip(map(_LINE_KEY, singles), singles, strict=True))
    for sibling in change_set.same_for_child_ids:
        for change in list(lines.values()):
            if change.child_id != sibling:
                key = (sibling, change.activity_id, change.day)
                lines.setdefault(
                    key, BookingChange(sibling, change.activity_id, change.day, change.action)
                )
    ordered = sorted(lines.values(), key=_LINE_ORDER)
    if len(ordered) > MAX_LINES:
        raise DomainError(
            CommonErrorCode.INVALID,
            f"Trop de jours à la fois ({len(ordered)}) : {MAX_LINES} au plus.",
        )
    return ordered, skipped


def _span(change_set: ChangeSet) -> tuple[date, date]:
    days = [c.day for c in change_set.changes]
    for group in change_set.days:
        days += group.days
    for recurrence in change_set.recurrences:
        if recurrence.ends_on < recurrence.starts_on:
            raise DomainError(
                CommonErrorCode.INVALID, "La fin de la répétition précède son début.", "recurrences"
            )
        if not recurrence.weekdays <= _WEEKDAYS:
            raise DomainError(
                CommonErrorCode.INVALID,
                "Jours de la semaine : de 0 (lundi) à 6 (dimanche).",
                "recurrences.weekdays",
            )
        days += [recurrence.starts_on, recurrence.ends_on]
    if not days:
        raise DomainError(CommonErrorCode.INVALID, "Aucun jour à modifier.", "changes")
    start, end = min(days), max(days)
    check_range(start, end)
    return start, end


async def _activity_names(context: CalendarContext, changes: list[BookingChange]) -> dict[int, str]:
    """The name of each activity the lines name, for the lines of a child not enrolled in
    it (a sibling's « faire de même »): from the enrolments already loaded, and only
    when no child of the change set is enrolled in it, from the town's catalogue (one
    statement, not made in the usual case). Another town's activity stays unnamed."""
    names = {row.activity_id: row.activity_name for row in context.enrollments}
    unknown = {change.activity_id for change in changes} - names.keys()
    if unknown:
        rows = await Activity.filter(id__in=unknown, tenant_id=context.tenant_id).values_list(
            "id", "name"
        )
        names.update((activity_id, str(name)) for activity_id, name in rows)
    return names


def _enrollments(
    context: CalendarContext, changes: list[BookingChange]
) -> list[EnrollmentRow | None]:
    """The enrolment of each change's child in its activity that day (None: not enrolled),
    looked up once per change: the locks, the counts and the evaluation all read it."""
    enrollment_for = context.enrollment_for
    return [enrollment_for(child_id, activity_id, day) for child_id, activity_id, day, _ in changes]


def _evaluate(
    changes: list[BookingChange],
    rows: list[EnrollmentRow | None],
    context: CalendarContext,
    *,
    now: datetime,
    staff: bool,
    names: dict[int, str],
) -> list[LineResult]:
    """Decide each line in order, counting the places taken by the earlier ones
    (``rows``: each change's enrolment, ``_enrollments``; ``names``: the activities'
    names, ``_activity_names``). Hundreds of lines: what is the same for every line (the
    evaluators, the enums' values) is looked up once."""
    results: list[LineResult] = []
    append = results.append
    bookings, counts = context.bookings, context.booked_counts
    view_of = context.evaluator(now, staff=staff)
    # Whether a parent could have made it: staff's changes past the deadline are audited.
    parents_view_of = context.evaluator(now, staff=False) if staff else None
    for (child_id, activity_id, day, action), row in zip(changes, rows, strict=True):
        if row is None:
            first_names = context.children.get(child_id, ("Enfant", ""))[0]
            append(
                LineResult(
                    child_id,
                    first_names,
                    activity_id,
                    names.get(activity_id, ""),
                    day,
                    action,
                    LineOutcome.REJECTED,
                    "NOT_ENROLLED",
                    f"{first_names} n'est pas inscrit(e) à cette activité ce jour-là.",
                )
            )
            continue
        key_day = (activity_id, row.site_id, day)
        key_booking = (child_id, activity_id, day)
        view = view_of(row, day)
        outcome, reason, message = LineOutcome.REJECTED, _REASONS[view.reason], view.message
        status, can_change = view.status, view.can_change
        if status in _NOT_CHANGEABLE:
            pass
        elif action == BookingAction.BOOK:
            if status in _BOOKED:
                outcome, reason, message = LineOutcome.UNCHANGED, "ALREADY_BOOKED", "Déjà réservé"
            elif can_change and status == DayStatus.FULL:
                outcome, message = LineOutcome.WAITING_LIST, "Complet : inscrit sur liste d'attente"
                bookings[key_booking] = BookingStatus.WAITING
            elif can_change:
                outcome, message = LineOutcome.BOOKED, "Réservé"
                bookings[key_booking] = BookingStatus.BOOKED
                counts[key_day] = counts.get(key_day, 0) + 1
        elif status in _NOT_BOOKED:
            outcome, reason, message = LineOutcome.UNCHANGED, "NOT_BOOKED", "Pas réservé"
        elif can_change:
            outcome, message = LineOutcome.CANCELLED, "Annulé"
            bookings.pop(key_booking, None)
            # Counted only when a later line books the same day (see _counted).
            if status == DayStatus.BOOKED and key_day in counts:
                counts[key_day] -= 1
        if outcome == LineOutcome.REJECTED and reason == _CHANGEABLE:
            reason = "INVALID"
        overridden = (
            parents_view_of is not None
            and outcome not in (LineOutcome.REJECTED, LineOutcome.UNCHANGED)
            and not parents_view_of(row, day).can_change
        )
        append(
            LineResult(
                child_id,
                row.child_first_names,
                activity_id,
                row.activity_name,
                day,
                action,
                outcome,
                reason,
                message,
                overridden,
                row.site_id,
            )
        )
    return results


async def _context_for(
    actor: Account | None,
    household_id: int,
    change_set: ChangeSet,
    idempotency_key: str | None = None,
) -> CalendarContext:
    """The household's access check and the enrolments of the children the change set
    names (only theirs: their bookings are the rows statement 2 then reads). A child of
    nobody or of another household is NOT_FOUND, naming where it came. A key that already
    made a request raises ``_KeyTaken`` first: a retry answers the first result."""
    start, end = _span(change_set)
    named = {
        "changes.childId": {c.child_id for c in change_set.changes},
        "days.childId": {d.child_id for d in change_set.days},
        "recurrences.childId": {r.child_id for r in change_set.recurrences},
        "sameForChildIds": set(change_set.same_for_child_ids),
    }
    child_ids = sorted(set().union(*named.values()))
    context = await load_context(
        actor, household_id, start, end, child_ids=child_ids, idempotency_key=idempotency_key
    )
    if context.replay_of is not None:
        raise _KeyTaken(context.replay_of)
    for field_name, ids in named.items():
        check_children(context, ids, field_name)
    return context


def _counted(changes: list[BookingChange], rows: list[EnrollmentRow | None]) -> Counted:
    """The booked counts the lines need: only a BOOK line's day at a site with a capacity,
    and only when its child has neither booked it nor joined its waiting list (statement 2
    leaves those out: the line is UNCHANGED whatever the count). A cancellation needs no
    count: the places it frees are counted after the write (``_promote_into``)."""
    keys = {
        (row.activity_id, row.site_id, change.day, change.child_id, row.rules.capacity): None
        for change, row in zip(changes, rows, strict=True)
        if change.action == BookingAction.BOOK
        and row is not None
        and row.rules.capacity is not None
    }
    return list(keys)


async def preview_changes(
    actor: Account | None, household_id: int, change_set: ChangeSet, *, clock: Clock
) -> ChangeResult:
    """What a submit would do now, line by line, without changing anything."""
    context = await _context_for(actor, household_id, change_set)
    assert actor is not None
    await load_day_rows(context, every_day_counted(context))
    changes, skipped = _expand(change_set, context)
    staff = actor.role != AccountRole.PARENT
    names = await _activity_names(context, changes)
    rows = _enrollments(context, changes)
    lines = _evaluate(changes, rows, context, now=clock.now(), staff=staff, names=names)
    return ChangeResult(lines, skipped)


def _serialise(result: ChangeResult) -> dict[str, Any]:
    """What a replay needs (``_deserialise``): the lines grouped by everything but their
    day, each group with its days. A 180-day change set is a handful of groups: a payload
    of about 3 KB instead of 45 KB, which PostgreSQL parses into JSONB on every submit.
    Stamped with ``REPLAY_VERSION``: a retry may come after the shape changed again."""
    groups = _days_by(result.lines, _REPLAY_GROUP)
    return {
        "version": REPLAY_VERSION,
        "skipped_closed_days": result.skipped_closed_days,
        "groups": [
            {
                "child_id": child_id,
                "child_name": child_name,
                "activity_id": activity_id,
                "activity_name": activity_name,
                "action": action.value,
                "outcome": outcome.value,
                "reason": reason,
                "message": message,
                "overridden": overridden,
                "days": days,
            }
            for (
                child_id,
                child_name,
                activity_id,
                activity_name,
                action,
                outcome,
                reason,
                message,
                overridden,
            ), days in groups.items()
        ],
    }


# The keys of a replay copy's groups (``_serialise``) and of a mail's (``_confirmation``),
# each line's built in C.
_REPLAY_GROUP = attrgetter(
    "child_id",
    "child_name",
    "activity_id",
    "activity_name",
    "action",
    "outcome",
    "reason",
    "message",
    "overridden",
)
_MAIL_GROUP = attrgetter("child_name", "activity_name", "outcome", "message")


def _days_by(
    lines: list[LineResult], key: Callable[[LineResult], tuple[Any, ...]]
) -> dict[tuple[Any, ...], list[date]]:
    """The days of ``lines`` grouped by ``key`` (groups in order of first appearance):
    the compact form of a change set's lines, in its replay copy and its mail. Dates, not
    text: orjson writes them as ISO days, where ``date.isoformat`` formats each through
    PyUnicode_FromFormat (several times slower)."""
    groups: dict[tuple[Any, ...], list[date]] = {}
    for line in lines:
        group = key(line)
        days = groups.get(group)
        if days is None:
            days = groups[group] = []
        days.append(line.day)
    return groups


def _deserialise(request: Request) -> ChangeResult:
    """The lines of a stored replay copy, read by the reader of its version (a copy
    without one is version 1), in the submit's order (by day, child and activity, as
    ``_expand`` sorts them)."""
    payload = request.payload
    version = payload.get("version", 1)
    read = _REPLAY_READERS.get(version)
    if read is None:
        raise ValueError(f"request {request.id}: replay copy of unknown version {version!r}")
    lines = read(payload)
    lines.sort(key=lambda line: (line.day, line.child_id, line.activity_id))
    return ChangeResult(lines, payload["skipped_closed_days"], request.id, replayed=True)


def _lines_one_by_one(payload: dict[str, Any]) -> list[LineResult]:
    """Version 1, written before grouping: ``lines``, one per day."""
    return [
        LineResult(
            **{
                **line,
                "day": date.fromisoformat(line["day"]),
                "action": BookingAction(line["action"]),
                "outcome": LineOutcome(line["outcome"]),
            }
        )
        for line in payload["lines"]
    ]


def _lines_of_groups(payload: dict[str, Any]) -> list[LineResult]:
    """Version 2 (``_serialise``): ``groups``, each with its days."""
    lines = []
    for group in payload["groups"]:
        action, outcome = BookingAction(group["action"]), LineOutcome(group["outcome"])
        lines += [
            LineResult(
                group["child_id"],
                group["child_name"],
                group["activity_id"],
                group["activity_name"],
                date.fromisoformat(day),
                action,
                outcome,
                group["reason"],
                group["message"],
                group["overridden"],
            )
            for day in group["days"]
        ]
    return lines


# The version _serialise writes, and a reader for every version ever stored: a request's
# replay copy outlives the code that wrote it.
REPLAY_VERSION = 2
_REPLAY_READERS: dict[int, Callable[[dict[str, Any]], list[LineResult]]] = {
    1: _lines_one_by_one,
    2: _lines_of_groups,
}


async def submit_changes(
    actor: Account | None,
    household_id: int,
    change_set: ChangeSet,
    *,
    clock: Clock,
    idempotency_key: str | None = None,
) -> ChangeResult:
    """Apply the accepted lines atomically as one request; a retried key replays the first
    (the same key with other changes is IDEMPOTENCY_KEY_REUSED)."""
    if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise DomainError(
            CommonErrorCode.INVALID,
            f"La clé d'idempotence fait {IDEMPOTENCY_KEY_MAX_LENGTH} caractères au plus.",
            "idempotencyKey",
        )
    fingerprint = change_set.fingerprint(household_id)
    idempotency_key = idempotency_key or None
    try:
        # atomic(), not a savepoint: the request's INSERT gives way to a twin's key
        # (ON CONFLICT DO NOTHING) instead of failing, so the transaction stays usable for
        # the lookup below, and a submit pays no SAVEPOINT and RELEASE round trips.
        async with atomic():
            return await _apply(
                actor, household_id, change_set, clock, idempotency_key, fingerprint
            )
    except _KeyTaken as taken:
        # A retry, or the same key raced in from a second connection (committed:
        # PostgreSQL's INSERT waited for it): answer what the first one did; nothing of
        # ours was written.
        earlier = await (
            Request.get_or_none(id=taken.request_id)
            if taken.request_id is not None
            else _request_of_key(household_id, cast(str, idempotency_key))
        )
        if earlier is None:
            raise RuntimeError("an idempotency key was taken by no request") from None
        return _replay(earlier, fingerprint)


class _KeyTaken(Exception):
    """The idempotency key already made a request (``request_id`` when known): found with
    the household's context (a retry), or a twin submit wrote its request first, and
    this one wrote nothing (its statement's other rows are conditioned on its request's)."""

    def __init__(self, request_id: int | None = None) -> None:
        super().__init__(request_id)
        self.request_id = request_id


async def _request_of_key(household_id: int, idempotency_key: str) -> Request | None:
    """The request a key already made, if any. Handwritten: every submit from a phone
    sends a key, almost always a new one, and Tortoise builds this lookup in a few
    hundred microseconds of CPU; the model is loaded only when the key was used."""
    params = Params()
    rows = await fetch(
        f"SELECT id FROM request WHERE household_id = {params(household_id)} "
        f"AND idempotency_key = {params(idempotency_key)}",
        params,
    )
    return await Request.get(id=rows[0]["id"]) if rows else None


def _replay(earlier: Request, fingerprint: str) -> ChangeResult:
    """The first answer of a key, if it was given for the same changes."""
    stored = earlier.payload.get("fingerprint")
    if stored is not None and stored != fingerprint:
        raise DomainError(
            CalendarErrorCode.IDEMPOTENCY_KEY_REUSED,
            "Cette clé d'idempotence a déjà servi pour d'autres changements : "
            "envoyez une nouvelle clé pour ces changements.",
            "idempotencyKey",
        )
    return _deserialise(earlier)


async def _apply(
    actor: Account | None,
    household_id: int,
    change_set: ChangeSet,
    clock: Clock,
    idempotency_key: str | None,
    fingerprint: str,
) -> ChangeResult:
    context = await _context_for(actor, household_id, change_set, idempotency_key)
    assert actor is not None
    staff = actor.role != AccountRole.PARENT
    # A recurrence skips closed days: the context knows them (the town's calendar).
    changes, skipped = _expand(change_set, context)
    rows = _enrollments(context, changes)
    # What does not depend on the counts is read before the locks: every submit on the
    # same places waits for as long as we hold them.
    names = await _activity_names(context, changes)
    recipients = await _recipients(actor, context)
    request_id = await _lock_openings(rows, number_request=True)
    # The time of the decision, read holding the locks: a waiting list is served oldest
    # first (updated_at), so its order is the order the submits got the places' locks.
    now = clock.now()
    # Only now, holding the locks: the counts cannot move any more until we commit.
    await load_day_rows(context, _counted(changes, rows))
    result = ChangeResult(
        _evaluate(changes, rows, context, now=now, staff=staff, names=names), skipped
    )
    written = _Written(context, actor, result, now, idempotency_key, fingerprint)
    # The request claims the idempotency key before any booking is written (or in the
    # same statement): a concurrent twin's INSERT does nothing (_KeyTaken, see
    # submit_changes) and nothing of it is applied.
    if request_id is not None:
        anyone_waiting = await written.at_once(request_id, recipients)
    else:
        anyone_waiting = await written.one_by_one(recipients)
    assert result.request_id is not None
    promoted = await _promote_after_cancellations(result, context, now) if anyone_waiting else []
    overridden = [line for line in result.lines if line.overridden]
    if overridden:
        await audit.record(
            "bookings.deadline_override",
            tenant_id=context.tenant_id,
            actor=actor,
            target_type="request",
            target_id=result.request_id,
            clock=clock,
            details={
                "lines": [
                    {
                        "child": line.child_id,
                        "activity": line.activity_id,
                        "day": line.day.isoformat(),
                        "outcome": line.outcome.value,
                    }
                    for line in overridden
                ]
            },
        )
    await _notify_promotions(promoted, clock)
    return result


@dataclass
class _Written:
    """What a submit writes once its lines are decided: the request (demande) with its
    replay copy, its history, the bookings, the confirmation mail(s) and the live events.

    PostgreSQL: one statement (data-modifying CTEs), the request's id drawn beforehand
    with the openings' locks (``_lock_openings``); it also says whether anybody waits for
    a day a line cancelled, so that a cancellation nobody waits for costs no more
    statement. SQLite (one writer, no data-modifying CTE): the same INSERTs one by one.
    Handwritten: building and saving Tortoise models costs a millisecond or two of CPU
    (field conversions, signal listeners) per submit.
    """

    context: CalendarContext
    actor: Account
    result: ChangeResult
    now: datetime
    idempotency_key: str | None
    fingerprint: str

    async def at_once(self, request_id: int, recipients: list[str]) -> bool:
        """Everything in one statement; whether somebody waits for a freed day. Raises
        ``_KeyTaken``, having written nothing, when a twin's request holds the key."""
        self.result.request_id = request_id
        params = Params()
        freed = _freed_days(self.result)
        waiting = "false"
        if freed:
            waiting = f"""EXISTS (
                SELECT 1 FROM {rows_table(params, "f", list(freed), FREED_COLUMNS)}
                JOIN booking w ON w.activity_id = f.activity_id AND w.site_id = f.site_id
                              AND w.day = f.day AND w.status = 'waiting')"""
        # The EXISTS reads the rows as they were before this statement: a line's own child
        # leaving the waiting list still counts, which only costs the promotion's lookup.
        # Every other row is written only with the request (``WRITTEN``): a twin's key
        # makes the request's INSERT do nothing, and so the whole statement.
        [row] = await fetch(
            f"""WITH req AS ({self._request(params, request_id)} RETURNING id),
                     h AS ({self._history(params, request_id, guard=WRITTEN)}),
                     j AS ({jobs_insert(params, self._jobs(recipients), self.now, guard=WRITTEN)}),
                     b AS ({_bookings_upsert(params, self.result, request_id, self.now, WRITTEN)})
                SELECT {WRITTEN} AS written, {waiting} AS waiting""",
            params,
        )
        if not row["written"]:
            raise _KeyTaken
        return bool(row["waiting"])

    async def one_by_one(self, recipients: list[str]) -> bool:
        params = Params()
        rows = await fetch(f"{self._request(params, None)} RETURNING id", params)
        if not rows:
            raise _KeyTaken
        request_id = self.result.request_id = rows[0]["id"]
        params = Params()
        await connection().execute_query(self._history(params, request_id), params.values)
        params = Params()
        upsert = _bookings_upsert(params, self.result, request_id, self.now)
        await connection().execute_query(upsert, params.values)
        params = Params()
        jobs = jobs_insert(params, self._jobs(recipients), self.now)
        await connection().execute_query(jobs, params.values)
        return bool(_freed_days(self.result))

    def _request(self, params: Params, request_id: int | None) -> str:
        """The request, completed at once, with the replay copy of its lines."""
        result, context = self.result, self.context
        values = [
            context.tenant_id,
            context.household_id,
            self.actor.id,
            RequestKind.BOOKING_CHANGE.value,
            RequestStatus.COMPLETED.value,
            result.summary(),
            orjson.dumps({**_serialise(result), "fingerprint": self.fingerprint}).decode(),
            self.idempotency_key,
            self.now,
            self.now,
        ]
        columns = (
            "tenant_id, household_id, submitted_by_id, kind, status, summary, payload, "
            "idempotency_key, created_at, updated_at"
        )
        if request_id is not None:
            columns, values = f"id, {columns}", [request_id, *values]
        # A twin's key (a retry that raced in) leaves this INSERT without a row rather
        # than failing the transaction: see submit_changes.
        return (
            f"INSERT INTO request ({columns}) VALUES ({params.many(values)}) "
            "ON CONFLICT (household_id, idempotency_key) DO NOTHING"
        )

    def _history(self, params: Params, request_id: int, *, guard: str = "true") -> str:
        """Submitted then completed (``bulk_create`` would send one execution per row),
        written when ``guard`` holds."""
        request, actor, at = params(request_id), params(self.actor.id), params(self.now)
        comment = f"Traitée automatiquement. {self.result.summary()}"[:500]
        events = [(RequestStatus.SUBMITTED.value, ""), (RequestStatus.COMPLETED.value, comment)]
        rows = rows_table(params, "e", events, _EVENT_COLUMNS)
        return (
            "INSERT INTO request_event (request_id, status, comment, actor_id, created_at) "
            f"SELECT {request}, e.status, e.comment, {actor}, {at} FROM {rows} WHERE {guard}"
        )

    def _jobs(self, recipients: list[str]) -> list[tuple[str, dict[str, Any]]]:
        """The confirmation mail(s) and the live events (with the request's id)."""
        result, context = self.result, self.context
        assert result.request_id is not None
        staff = self.actor.role != AccountRole.PARENT
        changed = live.CalendarChanges(
            live.CalendarChangeKind.BOOKINGS_CHANGED, by_staff=staff, request_id=result.request_id
        )
        for line in result.lines:
            if line.outcome in _WRITTEN:
                changed.add(line.child_id, line.activity_id, line.day)
        children = {child_id for child_id, _ in changed.days}  # all of this household
        events = live.events_job(
            [
                *changed.events(dict.fromkeys(children, context.household_id)),
                live.request_change(
                    context.household_id,
                    result.request_id,
                    RequestStatus.COMPLETED,
                    live.RequestChangeKind.CREATED,
                    by_staff=staff,
                ),
            ]
        )
        assert events is not None
        return [*_confirmation(context, result, recipients), events]


async def cancel_in_time(
    context: CalendarContext,
    days: list[tuple[int, int, date]],
    *,
    request_id: int,
    clock: Clock,
) -> None:
    """Cancel booked days still within their deadline (an absence reported early enough):
    the places go to the waiting list like any cancellation. Caller holds the transaction."""
    rows = [context.enrollment_for(*day) for day in days]
    await _lock_openings(rows)
    lines = []
    for (child_id, activity_id, day), row in zip(days, rows, strict=True):
        assert row is not None
        lines.append(
            LineResult(
                child_id,
                row.child_first_names,
                activity_id,
                row.activity_name,
                day,
                BookingAction.CANCEL,
                LineOutcome.CANCELLED,
                DayReason.CHANGEABLE.value,
                "Annulé",
                site_id=row.site_id,
            )
        )
    result, now = ChangeResult(lines, 0), clock.now()
    params = Params()
    upsert = _bookings_upsert(params, result, request_id, now)
    await connection().execute_query(upsert, params.values)
    await _notify_promotions(await _promote_after_cancellations(result, context, now), clock)


# For the rest of a submit's transaction (SET LOCAL), once the locks are held: every
# statement that follows runs while other families queue for the same places, and
# PostgreSQL would plan statement 2 (load_day_rows) afresh at each execution, about 1 ms
# of its CPU each time (a custom plan: the planner finds it cheaper than the generic one
# it could keep). The generic plan, built once per pooled connection, runs as fast
# whatever the number of days (1 or 180: checked with EXPLAIN ANALYZE on the bench's
# database); the statements that follow compare statuses as literals, not parameters.
GENERIC_PLANS = "set_config('plan_cache_mode', 'force_generic_plan', true) AS generic_plans"


async def _lock_openings(
    rows: list[EnrollmentRow | None], *, number_request: bool = False
) -> int | None:
    """Serialise submissions on the same activity and site (PostgreSQL; SQLite has one
    writer), those of the lines' enrolments (``rows``) with a capacity. With
    ``number_request``, the same statement draws the id of the request about to be
    written (PostgreSQL only: None on SQLite), see ``_Written``."""
    pairs = {
        (row.activity_id, row.site_id)
        for row in rows
        if row is not None and row.rules.capacity is not None
    }
    if not is_postgres() or not (pairs or number_request):
        return None
    params = Params()
    locked = "NULL"
    if pairs:
        activity_ids = params.many(sorted({a for a, _ in pairs}))
        site_ids = params.many(sorted({s for _, s in pairs}))
        locked = (
            f"ARRAY(SELECT id FROM opening WHERE activity_id IN ({activity_ids}) "
            f"AND site_id IN ({site_ids}) ORDER BY id FOR UPDATE)"
        )
    number, generic = "NULL", ""
    if number_request:
        number = "nextval(pg_get_serial_sequence('request', 'id'))"
        generic = f", {GENERIC_PLANS}"
    # The id drawn once the locks are held (the subquery, kept apart by OFFSET 0, runs
    # first; l.locked is selected so that the planner keeps it): ids in serving order.
    [drawn] = await fetch(
        f"SELECT {number} AS request_id, l.locked{generic} "
        f"FROM (SELECT {locked} AS locked OFFSET 0) l",
        params,
    )
    return cast(int | None, drawn["request_id"])


def _bookings_upsert(
    params: Params, result: ChangeResult, request_id: int, now: datetime, guard: str = "true"
) -> str:
    """One INSERT … SELECT … ON CONFLICT statement for the whole change set, never row by
    row (Tortoise's bulk_create uses executemany, which the server runs once per row);
    written when ``guard`` holds.

    The rows come as one array per column (``rows_table``): the text and the 7 parameters
    stay the same for any number of rows (prepared once), the server decodes each array in
    one pass, and no placeholder is built per value (1,260 for 180 rows as VALUES lists).
    A ``WHERE`` (``true`` by default): SQLite's grammar needs one between a SELECT and ON
    CONFLICT.
    """
    rows = [
        (line.child_id, line.activity_id, line.site_id, line.day, _WRITTEN[line.outcome])
        for line in result.lines
        if line.outcome in _WRITTEN
    ]
    changed = rows_table(params, "r", rows, WRITTEN_COLUMNS)
    return (
        "INSERT INTO booking (child_id, activity_id, site_id, day, status, request_id, "
        "updated_at) SELECT r.child_id, r.activity_id, r.site_id, r.day, r.status, "
        f"{params(request_id)}, {params(now)} FROM {changed} WHERE {guard} "
        "ON CONFLICT (child_id, activity_id, day) DO UPDATE SET "
        "status = excluded.status, site_id = excluded.site_id, "
        "request_id = excluded.request_id, updated_at = excluded.updated_at"
    )


def _freed_days(result: ChangeResult) -> dict[tuple[int, int, date], None]:
    """The (activity, site, day) whose place a cancelled line freed."""
    return {
        (line.activity_id, line.site_id, line.day): None
        for line in result.lines
        if line.outcome == LineOutcome.CANCELLED
    }


async def _promote_after_cancellations(
    result: ChangeResult, context: CalendarContext, now: datetime
) -> list[Promotion]:
    """Give each place a cancellation freed to the first child waiting for it."""
    capacities: dict[tuple[int, int, date], int | None] = {}
    names: dict[int, str] = {}
    for line in result.lines:
        if line.outcome != LineOutcome.CANCELLED:
            continue
        row = context.enrollment_for(line.child_id, line.activity_id, line.day)
        if row and row.rules.capacity is not None:
            capacities[(row.activity_id, row.site_id, line.day)] = row.rules.capacity
            names[row.activity_id] = row.activity_name
    return await _promote_into(capacities, names, now)


async def _promote_into(
    capacities: dict[tuple[int, int, date], int | None], names: dict[int, str], now: datetime
) -> list[Promotion]:
    """Book the first waiting children (oldest request first) of these (activity, site,
    day) into their free places (``None``: no limit).

    One statement finds the waiting children with the booked places of their day, counted
    now: the caller holds the openings' locks and has written its own changes, so the
    counts are exact, and a day nobody waits for (almost every day) costs one index probe
    and no count.
    """
    if not capacities:
        return []
    params = Params()
    waiting = await fetch(
        f"""SELECT w.id, w.child_id, w.activity_id, w.site_id, w.day,
                   (SELECT COUNT(*) FROM booking b
                    WHERE b.activity_id = w.activity_id AND b.site_id = w.site_id
                      AND b.day = w.day AND b.status = 'booked') AS booked
            FROM {rows_table(params, "f", list(capacities), FREED_COLUMNS)}
            JOIN booking w ON w.activity_id = f.activity_id AND w.site_id = f.site_id
                          AND w.day = f.day AND w.status = 'waiting'
            ORDER BY w.updated_at, w.id""",
        params,
    )
    free: dict[tuple[int, int, date], int] = {}
    promoted_ids, promotions = [], []
    for candidate in waiting:
        day = as_date(candidate["day"])
        key = (candidate["activity_id"], candidate["site_id"], day)
        if key not in free:
            capacity = capacities[key]
            free[key] = MAX_LINES if capacity is None else capacity - candidate["booked"]
        if free[key] > 0:
            free[key] -= 1
            promoted_ids.append(candidate["id"])
            promotions.append(Promotion(candidate["child_id"], key[0], names[key[0]], day))
    if promoted_ids:
        await Booking.filter(id__in=promoted_ids).update(
            status=BookingStatus.BOOKED, updated_at=now
        )
    return promotions


async def fill_places(
    activity_id: int, site_id: int, capacity: int | None, *, since: date, clock: Clock
) -> int:
    """After staff raised a capacity: waiting children get the new places, and are mailed.

    Runs inside the caller's transaction, which holds the opening's row lock.
    """
    waiting_days = set(
        cast(
            list[date],
            await Booking.filter(
                activity_id=activity_id,
                site_id=site_id,
                status=BookingStatus.WAITING,
                day__gte=since,
            ).values_list("day", flat=True),
        )
    )
    if not waiting_days:
        return 0
    activity = await Activity.get(id=activity_id)
    promotions = await _promote_into(
        {(activity_id, site_id, day): capacity for day in sorted(waiting_days)},
        {activity_id: activity.name},
        clock.now(),
    )
    await _notify_promotions(promotions, clock)
    return len(promotions)


async def _recipients(actor: Account, context: CalendarContext) -> list[str]:
    """A parent's own change is confirmed to them; a change by staff to every guardian."""
    if actor.role == AccountRole.PARENT:
        return [actor.email]
    return await guardian_emails(context.household_id)


# The shape of the confirmation mail's data: 1 (no ``version``), one worded day a line;
# 2, groups of ISO days. The template reads every version jobs.mail.MAIL_DATA_VERSIONS
# lists: a mail waits in the outbox, and a worker of another release may send it.
CONFIRMATION_MAIL_VERSION = 2


def _confirmation(
    context: CalendarContext, result: ChangeResult, recipients: list[str]
) -> list[tuple[str, dict[str, Any]]]:
    """The confirmation mail jobs of a submit: the changed lines grouped by child,
    activity and outcome, each group with its days (ISO dates, worded in French by the
    mail's template): a few groups for a school year of days."""
    # The outcome's value is read per group: an enum's ``.value`` is a Python property.
    groups = _days_by(
        [line for line in result.lines if line.outcome != LineOutcome.UNCHANGED], _MAIL_GROUP
    )
    lines = [
        {
            "child": child,
            "activity": activity,
            "outcome": outcome.value,
            "message": message,
            "days": days,
        }
        for (child, activity, outcome, message), days in groups.items()
    ]
    mail = {
        "version": CONFIRMATION_MAIL_VERSION,
        "town": context.town_name,
        "household": context.household_name,
        "summary": result.summary(),
        "lines": lines,
        "skipped_closed_days": result.skipped_closed_days,
        "request_id": result.request_id,
    }
    return [mail_job(email, "booking_confirmation", mail) for email in recipients]


async def _notify_promotions(promotions: list[Promotion], clock: Clock) -> None:
    """Tell each family which waiting days just got a place: by mail, and live."""
    if not promotions:
        return
    children = {
        row["id"]: row
        for row in await Child.filter(id__in={p.child_id for p in promotions}).values(
            "id", "first_names", "household_id", "household__name", "household__tenant__name"
        )
    }
    promoted = live.CalendarChanges(live.CalendarChangeKind.WAITING_LIST_PROMOTED)
    for promotion in promotions:
        promoted.add(promotion.child_id, promotion.activity_id, promotion.day)
    await live.record(
        promoted.events({child_id: row["household_id"] for child_id, row in children.items()}),
        clock=clock,
    )
    per_household: dict[int, list[Promotion]] = defaultdict(list)
    for promotion in promotions:
        per_household[children[promotion.child_id]["household_id"]].append(promotion)
    for household_id, items in per_household.items():
        child = children[items[0].child_id]
        lines = [
            {
                "child": children[p.child_id]["first_names"],
                "activity": p.activity_name,
                "day": format_date(p.day),
            }
            for p in items
        ]
        for email in await guardian_emails(household_id):
            await queue_mail(
                email,
                "waiting_list_promoted",
                {
                    "town": child["household__tenant__name"],
                    "household": child["household__name"],
                    "lines": lines,
                },
                clock=clock,
            )
