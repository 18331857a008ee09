"""The town's calendar rules as pure functions: when a day is open, until when it can change.

Everything is computed in the town's time zone (daylight saving included) and returned in
UTC; "now" always comes from the caller's clock. The calendar query and the booking
submission both decide through ``evaluate_day``: one place per rule.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

import holidays

from models.absences import AbsenceOutcome
from models.bookings import BookingStatus, EnrollmentStatus
from models.catalogue import DeadlineRule, HolidayPolicy
from resolvers.french import WEEKDAYS, format_date, format_datetime


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


_ABSENCES = {
    AbsenceOutcome.PENDING_REVIEW: (
        DayReason.ABSENCE_PENDING,
        "Absence signalée, en attente de la décision du service",
    ),
    AbsenceOutcome.JUSTIFIED: (DayReason.ABSENCE_JUSTIFIED, "Absence justifiée : non facturée"),
    AbsenceOutcome.UNJUSTIFIED: (DayReason.ABSENCE_UNJUSTIFIED, "Absence non justifiée : facturée"),
}


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


@dataclass
class TownCalendar:
    """The town-wide closures over a date range: school holidays and exceptions.

    Build it whole: the school holiday of each day is looked up in a table made from
    ``school_holidays`` at construction (every day of every line of a calendar asks).
    """

    school_holidays: list[tuple[date, date, str]] = field(default_factory=list)
    exceptions: dict[date, list[Exception_]] = field(default_factory=dict)
    _school_holiday_of: dict[date, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._school_holiday_of = {}
        for starts_on, ends_on, name in reversed(self.school_holidays):  # the first one wins
            for n in range((ends_on - starts_on).days + 1):
                self._school_holiday_of[starts_on + timedelta(days=n)] = name

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
    """The single rule of what a day shows and whether it may change now.

    Staff may change past the deadlines (their changes are audited); closures, enrolment
    and capacity apply to everyone.
    """
    closed = closure(
        day,
        activity_id=rules.activity_id,
        site_id=rules.site_id,
        weekdays=rules.weekdays,
        policy=rules.policy,
        town=town,
    )
    if closed:
        return DayView(day, DayStatus.CLOSED, False, None, closed[0], closed[1])
    if rules.enrollment_status in (EnrollmentStatus.REQUESTED, EnrollmentStatus.WAITING):
        return DayView(
            day,
            DayStatus.AWAITING_ENROLLMENT,
            False,
            None,
            DayReason.ENROLLMENT_PENDING,
            "Inscription en attente de validation",
        )
    if rules.enrollment_status == EnrollmentStatus.REFUSED:
        return DayView(
            day,
            DayStatus.NOT_ENROLLED,
            False,
            None,
            DayReason.ENROLLMENT_REFUSED,
            "Inscription refusée",
        )

    if booking_status == BookingStatus.BOOKED and absence in _ABSENCES:
        reason, message = _ABSENCES[absence]
        return DayView(day, DayStatus.ABSENT, False, None, reason, message)
    if booking_status in (BookingStatus.BOOKED, BookingStatus.WAITING):
        status = (
            DayStatus.BOOKED if booking_status == BookingStatus.BOOKED else (DayStatus.WAITING_LIST)
        )
        until = deadline_at(day, rules.cancellation, rules.timezone)
        if now > until and not staff:
            return DayView(
                day,
                status,
                False,
                until,
                DayReason.DEADLINE_PASSED,
                rules.cancellation.describe_passed(),
            )
        prefix = (
            "Sur liste d'attente, modifiable"
            if status == DayStatus.WAITING_LIST
            else ("Modifiable")
        )
        return DayView(
            day,
            status,
            True,
            until,
            DayReason.CHANGEABLE,
            f"{prefix} jusqu'au {format_datetime(until, rules.timezone)}",
        )

    until = deadline_at(day, rules.booking, rules.timezone)
    if now > until and not staff:
        return DayView(
            day,
            DayStatus.NOT_BOOKED,
            False,
            until,
            DayReason.DEADLINE_PASSED,
            rules.booking.describe_passed(),
        )
    opens_at = booking_opens_at(day, rules.booking_opens_days_ahead, rules.timezone)
    if opens_at is not None and now < opens_at and not staff:
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
    if rules.capacity is not None and booked_count >= rules.capacity:
        return DayView(
            day,
            DayStatus.FULL,
            True,
            until,
            DayReason.FULL,
            "Complet : inscription possible sur liste d'attente jusqu'au "
            f"{format_datetime(until, rules.timezone)}",
        )
    return DayView(
        day,
        DayStatus.NOT_BOOKED,
        True,
        until,
        DayReason.CHANGEABLE,
        f"Modifiable jusqu'au {format_datetime(until, rules.timezone)}",
    )
