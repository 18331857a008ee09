"""The demo town's dates, computed from the day it is seeded so that the demo works on any
date: the school years of zone C, the year on show and the months of history.

School holidays come from the ``holidays`` package (French zones A, B and C from the
arrêtés, and from their rules for the years not published yet). A school year runs from
its first day of classes to the eve of the next one: its classes end when the summer
holidays begin, and its holiday period (leisure centre) runs through those holidays.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays
from holidays.constants import SCHOOL

ZONE = "Zone C"
SUMMER = "Vacances d'été"
# Two weeks before its classes end, the demo shows the coming year: the last days of a
# year are past their booking deadlines, and a town opens next year's bookings in June.
LEAD = timedelta(days=14)
# The days already over that the demo books and bills: the three months before this one.
HISTORY_MONTHS = 3


@dataclass(frozen=True)
class SchoolYear:
    """« 2026-2027 »: classes from ``classes_start`` to ``classes_end``; holidays through
    ``ends_on`` (the eve of the next year's first day of classes)."""

    first_year: int
    classes_start: date
    classes_end: date
    ends_on: date
    holidays: tuple[tuple[str, date, date], ...]

    @property
    def label(self) -> str:
        return f"{self.first_year}-{self.first_year + 1}"

    def is_holiday(self, day: date) -> bool:
        return any(start <= day <= end for _, start, end in self.holidays)


@cache
def _breaks(first_year: int) -> tuple[tuple[str, date, date], ...]:
    """Zone C's school holidays of two calendar years, as (name, first day, last day)."""
    days = holidays.country_holidays(
        "FR", subdiv=ZONE, categories=(SCHOOL,), years=(first_year, first_year + 1), language="fr"
    )
    runs: list[tuple[str, date, date]] = []
    for day, name in sorted(days.items()):
        if runs and runs[-1][0] == name and runs[-1][2] == day - timedelta(days=1):
            runs[-1] = (name, runs[-1][1], day)
        else:
            runs.append((name, day, day))
    return tuple(runs)


@cache
def school_year(first_year: int) -> SchoolYear:
    """The school year that starts in September of ``first_year``."""
    breaks = _breaks(first_year)
    summers = {start.year: (start, end) for name, start, end in breaks if name == SUMMER}
    classes_start = summers[first_year][1] + timedelta(days=1)
    next_summer_start, next_summer_end = summers[first_year + 1]
    return SchoolYear(
        first_year=first_year,
        classes_start=classes_start,
        classes_end=next_summer_start - timedelta(days=1),
        ends_on=next_summer_end,
        holidays=tuple(
            (name, start, end)
            for name, start, end in breaks
            if classes_start <= start <= next_summer_start
        ),
    )


def year_containing(day: date) -> SchoolYear:
    year = school_year(day.year)
    return year if day >= year.classes_start else school_year(day.year - 1)


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class DemoDates:
    """Everything dated in the demo, from the town's today."""

    today: date
    years: tuple[SchoolYear, ...]  # oldest first; the last one is on show
    history_start: date  # first day booked and billed

    @property
    def on_show(self) -> SchoolYear:
        return self.years[-1]


def demo_dates(today: date) -> DemoDates:
    """The year on show is the one whose classes are running, or the coming one from two
    weeks before they end (so in July and August too); the years before it are seeded as
    far back as the history goes."""
    current = school_year(today.year - 1)
    on_show = current if today + LEAD <= current.classes_end else school_year(today.year)
    history_start = _months_before(today, HISTORY_MONTHS)
    first = year_containing(history_start).first_year
    years = tuple(school_year(y) for y in range(first, on_show.first_year + 1))
    return DemoDates(today=today, years=years, history_start=history_start)
