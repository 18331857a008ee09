"""The deadline rules, read in Paris time: the arithmetic towns' regulations describe."""

from datetime import UTC, date, datetime

from models.bookings import BookingStatus, EnrollmentStatus
from models.catalogue import DeadlineRule, HolidayPolicy
from resolvers.calendar.booking_rules import (
    DayReason,
    DayStatus,
    Deadline,
    Exception_,
    SlotRules,
    TownCalendar,
    deadline_at,
    evaluate_day,
    public_holiday,
)

PARIS = "Europe/Paris"


def utc(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def test_n_days_before_at_the_cut_off_minute() -> None:
    rule = Deadline(DeadlineRule.DAYS_BEFORE, 15, 23 * 60 + 59)  # Tarnos: 15 days
    assert deadline_at(date(2026, 12, 17), rule, PARIS) == utc(2026, 12, 2, 22, 59, 59, 999999)


def test_working_days_skip_weekends_and_public_holidays() -> None:
    rule = Deadline(DeadlineRule.WORKING_DAYS_BEFORE, 2, 18 * 60)
    # Thursday 12 Nov 2026: Wednesday 11 is Armistice, so Tuesday 10 and Monday 9
    assert public_holiday(date(2026, 11, 11)) == "Armistice"
    assert deadline_at(date(2026, 11, 12), rule, PARIS) == utc(2026, 11, 9, 17, 0, 59, 999999)
    # Monday 30 Nov: Friday 27 and Thursday 26
    assert deadline_at(date(2026, 11, 30), rule, PARIS) == utc(2026, 11, 26, 17, 0, 59, 999999)


def test_weekday_of_the_previous_week() -> None:
    rule = Deadline(DeadlineRule.WEEKDAY_OF_PREVIOUS_WEEK, 3, 12 * 60)  # Thursday noon
    for day in (date(2026, 11, 30), date(2026, 12, 4)):  # Monday and Friday of one week
        assert deadline_at(day, rule, PARIS) == utc(2026, 11, 26, 11, 0, 59, 999999)
    assert rule.describe_passed() == (
        "Délai dépassé : modifiable jusqu'au jeudi de la semaine précédente"
    )


def test_the_autumn_clock_change() -> None:
    # Winter time starts on Sunday 25 October 2026: 23h59 Paris is 21h59 UTC before, 22h59 after
    rule = Deadline(DeadlineRule.DAYS_BEFORE, 1, 23 * 60 + 59)
    assert deadline_at(date(2026, 10, 24), rule, PARIS).hour == 21
    assert deadline_at(date(2026, 10, 27), rule, PARIS).hour == 22


def rules(**overrides: object) -> SlotRules:
    values: dict[str, object] = {
        "activity_id": 1,
        "site_id": 1,
        "enrollment_status": EnrollmentStatus.ACTIVE,
        "weekdays": 0b11011,
        "capacity": 2,
        "policy": HolidayPolicy.SCHOOL_DAYS,
        "booking": Deadline(DeadlineRule.DAYS_BEFORE, 7, 23 * 60 + 59),
        "cancellation": Deadline(DeadlineRule.DAYS_BEFORE, 2, 23 * 60 + 59),
        "booking_opens_days_ahead": 30,
        "timezone": PARIS,
        **overrides,
    }
    return SlotRules(**values)  # type: ignore[arg-type]


def test_booking_and_cancellation_deadlines_differ() -> None:
    now = utc(2026, 11, 27, 10)  # Friday: 1 December is past booking, not cancellation
    town = TownCalendar()
    not_booked = evaluate_day(
        date(2026, 12, 1), rules(), booking_status=None, booked_count=0, town=town, now=now
    )
    booked = evaluate_day(
        date(2026, 12, 1),
        rules(),
        booking_status=BookingStatus.BOOKED,
        booked_count=1,
        town=town,
        now=now,
    )
    assert (not_booked.can_change, not_booked.reason) == (False, DayReason.DEADLINE_PASSED)
    assert (booked.can_change, booked.reason) == (True, DayReason.CHANGEABLE)


def test_booking_opens_so_many_days_ahead() -> None:
    view = evaluate_day(
        date(2027, 3, 1),
        rules(),
        booking_status=None,
        booked_count=0,
        town=TownCalendar(),
        now=utc(2026, 11, 23, 9),
    )
    assert (view.reason, view.message) == (
        DayReason.NOT_YET_OPEN,
        "Réservation possible à partir du samedi 30 janvier 2027",
    )


def test_full_days_offer_the_waiting_list() -> None:
    view = evaluate_day(
        date(2026, 12, 10),
        rules(),
        booking_status=None,
        booked_count=2,
        town=TownCalendar(),
        now=utc(2026, 11, 23, 9),
    )
    assert (view.status, view.can_change, view.reason) == (DayStatus.FULL, True, DayReason.FULL)


def test_the_most_specific_exception_wins() -> None:
    town = TownCalendar(
        exceptions={
            date(2026, 12, 10): [
                Exception_(None, None, False, "grève"),
                Exception_(1, 1, True, "service minimum assuré"),
            ]
        }
    )
    here = evaluate_day(
        date(2026, 12, 10),
        rules(),
        booking_status=None,
        booked_count=0,
        town=town,
        now=utc(2026, 11, 23, 9),
    )
    elsewhere = evaluate_day(
        date(2026, 12, 10),
        rules(site_id=2),
        booking_status=None,
        booked_count=0,
        town=town,
        now=utc(2026, 11, 23, 9),
    )
    assert here.status == DayStatus.NOT_BOOKED
    assert (elsewhere.status, elsewhere.message) == (DayStatus.CLOSED, "Fermé : grève")


def test_leisure_centres_open_in_holidays_only() -> None:
    town = TownCalendar(
        school_holidays=[(date(2026, 12, 19), date(2027, 1, 3), "Vacances de Noël")]
    )
    holiday_rules = rules(
        policy=HolidayPolicy.HOLIDAYS, weekdays=0b11111, booking_opens_days_ahead=None
    )
    during = evaluate_day(
        date(2026, 12, 22),
        holiday_rules,
        booking_status=None,
        booked_count=0,
        town=town,
        now=utc(2026, 11, 23, 9),
    )
    before = evaluate_day(
        date(2026, 12, 15),
        holiday_rules,
        booking_status=None,
        booked_count=0,
        town=town,
        now=utc(2026, 11, 23, 9),
    )
    assert during.status == DayStatus.NOT_BOOKED
    assert (before.status, before.reason) == (DayStatus.CLOSED, DayReason.OUTSIDE_HOLIDAYS)
