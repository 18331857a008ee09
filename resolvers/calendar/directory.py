"""What staff look up every day: a family by a child's name, birth date or school, and the
children expected at a site on a day.

Both read with hand-written SQL (``resolvers.core.search`` folds accents and case the same
way on PostgreSQL and SQLite), two statements for the page and its total, then the rows of
the page by id: the cost does not grow with the page size.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from models.accounts import Account
from models.bookings import Booking, BookingStatus
from models.catalogue import Activity, Site
from models.households import Child, Diet, Household
from resolvers.core.errors import CommonErrorCode, DomainError, NotFound
from resolvers.core.search import contains_pattern, enable_fold, fold_sql
from resolvers.core.sql import Params, fetch
from resolvers.households.households import require_staff


def _child_names(params: Params, text: str) -> str:
    """The child's name, last then first or first then last, holds ``text`` (folded)."""
    pattern = params(contains_pattern(text))
    return " OR ".join(
        f"{fold_sql(names, postgres=params.postgres)} LIKE {pattern} ESCAPE '\\'"
        for names in ("c.last_name || ' ' || c.first_names", "c.first_names || ' ' || c.last_name")
    ).join("()")


def _school(params: Params, text: str) -> str:
    """The child is or was enrolled at a site whose name holds ``text`` (folded)."""
    return (
        "EXISTS (SELECT 1 FROM enrollment e JOIN site s ON s.id = e.site_id WHERE "
        f"e.child_id = c.id AND {fold_sql('s.name', postgres=params.postgres)} "
        f"LIKE {params(contains_pattern(text))} ESCAPE '\\')"
    )


def _day(params: Params, day: date) -> str:
    """A date parameter: asyncpg takes the date, SQLite compares ISO text."""
    return params(day if params.postgres else day.isoformat())


@dataclass
class FamilyPage:
    households: list[Household]
    has_next: bool
    total: int


async def find_families(
    actor: Account | None,
    *,
    child_name: str = "",
    birth_date: date | None = None,
    school: str = "",
    first: int,
    after_id: int | None,
) -> FamilyPage:
    """Staff: the town's families with a child matching every criterion given: part of the
    child's name (first or last, in any order, accents and case ignored), the birth date,
    part of the name of a school (site) the child is or was enrolled at. In file order.

    Roles: AGENT.
    """
    staff = require_staff(actor)
    if not child_name.strip() and birth_date is None and not school.strip():
        raise DomainError(
            CommonErrorCode.INVALID,
            "Indiquez le nom de l'enfant, sa date de naissance ou son école.",
            "childName",
        )
    await enable_fold()
    params = Params()
    where = [f"h.tenant_id = {params(staff.tenant_id)}"]
    if child_name.strip():
        where.append(_child_names(params, child_name))
    if birth_date is not None:
        where.append(f"c.birth_date = {_day(params, birth_date)}")
    if school.strip():
        where.append(_school(params, school))
    matching = "FROM household h JOIN child c ON c.household_id = h.id WHERE " + " AND ".join(where)
    [counted] = await fetch(f"SELECT COUNT(DISTINCT h.id) AS n {matching}", params)
    if after_id is not None:
        matching += f" AND h.id > {params(after_id)}"
    rows = await fetch(
        f"SELECT DISTINCT h.id AS id {matching} ORDER BY h.id LIMIT {params(first + 1)}", params
    )
    ids = [int(row["id"]) for row in rows[:first]]
    households = {row.id: row for row in await Household.filter(id__in=ids)}
    return FamilyPage([households[pk] for pk in ids], len(rows) > first, int(counted["n"]))


@dataclass(frozen=True)
class ExpectedChild:
    """A child booked (or waiting) for an activity at a site on a day."""

    booking_id: int
    child: Child
    household: Household
    activity: Activity
    on_waiting_list: bool


@dataclass
class ExpectedPage:
    items: list[ExpectedChild]
    has_next: bool
    total: int


@dataclass(frozen=True)
class ChildFilters:
    activity_id: int | None = None
    child_name: str = ""
    school_class: str = ""
    diet: Diet | None = None
    has_pai: bool | None = None
    with_waiting_list: bool = False


async def site_children(
    actor: Account | None,
    site_id: int,
    day: date,
    filters: ChildFilters,
    *,
    first: int,
    after_id: int | None,
) -> ExpectedPage:
    """Staff: the children booked at a site on a day, one line per child and activity, in
    booking order, narrowed by activity, name, class, diet, PAI; the waiting list on demand.

    Roles: AGENT, SITE.
    """
    staff = require_staff(actor)
    if not await Site.exists(id=site_id, tenant_id=staff.tenant_id):
        raise NotFound("Lieu", "siteId")
    await enable_fold()
    params = Params()
    statuses = [BookingStatus.BOOKED.value]
    if filters.with_waiting_list:
        statuses.append(BookingStatus.WAITING.value)
    where = [
        f"b.site_id = {params(site_id)}",
        f"b.day = {_day(params, day)}",
        f"b.status IN ({params.many(statuses)})",
    ]
    if filters.activity_id is not None:
        where.append(f"b.activity_id = {params(filters.activity_id)}")
    if filters.child_name.strip():
        where.append(_child_names(params, filters.child_name))
    if filters.school_class.strip():
        where.append(f"lower(c.school_class) = {params(filters.school_class.strip().lower())}")
    if filters.diet is not None:
        where.append(f"c.diet = {params(filters.diet.value)}")
    if filters.has_pai is not None:
        where.append(f"c.has_pai = {params(filters.has_pai)}")
    matching = "FROM booking b JOIN child c ON c.id = b.child_id WHERE " + " AND ".join(where)
    [counted] = await fetch(f"SELECT COUNT(*) AS n {matching}", params)
    if after_id is not None:
        matching += f" AND b.id > {params(after_id)}"
    rows = await fetch(
        f"SELECT b.id AS id {matching} ORDER BY b.id LIMIT {params(first + 1)}", params
    )
    return ExpectedPage(
        await _expected([int(row["id"]) for row in rows[:first]]),
        len(rows) > first,
        int(counted["n"]),
    )


async def _expected(booking_ids: list[int]) -> list[ExpectedChild]:
    """The page's bookings with their children, households and activities: four statements."""
    if not booking_ids:
        return []
    bookings: dict[int, Any] = {row.id: row for row in await Booking.filter(id__in=booking_ids)}
    children = {
        row.id: row for row in await Child.filter(id__in={b.child_id for b in bookings.values()})
    }
    households = {
        row.id: row
        for row in await Household.filter(id__in={c.household_id for c in children.values()})
    }
    activities = {
        row.id: row
        for row in await Activity.filter(id__in={b.activity_id for b in bookings.values()})
    }
    return [
        ExpectedChild(
            booking_id=pk,
            child=children[bookings[pk].child_id],
            household=households[children[bookings[pk].child_id].household_id],
            activity=activities[bookings[pk].activity_id],
            on_waiting_list=bookings[pk].status == BookingStatus.WAITING,
        )
        for pk in booking_ids
    ]
