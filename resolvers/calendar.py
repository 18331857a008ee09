"""The household calendar, the hottest read of the product: two SQL statements whatever
the number of children, activities and days, rows as plain dicts, no model instances.

Statement 1 checks access and loads the children's enrolments with their activity rules
and openings; statement 2 loads, in one UNION ALL, the bookings, the booked counts of
the days that need one (see ``load_day_rows``), the reported absences, the exceptional
closures and the school holidays of the range.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.absences import AbsenceOutcome
from models.accounts import Account, AccountRole
from models.bookings import BookingStatus, EnrollmentStatus
from models.catalogue import DeadlineRule, HolidayPolicy
from resolvers.booking_rules import (
    DayView,
    Deadline,
    Exception_,
    SlotRules,
    TownCalendar,
    closure,
    evaluate_day,
)
from resolvers.clock import Clock
from resolvers.errors import CommonErrorCode, DomainError, NotAuthenticated, NotFound
from resolvers.sql import Params, fetch, rows_table

MAX_RANGE_DAYS = 400  # a school year and a bit: any range a calendar screen shows
COUNTED_COLUMNS = [
    ("activity_id", "INTEGER"),
    ("site_id", "INTEGER"),
    ("day", "DATE"),
    ("child_id", "INTEGER"),
]


@dataclass
class EnrollmentRow:
    """A child's enrolment in one activity at one site for one period."""

    enrollment_id: int
    child_id: int
    child_first_names: str
    child_last_name: str
    activity_id: int
    activity_code: str
    activity_name: str
    activity_kind: str
    site_id: int
    site_name: str
    period_starts_on: date
    period_ends_on: date
    rules: SlotRules


@dataclass
class CalendarContext:
    """Everything needed to evaluate any day of the household's enrolments in a range."""

    household_id: int
    household_name: str
    tenant_id: int
    town_name: str
    timezone: str
    start: date
    end: date
    enrollments: list[EnrollmentRow]
    children: dict[int, tuple[str, str]]
    bookings: dict[tuple[int, int, date], tuple[BookingStatus, int]] = field(default_factory=dict)
    booked_counts: dict[tuple[int, int, date], int] = field(default_factory=dict)
    absences: dict[tuple[int, int, date], AbsenceOutcome] = field(default_factory=dict)
    town: TownCalendar = field(default_factory=TownCalendar)

    def is_closed(self, row: EnrollmentRow, day: date) -> bool:
        return (
            closure(
                day,
                activity_id=row.activity_id,
                site_id=row.site_id,
                weekdays=row.rules.weekdays,
                policy=row.rules.policy,
                town=self.town,
            )
            is not None
        )

    def enrollment_for(self, child_id: int, activity_id: int, day: date) -> EnrollmentRow | None:
        for row in self.enrollments:
            if (row.child_id, row.activity_id) == (child_id, activity_id) and (
                row.period_starts_on <= day <= row.period_ends_on
            ):
                return row
        return None

    def evaluate(self, row: EnrollmentRow, day: date, now: datetime, *, staff: bool) -> DayView:
        booking = self.bookings.get((row.child_id, row.activity_id, day))
        return evaluate_day(
            day,
            row.rules,
            booking_status=booking[0] if booking else None,
            booked_count=self.booked_counts.get((row.activity_id, row.site_id, day), 0),
            town=self.town,
            now=now,
            staff=staff,
            absence=self.absences.get((row.child_id, row.activity_id, day)),
        )


@dataclass
class CalendarLine:
    """The days of one child in one activity."""

    enrollment: EnrollmentRow
    days: list[DayView]


def as_date(value: Any) -> date:
    """SQLite hands dates back as ISO text, PostgreSQL as dates."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _access_predicate(actor: Account, params: Params) -> str:
    """resolvers.households.household_for's rule, in SQL for the hot path: keep them equal."""
    if actor.role == AccountRole.PARENT:
        return (
            "EXISTS (SELECT 1 FROM guardian g WHERE g.household_id = h.id "
            f"AND g.account_id = {params(actor.id)})"
        )
    return f"h.tenant_id = {params(actor.tenant_id)}"


def check_range(start: date, end: date) -> None:
    if end < start:
        raise DomainError(CommonErrorCode.INVALID, "La date de fin précède la date de début.", "to")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise DomainError(
            CommonErrorCode.INVALID,
            f"Une période de {MAX_RANGE_DAYS} jours au plus peut être demandée.",
            "to",
        )


async def load_context(
    actor: Account | None,
    household_id: int,
    start: date,
    end: date,
    *,
    child_ids: list[int] | None = None,
) -> CalendarContext:
    """Access check, the children and their enrolments with their rules (statement 1);
    ``load_day_rows`` then loads the range's days (statement 2)."""
    if actor is None:
        raise NotAuthenticated()
    check_range(start, end)
    params = Params()
    child_filter = f"AND c.id IN ({params.many(child_ids)})" if child_ids else ""
    household = params(household_id)
    access = _access_predicate(actor, params)
    rows = await fetch(
        f"""SELECT h.tenant_id, t.timezone, t.name AS town_name, h.name AS household_name,
                   c.id AS child_id, c.first_names, c.last_name,
                   e.id AS enrollment_id, e.status AS enrollment_status,
                   a.id AS activity_id, a.code, a.name AS activity_name, a.kind,
                   a.holiday_policy, a.booking_rule, a.booking_value, a.booking_cutoff_minutes,
                   a.cancellation_rule, a.cancellation_value, a.cancellation_cutoff_minutes,
                   a.booking_opens_days_ahead, s.id AS site_id, s.name AS site_name,
                   p.starts_on, p.ends_on, o.weekdays, o.capacity
            FROM household h
            JOIN tenant t ON t.id = h.tenant_id
            LEFT JOIN child c ON c.household_id = h.id {child_filter}
            LEFT JOIN enrollment e ON e.child_id = c.id
            LEFT JOIN period p ON p.id = e.period_id
            LEFT JOIN activity a ON a.id = e.activity_id
            LEFT JOIN site s ON s.id = e.site_id
            LEFT JOIN opening o ON o.activity_id = e.activity_id AND o.site_id = e.site_id
                               AND o.period_id = e.period_id
            WHERE h.id = {household} AND {access}
            ORDER BY c.birth_date, c.id, a.code, p.starts_on""",
        params,
    )
    if not rows:
        raise NotFound("Foyer", "householdId")
    timezone = rows[0]["timezone"]
    children: dict[int, tuple[str, str]] = {}
    enrollments = []
    for row in rows:
        if row["child_id"] is None:
            continue
        children[row["child_id"]] = (row["first_names"], row["last_name"])
        if row["enrollment_id"] is None or row["weekdays"] is None:
            continue  # no enrolment, or the town has not opened the activity at that site
        starts_on, ends_on = as_date(row["starts_on"]), as_date(row["ends_on"])
        if ends_on < start or starts_on > end:
            continue
        enrollments.append(
            EnrollmentRow(
                enrollment_id=row["enrollment_id"],
                child_id=row["child_id"],
                child_first_names=row["first_names"],
                child_last_name=row["last_name"],
                activity_id=row["activity_id"],
                activity_code=row["code"],
                activity_name=row["activity_name"],
                activity_kind=row["kind"],
                site_id=row["site_id"],
                site_name=row["site_name"],
                period_starts_on=starts_on,
                period_ends_on=ends_on,
                rules=SlotRules(
                    activity_id=row["activity_id"],
                    site_id=row["site_id"],
                    enrollment_status=EnrollmentStatus(row["enrollment_status"]),
                    weekdays=row["weekdays"],
                    capacity=row["capacity"],
                    policy=HolidayPolicy(row["holiday_policy"]),
                    booking=Deadline(
                        DeadlineRule(row["booking_rule"]),
                        row["booking_value"],
                        row["booking_cutoff_minutes"],
                    ),
                    cancellation=Deadline(
                        DeadlineRule(row["cancellation_rule"]),
                        row["cancellation_value"],
                        row["cancellation_cutoff_minutes"],
                    ),
                    booking_opens_days_ahead=row["booking_opens_days_ahead"],
                    timezone=timezone,
                ),
            )
        )
    context = CalendarContext(
        household_id=household_id,
        household_name=rows[0]["household_name"],
        tenant_id=rows[0]["tenant_id"],
        town_name=rows[0]["town_name"],
        timezone=timezone,
        start=start,
        end=end,
        enrollments=enrollments,
        children=children,
    )
    return context


# (activity, site, day, child or None) whose booked places statement 2 counts; see
# load_day_rows.
Counted = list[tuple[int, int, date, int | None]]


def every_day_counted(context: CalendarContext) -> Counted:
    """Every day of the range at every site with a capacity (a preview of any line)."""
    return [
        (row.activity_id, row.site_id, day, None)
        for row in context.enrollments
        if row.rules.capacity is not None
        for day in days_of(row, context.start, context.end)
    ]


def calendar_counted(context: CalendarContext, now: datetime, *, staff: bool) -> Counted:
    """The days whose booked count a calendar may show: only a day its child can still
    book needs it (``evaluate_day`` reads it after the booking and the deadline). A parent
    can book no day before today, whatever the rule (deadlines are never after the day);
    staff can. Days the child has booked or is waiting for are left out by statement 2."""
    first = context.start
    if not staff:
        first = max(first, now.astimezone(ZoneInfo(context.timezone)).date())
    return [
        (row.activity_id, row.site_id, day, row.child_id)
        for row in context.enrollments
        if row.rules.capacity is not None
        for day in days_of(row, first, context.end)
    ]


async def load_day_rows(context: CalendarContext, counted: Counted) -> None:
    """Bookings, booked counts, absences, exceptions and school holidays of the range: one
    statement.

    Booked places are counted only for the ``counted`` (activity, site, day), one index
    lookup each, and for those with a child only when that child has neither booked the
    day nor joined its waiting list: a year of a school's bookings is about 100,000 index
    entries, which a GROUP BY over the range would read every time (most of a year
    calendar's cost) for counts that no booked day shows. Called again by a submission
    once it holds its locks, so it starts from empty.
    """
    context.bookings.clear()
    context.booked_counts.clear()
    context.absences.clear()
    params = Params()
    children = sorted({row.child_id for row in context.enrollments}) or [0]
    start, end = context.start, context.end
    rows = await fetch(
        # Typed NULLs: PostgreSQL infers each UNION column from its first branch.
        f"""WITH mine AS (
              SELECT b.id, b.child_id, b.activity_id, b.site_id, b.day, b.status
              FROM booking b
              WHERE b.child_id IN ({params.many(children)})
                AND b.day >= {params(start)} AND b.day <= {params(end)}
                AND b.status <> 'cancelled')
            SELECT 'booking' AS kind, m.child_id AS a, m.activity_id AS b, m.site_id AS c,
                   m.day AS day, CAST(NULL AS DATE) AS day_end, m.status AS status,
                   CAST(NULL AS VARCHAR(150)) AS label, CAST(m.id AS BIGINT) AS n
            FROM mine m
            UNION ALL
            SELECT 'count', b.activity_id, b.site_id, NULL, b.day, NULL, NULL, NULL, COUNT(*)
            FROM (SELECT DISTINCT j.activity_id, j.site_id, j.day
                  FROM {rows_table(params, "j", counted, COUNTED_COLUMNS)}
                  WHERE NOT EXISTS (
                    SELECT 1 FROM mine m
                    WHERE m.child_id = j.child_id AND m.activity_id = j.activity_id
                      AND m.day = j.day AND m.status IN ('booked', 'waiting'))) c
            JOIN booking b ON b.activity_id = c.activity_id AND b.site_id = c.site_id
                          AND b.day = c.day AND b.status = 'booked'
            GROUP BY b.activity_id, b.site_id, b.day
            UNION ALL
            SELECT 'absence', ad.child_id, ad.activity_id, NULL, ad.day, NULL, ad.outcome,
                   NULL, NULL
            FROM absence_day ad
            WHERE ad.child_id IN ({params.many(children)})
              AND ad.day >= {params(start)} AND ad.day <= {params(end)}
              AND ad.outcome <> 'cancelled_in_time'
            UNION ALL
            SELECT 'exception', ce.activity_id, ce.site_id,
                   CASE WHEN ce.is_open THEN 1 ELSE 0 END, ce.day, NULL, NULL, ce.label, NULL
            FROM calendar_exception ce
            WHERE ce.tenant_id = {params(context.tenant_id)}
              AND ce.day >= {params(start)} AND ce.day <= {params(end)}
            UNION ALL
            SELECT 'holiday', NULL, NULL, NULL, sh.starts_on, sh.ends_on, NULL, sh.name, NULL
            FROM school_holiday sh
            WHERE sh.tenant_id = {params(context.tenant_id)}
              AND sh.starts_on <= {params(end)} AND sh.ends_on >= {params(start)}""",
        params,
    )
    exceptions: dict[date, list[Exception_]] = defaultdict(list)
    school_holidays: list[tuple[date, date, str]] = []
    for row in rows:
        kind = row["kind"]
        if kind == "booking":
            context.bookings[(row["a"], row["b"], as_date(row["day"]))] = (
                BookingStatus(row["status"]),
                row["n"],
            )
        elif kind == "count":
            context.booked_counts[(row["a"], row["b"], as_date(row["day"]))] = row["n"]
        elif kind == "absence":
            context.absences[(row["a"], row["b"], as_date(row["day"]))] = AbsenceOutcome(
                row["status"]
            )
        elif kind == "exception":
            exceptions[as_date(row["day"])].append(
                Exception_(row["a"], row["b"], bool(row["c"]), row["label"])
            )
        else:
            school_holidays.append((as_date(row["day"]), as_date(row["day_end"]), row["label"]))
    context.town = TownCalendar(school_holidays, dict(exceptions))


def days_of(row: EnrollmentRow, start: date, end: date) -> list[date]:
    """The days of the range inside the enrolment's period."""
    first, last = max(start, row.period_starts_on), min(end, row.period_ends_on)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def household_calendar(
    actor: Account | None,
    household_id: int,
    start: date,
    end: date,
    *,
    clock: Clock,
    child_ids: list[int] | None = None,
) -> list[CalendarLine]:
    """Every day × activity of the household's children, with its state and its reason."""
    context = await load_context(actor, household_id, start, end, child_ids=child_ids)
    assert actor is not None
    now, staff = clock.now(), actor.role != AccountRole.PARENT
    await load_day_rows(context, calendar_counted(context, now, staff=staff))
    return [
        CalendarLine(
            row, [context.evaluate(row, day, now, staff=staff) for day in days_of(row, start, end)]
        )
        for row in context.enrollments
    ]
