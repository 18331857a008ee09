"""Kitchen forecasts: meals per site and day with the special diets, from the bookings.

The count is read live from the bookings (``expected``), so a late change made
by staff shows at once; the daily mail is queued once per site and day when the booking
deadline of that day passes (the moment the families can no longer change it).
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError

from models.accounts import Account
from models.catalogue import Activity, ActivityKind, Site
from models.households import Diet
from models.kitchen import KitchenMailing
from models.tenants import Tenant
from resolvers.accounts.accounts import EMAIL
from resolvers.calendar.booking_rules import Deadline, deadline_at
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CommonErrorCode, DomainError, Forbidden, NotFound
from resolvers.core.outbox import record_job
from resolvers.core.roles import require_site, site_ids_of
from resolvers.core.transactions import atomic, savepoint
from resolvers.households.households import require_staff
from resolvers.operations.expected import expected_days, load_openings

MAX_FORECAST_DAYS = 31
# A mail whose cut-off passed while the worker was down is still sent within this delay.
CATCH_UP = timedelta(hours=24)


@dataclass
class KitchenDay:
    """Meals of one site on one day; the diets add up to ``meals``."""

    site_id: int
    site_name: str
    day: date
    meals: int = 0
    standard: int = 0
    no_pork: int = 0
    vegetarian: int = 0
    packed_meal: int = 0
    pai: int = 0
    reported_absent: int = 0

    def figures(self) -> dict[str, Any]:
        """The day and counts a mail states, comparable with what was mailed before."""
        return {
            "day": self.day.isoformat(),
            "meals": self.meals,
            "standard": self.standard,
            "no_pork": self.no_pork,
            "vegetarian": self.vegetarian,
            "packed_meal": self.packed_meal,
            "pai": self.pai,
            "reported_absent": self.reported_absent,
        }

    def add(self, diet: Diet, has_pai: bool) -> None:
        self.meals += 1
        field = {
            Diet.STANDARD: "standard",
            Diet.NO_PORK: "no_pork",
            Diet.VEGETARIAN: "vegetarian",
            Diet.PACKED_MEAL: "packed_meal",
        }[diet]
        setattr(self, field, getattr(self, field) + 1)
        self.pai += has_pai


async def _forecast(
    tenant_id: int, start: date, end: date, site_id: int | None = None
) -> list[KitchenDay]:
    """Every open canteen day of every site in the range, zero meals included."""
    openings = await load_openings(
        tenant_id, start, end, kind=ActivityKind.CANTEEN, site_id=site_id
    )
    days: dict[tuple[date, int], KitchenDay] = {}
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        for row in openings.rows:
            if (day, row.site_id) not in days and openings.is_open(
                row.activity_id, row.site_id, day
            ):
                days[(day, row.site_id)] = KitchenDay(row.site_id, row.site_name, day)
    for expected in await expected_days(
        tenant_id, start, end, openings, kind=ActivityKind.CANTEEN, site_id=site_id
    ):
        entry = days[(expected.day, expected.site_id)]
        if expected.reported_absent:
            entry.reported_absent += 1
        else:
            entry.add(expected.diet, expected.has_pai)
    return sorted(days.values(), key=lambda d: (d.day, d.site_name, d.site_id))


def _check_range(start: date, end: date) -> None:
    if end < start:
        raise DomainError(CommonErrorCode.INVALID, "La date de fin précède la date de début.", "to")
    if (end - start).days >= MAX_FORECAST_DAYS:
        raise DomainError(
            CommonErrorCode.INVALID,
            f"Une prévision couvre {MAX_FORECAST_DAYS} jours au plus.",
            "to",
        )


async def check_forecast_request(
    actor: Account | None, start: date, end: date, site_id: int | None
) -> Account:
    """Staff only, a valid range, a site of their town: checked before signing a link too."""
    staff = require_staff(actor)
    _check_range(start, end)
    if site_id is not None and not await Site.exists(id=site_id, tenant_id=staff.tenant_id):
        raise NotFound("Lieu", "siteId")
    if site_id is not None:
        await require_site(staff, site_id)
    elif await site_ids_of(staff) is not None:  # a site member: one of their sites, not all
        raise Forbidden("Choisissez l'un des sites qui vous sont confiés.")
    return staff


async def kitchen_forecast(
    actor: Account | None, start: date, end: date, *, site_id: int | None = None
) -> list[KitchenDay]:
    """Staff: the meals of the town's sites (or one site) between two dates."""
    staff = await check_forecast_request(actor, start, end, site_id)
    return await _forecast(staff.tenant_id, start, end, site_id)


def forecast_csv(days: list[KitchenDay]) -> str:
    """Semicolon-separated with a BOM: what a French spreadsheet opens without questions."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "Date",
            "Lieu",
            "Repas",
            "Standard",
            "Sans porc",
            "Végétarien",
            "Panier-repas",
            "Dont PAI",
            "Absences signalées",
        ]
    )
    for d in days:
        writer.writerow(
            [
                d.day.isoformat(),
                d.site_name,
                d.meals,
                d.standard,
                d.no_pork,
                d.vegetarian,
                d.packed_meal,
                d.pai,
                d.reported_absent,
            ]
        )
    return "\ufeff" + buffer.getvalue()


async def set_kitchen_email(
    actor: Account | None, site_id: int, email: str, *, clock: Clock
) -> Site:
    """Staff: where the site's daily forecast goes; empty stops the mail."""
    staff = require_staff(actor)
    site = await Site.get_or_none(id=site_id, tenant_id=staff.tenant_id)
    if site is None:
        raise NotFound("Lieu", "siteId")
    cleaned = email.strip().lower()
    if cleaned and not EMAIL.match(cleaned):
        raise DomainError(CommonErrorCode.INVALID, "L'adresse e-mail n'est pas valide.", "email")
    site.kitchen_email = cleaned or None
    async with atomic():
        await site.save(update_fields=["kitchen_email"])
        await audit.record(
            "site.kitchen_email",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="site",
            target_id=site.id,
            clock=clock,
            details={"email": cleaned},
        )
    return site


def days_past_cutoff(deadline: Deadline, timezone: str, now: datetime) -> list[date]:
    """Days whose booking deadline fell within the last ``CATCH_UP`` (at most a year on)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    found = []
    for offset in range(0, 367):
        day = today + timedelta(days=offset)
        at = deadline_at(day, deadline, timezone)
        if at > now:
            # Deadlines grow with the day for every rule: later days are not due yet.
            break
        if now - at < CATCH_UP:
            found.append(day)
    return found


async def queue_kitchen_mails(*, clock: Clock) -> int:
    """Queue the forecast mail of each site and day whose booking deadline just passed.

    Safe to run twice, or on two workers at once: the unique (site, day) row is written in
    the same transaction as the job, and a second insert fails instead of mailing again.
    """
    now = clock.now()
    canteens = await Activity.filter(kind=ActivityKind.CANTEEN).order_by("id")
    timezones = dict(await Tenant.all().values_list("id", "timezone"))
    queued = 0
    for canteen in canteens:
        timezone = str(timezones[canteen.tenant_id])
        deadline = Deadline(
            canteen.booking_rule, canteen.booking_value, canteen.booking_cutoff_minutes
        )
        due = days_past_cutoff(deadline, timezone, now)
        if not due:
            continue
        sites = {
            site.id: site
            for site in await Site.filter(
                tenant_id=canteen.tenant_id, kitchen_email__not_isnull=True
            ).exclude(kitchen_email="")
        }
        if not sites:
            continue
        openings = await load_openings(canteen.tenant_id, due[0], due[-1], activity_id=canteen.id)
        for day in due:
            for site_id, site in sites.items():
                if not openings.is_open(canteen.id, site_id, day):
                    continue
                queued += await _queue_one(site, day, clock=clock)
    return queued


async def _queue_one(site: Site, day: date, *, clock: Clock) -> int:
    """The first mail of a site and day, with the figures of the cut-off moment."""
    assert site.kitchen_email
    if await KitchenMailing.exists(site=site, day=day):
        return 0
    [forecast] = await _forecast(site.tenant_id, day, day, site.id) or [
        KitchenDay(site.id, site.name, day)
    ]
    try:
        # A savepoint: a concurrent run's row does not abort the caller's transaction.
        async with savepoint():
            await KitchenMailing.create(
                site=site,
                day=day,
                recipient=site.kitchen_email,
                queued_at=clock.now(),
                figures=forecast.figures(),
            )
            await _queue_mail(site, forecast, site.kitchen_email, None, clock=clock)
    except IntegrityError:
        return 0  # queued meanwhile by a concurrent run
    return 1


async def _queue_mail(
    site: Site, forecast: KitchenDay, to: str, previous_meals: int | None, *, clock: Clock
) -> None:
    await record_job(
        "send_kitchen_forecast",
        {
            "site_id": site.id,
            "to": to,
            "figures": forecast.figures(),
            "previous_meals": previous_meals,
        },
        clock=clock,
    )


async def queue_kitchen_updates(*, clock: Clock) -> int:
    """After the cut-off mail, staff may still change a day: when the figures of a day not
    yet over differ from the last ones mailed, mail the kitchen an update (once per change:
    the row's revision is bumped conditionally, in the job's transaction)."""
    now = clock.now()
    rows = await KitchenMailing.filter(day__gte=now.date() - timedelta(days=1)).select_related(
        "site"
    )
    by_tenant: dict[int, list[KitchenMailing]] = {}
    for row in rows:
        by_tenant.setdefault(row.site.tenant_id, []).append(row)
    queued = 0
    for tenant_id, mailings in by_tenant.items():
        tenant = await Tenant.get(id=tenant_id)
        today = now.astimezone(ZoneInfo(tenant.timezone)).date()
        mailings = [m for m in mailings if m.day >= today and m.site.kitchen_email]
        if not mailings:
            continue
        days = [m.day for m in mailings]
        current = {(d.site_id, d.day): d for d in await _forecast(tenant_id, min(days), max(days))}
        for mailing in mailings:
            site: Site = mailing.site
            forecast = current.get((site.id, mailing.day)) or KitchenDay(
                site.id, site.name, mailing.day
            )
            if forecast.figures() == mailing.figures:
                continue
            assert site.kitchen_email
            async with atomic():
                bumped = await KitchenMailing.filter(
                    id=mailing.id, revision=mailing.revision
                ).update(revision=mailing.revision + 1, figures=forecast.figures())
                if bumped:
                    previous = int(mailing.figures.get("meals", 0))
                    await _queue_mail(site, forecast, site.kitchen_email, previous, clock=clock)
                    queued += 1
    return queued


async def mail_context(site_id: int, figures: dict[str, Any]) -> dict[str, Any]:
    """What the mail job renders: the town, the site and the figures queued."""
    site = await Site.get(id=site_id)
    tenant = await Tenant.get(id=site.tenant_id)
    return {"town": tenant.name, "site": site.name, **figures}
