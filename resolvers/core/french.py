"""French wording of dates and times, in the town's time zone, without relying on locales."""

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from itertools import groupby
from zoneinfo import ZoneInfo

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@lru_cache(maxsize=4096)
def format_date(day: date) -> str:
    """``mardi 14 novembre 2026``"""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_days(days: Iterable[date]) -> str:
    """``lundi 4, mardi 5, jeudi 7 janvier 2027``: the days in order, each month (with
    its year) named once after its days; months follow one another,
    ``mardi 29, mercredi 30 décembre 2026, lundi 4 janvier 2027``. Empty for no day."""
    months = groupby(sorted(set(days)), key=lambda day: (day.year, day.month))
    return ", ".join(
        ", ".join(f"{WEEKDAYS[day.weekday()]} {day.day}" for day in in_month)
        + f" {_MONTHS[month - 1]} {year}"
        for (year, month), in_month in months
    )


def format_time(moment: datetime, timezone: str) -> str:
    """``22h45`` in the town's time zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.hour}h{local.minute:02d}"


@lru_cache(maxsize=65536)
def format_datetime(moment: datetime, timezone: str) -> str:
    """``mardi 14 novembre 2026 à 23h59`` in the town's time zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{format_date(local.date())} à {format_time(moment, timezone)}"


def month_label(month: date) -> str:
    """``Octobre 2026``, as invoices are titled."""
    return f"{_MONTHS[month.month - 1].capitalize()} {month.year}"


def format_euros(cents: int) -> str:
    """``1 234,56 €`` from integer cents, never through a float."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", " ")
    return f"{sign}{grouped},{rest:02d} €"


def format_short_date(day: date) -> str:
    """``08/11/2026``"""
    return day.strftime("%d/%m/%Y")
