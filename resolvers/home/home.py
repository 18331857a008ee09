"""A household's home screen, read in 7 SQL statements whatever the family's size.

Nothing here states a rule of its own: the calendar's statement 1 checks the household's
access rule (``household_for``'s, in SQL) and loads the children, statement 2 the bookings,
and the days are the calendar's own (``context_lines``: the same evaluation, the same
shared day objects); then the unpaid invoices (``unpaid_of``, 1 statement), the unread
messages (``household_unread``, 1) and the latest requests (``request_pages``, the family
file's loader, 3).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from operator import itemgetter
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from models.accounts import Account
from resolvers.billing.invoices import Unpaid, unpaid_of
from resolvers.calendar.booking_rules import DayView
from resolvers.calendar.calendar import EnrollmentRow, context_lines, load_context
from resolvers.core.clock import Clock
from resolvers.households.requests import Page, request_pages
from resolvers.messages.messages import household_unread

_Shown = TypeVar("_Shown")

# Today and the next school days: the first days, within two weeks from today (town time),
# on which one of the child's activities is open.
HOME_DAYS = 3
HOME_WINDOW_DAYS = 14
# The latest requests a home screen lists (« dernières demandes »).
HOME_REQUESTS = 3


@dataclass
class ChildDay(Generic[_Shown]):
    """One activity of a child on one of the days the home screen shows."""

    enrollment: EnrollmentRow
    day: _Shown


@dataclass
class ChildHome(Generic[_Shown]):
    """A child of the household with their next days (none: no activity open in the
    window, or no enrolment)."""

    child_id: int
    first_names: str
    days: list[ChildDay[_Shown]]


@dataclass
class HouseholdHome(Generic[_Shown]):
    """What the home screen shows, each part as its own domain reads it."""

    household_id: int
    household_name: str
    children: list[ChildHome[_Shown]]
    unpaid: Unpaid
    unread_messages: int
    requests: Page


async def household_home(
    actor: Account | None,
    household_id: int,
    render: Callable[[DayView], _Shown],
    *,
    clock: Clock,
) -> HouseholdHome[_Shown]:
    """The home screen of a household its guardians and the town's staff reach (the
    calendar's access rule: any other household is NOT_FOUND), each day as ``render``
    shows a ``DayView`` (the calendar's renderer: the same objects are shared)."""
    now = clock.now()
    # The town's time zone comes with statement 1: a day more on each side of today in UTC
    # covers today in any town (UTC-12 to UTC+14), kept from the town's today on below.
    around = now.astimezone(UTC).date()
    context = await load_context(
        actor,
        household_id,
        around - timedelta(days=1),
        around + timedelta(days=HOME_WINDOW_DAYS),
    )
    assert actor is not None  # load_context refuses anonymous callers
    today = now.astimezone(ZoneInfo(context.timezone)).date()
    last = today + timedelta(days=HOME_WINDOW_DAYS - 1)
    open_days: dict[int, list[tuple[date, ChildDay[_Shown]]]] = defaultdict(list)
    for line in await context_lines(context, actor, render, clock=clock):
        row = line.enrollment
        for facts, shown in zip(context.days_facts(row), line.days, strict=True):
            if facts.closed is None and today <= facts.day <= last:
                open_days[row.child_id].append((facts.day, ChildDay(row, shown)))
    children = []
    for child_id, (first_names, _) in context.children.items():
        found = open_days.get(child_id, [])
        shown_days = set(sorted({day for day, _ in found})[:HOME_DAYS])
        # By day, then in the calendar's order of the child's activities (a stable sort).
        days = [item for day, item in sorted(found, key=itemgetter(0)) if day in shown_days]
        children.append(ChildHome(child_id, first_names, days))
    pages = await request_pages([household_id], first=HOME_REQUESTS, after_id=None)
    return HouseholdHome(
        household_id=household_id,
        household_name=context.household_name,
        children=children,
        unpaid=await unpaid_of(household_id),
        unread_messages=await household_unread(actor, household_id),
        requests=pages[household_id],
    )
