"""Régies, tariffs and the price of a day: the rules the invoice run and the public price
simulation share, so a price is computed in exactly one place."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from models.accounts import Account
from models.authorities import BillingAuthority
from models.billing import Tariff
from models.catalogue import Activity
from models.tenants import Tenant
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import BillingErrorCode, DomainError, NotFound, ValidationErrors
from resolvers.core.french import format_euros
from resolvers.core.roles import authority_ids_of, require_authority
from resolvers.core.transactions import atomic
from resolvers.households.households import require_staff

# The public simulation turns a week into a month over a school year: 36 weeks of school
# spread over 10 months (September to June).
SCHOOL_WEEKS_PER_YEAR = 36
SCHOOL_MONTHS_PER_YEAR = 10


async def _audit(
    staff: Account,
    action: str,
    target_type: str,
    target_id: int,
    details: dict[str, Any],
    *,
    clock: Clock,
) -> None:
    await audit.record(
        action,
        tenant_id=staff.tenant_id,
        actor=staff,
        target_type=target_type,
        target_id=target_id,
        clock=clock,
        details=details,
    )


@dataclass
class AuthorityForm:
    """A régie as the town's finance officer describes it."""

    name: str
    due_day: int = 30
    payment_opens_day: int = 8
    payment_opens_minutes: int = 9 * 60 + 30
    payment_closes_day: int = 30
    payment_closes_minutes: int = 23 * 60 + 59
    unbooked_surcharge_percent: int = 30
    resident_postal_codes: str = ""


def _check_authority(form: AuthorityForm) -> None:
    errors = []
    if not form.name.strip():
        errors.append(DomainError(BillingErrorCode.INVALID, "Le nom est obligatoire.", "name"))
    for field, value in (
        ("dueDay", form.due_day),
        ("paymentOpensDay", form.payment_opens_day),
        ("paymentClosesDay", form.payment_closes_day),
    ):
        if not 1 <= value <= 31:
            errors.append(
                DomainError(BillingErrorCode.INVALID, "Le jour doit être entre 1 et 31.", field)
            )
    for field, value in (
        ("paymentOpensMinutes", form.payment_opens_minutes),
        ("paymentClosesMinutes", form.payment_closes_minutes),
    ):
        if not 0 <= value < 24 * 60:
            errors.append(
                DomainError(
                    BillingErrorCode.INVALID, "L'heure doit être entre 00h00 et 23h59.", field
                )
            )
    if (form.payment_opens_day, form.payment_opens_minutes) >= (
        form.payment_closes_day,
        form.payment_closes_minutes,
    ):
        errors.append(
            DomainError(
                BillingErrorCode.INVALID,
                "La fermeture du paiement en ligne doit suivre son ouverture.",
                "paymentClosesDay",
            )
        )
    if not 0 <= form.unbooked_surcharge_percent <= 500:
        errors.append(
            DomainError(
                BillingErrorCode.INVALID,
                "La majoration doit être entre 0 et 500 %.",
                "unbookedSurchargePercent",
            )
        )
    if errors:
        raise ValidationErrors(errors)


async def save_billing_authority(
    actor: Account | None, form: AuthorityForm, *, authority_id: int | None, clock: Clock
) -> BillingAuthority:
    """Create a régie, or change the rules of one (issued invoices keep their dates)."""
    staff = require_staff(actor)
    _check_authority(form)
    values: dict[str, Any] = {
        "name": form.name.strip(),
        "due_day": form.due_day,
        "payment_opens_day": form.payment_opens_day,
        "payment_opens_minutes": form.payment_opens_minutes,
        "payment_closes_day": form.payment_closes_day,
        "payment_closes_minutes": form.payment_closes_minutes,
        "unbooked_surcharge_percent": form.unbooked_surcharge_percent,
        "resident_postal_codes": " ".join(form.resident_postal_codes.split()),
    }
    async with atomic():
        if authority_id is None:
            if await BillingAuthority.exists(tenant_id=staff.tenant_id, name=values["name"]):
                raise DomainError(BillingErrorCode.INVALID, "Une régie porte déjà ce nom.", "name")
            authority = await BillingAuthority.create(tenant_id=staff.tenant_id, **values)
        else:
            authority = await authority_of(staff, authority_id)
            await authority.update_from_dict(values).save()
        await _audit(
            staff, "billing_authority.saved", "BillingAuthority", authority.id, {}, clock=clock
        )
    return authority


async def authority_of(staff: Account, authority_id: int) -> BillingAuthority:
    """A régie of the staff member's town that they handle (a régisseur: theirs only)."""
    authority = await BillingAuthority.get_or_none(id=authority_id, tenant_id=staff.tenant_id)
    if authority is None:
        raise NotFound("Régie", "authorityId")
    await require_authority(staff, authority.id)
    return authority


async def billing_authorities(actor: Account | None) -> list[BillingAuthority]:
    """The town's régies (a régisseur: those they are given)."""
    staff = require_staff(actor)
    query = BillingAuthority.filter(tenant_id=staff.tenant_id)
    given = await authority_ids_of(staff)
    if given is not None:
        query = query.filter(id__in=given)
    return await query.order_by("name")


async def assign_activity(
    actor: Account | None, activity_id: int, authority_id: int | None, *, clock: Clock
) -> Activity:
    """Say which régie bills an activity (null: the activity is not billed)."""
    staff = require_staff(actor)
    activity = await Activity.get_or_none(id=activity_id, tenant_id=staff.tenant_id)
    if activity is None:
        raise NotFound("Activité", "activityId")
    if authority_id is not None:
        await authority_of(staff, authority_id)
    activity.billing_authority_id = authority_id
    await activity.save(update_fields=["billing_authority_id"])
    await _audit(
        staff,
        "activity.billing_authority",
        "Activity",
        activity.id,
        {"authority_id": authority_id},
        clock=clock,
    )
    return activity


@dataclass
class TariffForm:
    """One line of the town's price grid."""

    activity_id: int
    valid_from: date
    unit_price_cents: int
    valid_until: date | None = None
    resident: bool = True
    quotient_min: int = 0
    quotient_max: int | None = None


def _overlaps(a: TariffForm, b: Tariff) -> bool:
    if a.resident != b.resident:
        return False
    a_until = a.valid_until or date.max
    b_until = b.valid_until or date.max
    if a_until < b.valid_from or b_until < a.valid_from:
        return False
    a_max = a.quotient_max if a.quotient_max is not None else 2**31
    b_max = b.quotient_max if b.quotient_max is not None else 2**31
    return not (a_max < b.quotient_min or b_max < a.quotient_min)


async def add_tariff(actor: Account | None, form: TariffForm, *, clock: Clock) -> Tariff:
    """Add a bracket; brackets of one activity and residence may not overlap in time."""
    staff = require_staff(actor)
    errors = []
    if form.unit_price_cents < 0:
        errors.append(
            DomainError(
                BillingErrorCode.INVALID, "Le prix ne peut pas être négatif.", "unitPriceCents"
            )
        )
    if form.quotient_min < 0:
        errors.append(
            DomainError(
                BillingErrorCode.INVALID, "Le quotient ne peut pas être négatif.", "quotientMin"
            )
        )
    if form.quotient_max is not None and form.quotient_max < form.quotient_min:
        errors.append(
            DomainError(
                BillingErrorCode.INVALID,
                "Le quotient maximal doit être au moins le quotient minimal.",
                "quotientMax",
            )
        )
    if form.valid_until is not None and form.valid_until < form.valid_from:
        errors.append(
            DomainError(
                BillingErrorCode.INVALID,
                "La fin de validité doit suivre son début.",
                "validUntil",
            )
        )
    if errors:
        raise ValidationErrors(errors)
    async with atomic():
        # The activity row is the lock: two agents adding brackets at once are serialised,
        # so neither misses the other's overlap.
        activity = (
            await Activity.filter(id=form.activity_id, tenant_id=staff.tenant_id)
            .select_for_update()
            .first()
        )
        if activity is None:
            raise NotFound("Activité", "activityId")
        for existing in await Tariff.filter(activity_id=activity.id):
            if _overlaps(form, existing):
                raise DomainError(
                    BillingErrorCode.TARIFF_OVERLAP,
                    "Cette tranche chevauche un tarif existant de la même activité "
                    f"(à partir du {existing.valid_from:%d/%m/%Y}, quotient "
                    f"{existing.quotient_min} à {existing.quotient_max or '∞'}).",
                    "quotientMin",
                )
        tariff = await Tariff.create(
            activity_id=activity.id,
            valid_from=form.valid_from,
            valid_until=form.valid_until,
            resident=form.resident,
            quotient_min=form.quotient_min,
            quotient_max=form.quotient_max,
            unit_price_cents=form.unit_price_cents,
        )
        await _audit(
            staff,
            "tariff.added",
            "Tariff",
            tariff.id,
            {"activity_id": activity.id, "unit_price_cents": form.unit_price_cents},
            clock=clock,
        )
    return tariff


async def delete_tariff(actor: Account | None, tariff_id: int, *, clock: Clock) -> None:
    """Remove a bracket typed by mistake; issued invoices keep the prices they show."""
    staff = require_staff(actor)
    tariff = await Tariff.get_or_none(id=tariff_id, activity__tenant_id=staff.tenant_id)
    if tariff is None:
        raise NotFound("Tarif", "tariffId")
    await tariff.delete()
    await _audit(staff, "tariff.deleted", "Tariff", tariff_id, {}, clock=clock)


async def tariffs_of(actor: Account | None, activity_id: int | None) -> list[Tariff]:
    """Staff: the town's price grid, by activity, residence, date and bracket."""
    staff = require_staff(actor)
    query = Tariff.filter(activity__tenant_id=staff.tenant_id)
    if activity_id is not None:
        query = query.filter(activity_id=activity_id)
    return await query.order_by("activity_id", "-resident", "valid_from", "quotient_min")


@dataclass(frozen=True)
class PriceRow:
    """A tariff as the price rule reads it (from a model or a raw SQL row)."""

    activity_id: int
    valid_from: date
    valid_until: date | None
    resident: bool
    quotient_min: int
    quotient_max: int | None
    unit_price_cents: int


def price_rows(tariffs: Sequence[Tariff]) -> list[PriceRow]:
    return [
        PriceRow(
            t.activity_id,
            t.valid_from,
            t.valid_until,
            bool(t.resident),
            t.quotient_min,
            t.quotient_max,
            t.unit_price_cents,
        )
        for t in tariffs
    ]


def unit_price(
    tariffs: Sequence[PriceRow], *, quotient: int | None, resident: bool, on: date
) -> int | None:
    """The price of one day of an activity, or None when the town set no price for it.

    Without a valid quotient (never given, or expired) the family pays the highest price
    of the grid in force that day: that is what the town's rules say, and what makes
    families send their new CAF certificate.
    """
    in_force = [
        t
        for t in tariffs
        if t.resident == resident
        and t.valid_from <= on
        and (t.valid_until is None or on <= t.valid_until)
    ]
    if not in_force:
        return None
    if quotient is not None:
        for t in in_force:
            if t.quotient_min <= quotient and (
                t.quotient_max is None or quotient <= t.quotient_max
            ):
                return t.unit_price_cents
    return max(t.unit_price_cents for t in in_force)


def quotient_on(quotient: int | None, valid_until: date | None, day: date) -> int | None:
    """The household's quotient if still valid that day (no end date recorded = valid)."""
    if quotient is None or (valid_until is not None and valid_until < day):
        return None
    return quotient


def is_resident(authority: BillingAuthority, postal_code: str) -> bool:
    codes = authority.resident_postal_codes.split()
    return not codes or postal_code.strip() in codes


def with_surcharge(cents: int, percent: int) -> int:
    """Round half up to the cent, in integers."""
    return (cents * (100 + percent) + 50) // 100


@dataclass
class WeeklyChoice:
    """An activity the family plans on some weekdays (0 = Monday)."""

    activity_id: int
    weekdays: list[int]


@dataclass
class SimulatedActivity:
    activity: Activity
    days_per_week: int
    unit_price_cents: int | None
    weekly_cents: int
    monthly_cents: int
    label: str


@dataclass
class Simulation:
    town: Tenant
    quotient: int | None
    resident: bool
    on: date
    lines: list[SimulatedActivity]
    weekly_cents: int
    monthly_cents: int
    label: str


async def simulate_prices(
    town: str,
    quotient: int | None,
    resident: bool,
    choices: list[WeeklyChoice],
    *,
    on: date | None,
    clock: Clock,
) -> Simulation:
    """Simulation des tarifs: what a week and an average school month would cost, for a
    quotient the family types (no login: families compare before enrolling), with the
    prices in force ``on`` that day (by default today in the town)."""
    tenant = await Tenant.get_or_none(slug=town)
    if tenant is None:
        raise NotFound("Commune", "town")
    on = on or clock.now().astimezone(ZoneInfo(tenant.timezone)).date()
    if quotient is not None and quotient < 0:
        raise DomainError(
            BillingErrorCode.INVALID, "Le quotient ne peut pas être négatif.", "quotient"
        )
    for choice in choices:
        if any(not 0 <= day <= 6 for day in choice.weekdays):
            raise DomainError(
                BillingErrorCode.INVALID, "Les jours vont de 0 (lundi) à 6 (dimanche).", "weekdays"
            )
    ids = [choice.activity_id for choice in choices]
    activities = {a.id: a for a in await Activity.filter(id__in=ids, tenant_id=tenant.id)}
    if len(activities) != len(set(ids)):
        raise NotFound("Activité", "activityId")
    grid = price_rows(await Tariff.filter(activity_id__in=ids))
    lines = []
    for choice in choices:
        activity = activities[choice.activity_id]
        days = len(set(choice.weekdays))
        price = unit_price(
            [t for t in grid if t.activity_id == activity.id],
            quotient=quotient,
            resident=resident,
            on=on,
        )
        weekly = (price or 0) * days
        monthly = (weekly * SCHOOL_WEEKS_PER_YEAR + SCHOOL_MONTHS_PER_YEAR // 2) // (
            SCHOOL_MONTHS_PER_YEAR
        )
        if price is None:
            label = (
                f"{activity.name} : pas de tarif en vigueur, renseignez-vous auprès de la mairie"
            )
        else:
            label = (
                f"{activity.name} : {format_euros(price)} × {days} jour(s) par semaine "
                f"= {format_euros(weekly)} par semaine"
            )
        lines.append(SimulatedActivity(activity, days, price, weekly, monthly, label))
    weekly_total = sum(line.weekly_cents for line in lines)
    monthly_total = sum(line.monthly_cents for line in lines)
    basis = (
        f"quotient familial {quotient} €"
        if quotient is not None
        else "sans quotient familial (tarif maximal)"
    )
    label = (
        f"Estimation ({basis}) : {format_euros(weekly_total)} par semaine, environ "
        f"{format_euros(monthly_total)} par mois ({SCHOOL_WEEKS_PER_YEAR} semaines d'école "
        f"sur {SCHOOL_MONTHS_PER_YEAR} mois)."
    )
    return Simulation(tenant, quotient, resident, on, lines, weekly_total, monthly_total, label)
