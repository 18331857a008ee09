"""The town's calendar rules as pure functions: when a day is open, until when it can change.

Everything is computed in the town's time zone (daylight saving included) and returned in
UTC; "now" always comes from the caller's clock. The calendar query and the booking
submission both decide through ``evaluate_day``: one place per rule.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum, StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar, cast
from zoneinfo import ZoneInfo

import holidays

from models.absences import AbsenceOutcome
from models.bookings import BookingStatus, EnrollmentStatus
from models.catalogue import DeadlineRule, HolidayPolicy
from resolvers.core.french import WEEKDAYS, format_date, format_datetime


class DayStatus(StrEnum):
    """What a parent sees on a day of an activity."""

    BOOKED = "booked"
    NOT_BOOKED = "not_booked"
    WAITING_LIST = "waiting_list"
    FULL = "full"
    CLOSED = "closed"
    AWAITING_ENROLLMENT = "awaiting_enrollment"
    NOT_ENROLLED = "not_enrolled"
    ABSENT = "absent"


class DayReason(StrEnum):
    """Why a day can or cannot change: stable codes for apps, with a French sentence."""

    CHANGEABLE = "CHANGEABLE"
    DEADLINE_PASSED = "DEADLINE_PASSED"
    NOT_YET_OPEN = "NOT_YET_OPEN"
    FULL = "FULL"
    PUBLIC_HOLIDAY = "PUBLIC_HOLIDAY"
    SCHOOL_HOLIDAY = "SCHOOL_HOLIDAY"
    OUTSIDE_HOLIDAYS = "OUTSIDE_HOLIDAYS"
    EXCEPTIONAL_CLOSURE = "EXCEPTIONAL_CLOSURE"
    WEEKDAY_CLOSED = "WEEKDAY_CLOSED"
    ENROLLMENT_PENDING = "ENROLLMENT_PENDING"
    ENROLLMENT_REFUSED = "ENROLLMENT_REFUSED"
    ABSENCE_PENDING = "ABSENCE_PENDING"
    ABSENCE_JUSTIFIED = "ABSENCE_JUSTIFIED"
    ABSENCE_UNJUSTIFIED = "ABSENCE_UNJUSTIFIED"
    UNPAID_INVOICE = "UNPAID_INVOICE"


class Deadline(NamedTuple):
    """A deadline rule of an activity: booking and cancellation each have one.

    A named tuple: it is part of ``deadline_at``'s cache key on every day of every
    calendar, and a tuple hashes in C where a frozen dataclass hashes in Python."""

    rule: DeadlineRule
    value: int
    cutoff_minutes: int

    def describe_passed(self) -> str:
        if self.rule == DeadlineRule.DAYS_BEFORE:
            return f"Délai de {self.value} jours dépassé"
        if self.rule == DeadlineRule.WORKING_DAYS_BEFORE:
            return f"Délai de {self.value} jours ouvrés dépassé"
        return (
            f"Délai dépassé : modifiable jusqu'au {WEEKDAYS[self.value]} de la semaine précédente"
        )


@lru_cache(maxsize=32)
def _public_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("FR", years=year, language="fr").items())


def public_holiday(day: date) -> str | None:
    """French public holiday name (« Armistice »), from the maintained ``holidays`` data."""
    return _public_holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and public_holiday(day) is None


# Pure and hot (every day of every calendar): cached across requests.
@lru_cache(maxsize=65536)
def deadline_at(day: date, deadline: Deadline, timezone: str) -> datetime:
    """The last moment (UTC) a day can change under a rule, read in the town's zone."""
    if deadline.rule == DeadlineRule.DAYS_BEFORE:
        last_day = day - timedelta(days=deadline.value)
    elif deadline.rule == DeadlineRule.WORKING_DAYS_BEFORE:
        last_day, remaining = day, deadline.value
        while remaining > 0:
            last_day -= timedelta(days=1)
            if is_working_day(last_day):
                remaining -= 1
    else:
        monday = day - timedelta(days=day.weekday())
        last_day = monday - timedelta(days=7) + timedelta(days=deadline.value)
    # « jusqu'à 23h59 » includes that whole minute.
    cutoff = time(deadline.cutoff_minutes // 60, deadline.cutoff_minutes % 60, 59, 999999)
    return datetime.combine(last_day, cutoff, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def booking_opens_at(day: date, days_ahead: int | None, timezone: str) -> datetime | None:
    """When booking a day becomes possible (midnight, town time), or None if always."""
    if days_ahead is None:
        return None
    opening_day = day - timedelta(days=days_ahead)
    return datetime.combine(opening_day, time(0, 0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@dataclass(frozen=True)
class Exception_:
    """An exceptional closure or opening; ``None`` ids apply to every activity / site."""

    activity_id: int | None
    site_id: int | None
    is_open: bool
    label: str


SchoolHolidays = tuple[tuple[date, date, str], ...]


@lru_cache(maxsize=256)
def _school_holiday_table(school_holidays: SchoolHolidays) -> Mapping[date, str]:
    """The school holiday of each day of ``school_holidays`` (the first one wins), read
    only. Every household of a town asks the same few holidays for the same ranges, and a
    year's table is a few hundred days: built once per distinct list (bounded)."""
    table: dict[date, str] = {}
    for starts_on, ends_on, name in reversed(school_holidays):
        for n in range((ends_on - starts_on).days + 1):
            table[starts_on + timedelta(days=n)] = name
    return MappingProxyType(table)


@dataclass
class TownCalendar:
    """The town-wide closures over a date range: school holidays and exceptions.

    Build it whole: the school holiday of each day is looked up in a table made from
    ``school_holidays`` at construction (every day of every line of a calendar asks).
    """

    school_holidays: list[tuple[date, date, str]] = field(default_factory=list)
    exceptions: dict[date, list[Exception_]] = field(default_factory=dict)
    _school_holiday_of: Mapping[date, str] = field(init=False, repr=False, compare=False)
    fingerprint: tuple[object, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        holidays = tuple(self.school_holidays)
        self._school_holiday_of = _school_holiday_table(holidays)
        # Equal fingerprints, same closures: SlotDays.days reuses a range's facts on it.
        self.fingerprint = (
            holidays,
            tuple((day, tuple(items)) for day, items in sorted(self.exceptions.items())),
        )

    def school_holiday(self, day: date) -> str | None:
        return self._school_holiday_of.get(day)

    def exception(self, day: date, activity_id: int, site_id: int) -> Exception_ | None:
        """The most specific exception for this activity and site, if any."""
        best: tuple[int, Exception_] | None = None
        for item in self.exceptions.get(day, ()):
            if item.activity_id not in (None, activity_id) or item.site_id not in (None, site_id):
                continue
            rank = (item.activity_id is not None) + (item.site_id is not None)
            if best is None or rank > best[0]:
                best = (rank, item)
        return best[1] if best else None


def weekday_mask(weekdays: Iterable[int]) -> int:
    """Monday = bit 0 … Sunday = bit 6."""
    mask = 0
    for weekday in weekdays:
        mask |= 1 << weekday
    return mask


def closure(
    day: date,
    *,
    activity_id: int,
    site_id: int,
    weekdays: int,
    policy: HolidayPolicy,
    town: TownCalendar,
) -> tuple[DayReason, str] | None:
    """Why the activity is closed that day, or None when it is open."""
    exception = town.exception(day, activity_id, site_id)
    if exception is not None:
        return (
            None
            if exception.is_open
            else (DayReason.EXCEPTIONAL_CLOSURE, f"Fermé : {exception.label}")
        )
    holiday_name = public_holiday(day)
    if holiday_name:
        return DayReason.PUBLIC_HOLIDAY, f"Fermé : jour férié ({holiday_name})"
    school_holiday = town.school_holiday(day)
    if school_holiday and policy == HolidayPolicy.SCHOOL_DAYS:
        return DayReason.SCHOOL_HOLIDAY, f"Fermé : {school_holiday[:1].lower()}{school_holiday[1:]}"
    if not school_holiday and policy == HolidayPolicy.HOLIDAYS:
        return DayReason.OUTSIDE_HOLIDAYS, "Ouvert seulement pendant les vacances scolaires"
    if not weekdays & (1 << day.weekday()):
        return DayReason.WEEKDAY_CLOSED, f"Pas d'accueil le {WEEKDAYS[day.weekday()]}"
    return None


class DayView(NamedTuple):
    """One day of one activity for one child, as the calendar shows it.

    A named tuple: a year calendar makes hundreds per request, and a tuple is built in C
    where a frozen dataclass sets each field through ``object.__setattr__``."""

    day: date
    status: DayStatus
    can_change: bool
    changeable_until: datetime | None
    reason: DayReason
    message: str


@dataclass(frozen=True)
class SlotRules:
    """What ``evaluate_day`` needs to know of an enrolment, its activity and opening."""

    activity_id: int
    site_id: int
    enrollment_status: EnrollmentStatus
    weekdays: int
    capacity: int | None
    policy: HolidayPolicy
    booking: Deadline
    cancellation: Deadline
    booking_opens_days_ahead: int | None
    timezone: str


class Outcome(IntEnum):
    """Every way a day can show: ``decide`` picks one, ``DayFacts.view`` words it."""

    CLOSED = 0
    AWAITING_ENROLLMENT = 1
    ENROLLMENT_REFUSED = 2
    ABSENT_PENDING = 3
    ABSENT_JUSTIFIED = 4
    ABSENT_UNJUSTIFIED = 5
    BOOKED = 6
    BOOKED_LOCKED = 7
    WAITING = 8
    WAITING_LOCKED = 9
    NOT_BOOKED_LOCKED = 10
    NOT_YET_OPEN = 11
    FULL = 12
    BOOKABLE = 13
    UNPAID_BLOCKED = 14


_ABSENT = {
    AbsenceOutcome.PENDING_REVIEW: Outcome.ABSENT_PENDING,
    AbsenceOutcome.JUSTIFIED: Outcome.ABSENT_JUSTIFIED,
    AbsenceOutcome.UNJUSTIFIED: Outcome.ABSENT_UNJUSTIFIED,
}
_ABSENCE_WORDING = {
    Outcome.ABSENT_PENDING: (
        DayReason.ABSENCE_PENDING,
        "Absence signalée, en attente de la décision du service",
    ),
    Outcome.ABSENT_JUSTIFIED: (DayReason.ABSENCE_JUSTIFIED, "Absence justifiée : non facturée"),
    Outcome.ABSENT_UNJUSTIFIED: (
        DayReason.ABSENCE_UNJUSTIFIED,
        "Absence non justifiée : facturée",
    ),
}
_PENDING_ENROLLMENT = (EnrollmentStatus.REQUESTED, EnrollmentStatus.WAITING)


_Shown = TypeVar("_Shown")


class DayFacts:
    """What one day of one slot is for everybody at any time: closed and why, or its
    deadlines. Only the booking, the absence, the booked count and "now" vary, and
    ``decide`` reads them; each of the few resulting views is worded once and kept, so a
    calendar showing the same day again (another child, another request) pays lookups, not
    date arithmetic and French formatting."""

    __slots__ = (
        "day",
        "rules",
        "exception",
        "school_holiday",
        "closed",
        "cancel_until",
        "book_until",
        "opens_at",
        "_views",
        "_shown",
    )
    cancel_until: datetime | None  # None when closed, as book_until
    book_until: datetime | None
    opens_at: datetime | None  # None when booking is always open

    def __init__(
        self,
        day: date,
        rules: SlotRules,
        exception: Exception_ | None,
        school_holiday: str | None,
        closed: tuple[DayReason, str] | None,
    ) -> None:
        self.day, self.rules = day, rules
        self.exception, self.school_holiday = exception, school_holiday
        self.closed = closed
        self._views: list[DayView | None] = [None] * len(Outcome)
        self._shown: list[tuple[Callable[[DayView], Any], Any] | None] = [None] * len(Outcome)
        if closed is None:
            self.cancel_until = deadline_at(day, rules.cancellation, rules.timezone)
            self.book_until = deadline_at(day, rules.booking, rules.timezone)
            self.opens_at = booking_opens_at(day, rules.booking_opens_days_ahead, rules.timezone)
        else:
            self.cancel_until = self.book_until = self.opens_at = None

    def view(self, outcome: Outcome) -> DayView:
        """The day as ``outcome`` shows it, worded once."""
        view = self._views[outcome]
        if view is None:
            view = self._views[outcome] = self._word(outcome)
        return view

    def shown(self, outcome: Outcome, render: Callable[[DayView], _Shown]) -> _Shown:
        """``render(self.view(outcome))``, kept for the last renderer: the API's JSON
        object of a day is built once and shared by every calendar showing it."""
        kept = self._shown[outcome]
        if kept is not None and kept[0] is render:
            return cast(_Shown, kept[1])
        shown = render(self.view(outcome))
        self._shown[outcome] = (render, shown)
        return shown

    def _word(self, outcome: Outcome) -> DayView:
        day, rules = self.day, self.rules
        if outcome == Outcome.CLOSED:
            assert self.closed is not None
            return DayView(day, DayStatus.CLOSED, False, None, *self.closed)
        if outcome == Outcome.AWAITING_ENROLLMENT:
            return DayView(
                day,
                DayStatus.AWAITING_ENROLLMENT,
                False,
                None,
                DayReason.ENROLLMENT_PENDING,
                "Inscription en attente de validation",
            )
        if outcome == Outcome.ENROLLMENT_REFUSED:
            return DayView(
                day,
                DayStatus.NOT_ENROLLED,
                False,
                None,
                DayReason.ENROLLMENT_REFUSED,
                "Inscription refusée",
            )
        if outcome in _ABSENCE_WORDING:
            return DayView(day, DayStatus.ABSENT, False, None, *_ABSENCE_WORDING[outcome])
        assert self.cancel_until is not None and self.book_until is not None
        if outcome in (Outcome.BOOKED, Outcome.BOOKED_LOCKED):
            return self._booked(DayStatus.BOOKED, outcome == Outcome.BOOKED, "Modifiable")
        if outcome in (Outcome.WAITING, Outcome.WAITING_LOCKED):
            waiting = outcome == Outcome.WAITING
            return self._booked(DayStatus.WAITING_LIST, waiting, "Sur liste d'attente, modifiable")
        until = self.book_until
        if outcome == Outcome.NOT_BOOKED_LOCKED:
            return DayView(
                day,
                DayStatus.NOT_BOOKED,
                False,
                until,
                DayReason.DEADLINE_PASSED,
                rules.booking.describe_passed(),
            )
        if outcome == Outcome.UNPAID_BLOCKED:
            return DayView(
                day,
                DayStatus.NOT_BOOKED,
                False,
                until,
                DayReason.UNPAID_INVOICE,
                "Nouvelles réservations suspendues : une facture reste impayée après son "
                "échéance. Réglez-la pour réserver à nouveau.",
            )
        if outcome == Outcome.NOT_YET_OPEN:
            assert rules.booking_opens_days_ahead is not None
            opening_day = day - timedelta(days=rules.booking_opens_days_ahead)
            return DayView(
                day,
                DayStatus.NOT_BOOKED,
                False,
                until,
                DayReason.NOT_YET_OPEN,
                f"Réservation possible à partir du {format_date(opening_day)}",
            )
        when = format_datetime(until, rules.timezone)
        if outcome == Outcome.FULL:
            return DayView(
                day,
                DayStatus.FULL,
                True,
                until,
                DayReason.FULL,
                f"Complet : inscription possible sur liste d'attente jusqu'au {when}",
            )
        return DayView(
            day,
            DayStatus.NOT_BOOKED,
            True,
            until,
            DayReason.CHANGEABLE,
            f"Modifiable jusqu'au {when}",
        )

    def _booked(self, status: DayStatus, changeable: bool, prefix: str) -> DayView:
        until = self.cancel_until
        assert until is not None
        if not changeable:
            return DayView(
                self.day,
                status,
                False,
                until,
                DayReason.DEADLINE_PASSED,
                self.rules.cancellation.describe_passed(),
            )
        when = format_datetime(until, self.rules.timezone)
        return DayView(
            self.day, status, True, until, DayReason.CHANGEABLE, f"{prefix} jusqu'au {when}"
        )


class SlotDays:
    """The ``DayFacts`` of one slot, by day, shared by every request (see ``slot_days``)."""

    MAX_DAYS = 1000  # a few school years; then it starts again from empty
    MAX_RANGES = 32  # the ranges calendars ask (months, school years); then from empty

    def __init__(self, rules: SlotRules) -> None:
        self.rules = rules
        self._by_day: dict[date, DayFacts] = {}
        self._ranges: dict[tuple[date, date], tuple[tuple[object, ...], list[DayFacts]]] = {}

    def days(self, first: date, last: date, town: TownCalendar) -> list[DayFacts]:
        """The facts of every day from ``first`` to ``last``: a calendar asks the same
        ranges again and again, so a range's list is kept while the town's exceptional days
        and school holidays are the same (``TownCalendar.fingerprint``)."""
        kept = self._ranges.get((first, last))
        if kept is not None and kept[0] == town.fingerprint:
            return kept[1]
        days = [self.facts(first + timedelta(days=n), town) for n in range((last - first).days + 1)]
        if len(self._ranges) >= self.MAX_RANGES:
            self._ranges.clear()
        self._ranges[(first, last)] = (town.fingerprint, days)
        return days

    def facts(self, day: date, town: TownCalendar) -> DayFacts:
        """The day's facts under this town calendar: kept ones are reused while the day's
        exception and school holiday are still the same (staff may change them anytime)."""
        rules = self.rules
        exception = (
            town.exception(day, rules.activity_id, rules.site_id)
            if day in town.exceptions
            else None
        )
        school_holiday = town.school_holiday(day)
        facts = self._by_day.get(day)
        if facts is None or facts.school_holiday != school_holiday or facts.exception != exception:
            if len(self._by_day) >= self.MAX_DAYS:
                self._by_day.clear()
            closed = closure(
                day,
                activity_id=rules.activity_id,
                site_id=rules.site_id,
                weekdays=rules.weekdays,
                policy=rules.policy,
                town=town,
            )
            facts = self._by_day[day] = DayFacts(day, rules, exception, school_holiday, closed)
        return facts


@lru_cache(maxsize=1024)
def slot_days(rules: SlotRules) -> SlotDays:
    """The shared day facts of a slot (an enrolment's rules; bounded: the least recently
    used slots are dropped)."""
    return SlotDays(rules)


def decide(
    facts: DayFacts,
    *,
    booking_status: BookingStatus | None,
    booked_count: int,
    now: datetime,
    staff: bool,
    absence: AbsenceOutcome | None,
    unpaid_blocked: bool = False,
) -> Outcome:
    """The single rule of what a day shows and whether it may change now.

    Staff may change past the deadlines (their changes are audited); closures, enrolment
    and capacity apply to everyone. A household blocked for an unpaid invoice (the town's
    ``unpaid_block_days``) keeps its bookings and may cancel them, but books no new day
    itself; staff still may.
    """
    if facts.closed is not None:
        return Outcome.CLOSED
    rules = facts.rules
    if rules.enrollment_status in _PENDING_ENROLLMENT:
        return Outcome.AWAITING_ENROLLMENT
    if rules.enrollment_status == EnrollmentStatus.REFUSED:
        return Outcome.ENROLLMENT_REFUSED
    if booking_status is not None:
        if booking_status == BookingStatus.BOOKED and absence in _ABSENT:
            return _ABSENT[absence]
        locked = not staff and now > facts.cancel_until  # type: ignore[operator]
        if booking_status == BookingStatus.BOOKED:
            return Outcome.BOOKED_LOCKED if locked else Outcome.BOOKED
        if booking_status == BookingStatus.WAITING:
            return Outcome.WAITING_LOCKED if locked else Outcome.WAITING
    if not staff:
        if now > facts.book_until:  # type: ignore[operator]
            return Outcome.NOT_BOOKED_LOCKED
        if unpaid_blocked:
            return Outcome.UNPAID_BLOCKED
        if facts.opens_at is not None and now < facts.opens_at:
            return Outcome.NOT_YET_OPEN
    if rules.capacity is not None and booked_count >= rules.capacity:
        return Outcome.FULL
    return Outcome.BOOKABLE


def decision_moments(days: Iterable[DayFacts]) -> list[datetime]:
    """Every instant ``decide`` compares ``now`` with on these days, sorted (keep it in step
    with ``decide``): between two consecutive ones, and at each, its answers on the days are
    the same for any ``now``, whatever the other inputs. A calendar keeps them for that
    window rather than deciding every day of every request again."""
    moments: set[datetime] = set()
    for facts in days:
        if facts.closed is None:  # decide's first answer reads no time
            moments.add(facts.cancel_until)  # type: ignore[arg-type]
            moments.add(facts.book_until)  # type: ignore[arg-type]
            if facts.opens_at is not None:
                moments.add(facts.opens_at)
    return sorted(moments)


def evaluate_day(
    day: date,
    rules: SlotRules,
    *,
    booking_status: BookingStatus | None,
    booked_count: int,
    town: TownCalendar,
    now: datetime,
    staff: bool = False,
    absence: AbsenceOutcome | None = None,
) -> DayView:
    """One day as it shows now: its facts, ``decide``, the worded view."""
    facts = slot_days(rules).facts(day, town)
    return facts.view(
        decide(
            facts,
            booking_status=booking_status,
            booked_count=booked_count,
            now=now,
            staff=staff,
            absence=absence,
        )
    )
