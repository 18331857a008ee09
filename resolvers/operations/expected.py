"""Who is expected where: the booked days that will really happen, for the kitchen forecast,
the attendance sheets and the parents' calendar feeds.

A booked day counts when the child's enrolment is active for that day, the activity is open
at the site that day (the calendar's own ``closure`` rule: an exceptional closure added after
the bookings empties the day), and, for presence, no absence was reported for it (pending,
justified or not: billing differs, but the child stays home — as the calendar shows ABSENT).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from models.absences import AbsenceOutcome
from models.catalogue import ActivityKind, HolidayPolicy
from models.households import Diet
from resolvers.calendar.booking_rules import Exception_, TownCalendar, closure
from resolvers.calendar.calendar import as_date
from resolvers.core.sql import Params, fetch


@dataclass(frozen=True)
class OpeningRow:
    """An activity open at a site over a period."""

    activity_id: int
    activity_code: str
    activity_name: str
    activity_kind: ActivityKind
    site_id: int
    site_name: str
    starts_on: date
    ends_on: date
    weekdays: int
    policy: HolidayPolicy


@dataclass
class Openings:
    """The openings and town calendar of a range: tells whether a slot is open on a day."""

    rows: list[OpeningRow]
    town: TownCalendar

    def opening(self, activity_id: int, site_id: int, day: date) -> OpeningRow | None:
        for row in self.rows:
            if (row.activity_id, row.site_id) == (activity_id, site_id) and (
                row.starts_on <= day <= row.ends_on
            ):
                return row
        return None

    def is_open(self, activity_id: int, site_id: int, day: date) -> bool:
        row = self.opening(activity_id, site_id, day)
        return row is not None and (
            closure(
                day,
                activity_id=activity_id,
                site_id=site_id,
                weekdays=row.weekdays,
                policy=row.policy,
                town=self.town,
            )
            is None
        )


@dataclass(frozen=True)
class ExpectedDay:
    """One booked day of one child in one activity, with what the staff must know."""

    booking_id: int
    day: date
    updated_at: datetime
    activity_id: int
    site_id: int
    child_id: int
    household_id: int
    first_names: str
    last_name: str
    school_class: str
    birth_date: date
    diet: Diet
    has_pai: bool
    health_notes: str
    pai_details: str
    absence: AbsenceOutcome | None

    @property
    def reported_absent(self) -> bool:
        return self.absence is not None


async def load_openings(
    tenant_id: int,
    start: date,
    end: date,
    *,
    kind: ActivityKind | None = None,
    site_id: int | None = None,
    activity_id: int | None = None,
) -> Openings:
    """Openings overlapping the range, with the town's exceptions and holidays: 2 statements."""
    params = Params()
    filters = [f"a.tenant_id = {params(tenant_id)}"]
    if kind is not None:
        filters.append(f"a.kind = {params(kind.value)}")
    if site_id is not None:
        filters.append(f"o.site_id = {params(site_id)}")
    if activity_id is not None:
        filters.append(f"o.activity_id = {params(activity_id)}")
    filters.append(f"p.starts_on <= {params(end)} AND p.ends_on >= {params(start)}")
    rows = await fetch(
        f"""SELECT a.id AS activity_id, a.code, a.name AS activity_name, a.kind,
                   a.holiday_policy, s.id AS site_id, s.name AS site_name,
                   p.starts_on, p.ends_on, o.weekdays
            FROM opening o
            JOIN activity a ON a.id = o.activity_id
            JOIN site s ON s.id = o.site_id
            JOIN period p ON p.id = o.period_id
            WHERE {" AND ".join(filters)}
            ORDER BY s.name, a.code, p.starts_on""",
        params,
    )
    params = Params()
    calendar_rows = await fetch(
        f"""SELECT 'exception' AS kind, ce.activity_id AS a, ce.site_id AS b,
                   CASE WHEN ce.is_open THEN 1 ELSE 0 END AS c, ce.day AS day,
                   CAST(NULL AS DATE) AS day_end, ce.label AS label
            FROM calendar_exception ce
            WHERE ce.tenant_id = {params(tenant_id)}
              AND ce.day >= {params(start)} AND ce.day <= {params(end)}
            UNION ALL
            SELECT 'holiday', NULL, NULL, NULL, sh.starts_on, sh.ends_on, sh.name
            FROM school_holiday sh
            WHERE sh.tenant_id = {params(tenant_id)}
              AND sh.starts_on <= {params(end)} AND sh.ends_on >= {params(start)}""",
        params,
    )
    exceptions: dict[date, list[Exception_]] = defaultdict(list)
    school_holidays: list[tuple[date, date, str]] = []
    for row in calendar_rows:
        if row["kind"] == "exception":
            exceptions[as_date(row["day"])].append(
                Exception_(row["a"], row["b"], bool(row["c"]), row["label"])
            )
        else:
            school_holidays.append((as_date(row["day"]), as_date(row["day_end"]), row["label"]))
    # Built whole: TownCalendar indexes the school holidays when it is made.
    town = TownCalendar(school_holidays, dict(exceptions))
    return Openings(
        [
            OpeningRow(
                activity_id=row["activity_id"],
                activity_code=row["code"],
                activity_name=row["activity_name"],
                activity_kind=ActivityKind(row["kind"]),
                site_id=row["site_id"],
                site_name=row["site_name"],
                starts_on=as_date(row["starts_on"]),
                ends_on=as_date(row["ends_on"]),
                weekdays=row["weekdays"],
                policy=HolidayPolicy(row["holiday_policy"]),
            )
            for row in rows
        ],
        town,
    )


def _as_datetime(value: Any) -> datetime:
    """SQLite hands timestamps back as text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


async def expected_days(
    tenant_id: int,
    start: date,
    end: date,
    openings: Openings,
    *,
    kind: ActivityKind | None = None,
    site_id: int | None = None,
    activity_id: int | None = None,
    child_id: int | None = None,
) -> list[ExpectedDay]:
    """Booked days of the range on open days under an active enrolment: one statement.

    Days reported absent are returned flagged (``absence``) so that callers can count or
    list them; a day cancelled in time is no longer booked and does not appear.
    """
    params = Params()
    filters = [
        f"a.tenant_id = {params(tenant_id)}",
        "b.status = 'booked'",
        f"b.day >= {params(start)} AND b.day <= {params(end)}",
    ]
    if kind is not None:
        filters.append(f"a.kind = {params(kind.value)}")
    if site_id is not None:
        filters.append(f"b.site_id = {params(site_id)}")
    if activity_id is not None:
        filters.append(f"b.activity_id = {params(activity_id)}")
    if child_id is not None:
        filters.append(f"b.child_id = {params(child_id)}")
    rows = await fetch(
        f"""SELECT b.id AS booking_id, b.day, b.updated_at, b.activity_id, b.site_id,
                   c.id AS child_id, c.household_id, c.first_names, c.last_name,
                   c.school_class, c.birth_date, c.diet, c.has_pai, c.health_notes,
                   c.pai_details,
                   (SELECT MAX(ad.outcome) FROM absence_day ad
                    WHERE ad.child_id = b.child_id AND ad.activity_id = b.activity_id
                      AND ad.day = b.day AND ad.outcome <> 'cancelled_in_time') AS absence
            FROM booking b
            JOIN activity a ON a.id = b.activity_id
            JOIN child c ON c.id = b.child_id
            WHERE {" AND ".join(filters)}
              AND EXISTS (
                SELECT 1 FROM enrollment e JOIN period p ON p.id = e.period_id
                WHERE e.child_id = b.child_id AND e.activity_id = b.activity_id
                  AND e.site_id = b.site_id AND e.status = 'active'
                  AND p.starts_on <= b.day AND p.ends_on >= b.day)
            ORDER BY b.day, b.site_id, a.code, c.last_name, c.first_names, c.id""",
        params,
    )
    found = []
    for row in rows:
        day = as_date(row["day"])
        if not openings.is_open(row["activity_id"], row["site_id"], day):
            continue
        found.append(
            ExpectedDay(
                booking_id=row["booking_id"],
                day=day,
                updated_at=_as_datetime(row["updated_at"]),
                activity_id=row["activity_id"],
                site_id=row["site_id"],
                child_id=row["child_id"],
                household_id=row["household_id"],
                first_names=row["first_names"],
                last_name=row["last_name"],
                school_class=row["school_class"],
                birth_date=as_date(row["birth_date"]),
                diet=Diet(row["diet"]),
                has_pai=bool(row["has_pai"]),
                health_notes=row["health_notes"],
                pai_details=row["pai_details"],
                absence=AbsenceOutcome(row["absence"]) if row["absence"] else None,
            )
        )
    return found
