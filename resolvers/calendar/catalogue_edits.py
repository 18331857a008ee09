"""Staff change and remove what they set up: sites, periods, openings, exceptional closures and
openings; and list the openings and exceptions to do so.

What families booked, staff recorded or the town invoiced stays true: a change that would
leave a booking, an enrolment, a roll call (pointage) or an invoice line without its site,
period, opening or open day is refused (``IN_USE``) with a French sentence saying what
depends on it and what to do first. Names, addresses and labels always change.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models.accounts import Account
from models.billing import Attendance, InvoiceLine
from models.bookings import Booking, BookingStatus, Enrollment
from models.catalogue import (
    Activity,
    CalendarException,
    Opening,
    Period,
    Reenrollment,
    Site,
    SiteKind,
)
from resolvers.calendar.booking_rules import weekday_mask
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CalendarErrorCode, CommonErrorCode, DomainError, NotFound
from resolvers.core.french import format_date
from resolvers.core.transactions import atomic
from resolvers.households.households import require_staff

# Every booking that still means a child is expected (and billed) that day.
_LIVE = (BookingStatus.BOOKED, BookingStatus.WAITING)


# What may depend on a catalogue row, counted, with its French plural.
PLURALS = {
    "inscription": "inscriptions",
    "réinscription": "réinscriptions",
    "réservation": "réservations",
    "pointage": "pointages",
    "ligne de facture": "lignes de facture",
}
Dependents = Counter[str]


def _in_use(what: str, dependents: Dependents, advice: str, field: str | None) -> DomainError:
    parts = [f"{n} {kind if n == 1 else PLURALS[kind]}" for kind, n in dependents.items() if n]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]
    verb = "dépendent" if len(parts) > 1 or sum(dependents.values()) > 1 else "dépend"
    return DomainError(CalendarErrorCode.IN_USE, f"{what} : {joined} en {verb}. {advice}", field)


async def _days_dependents(
    bookings: Q, attendance: Q, *, weekdays: int | None = None, live_only: bool = True
) -> Dependents:
    """Bookings and roll calls matching, on the given weekdays (bit mask) if any."""
    booking_query = Booking.filter(bookings)
    if live_only:
        booking_query = booking_query.filter(status__in=_LIVE)
    booked = cast(list[date], await booking_query.values_list("day", flat=True))
    called = cast(list[date], await Attendance.filter(attendance).values_list("day", flat=True))
    if weekdays is not None:
        booked = [day for day in booked if weekdays & (1 << day.weekday())]
        called = [day for day in called if weekdays & (1 << day.weekday())]
    return Counter({"réservation": len(booked), "pointage": len(called)})


async def _invoiced(tenant_id: int, activity_id: int, start: date, end: date) -> Dependents:
    """Invoices of the activity for the months of a range (invoice lines carry no day)."""
    first = start.replace(day=1)
    count = await InvoiceLine.filter(
        activity_id=activity_id,
        invoice__tenant_id=tenant_id,
        invoice__month__gte=first,
        invoice__month__lte=end,
    ).count()
    return Counter({"ligne de facture": count})


async def _site(staff: Account, site_id: int) -> Site:
    site = await Site.get_or_none(id=site_id, tenant_id=staff.tenant_id)
    if site is None:
        raise NotFound("Lieu", "siteId")
    return site


async def update_site(
    actor: Account | None, site_id: int, name: str, kind: SiteKind, address: str, *, clock: Clock
) -> Site:
    """Rename a site, change its kind or address: nothing booked depends on these.

    Roles: AGENT.
    """
    staff = require_staff(actor)
    site = await _site(staff, site_id)
    if not name.strip():
        raise DomainError(CommonErrorCode.INVALID, "Le nom du lieu est obligatoire.", "name")
    site.name, site.kind, site.address = name.strip(), kind, address.strip()
    try:
        async with atomic():
            await site.save(update_fields=["name", "kind", "address"])
            await audit.record(
                "site.update",
                tenant_id=staff.tenant_id,
                actor=staff,
                target_type="site",
                target_id=site.id,
                clock=clock,
                details={"name": site.name, "kind": kind.value},
            )
    except IntegrityError:
        raise DomainError(
            CommonErrorCode.INVALID, f"Un lieu « {site.name} » existe déjà.", "name"
        ) from None
    return site


async def delete_site(actor: Account | None, site_id: int, *, clock: Clock) -> None:
    """Remove a site with its openings and closures, unless children were enrolled, booked
    or called there. Roles: AGENT."""
    staff = require_staff(actor)
    site = await _site(staff, site_id)
    dependents = await _days_dependents(Q(site_id=site.id), Q(site_id=site.id), live_only=False)
    dependents["inscription"] = await Enrollment.filter(site_id=site.id).count()
    dependents["réinscription"] = await Reenrollment.filter(site_id=site.id).count()
    if sum(dependents.values()):
        raise _in_use(
            f"Impossible de supprimer « {site.name} »",
            dependents,
            "Un lieu qui a servi reste pour l'historique et la facturation : renommez-le ou "
            "fermez ses ouvertures à venir.",
            "siteId",
        )
    async with atomic():
        await site.delete()
        await audit.record(
            "site.delete",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="site",
            target_id=site_id,
            clock=clock,
            details={"name": site.name},
        )


async def _period(staff: Account, period_id: int) -> Period:
    period = await Period.get_or_none(id=period_id, tenant_id=staff.tenant_id)
    if period is None:
        raise NotFound("Période", "periodId")
    return period


async def _period_dependents(
    period: Period, start: date, end: date, *, outside: bool
) -> Dependents:
    """Booked days and roll calls of the period's openings, in [start, end] or outside it."""
    found: Dependents = Counter()
    for opening in await Opening.filter(period_id=period.id):
        days = Q(day__gte=period.starts_on, day__lte=period.ends_on)
        if outside:
            days &= Q(day__lt=start) | Q(day__gt=end)
        where = Q(activity_id=opening.activity_id, site_id=opening.site_id) & days
        found += await _days_dependents(where, where)
    return found


async def update_period(
    actor: Account | None,
    period_id: int,
    name: str,
    starts_on: date,
    ends_on: date,
    *,
    clock: Clock,
) -> Period:
    """Rename a period or move its dates, unless booked days or roll calls would fall out
    of it. Roles: AGENT."""
    staff = require_staff(actor)
    period = await _period(staff, period_id)
    if not name.strip():
        raise DomainError(CommonErrorCode.INVALID, "Le nom de la période est obligatoire.", "name")
    if ends_on <= starts_on:
        raise DomainError(
            CommonErrorCode.INVALID, "La fin de la période doit suivre son début.", "endsOn"
        )
    async with atomic():
        [period] = await Period.filter(id=period.id).select_for_update()
        if (starts_on, ends_on) != (period.starts_on, period.ends_on):
            dependents = await _period_dependents(period, starts_on, ends_on, outside=True)
            if sum(dependents.values()):
                raise _in_use(
                    f"Impossible de ramener « {period.name} » du {format_date(starts_on)} au "
                    f"{format_date(ends_on)}",
                    dependents,
                    "Annulez d'abord les jours réservés hors de ces dates.",
                    "startsOn",
                )
        period.name, period.starts_on, period.ends_on = name.strip(), starts_on, ends_on
        await period.save(update_fields=["name", "starts_on", "ends_on"])
        await audit.record(
            "period.update",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="period",
            target_id=period.id,
            clock=clock,
            details={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
        )
    return period


async def delete_period(actor: Account | None, period_id: int, *, clock: Clock) -> None:
    """Remove a period and its openings, unless children are enrolled in it or booked or
    called on its days. A period rolled over from another may go (it can be rolled over
    again). Roles: AGENT."""
    staff = require_staff(actor)
    period = await _period(staff, period_id)
    dependents = await _period_dependents(period, period.starts_on, period.ends_on, outside=False)
    dependents["inscription"] = await Enrollment.filter(period_id=period.id).count()
    for activity_id in set(
        await Opening.filter(period_id=period.id).values_list("activity_id", flat=True)
    ):
        dependents += await _invoiced(
            staff.tenant_id, int(str(activity_id)), period.starts_on, period.ends_on
        )
    if sum(dependents.values()):
        raise _in_use(
            f"Impossible de supprimer « {period.name} »",
            dependents,
            "Une période qui a servi reste pour l'historique et la facturation.",
            "periodId",
        )
    async with atomic():
        await period.delete()
        await audit.record(
            "period.delete",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="period",
            target_id=period_id,
            clock=clock,
            details={"name": period.name},
        )


async def check_weekdays_removable(opening: Opening, weekdays: list[int]) -> None:
    """Refuse to close weekdays of an opening on which children are booked or were called."""
    removed = opening.weekdays & ~weekday_mask(weekdays)
    if not removed:
        return
    period = await Period.get(id=opening.period_id)
    where = Q(
        activity_id=opening.activity_id,
        site_id=opening.site_id,
        day__gte=period.starts_on,
        day__lte=period.ends_on,
    )
    dependents = await _days_dependents(where, where, weekdays=removed)
    if sum(dependents.values()):
        raise _in_use(
            "Impossible de fermer ces jours de la semaine",
            dependents,
            "Annulez d'abord les jours réservés concernés.",
            "weekdays",
        )


async def delete_opening(actor: Account | None, opening_id: int, *, clock: Clock) -> None:
    """Stop an activity at a site for a period, unless children are enrolled in it or
    booked, called or invoiced on its days. Roles: AGENT."""
    staff = require_staff(actor)
    opening = await Opening.get_or_none(
        id=opening_id, period__tenant_id=staff.tenant_id
    ).select_related("period", "activity", "site")
    if opening is None:
        raise NotFound("Ouverture", "openingId")
    period = opening.period
    where = Q(
        activity_id=opening.activity_id,
        site_id=opening.site_id,
        day__gte=period.starts_on,
        day__lte=period.ends_on,
    )
    dependents = await _days_dependents(where, where)
    dependents["inscription"] = await Enrollment.filter(
        activity_id=opening.activity_id, site_id=opening.site_id, period_id=period.id
    ).count()
    dependents += await _invoiced(
        staff.tenant_id, opening.activity_id, period.starts_on, period.ends_on
    )
    if sum(dependents.values()):
        raise _in_use(
            f"Impossible de supprimer l'ouverture de {opening.activity.name} à "
            f"{opening.site.name} ({period.name})",
            dependents,
            "Réduisez plutôt ses jours ou sa capacité pour la suite de l'année.",
            "openingId",
        )
    async with atomic():
        await opening.delete()
        await audit.record(
            "opening.delete",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="opening",
            target_id=opening_id,
            clock=clock,
        )


async def _exception(staff: Account, exception_id: int) -> CalendarException:
    found = await CalendarException.get_or_none(id=exception_id, tenant_id=staff.tenant_id)
    if found is None:
        raise NotFound("Fermeture ou ouverture exceptionnelle", "exceptionId")
    return found


async def _opened_day_dependents(exception: CalendarException) -> Dependents:
    """Who is booked or was called on the day an exceptional opening opened."""
    if not exception.is_open:
        return Counter()
    # A town-wide exception has no site: the town's sites scope it.
    where = Q(day=exception.day, site__tenant_id=exception.tenant_id)
    if exception.activity_id is not None:
        where &= Q(activity_id=exception.activity_id)
    if exception.site_id is not None:
        where &= Q(site_id=exception.site_id)
    return await _days_dependents(where, where)


@dataclass(frozen=True)
class ExceptionForm:
    day: date
    is_open: bool
    label: str
    activity_id: int | None = None
    site_id: int | None = None


async def update_calendar_exception(
    actor: Account | None, exception_id: int, form: ExceptionForm, *, clock: Clock
) -> CalendarException:
    """Change a closure or exceptional opening. Its label always changes; an exceptional
    opening on which children are booked keeps its day and scope. Roles: AGENT."""
    staff = require_staff(actor)
    exception = await _exception(staff, exception_id)
    if not form.label.strip():
        raise DomainError(
            CommonErrorCode.INVALID, "Indiquez le motif affiché aux familles.", "label"
        )
    if form.activity_id is not None and not await Activity.exists(
        id=form.activity_id, tenant_id=staff.tenant_id
    ):
        raise NotFound("Activité", "activityId")
    if form.site_id is not None and not await Site.exists(
        id=form.site_id, tenant_id=staff.tenant_id
    ):
        raise NotFound("Lieu", "siteId")
    moved = (form.day, form.is_open, form.activity_id, form.site_id) != (
        exception.day,
        exception.is_open,
        exception.activity_id,
        exception.site_id,
    )
    if moved:
        dependents = await _opened_day_dependents(exception)
        if sum(dependents.values()):
            raise _in_use(
                f"Impossible de modifier l'ouverture exceptionnelle du "
                f"{format_date(exception.day)}",
                dependents,
                "Seul son motif peut changer tant que des enfants y sont attendus.",
                "day",
            )
    async with atomic():
        exception.day, exception.is_open = form.day, form.is_open
        exception.activity_id, exception.site_id = form.activity_id, form.site_id
        exception.label = form.label.strip()
        await exception.save()
        await audit.record(
            "calendar_exception.update",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="calendar_exception",
            target_id=exception.id,
            clock=clock,
        )
    return exception


async def delete_calendar_exception(
    actor: Account | None, exception_id: int, *, clock: Clock
) -> None:
    """Remove a closure (the day opens again as usual) or an exceptional opening (unless
    children are booked on it). Roles: AGENT."""
    staff = require_staff(actor)
    exception = await _exception(staff, exception_id)
    dependents = await _opened_day_dependents(exception)
    if sum(dependents.values()):
        raise _in_use(
            f"Impossible de supprimer l'ouverture exceptionnelle du {format_date(exception.day)}",
            dependents,
            "Annulez d'abord les jours réservés ce jour-là.",
            "exceptionId",
        )
    async with atomic():
        await exception.delete()
        await audit.record(
            "calendar_exception.delete",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="calendar_exception",
            target_id=exception_id,
            clock=clock,
            details={"day": exception.day.isoformat(), "label": exception.label},
        )


async def period_openings(actor: Account | None, period_id: int) -> list[Opening]:
    """Staff: a period's openings, by activity code then site name. Roles: AGENT."""
    staff = require_staff(actor)
    period = await _period(staff, period_id)
    return (
        await Opening.filter(period_id=period.id)
        .select_related("activity", "site", "period")
        .order_by("activity__code", "site__name")
    )


async def calendar_exceptions(
    actor: Account | None, start: date, end: date
) -> list[CalendarException]:
    """Staff: the town's closures and exceptional openings between two days (400 at most).
    Roles: AGENT."""
    staff = require_staff(actor)
    if end < start or (end - start).days > 400:
        raise DomainError(
            CommonErrorCode.INVALID, "Choisissez une période de 400 jours au plus.", "to"
        )
    return await CalendarException.filter(
        tenant_id=staff.tenant_id, day__gte=start, day__lte=end
    ).order_by("day", "id")
