"""The household calendar, the hottest read of the product: two SQL statements whatever
the number of children, activities and days, rows as the driver gives them, no model
instances.

Statement 1 checks access and loads the children's enrolments with their activity rules
and openings, and the town's exceptional days and school holidays of the range; statement
2 loads, in one UNION ALL, the bookings, the booked counts of the days that need one (see
``calendar_counted`` and ``load_day_rows``) and the reported absences.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Generic, TypeVar, cast
from zoneinfo import ZoneInfo

from models.absences import AbsenceOutcome
from models.accounts import Account, AccountRole
from models.bookings import BookingStatus, EnrollmentStatus
from models.catalogue import DeadlineRule, HolidayPolicy
from resolvers.calendar.booking_rules import (
    DayFacts,
    DayView,
    Deadline,
    Exception_,
    Outcome,
    SlotRules,
    TownCalendar,
    decide,
    decision_moments,
    slot_days,
)
from resolvers.core.clock import Clock
from resolvers.core.errors import CommonErrorCode, DomainError, NotAuthenticated, NotFound
from resolvers.core.roles import FamilyData, require_family_data
from resolvers.core.sql import Params, fetch_rows, rows_table

_Shown = TypeVar("_Shown")

MAX_RANGE_DAYS = 400  # a school year and a bit: any range a calendar screen shows
COUNTED_COLUMNS = [
    ("activity_id", "INTEGER"),
    ("site_id", "INTEGER"),
    ("day", "DATE"),
    ("child_id", "INTEGER"),
    ("capacity", "INTEGER"),
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
    bookings: dict[tuple[int, int, date], BookingStatus] = field(default_factory=dict)
    booked_counts: dict[tuple[int, int, date], int] = field(default_factory=dict)
    absences: dict[tuple[int, int, date], AbsenceOutcome] = field(default_factory=dict)
    town: TownCalendar = field(default_factory=TownCalendar)
    # The town's unpaid_block_days and the household's oldest unpaid due date (statement 1).
    unpaid_block_days: int | None = None
    oldest_unpaid_due: date | None = None
    # The request an idempotency key already made, when load_context was given one.
    replay_of: int | None = None
    _days_facts: dict[int, list[DayFacts]] = field(default_factory=dict, repr=False)
    _rows_of: dict[tuple[int, int], list[EnrollmentRow]] | None = field(default=None, repr=False)

    def is_closed(self, row: EnrollmentRow, day: date) -> bool:
        return self.facts_of(row, day).closed is not None

    def enrollment_for(self, child_id: int, activity_id: int, day: date) -> EnrollmentRow | None:
        """The child's enrolment in the activity on that day (a submission asks for each
        of its lines: the rows are indexed by child and activity on the first call)."""
        rows_of = self._rows_of
        if rows_of is None:
            rows_of = self._rows_of = defaultdict(list)
            for row in self.enrollments:
                rows_of[(row.child_id, row.activity_id)].append(row)
        for row in rows_of.get((child_id, activity_id), ()):
            if row.period_starts_on <= day <= row.period_ends_on:
                return row
        return None

    def unpaid_blocked(self, now: datetime) -> bool:
        """Whether an invoice is unpaid longer past its due date than the town allows."""
        if self.unpaid_block_days is None or self.oldest_unpaid_due is None:
            return False
        today = now.astimezone(ZoneInfo(self.timezone)).date()
        return (today - self.oldest_unpaid_due).days > self.unpaid_block_days

    def evaluate(self, row: EnrollmentRow, day: date, now: datetime, *, staff: bool) -> DayView:
        """One day of one enrolment as it shows now (``decide`` on its shared facts)."""
        return self.evaluator(now, staff=staff)(row, day)

    def evaluator(self, now: datetime, *, staff: bool) -> Callable[[EnrollmentRow, date], DayView]:
        """``evaluate`` at one time for many days (a submission's hundreds of lines): the
        unpaid block (a time zone conversion) is read once, not once a day. It reads the
        context's bookings and counts as they are when called: a submission updates them
        line by line."""
        bookings, counts, absences = self.bookings, self.booked_counts, self.absences
        blocked, facts_of = self.unpaid_blocked(now), self.facts_of

        def view(row: EnrollmentRow, day: date) -> DayView:
            facts = facts_of(row, day)
            child, activity = row.child_id, row.activity_id
            return facts.view(
                decide(
                    facts,
                    booking_status=bookings.get((child, activity, day)),
                    booked_count=counts.get((activity, row.site_id, day), 0),
                    now=now,
                    staff=staff,
                    absence=absences.get((child, activity, day)),
                    unpaid_blocked=blocked,
                )
            )

        return view

    def days_facts(self, row: EnrollmentRow) -> list[DayFacts]:
        """The shared facts of the row's days in the context's range (looked up once per
        row and context: a submission asks them day by day)."""
        kept = self._days_facts.get(row.enrollment_id)
        if kept is None:
            first, last = max(self.start, row.period_starts_on), min(self.end, row.period_ends_on)
            kept = self._days_facts[row.enrollment_id] = slot_days(row.rules).days(
                first, last, self.town
            )
        return kept

    def facts_of(self, row: EnrollmentRow, day: date) -> DayFacts:
        """The shared facts of one day of the row."""
        days = self.days_facts(row)
        index = (day - days[0].day).days if days else -1
        if 0 <= index < len(days):
            return days[index]
        return slot_days(row.rules).facts(day, self.town)  # outside the context's range

    def day_table(self, row: EnrollmentRow, now: datetime, *, staff: bool) -> "DayTable":
        """``decide`` on the row's days in the context's range with nothing but their
        booking, shared by every request in ``now``'s window (the module's ``day_table``)."""
        return day_table(self.days_facts(row), now, staff=staff)

    def show_days(
        self, row: EnrollmentRow, now: datetime, render: Callable[[DayView], _Shown], *, staff: bool
    ) -> list[_Shown]:
        """``render(evaluate(…))`` of every day of the range for one enrolment: a day with
        nothing but its booking (or none) is the row's ``DayTable``'s, already decided and
        rendered; any other (a place counted, an absence, an unpaid invoice blocking) is
        decided here, by the same rule on the same shared facts."""
        table = self.day_table(row, now, staff=staff)
        rendered = table.rendered(render)
        booking_of = self.bookings.get
        child, activity, site = row.child_id, row.activity_id, row.site_id
        counts, absences = self.booked_counts, self.absences
        blocked = self.unpaid_blocked(now)
        if not counts and not absences and not blocked:
            # The usual case (no crowded slot, no absence): a year is a lookup per day.
            return [
                rendered[booking_of((child, activity, day))][n] for n, day in enumerate(table.dates)
            ]
        shown: list[_Shown] = []
        show = shown.append
        for n, day in enumerate(table.dates):
            booking_status = booking_of((child, activity, day))
            booked_count = counts.get((activity, site, day), 0)
            absence = absences.get((child, activity, day))
            if not booked_count and absence is None and not blocked:
                show(rendered[booking_status][n])
                continue
            facts = table.days[n]
            outcome = decide(
                facts,
                booking_status=booking_status,
                booked_count=booked_count,
                now=now,
                staff=staff,
                absence=absence,
                unpaid_blocked=blocked,
            )
            show(facts.shown(outcome, render))
        return shown


class DayTable:
    """``decide``'s answers on one range of a slot's shared days (a ``SlotDays.days`` list)
    for every ``now`` of one window between ``decision_moments`` (where none can change),
    staff or not, for days with nothing but their booking: no place counted, no absence, no
    unpaid invoice blocking. ``free``: each day without a booking either (``bookable``: the
    days of those whose places a calendar counts); ``rendered``: each day as a renderer
    shows it, by booking status. Every household at the slot asks the same days: built
    once per window, a year calendar is then a lookup per day rather than a decision."""

    MAX_RENDERERS = 8  # the API's and the home screen's; then it starts again from empty

    def __init__(self, days: list[DayFacts], now: datetime, staff: bool) -> None:
        self.days, self._now, self._staff = days, now, staff  # now: any of the window
        self.dates = [facts.day for facts in days]
        self.free = self.outcomes(None)
        bookable = Outcome.BOOKABLE
        self.bookable = [
            facts.day for facts, outcome in zip(days, self.free, strict=True) if outcome is bookable
        ]
        self._rendered: dict[Callable[[DayView], Any], _Rendered] = {}

    def outcomes(self, booking_status: BookingStatus | None) -> list[Outcome]:
        """``decide`` on each day with that booking (None: free) and nothing else."""
        return [
            decide(
                facts,
                booking_status=booking_status,
                booked_count=0,
                now=self._now,
                staff=self._staff,
                absence=None,
            )
            for facts in self.days
        ]

    def rendered(self, render: Callable[[DayView], Any]) -> "_Rendered":
        kept = self._rendered.get(render)
        if kept is None:
            if len(self._rendered) >= self.MAX_RENDERERS:
                self._rendered.clear()
            kept = self._rendered[render] = _Rendered(self, render)
        return kept


class _Rendered(dict[BookingStatus | None, list[Any]]):
    """A ``DayTable``'s days as one renderer shows them, by booking status (None: free),
    each status's list made when first asked (through ``DayFacts.shown``: the rendered
    objects are the days' own, shared)."""

    def __init__(self, table: DayTable, render: Callable[[DayView], Any]) -> None:
        super().__init__()
        self._table, self._render = table, render

    def __missing__(self, booking_status: BookingStatus | None) -> list[Any]:
        table, render = self._table, self._render
        outcomes = table.free if booking_status is None else table.outcomes(booking_status)
        shown = self[booking_status] = [
            facts.shown(outcome, render)
            for facts, outcome in zip(table.days, outcomes, strict=True)
        ]
        return shown


# Per shared day list (by identity, the list kept alive with its entry): its moments, and
# its tables by (staff, window).
_TABLES: dict[int, tuple[list[DayFacts], list[datetime], dict[tuple[bool, int], DayTable]]] = {}
MAX_TABLE_RANGES = 1024  # slots × the ranges calendars ask; then it starts again from empty
MAX_TABLE_WINDOWS = 4  # staff or not, a window lasts until the next deadline (hours)


def day_table(days: list[DayFacts], now: datetime, *, staff: bool) -> DayTable:
    """The ``DayTable`` of a shared day list (``SlotDays.days``) at ``now``: ``now``'s
    window is its place among the list's ``decision_moments`` (at one, or strictly between
    two), where ``decide``'s answers are all the same."""
    kept = _TABLES.get(id(days))
    if kept is None or kept[0] is not days:
        if len(_TABLES) >= MAX_TABLE_RANGES:
            _TABLES.clear()
        kept = _TABLES[id(days)] = (days, decision_moments(days), {})
    _, moments, tables = kept
    n = bisect_left(moments, now)
    key = (staff, 2 * n + (n < len(moments) and moments[n] == now))
    table = tables.get(key)
    if table is None:
        if len(tables) >= MAX_TABLE_WINDOWS:
            tables.clear()
        table = tables[key] = DayTable(days, now, staff)
    return table


@dataclass
class CalendarLine(Generic[_Shown]):
    """The days of one child in one activity, as the caller renders them."""

    enrollment: EnrollmentRow
    days: list[_Shown]


def as_date(value: Any) -> date:
    """SQLite hands dates back as ISO text, PostgreSQL as dates."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _access_predicate(actor: Account, params: Params) -> str:
    """``households.household_for``'s rule, in SQL for the hot path: keep them equal (the
    staff roles a family file reaches are checked on the actor, before any statement)."""
    require_family_data(actor, FamilyData.FILE)
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
    idempotency_key: str | None = None,
) -> CalendarContext:
    """Access check, the children and their enrolments with their rules, and the town's
    exceptional days and school holidays of the range (statement 1): every day's closure
    is known before ``load_day_rows`` loads the bookings (statement 2), which then counts
    the booked places of the open days only. With an ``idempotency_key`` (a submit), the
    same statement looks for the request the key already made (``replay_of``): a phone
    sends a key with every submit, and a lookup of its own would cost a round trip."""
    if actor is None:
        raise NotAuthenticated()
    check_range(start, end)
    params = Params()
    child_filter = f"AND c.id IN ({params.many(child_ids)})" if child_ids else ""
    household = params(household_id)
    access = _access_predicate(actor, params)
    first, last = params(start), params(end)
    replay = _replay_branch(params, idempotency_key, household, access)
    # An archived child is out of the calendar; an archived file keeps its children but no
    # enrolment, so nothing can be booked (families/staff see why in the file).
    # One household row, checked in every branch; the town's rows reuse a few columns:
    # exception (activity_id, site_id, starts_on = its day, is_open, label), holiday
    # (starts_on, ends_on, label).
    rows = await fetch_rows(
        f"""SELECT 'enrollment' AS kind, h.tenant_id, t.timezone, t.name AS town_name,
                   h.name AS household_name, c.id AS child_id, c.birth_date, c.first_names,
                   c.last_name, e.id AS enrollment_id, e.status AS enrollment_status,
                   a.id AS activity_id, a.code, a.name AS activity_name,
                   a.kind AS activity_kind, a.holiday_policy, a.booking_rule, a.booking_value,
                   a.booking_cutoff_minutes, a.cancellation_rule, a.cancellation_value,
                   a.cancellation_cutoff_minutes, a.booking_opens_days_ahead,
                   s.id AS site_id, s.name AS site_name, p.starts_on, p.ends_on, o.weekdays,
                   o.capacity, CAST(NULL AS BOOLEAN) AS is_open,
                   CAST(NULL AS VARCHAR(150)) AS label, t.unpaid_block_days,
                   CASE WHEN t.unpaid_block_days IS NULL THEN NULL ELSE
                     (SELECT MIN(i.due_on) FROM invoice i
                      WHERE i.household_id = h.id AND i.total_cents > i.settled_cents)
                   END AS oldest_unpaid_due
            FROM household h
            JOIN tenant t ON t.id = h.tenant_id
            LEFT JOIN child c ON c.household_id = h.id AND c.archived_at IS NULL {child_filter}
            LEFT JOIN enrollment e ON e.child_id = c.id AND h.archived_at IS NULL
            LEFT JOIN period p ON p.id = e.period_id
            LEFT JOIN activity a ON a.id = e.activity_id
            LEFT JOIN site s ON s.id = e.site_id
            LEFT JOIN opening o ON o.activity_id = e.activity_id AND o.site_id = e.site_id
                               AND o.period_id = e.period_id
            WHERE h.id = {household} AND {access}
            UNION ALL
            SELECT 'exception', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   ce.activity_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, ce.site_id, NULL, ce.day, NULL, NULL, NULL, ce.is_open, ce.label,
                   NULL, NULL
            FROM household h
            JOIN calendar_exception ce ON ce.tenant_id = h.tenant_id
            WHERE h.id = {household} AND {access} AND ce.day >= {first} AND ce.day <= {last}
            UNION ALL
            SELECT 'holiday', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, sh.starts_on, sh.ends_on, NULL, NULL, NULL, sh.name,
                   NULL, NULL
            FROM household h
            JOIN school_holiday sh ON sh.tenant_id = h.tenant_id
            WHERE h.id = {household} AND {access}
              AND sh.starts_on <= {last} AND sh.ends_on >= {first}{replay}
            ORDER BY kind, birth_date, child_id, code, starts_on""",
        params,
    )
    if not rows or rows[0]["kind"] != "enrollment":
        raise NotFound("Foyer", "householdId")
    context = context_from_rows(rows, household_id, start, end)
    if rows[-1]["kind"] == "replay":  # sorted last
        context.replay_of = rows[-1]["enrollment_id"]
    return context


def _replay_branch(params: Params, key: str | None, household: str, access: str) -> str:
    """Statement 1's rows for a submit's idempotency key: the request it already made, if
    any, its id in the ``enrollment_id`` column (``context_from_rows`` skips the row: no
    child)."""
    if key is None:
        return ""
    return f"""
            UNION ALL
            SELECT 'replay', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, r.id, NULL,
                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
            FROM household h
            JOIN request r ON r.household_id = h.id AND r.idempotency_key = {params(key)}
            WHERE h.id = {household} AND {access}"""


def check_children(context: "CalendarContext", child_ids: "Iterable[int]", field: str) -> None:
    """Children asked for by id are the household's: any other is NOT_FOUND (whether it
    exists elsewhere or not), named by ``field``."""
    for child_id in child_ids:
        if child_id not in context.children:
            raise NotFound("Enfant", field)


def context_from_rows(
    rows: Sequence[Mapping[str, Any]], household_id: int, start: date, end: date
) -> CalendarContext:
    """``load_context``'s rows as a context (``bench/raw_app.py`` calls it too, to send
    statement 2 the same parameters)."""
    timezone = rows[0]["timezone"]
    children: dict[int, tuple[str, str]] = {}
    enrollments = []
    exceptions: dict[date, list[Exception_]] = defaultdict(list)
    school_holidays: list[tuple[date, date, str]] = []
    for row in rows:
        kind = row["kind"]
        if kind == "exception":
            exceptions[as_date(row["starts_on"])].append(
                Exception_(row["activity_id"], row["site_id"], bool(row["is_open"]), row["label"])
            )
            continue
        if kind == "holiday":
            school_holidays.append(
                (as_date(row["starts_on"]), as_date(row["ends_on"]), row["label"])
            )
            continue
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
                activity_kind=row["activity_kind"],
                site_id=row["site_id"],
                site_name=row["site_name"],
                period_starts_on=starts_on,
                period_ends_on=ends_on,
                rules=slot_rules(
                    row["activity_id"],
                    row["site_id"],
                    row["enrollment_status"],
                    row["weekdays"],
                    row["capacity"],
                    row["holiday_policy"],
                    (row["booking_rule"], row["booking_value"], row["booking_cutoff_minutes"]),
                    (
                        row["cancellation_rule"],
                        row["cancellation_value"],
                        row["cancellation_cutoff_minutes"],
                    ),
                    row["booking_opens_days_ahead"],
                    timezone,
                ),
            )
        )
    return CalendarContext(
        household_id=household_id,
        household_name=rows[0]["household_name"],
        tenant_id=rows[0]["tenant_id"],
        town_name=rows[0]["town_name"],
        timezone=timezone,
        start=start,
        end=end,
        enrollments=enrollments,
        children=children,
        town=TownCalendar(school_holidays, dict(exceptions)),
        unpaid_block_days=_column(rows[0], "unpaid_block_days"),
        oldest_unpaid_due=as_date(oldest)
        if (oldest := _column(rows[0], "oldest_unpaid_due"))
        else None,
    )


@lru_cache(maxsize=4096)
def slot_rules(
    activity_id: int,
    site_id: int,
    enrollment_status: str,
    weekdays: int,
    capacity: int | None,
    holiday_policy: str,
    booking: tuple[str, int, int],
    cancellation: tuple[str, int, int],
    booking_opens_days_ahead: int | None,
    timezone: str,
) -> SlotRules:
    """An enrolment's rules from statement 1's columns (a deadline: rule, value, cutoff
    minutes). Every household of a town has the same few (an activity at a site, an
    enrolment status): each is built once (bounded), and ``slot_days`` then finds its
    shared day facts by identity, without comparing the fields."""
    return SlotRules(
        activity_id=activity_id,
        site_id=site_id,
        enrollment_status=EnrollmentStatus(enrollment_status),
        weekdays=weekdays,
        capacity=capacity,
        policy=HolidayPolicy(holiday_policy),
        booking=Deadline(DeadlineRule(booking[0]), booking[1], booking[2]),
        cancellation=Deadline(DeadlineRule(cancellation[0]), cancellation[1], cancellation[2]),
        booking_opens_days_ahead=booking_opens_days_ahead,
        timezone=timezone,
    )


def _column(row: Mapping[str, Any], name: str) -> Any:
    """A column statement 1 may leave out (bench/raw_app.py sends its own), else None;
    SQLite's rows have ``keys()`` but no ``get``."""
    return row[name] if name in row.keys() else None


# Enum lookups by value: calling the enum costs a Python-level call per row.
_BOOKING_STATUSES = {status.value: status for status in BookingStatus}
_ABSENCE_OUTCOMES = {outcome.value: outcome for outcome in AbsenceOutcome}

# (activity, site, day, child or None, places) whose booked places statement 2 counts;
# see load_day_rows.
Counted = list[tuple[int, int, date, int | None, int]]


def every_day_counted(context: CalendarContext) -> Counted:
    """Every day of the range at every site with a capacity (a preview of any line)."""
    return [
        (row.activity_id, row.site_id, day, None, row.rules.capacity)
        for row in context.enrollments
        if row.rules.capacity is not None
        for day in days_of(row, context.start, context.end)
    ]


def calendar_counted(context: CalendarContext, now: datetime, *, staff: bool) -> Counted:
    """The days whose booked count a calendar may show: those its child could book now,
    were the day free (``decide`` without a booking and with no place taken says
    bookable). A closed day, a day past its deadline, not yet open or of an enrolment
    not accepted never shows a count, so it is not counted. Days the child has booked or
    is waiting for are left out by statement 2."""
    counted: Counted = []
    for row in context.enrollments:
        capacity = row.rules.capacity
        if capacity is None:
            continue
        activity, site, child = row.activity_id, row.site_id, row.child_id
        counted.extend(
            (activity, site, day, child, capacity)
            for day in context.day_table(row, now, staff=staff).bookable
        )
    return counted


def _crowded(postgres: bool) -> str:
    """Whether the slot ``s`` of ``load_day_rows`` has more enrolments than places
    (``s.capacity``, never NULL: only slots with a capacity are counted), in the periods
    reaching the counted days (``j``).

    PostgreSQL: whether a row exists past the first ``capacity``, which reads at most
    ``capacity`` + 1 index entries, where counting read every enrolment, under the places'
    lock in a submit: the bench's surge slot, 2,000 enrolments for 1,000 places, 782 ->
    646 µs a round trip for the statement (bench/README.md). SQLite cannot read an outer
    column in OFFSET: it counts."""
    enrolments = """FROM enrollment x JOIN period q ON q.id = x.period_id
                     WHERE x.activity_id = s.activity_id AND x.site_id = s.site_id
                       AND q.ends_on >= (SELECT MIN(day) FROM j)
                       AND q.starts_on <= (SELECT MAX(day) FROM j)"""
    if postgres:
        return f"EXISTS (SELECT 1 {enrolments} LIMIT 1 OFFSET s.capacity)"
    return f"(SELECT COUNT(*) {enrolments}) > s.capacity"


async def load_day_rows(context: CalendarContext, counted: Counted) -> None:
    """Bookings, booked counts and absences of the range: one statement.

    Booked places are counted only for the ``counted`` (activity, site, day), one index
    lookup each, and for those with a child only when that child has neither booked the
    day nor joined its waiting list: a year of a school's bookings is about 100,000 index
    entries, which a GROUP BY over the range would read every time (most of a year
    calendar's cost) for counts that no booked day shows. And only at a crowded slot: one
    with more enrolments (in the periods reaching the counted days, whatever their status)
    than places. Elsewhere no day can be full, since only an enrolled child books: a
    canteen sized for its school is never counted. A submission calls this once it holds
    the openings' locks, so that the enrolments it reads and the counts are those of this
    moment (a new child's booking waits for our commit); it starts from empty.
    """
    context.bookings.clear()
    context.booked_counts.clear()
    context.absences.clear()
    params = Params()
    children = sorted({row.child_id for row in context.enrollments}) or [0]
    start, end = context.start, context.end
    rows = await fetch_rows(
        f"""WITH mine AS (
              SELECT b.child_id, b.activity_id, b.site_id, b.day, b.status
              FROM booking b
              WHERE b.child_id IN ({params.many(children)})
                AND b.day >= {params(start)} AND b.day <= {params(end)}
                AND b.status <> 'cancelled'),
            j AS (SELECT * FROM {rows_table(params, "r", counted, COUNTED_COLUMNS)}),
            crowded AS (
              SELECT s.activity_id, s.site_id
              FROM (SELECT DISTINCT activity_id, site_id, capacity FROM j) s
              WHERE {_crowded(params.postgres)})
            SELECT 'booking' AS kind, m.child_id AS a, m.activity_id AS b, m.day AS day,
                   m.status AS status, CAST(NULL AS BIGINT) AS n
            FROM mine m
            UNION ALL
            SELECT 'count', b.activity_id, b.site_id, b.day, NULL, COUNT(*)
            FROM (SELECT DISTINCT j.activity_id, j.site_id, j.day
                  FROM j
                  JOIN crowded k ON k.activity_id = j.activity_id AND k.site_id = j.site_id
                  WHERE NOT EXISTS (
                    SELECT 1 FROM mine m
                    WHERE m.child_id = j.child_id AND m.activity_id = j.activity_id
                      AND m.day = j.day AND m.status IN ('booked', 'waiting'))) c
            JOIN booking b ON b.activity_id = c.activity_id AND b.site_id = c.site_id
                          AND b.day = c.day AND b.status = 'booked'
            GROUP BY b.activity_id, b.site_id, b.day
            UNION ALL
            SELECT 'absence', ad.child_id, ad.activity_id, ad.day, ad.outcome, NULL
            FROM absence_day ad
            WHERE ad.child_id IN ({params.many(children)})
              AND ad.day >= {params(start)} AND ad.day <= {params(end)}
              AND ad.outcome <> 'cancelled_in_time'""",
        params,
    )
    bookings, counts, absences = context.bookings, context.booked_counts, context.absences
    # Unpacked in the SELECT's order (kind, a, b, day, status, n): a year's few hundred
    # rows, where five lookups by name each cost more than the loop (asyncpg's Record and
    # sqlite3.Row are sequences of their values too).
    for kind, a, b, day, status, n in cast(Sequence[Sequence[Any]], rows):
        if type(day) is not date:  # SQLite's ISO text (a call per row costs on a year)
            day = as_date(day)
        if kind == "booking":
            bookings[(a, b, day)] = _BOOKING_STATUSES[status]
        elif kind == "count":
            counts[(a, b, day)] = n
        else:
            absences[(a, b, day)] = _ABSENCE_OUTCOMES[status]


def days_of(row: EnrollmentRow, start: date, end: date) -> list[date]:
    """The days of the range inside the enrolment's period."""
    first, last = max(start, row.period_starts_on), min(end, row.period_ends_on)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def household_calendar(
    actor: Account | None,
    household_id: int,
    start: date,
    end: date,
    render: Callable[[DayView], _Shown],
    *,
    clock: Clock,
    child_ids: list[int] | None = None,
) -> list[CalendarLine[_Shown]]:
    """Every day × activity of the household's children, with its state and its reason,
    each as ``render`` shows a ``DayView`` (called once per distinct view and process)."""
    context = await load_context(actor, household_id, start, end, child_ids=child_ids)
    check_children(context, child_ids or (), "childIds")
    assert actor is not None
    return await context_lines(context, actor, render, clock=clock)


async def context_lines(
    context: CalendarContext,
    actor: Account,
    render: Callable[[DayView], _Shown],
    *,
    clock: Clock,
) -> list[CalendarLine[_Shown]]:
    """Statement 2 for a loaded context, then every day of its enrolments in its range as
    ``render`` shows it, in ``days_facts`` order: the household calendar's lines, and the
    days the home screen picks from (resolvers/home)."""
    now, staff = clock.now(), actor.role != AccountRole.PARENT
    await load_day_rows(context, calendar_counted(context, now, staff=staff))
    return [
        CalendarLine(row, context.show_days(row, now, render, staff=staff))
        for row in context.enrollments
    ]
