"""What staff look up every day: a family by a child's name, birth date or school, and the
children expected at a site on a day.

Both read with hand-written SQL (``resolvers.core.search`` folds accents and case the same
way on PostgreSQL and SQLite): one statement finds every matching id (the total and the
page come from it), then the rows of the page are read by id.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.accounts import Account
from models.bookings import Booking, BookingStatus
from models.catalogue import Activity, Site
from models.households import Child, Diet, Household
from resolvers.core.errors import CommonErrorCode, DomainError, NotFound
from resolvers.core.roles import require_site, require_staff
from resolvers.core.search import contains_pattern, enable_fold, fold_sql
from resolvers.core.sql import Params, fetch


def _named(params: Params, candidates: str, text: str) -> str:
    """The ids of ``candidates`` (a SELECT of ``id, last_name, first_names``) whose child's
    name, last then first or first then last, holds ``text``, accents and case folded.

    The cheap criteria narrow the candidates first, and each name is folded once (two
    materialised steps; PostgreSQL would otherwise fold it again for each comparison).
    """
    pattern = params(contains_pattern(text))
    last = fold_sql("last_name", postgres=params.postgres)
    first = fold_sql("first_names", postgres=params.postgres)
    return (
        f"WITH candidates AS MATERIALIZED ({candidates}), "
        f"folded AS MATERIALIZED (SELECT id, {last} AS l, {first} AS f FROM candidates) "
        f"SELECT DISTINCT id FROM folded WHERE l || ' ' || f LIKE {pattern} ESCAPE '\\' "
        f"OR f || ' ' || l LIKE {pattern} ESCAPE '\\'"
    )


def _school(params: Params, text: str) -> str:
    """The child's school on file, or a site it is or was enrolled at, holds ``text``."""
    pattern = params(contains_pattern(text))
    return (
        f"({fold_sql('c.school', postgres=params.postgres)} LIKE {pattern} ESCAPE '\\' OR "
        "EXISTS (SELECT 1 FROM enrollment e JOIN site s ON s.id = e.site_id WHERE "
        f"e.child_id = c.id AND {fold_sql('s.name', postgres=params.postgres)} "
        f"LIKE {pattern} ESCAPE '\\'))"
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
    part of the name of its school (on file, or a site it is or was enrolled at). In file
    order.

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
    where = [
        f"c.household_id IN (SELECT id FROM household WHERE tenant_id = {params(staff.tenant_id)})"
    ]
    if birth_date is not None:
        where.append(f"c.birth_date = {_day(params, birth_date)}")
    if school.strip():
        where.append(_school(params, school))
    children = "FROM child c WHERE " + " AND ".join(where)
    if child_name.strip():
        select = f"SELECT c.household_id AS id, c.last_name, c.first_names {children}"
        matched = await _matching_ids(_named(params, select, child_name), params)
    else:
        matched = await _matching_ids(f"SELECT DISTINCT c.household_id AS id {children}", params)
    ids, has_next = _page(matched, first, after_id)
    households = {row.id: row for row in await Household.filter(id__in=ids)}
    return FamilyPage([households[pk] for pk in ids], has_next, len(matched))


async def _matching_ids(sql: str, params: Params) -> list[int]:
    """Every id matching, in order: one scan gives the page and the total (a name typed
    in a search box matches a few hundred rows at most, a broad one a town's worth of ids)."""
    return sorted(int(row["id"]) for row in await fetch(sql, params))


def _page(ids: list[int], first: int, after_id: int | None) -> tuple[list[int], bool]:
    following = ids if after_id is None else ids[bisect_right(ids, after_id) :]
    return following[:first], len(following) > first


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
    await require_site(staff, site_id)  # a site member: their sites only
    await enable_fold()
    params = Params()
    statuses = [BookingStatus.BOOKED.value]
    if filters.with_waiting_list:
        statuses.append(BookingStatus.WAITING.value)
    where = [
        # Through the site's openings, so that the (activity, site, day) index serves.
        f"b.activity_id IN (SELECT activity_id FROM opening WHERE site_id = {params(site_id)})",
        f"b.site_id = {params(site_id)}",
        f"b.day = {_day(params, day)}",
        f"b.status IN ({params.many(statuses)})",
    ]
    if filters.activity_id is not None:
        where.append(f"b.activity_id = {params(filters.activity_id)}")
    if filters.school_class.strip():
        where.append(f"lower(c.school_class) = {params(filters.school_class.strip().lower())}")
    if filters.diet is not None:
        where.append(f"c.diet = {params(filters.diet.value)}")
    if filters.has_pai is not None:
        where.append(f"c.has_pai = {params(filters.has_pai)}")
    bookings = "FROM booking b JOIN child c ON c.id = b.child_id WHERE " + " AND ".join(where)
    if filters.child_name.strip():
        select = f"SELECT b.id AS id, c.last_name, c.first_names {bookings}"
        matched = await _matching_ids(_named(params, select, filters.child_name), params)
    else:
        matched = await _matching_ids(f"SELECT b.id AS id {bookings}", params)
    ids, has_next = _page(matched, first, after_id)
    return ExpectedPage(await _expected(ids), has_next, len(matched))


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
