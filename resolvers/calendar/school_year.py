"""The new school year: a period copied to next year's dates, and the classes moved up a level.

``rollover_year`` copies a period and its openings (activity × site, weekdays, daily
capacity); an activity's booking rules belong to the activity, so next year keeps them. The
new year's school holidays and closures are loaded as for any year (``addSchoolHoliday``,
``addCalendarException``): their dates change every year, so they are never copied.

Classes move up a level once per town and school year, on the first day of a rolled-over
period starting at the rentrée (August or September): TPS → PS → MS → GS → CP → CE1 → CE2 →
CM1 → CM2 → 6e. A CM2 child leaves elementary school for collège (« 6e »): the town's
school-time services stop, so the re-enrolment campaign does not propose their enrolments
again (``LEAVING``); their file stays, with the class « 6e », and staff may still enrol them
by hand (a leisure centre that takes collégiens).
"""

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery

from models.accounts import Account
from models.catalogue import ClassPromotion, Opening, Period, SchoolHoliday, YearRollover
from models.households import Child, Household
from models.tenants import Tenant
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CommonErrorCode, DomainError, NotFound
from resolvers.core.roles import require_admin
from resolvers.core.transactions import atomic, savepoint

# The French school ladder, maternelle to collège; « 6e » is where elementary school ends.
CLASS_LADDER = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "6e")
LEAVING_CLASS = "6e"
_NEXT = {name.upper(): CLASS_LADDER[i + 1] for i, name in enumerate(CLASS_LADDER[:-1])}


def next_school_class(school_class: str) -> str:
    """The class after this one (« cp » → « CE1 »); a class off the ladder stays as it is."""
    return _NEXT.get(school_class.strip().upper(), school_class)


def leaves_elementary(school_class: str) -> bool:
    """A CM2 child goes to collège next year."""
    return next_school_class(school_class) == LEAVING_CLASS


def town_today(tenant: Tenant, clock: Clock) -> date:
    return clock.now().astimezone(ZoneInfo(tenant.timezone)).date()


def next_year(day: date) -> date:
    """The same day a year later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def next_year_name(name: str) -> str:
    """« Année scolaire 2026-2027 » → « Année scolaire 2027-2028 »; no year: « … (suite) »."""
    renamed = re.sub(r"(?<!\d)(\d{4})(?!\d)", lambda m: str(int(m.group(1)) + 1), name)
    return renamed if renamed != name else f"{name} (année suivante)"[:100]


@dataclass(frozen=True)
class Rollover:
    """What ``rollover_year`` answers: the new period, and whether this call created it."""

    rollover: YearRollover
    source: Period
    period: Period
    created: bool
    openings: int
    warnings: list[str]


async def rollover_year(
    actor: Account | None,
    period_id: int,
    *,
    clock: Clock,
    name: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Rollover:
    """Copy a period and its openings to next year's dates (a year later unless given).

    Roles: ADMIN. Rolling the same period over again creates nothing: it answers the period
    created the first time (``created`` false), whatever dates are given.
    """
    admin = require_admin(actor)
    async with atomic():
        # Two admins at once: the second waits here, then finds the first one's copy.
        source = (
            await Period.filter(id=period_id, tenant_id=admin.tenant_id).select_for_update().first()
        )
        if source is None:
            raise NotFound("Période", "periodId")
        existing = await YearRollover.get_or_none(source_period_id=source.id).select_related(
            "next_period"
        )
        if existing is not None:
            count = await Opening.filter(period_id=existing.next_period_id).count()
            warnings = await _warnings(existing.next_period)
            return Rollover(existing, source, existing.next_period, False, count, warnings)
        first = starts_on or next_year(source.starts_on)
        last = ends_on or next_year(source.ends_on)
        if last <= first:
            raise DomainError(
                CommonErrorCode.INVALID, "La fin de la période doit suivre son début.", "endsOn"
            )
        if first <= source.starts_on:
            raise DomainError(
                CommonErrorCode.INVALID,
                "La nouvelle année doit commencer après la période reconduite.",
                "startsOn",
            )
        label = (name or "").strip() or next_year_name(source.name)
        period = await Period.create(
            tenant_id=admin.tenant_id, name=label[:100], starts_on=first, ends_on=last
        )
        openings = await Opening.filter(period_id=source.id).order_by("id")
        await Opening.bulk_create(
            [
                Opening(
                    activity_id=row.activity_id,
                    site_id=row.site_id,
                    period_id=period.id,
                    weekdays=row.weekdays,
                    capacity=row.capacity,
                )
                for row in openings
            ]
        )
        rollover = await YearRollover.create(
            tenant_id=admin.tenant_id,
            source_period_id=source.id,
            next_period_id=period.id,
            created_by=admin,
            created_at=clock.now(),
        )
        await audit.record(
            "period.rollover",
            tenant_id=admin.tenant_id,
            actor=admin,
            target_type="period",
            target_id=period.id,
            clock=clock,
            details={"from_period": source.id, "openings": len(openings)},
        )
    return Rollover(rollover, source, period, True, len(openings), await _warnings(period))


async def _warnings(period: Period) -> list[str]:
    """What the admin still has to do for the new year, in French."""
    if await SchoolHoliday.filter(
        tenant_id=period.tenant_id, starts_on__lte=period.ends_on, ends_on__gte=period.starts_on
    ).exists():
        return []
    return [
        f"Aucune période de vacances scolaires n'est chargée pour « {period.name} » : "
        "ajoutez-les (addSchoolHoliday) avant d'ouvrir les réservations, sinon les jours de "
        "vacances resteront réservables."
    ]


def school_year_of(period: Period) -> int | None:
    """The school year a period starts (its year), if it starts at the rentrée."""
    return period.starts_on.year if period.starts_on.month in (8, 9) else None


async def promote_classes(*, clock: Clock) -> int:
    """Move every child of a town up a level on the first day of its new school year, once.

    Run by the daily cron: each rolled-over period starting at the rentrée that has begun,
    in a town whose classes have not moved for that school year yet. Safe to run twice (a
    unique ``ClassPromotion`` row per town and school year is written with the change).
    Returns how many children moved.
    """
    moved = 0
    rollovers = await YearRollover.filter(
        next_period__starts_on__lte=clock.now().date()
    ).select_related("next_period", "tenant")
    for rollover in rollovers:
        period = rollover.next_period
        year = school_year_of(period)
        if year is None or town_today(rollover.tenant, clock) < period.starts_on:
            continue
        if await ClassPromotion.exists(tenant_id=rollover.tenant_id, school_year=year):
            continue
        try:
            async with savepoint():
                promotion = await ClassPromotion.create(
                    tenant_id=rollover.tenant_id,
                    school_year=year,
                    children=0,
                    promoted_at=clock.now(),
                )
                promotion.children = await _move_up(rollover.tenant_id)
                await promotion.save(update_fields=["children"])
                await audit.record(
                    "school_year.classes_promoted",
                    tenant_id=rollover.tenant_id,
                    actor=None,
                    target_type="period",
                    target_id=period.id,
                    clock=clock,
                    details={"school_year": year, "children": promotion.children},
                )
        except IntegrityError:
            continue  # another run promoted this town's classes first
        moved += promotion.children
    return moved


async def _move_up(tenant_id: int) -> int:
    """Top of the ladder first, so that each child moves one level only."""
    moved = 0
    for current in reversed(CLASS_LADDER[:-1]):
        moved += await Child.filter(
            household_id__in=Subquery(Household.filter(tenant_id=tenant_id).values("id")),
            school_class__iexact=current,
        ).update(school_class=_NEXT[current.upper()])
    return moved
