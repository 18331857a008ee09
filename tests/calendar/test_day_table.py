"""A calendar keeps each slot's decided days for a window of time (``day_table``): whatever
the time, they are what ``decide`` says of each day alone."""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from models.absences import AbsenceOutcome
from models.bookings import BookingStatus
from resolvers.calendar.booking_rules import (
    DayView,
    Outcome,
    TownCalendar,
    decide,
    decision_moments,
)
from resolvers.calendar.calendar import CalendarContext, EnrollmentRow, calendar_counted
from tests.calendar.test_booking_rules import PARIS, rules

START, END = date(2026, 11, 23), date(2027, 1, 10)


def context() -> CalendarContext:
    row = EnrollmentRow(
        enrollment_id=1,
        child_id=1,
        child_first_names="Léa",
        child_last_name="Martin",
        activity_id=1,
        activity_code="CANTINE",
        activity_name="Cantine",
        activity_kind="canteen",
        site_id=1,
        site_name="École Jules Ferry",
        period_starts_on=START,
        period_ends_on=END,
        rules=rules(),
    )
    return CalendarContext(
        household_id=1,
        household_name="Martin",
        tenant_id=1,
        town_name="Tarnos",
        timezone=PARIS,
        start=START,
        end=END,
        enrollments=[row],
        children={1: ("Léa", "Martin")},
        town=TownCalendar(
            school_holidays=[(date(2026, 12, 19), date(2027, 1, 3), "Vacances de Noël")]
        ),
    )


def shown_as_decided(calendar: CalendarContext, now: datetime) -> None:
    """``show_days`` and ``calendar_counted`` at ``now``, against ``decide`` day by day."""
    row = calendar.enrollments[0]
    days = calendar.days_facts(row)
    for staff in (False, True):
        identity: Callable[[DayView], DayView] = lambda view: view  # noqa: E731
        assert calendar.show_days(row, now, identity, staff=staff) == [
            calendar.evaluate(row, facts.day, now, staff=staff) for facts in days
        ]
        free = [
            decide(facts, booking_status=None, booked_count=0, now=now, staff=staff, absence=None)
            for facts in days
        ]
        assert calendar_counted(calendar, now, staff=staff) == [
            (1, 1, facts.day, 1, 2)
            for facts, outcome in zip(days, free, strict=True)
            if outcome is Outcome.BOOKABLE
        ]


def instants(calendar: CalendarContext) -> list[datetime]:
    """Each moment ``decide`` compares the time with, a microsecond before and after it,
    and time going back too (a test's frozen clock)."""
    moments = decision_moments(calendar.days_facts(calendar.enrollments[0]))
    assert len(moments) > 50
    step = timedelta(microseconds=1)
    forward = [moment + delta for moment in moments for delta in (-step, 0 * step, step)]
    return forward + forward[::-1]


def test_bookings_at_every_moment() -> None:
    calendar = context()
    for n, facts in enumerate(calendar.days_facts(calendar.enrollments[0])):
        if n % 3 == 1:
            calendar.bookings[(1, 1, facts.day)] = BookingStatus.BOOKED
        elif n % 7 == 2:
            calendar.bookings[(1, 1, facts.day)] = BookingStatus.WAITING
    for now in instants(calendar):
        shown_as_decided(calendar, now)


def test_counts_absences_and_an_unpaid_invoice_at_every_moment() -> None:
    calendar = context()
    for n, facts in enumerate(calendar.days_facts(calendar.enrollments[0])):
        if n % 2:
            calendar.bookings[(1, 1, facts.day)] = BookingStatus.BOOKED
        if n % 5 == 3:
            calendar.booked_counts[(1, 1, facts.day)] = n % 3
        if n % 4 == 1:
            calendar.absences[(1, 1, facts.day)] = list(AbsenceOutcome)[n % len(AbsenceOutcome)]
    for now in instants(calendar):
        shown_as_decided(calendar, now)
    calendar.unpaid_block_days, calendar.oldest_unpaid_due = 3, date(2026, 10, 1)
    for now in instants(calendar)[::7]:
        shown_as_decided(calendar, now)
