"""The town's catalogue, managed by staff: sites, activities and their rules, periods,
openings, exceptional closures and openings, and the school holidays of its zone."""

from dataclasses import asdict, dataclass
from datetime import date

from tortoise.exceptions import IntegrityError

from models.accounts import Account
from models.catalogue import (
    Activity,
    ActivityKind,
    CalendarException,
    DeadlineRule,
    HolidayPolicy,
    Opening,
    Period,
    SchoolHoliday,
    Site,
    SiteKind,
)
from resolvers.calendar.booking_rules import weekday_mask
from resolvers.calendar.bookings import fill_places
from resolvers.calendar.catalogue_edits import check_weekdays_removable
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CommonErrorCode, DomainError, NotFound
from resolvers.core.transactions import atomic
from resolvers.households.households import require_staff


@dataclass
class ActivityForm:
    code: str
    name: str
    kind: ActivityKind
    holiday_policy: HolidayPolicy = HolidayPolicy.SCHOOL_DAYS
    enrollment_required: bool = True
    booking_rule: DeadlineRule = DeadlineRule.DAYS_BEFORE
    booking_value: int = 7
    booking_cutoff_minutes: int = 23 * 60 + 59
    cancellation_rule: DeadlineRule = DeadlineRule.DAYS_BEFORE
    cancellation_value: int = 7
    cancellation_cutoff_minutes: int = 23 * 60 + 59
    booking_opens_days_ahead: int | None = None


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(CommonErrorCode.INVALID, message, field)


def _check_rules(form: ActivityForm) -> None:
    if not form.code.strip() or not form.name.strip():
        raise _invalid("Le code et le nom de l'activité sont obligatoires.", "code")
    for prefix in ("booking", "cancellation"):
        rule: DeadlineRule = getattr(form, f"{prefix}_rule")
        value: int = getattr(form, f"{prefix}_value")
        cutoff: int = getattr(form, f"{prefix}_cutoff_minutes")
        if rule == DeadlineRule.WEEKDAY_OF_PREVIOUS_WEEK and not 0 <= value <= 6:
            raise _invalid(
                "Le jour de la semaine va de 0 (lundi) à 6 (dimanche).", f"{prefix}Value"
            )
        if not 0 <= value <= 365:
            raise _invalid("Le délai doit être compris entre 0 et 365 jours.", f"{prefix}Value")
        if not 0 <= cutoff < 24 * 60:
            raise _invalid(
                "L'heure limite doit être comprise entre 00h00 et 23h59.", f"{prefix}CutoffMinutes"
            )
    if form.booking_opens_days_ahead is not None and form.booking_opens_days_ahead < 0:
        raise _invalid(
            "L'ouverture des réservations ne peut pas être négative.", "bookingOpensDaysAhead"
        )


async def create_site(
    actor: Account | None, name: str, kind: SiteKind, address: str, *, clock: Clock
) -> Site:
    staff = require_staff(actor)
    if not name.strip():
        raise _invalid("Le nom du lieu est obligatoire.", "name")
    try:
        site = await Site.create(
            tenant_id=staff.tenant_id, name=name.strip(), kind=kind, address=address.strip()
        )
    except IntegrityError:
        raise _invalid(f"Un lieu « {name.strip()} » existe déjà.", "name") from None
    await audit.record(
        "site.create",
        tenant_id=staff.tenant_id,
        actor=staff,
        target_type="site",
        target_id=site.id,
        clock=clock,
    )
    return site


async def save_activity(
    actor: Account | None, form: ActivityForm, *, clock: Clock, activity_id: int | None = None
) -> Activity:
    """Create an activity, or change its rules (same code = same activity)."""
    staff = require_staff(actor)
    _check_rules(form)
    values = {**asdict(form), "code": form.code.strip().upper(), "name": form.name.strip()}
    async with atomic():
        if activity_id is None:
            try:
                activity = await Activity.create(tenant_id=staff.tenant_id, **values)
            except IntegrityError:
                raise _invalid(f"Le code {values['code']} existe déjà.", "code") from None
        else:
            found = await Activity.get_or_none(id=activity_id, tenant_id=staff.tenant_id)
            if found is None:
                raise NotFound("Activité", "activityId")
            activity = found
            await activity.update_from_dict(values).save()
        await audit.record(
            "activity.save",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="activity",
            target_id=activity.id,
            clock=clock,
            details={k: str(v) for k, v in values.items()},
        )
    return activity


async def create_period(
    actor: Account | None, name: str, starts_on: date, ends_on: date, *, clock: Clock
) -> Period:
    staff = require_staff(actor)
    if ends_on <= starts_on:
        raise _invalid("La fin de la période doit suivre son début.", "endsOn")
    period = await Period.create(
        tenant_id=staff.tenant_id, name=name.strip(), starts_on=starts_on, ends_on=ends_on
    )
    await audit.record(
        "period.create",
        tenant_id=staff.tenant_id,
        actor=staff,
        target_type="period",
        target_id=period.id,
        clock=clock,
    )
    return period


async def set_opening(
    actor: Account | None,
    activity_id: int,
    site_id: int,
    period_id: int,
    weekdays: list[int],
    capacity: int | None,
    *,
    clock: Clock,
) -> Opening:
    """Open (or reconfigure) an activity at a site for a period; weekdays on which children
    are booked or were called stay open (``IN_USE``)."""
    staff = require_staff(actor)
    tenant_id = staff.tenant_id
    if not await Activity.exists(id=activity_id, tenant_id=tenant_id):
        raise NotFound("Activité", "activityId")
    if not await Site.exists(id=site_id, tenant_id=tenant_id):
        raise NotFound("Lieu", "siteId")
    if not await Period.exists(id=period_id, tenant_id=tenant_id):
        raise NotFound("Période", "periodId")
    if not weekdays or any(not 0 <= day <= 6 for day in weekdays):
        raise _invalid("Choisissez au moins un jour, de 0 (lundi) à 6 (dimanche).", "weekdays")
    if capacity is not None and capacity < 0:
        raise _invalid("La capacité ne peut pas être négative.", "capacity")
    async with atomic():
        opening = await Opening.select_for_update().get_or_none(
            activity_id=activity_id, site_id=site_id, period_id=period_id
        )
        if opening is None:
            opening = await Opening.create(
                activity_id=activity_id,
                site_id=site_id,
                period_id=period_id,
                weekdays=weekday_mask(weekdays),
                capacity=capacity,
            )
        else:
            await check_weekdays_removable(opening, weekdays)
            opening.weekdays, opening.capacity = weekday_mask(weekdays), capacity
            await opening.save()
        # More places (or no limit any more): the waiting list moves up at once.
        promoted = await fill_places(
            activity_id, site_id, capacity, since=clock.now().date(), clock=clock
        )
        await audit.record(
            "opening.set",
            tenant_id=tenant_id,
            actor=staff,
            target_type="opening",
            target_id=opening.id,
            clock=clock,
            details={
                "weekdays": weekdays,
                "capacity": capacity,
                "promoted_from_waiting_list": promoted,
            },
        )
    return opening


async def add_calendar_exception(
    actor: Account | None,
    day: date,
    is_open: bool,
    label: str,
    *,
    clock: Clock,
    activity_id: int | None = None,
    site_id: int | None = None,
) -> CalendarException:
    """Close (strike, teachers' day) or open one day, for one activity / site or all."""
    staff = require_staff(actor)
    if not label.strip():
        raise _invalid("Indiquez le motif affiché aux familles.", "label")
    if activity_id is not None and not await Activity.exists(
        id=activity_id, tenant_id=staff.tenant_id
    ):
        raise NotFound("Activité", "activityId")
    if site_id is not None and not await Site.exists(id=site_id, tenant_id=staff.tenant_id):
        raise NotFound("Lieu", "siteId")
    exception = await CalendarException.create(
        tenant_id=staff.tenant_id,
        activity_id=activity_id,
        site_id=site_id,
        day=day,
        is_open=is_open,
        label=label.strip(),
    )
    await audit.record(
        "calendar_exception.add",
        tenant_id=staff.tenant_id,
        actor=staff,
        target_type="calendar_exception",
        target_id=exception.id,
        clock=clock,
    )
    return exception


async def add_school_holiday(
    actor: Account | None, name: str, starts_on: date, ends_on: date, *, clock: Clock
) -> SchoolHoliday:
    """School holidays of the town's zone, first and last day without school included."""
    staff = require_staff(actor)
    if ends_on < starts_on:
        raise _invalid("La fin des vacances doit suivre leur début.", "endsOn")
    holiday = await SchoolHoliday.create(
        tenant_id=staff.tenant_id, name=name.strip(), starts_on=starts_on, ends_on=ends_on
    )
    await audit.record(
        "school_holiday.add",
        tenant_id=staff.tenant_id,
        actor=staff,
        target_type="school_holiday",
        target_id=holiday.id,
        clock=clock,
    )
    return holiday


@dataclass(frozen=True)
class TownCatalogue:
    """What a town offers, as its website shows it."""

    activities: list[Activity]
    sites: list[Site]
    periods: list[Period]


async def town_catalogue(tenant_id: int) -> TownCatalogue:
    """Public: the town's activities by code, sites by name, periods latest first."""
    return TownCatalogue(
        activities=await Activity.filter(tenant_id=tenant_id).order_by("code"),
        sites=await Site.filter(tenant_id=tenant_id).order_by("name"),
        periods=await Period.filter(tenant_id=tenant_id).order_by("-starts_on"),
    )
