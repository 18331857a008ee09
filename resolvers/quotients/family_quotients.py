"""Family quotients asked of the CAF or the MSA: staff record a parent's consent with the
identity API Particulier matches, fetch the quotient, and the nightly job asks again for the
quotients about to lapse.

A fetched quotient is stored on the household with its source (CAF or MSA, the one field
that says where any quotient came from), the month it applies to and the day it was
fetched (``family_quotient_source``, ``family_quotient_month``, ``family_quotient_set_on``),
valid for the number of
months the town chose when recording the consent: pricing reads it from there like a
quotient typed by staff. A failure keeps the quotient already known and records the
provider's reason in French on the consent, for staff to read.
"""

import asyncio
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from models.accounts import Account
from models.households import FamilyQuotientSource, Guardian, Household
from models.quotients import QuotientConsent
from models.tenants import Tenant
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import DomainError, QuotientErrorCode, ValidationErrors
from resolvers.core.transactions import atomic
from resolvers.households.households import household_for, require_staff
from resolvers.quotients.api_particulier import (
    FRANCE,
    QuotientAnswer,
    QuotientClient,
    QuotientFailure,
    QuotientQuery,
)
from settings import get_settings

# COG codes: 5 digits, Corsica's communes 2A/2B + 3 digits.
_COMMUNE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_COUNTRY = re.compile(r"^99\d{3}$")
MAX_VALIDITY_MONTHS = 24
# API Particulier's limit per client address (TREASURY.md §3), beside the per-token one.
CALLS_PER_MINUTE = 1000


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(QuotientErrorCode.INVALID, message, field)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass
class ConsentForm:
    """The parent's consent and the identity API Particulier matches them by."""

    guardian_id: int
    birth_name: str
    first_names: str
    sex: str
    birth_date: date
    consent_on: date
    birth_country_code: str = FRANCE
    birth_commune_code: str = ""
    validity_months: int = 12


def _checked(form: ConsentForm, today: date) -> dict[str, object]:
    errors: list[DomainError] = []
    birth_name = " ".join(form.birth_name.split())
    first_names = " ".join(form.first_names.replace(",", " ").split())
    sex = form.sex.strip().upper()
    country = form.birth_country_code.strip()
    commune = form.birth_commune_code.strip().upper()
    if not 1 <= len(birth_name) <= 100:
        errors.append(_invalid("Le nom de naissance est obligatoire.", "consent.birthName"))
    if not 1 <= len(first_names) <= 150:
        errors.append(_invalid("Les prénoms sont obligatoires.", "consent.firstNames"))
    if sex not in ("M", "F"):
        errors.append(_invalid("Le sexe à l'état civil : M ou F.", "consent.sex"))
    if not form.birth_date < today:
        errors.append(_invalid("La date de naissance doit être passée.", "consent.birthDate"))
    if not _COUNTRY.match(country):
        errors.append(
            _invalid(
                "Le pays de naissance : son code INSEE (99100 pour la France).",
                "consent.birthCountryCode",
            )
        )
    if country == FRANCE and not _COMMUNE.match(commune):
        errors.append(
            _invalid(
                "Né en France : le code INSEE de la commune de naissance (5 caractères, "
                "par exemple 81065 pour Castres).",
                "consent.birthCommuneCode",
            )
        )
    if form.consent_on > today:
        errors.append(
            _invalid("L'accord du parent ne peut pas être daté de demain.", "consent.consentOn")
        )
    if not 1 <= form.validity_months <= MAX_VALIDITY_MONTHS:
        errors.append(
            _invalid(
                f"La durée de validité : de 1 à {MAX_VALIDITY_MONTHS} mois.",
                "consent.validityMonths",
            )
        )
    if errors:
        raise ValidationErrors(errors)
    return {
        "guardian_id": form.guardian_id,
        "birth_name": birth_name,
        "first_names": first_names,
        "sex": sex,
        "birth_date": form.birth_date,
        "birth_country_code": country,
        "birth_commune_code": commune if country == FRANCE else "",
        "consent_on": form.consent_on,
        "validity_months": form.validity_months,
    }


def query_of(consent: QuotientConsent) -> QuotientQuery:
    return QuotientQuery(
        birth_name=consent.birth_name,
        first_names=tuple(consent.first_names.split()),
        sex=consent.sex,
        birth_date=consent.birth_date,
        birth_country_code=consent.birth_country_code,
        birth_commune_code=consent.birth_commune_code,
    )


async def _today(tenant_id: int, clock: Clock) -> date:
    tenant = await Tenant.get(id=tenant_id)
    return clock.now().astimezone(ZoneInfo(tenant.timezone)).date()


def source_of(provider: str) -> FamilyQuotientSource:
    """The quotient's source for API Particulier's provider (``fournisseur``)."""
    return FamilyQuotientSource.MSA if provider == "MSA" else FamilyQuotientSource.CAF


async def _store(
    consent: QuotientConsent,
    outcome: QuotientAnswer | QuotientFailure,
    today: date,
    *,
    actor: Account | None,
    clock: Clock,
) -> None:
    """Write what the provider answered: the quotient on the household, or the reason."""
    async with atomic():
        consent.last_attempt_on = today
        consent.updated_at = clock.now()
        if isinstance(outcome, QuotientFailure):
            consent.last_error = outcome.reason[:500]
            await consent.save(update_fields=["last_attempt_on", "last_error", "updated_at"])
            return
        consent.last_error = ""
        await consent.save(update_fields=["last_attempt_on", "last_error", "updated_at"])
        await Household.filter(id=consent.household_id).update(
            family_quotient=outcome.value,
            family_quotient_source=source_of(outcome.provider),
            family_quotient_set_on=today,
            family_quotient_month=date(outcome.year, outcome.month, 1),
            family_quotient_provider=outcome.provider,
            family_quotient_valid_until=add_months(today, consent.validity_months)
            - timedelta(days=1),
        )
        await audit.record(
            "quotient.fetched",
            tenant_id=consent.tenant_id,
            actor=actor,
            target_type="Household",
            target_id=consent.household_id,
            clock=clock,
            details={
                "provider": outcome.provider,
                "month": f"{outcome.year:04d}-{outcome.month:02d}",
                "value": outcome.value,
            },
        )


async def record_consent(
    actor: Account | None, household_id: int, form: ConsentForm, *, clock: Clock
) -> QuotientConsent:
    """Record (or replace) a guardian's consent and identity for the household.

    Roles: AGENT.
    """
    staff = require_staff(actor)
    household = await household_for(staff, household_id)
    today = await _today(household.tenant_id, clock)
    values = _checked(form, today)
    if not await Guardian.exists(id=form.guardian_id, household_id=household.id):
        raise DomainError(
            QuotientErrorCode.NOT_FOUND, "Responsable introuvable.", "consent.guardianId"
        )
    async with atomic():
        consent, _ = await QuotientConsent.update_or_create(
            {
                **values,
                "tenant_id": household.tenant_id,
                "recorded_by_id": staff.id,
                "updated_at": clock.now(),
                "last_error": "",
            },
            household_id=household.id,
        )
        await audit.record(
            "quotient.consent_recorded",
            tenant_id=household.tenant_id,
            actor=staff,
            target_type="Household",
            target_id=household.id,
            clock=clock,
            details={"guardian": form.guardian_id, "consent_on": form.consent_on.isoformat()},
        )
    return consent


async def fetch_family_quotient(
    actor: Account | None,
    household_id: int,
    form: ConsentForm | None,
    client: QuotientClient,
    *,
    clock: Clock,
) -> Household:
    """Ask the CAF/MSA for the household's quotient, recording the consent first when
    given. Runs outside a transaction: the consent and the provider's refusal are kept
    even when the lookup fails (PROVIDER_ERROR carries the reason).

    Roles: AGENT.
    """
    staff = require_staff(actor)
    household = await household_for(staff, household_id)
    if form is not None:
        consent: QuotientConsent | None = await record_consent(
            staff, household.id, form, clock=clock
        )
    else:
        consent = await QuotientConsent.get_or_none(household_id=household.id)
    if consent is None:
        raise DomainError(
            QuotientErrorCode.CONSENT_REQUIRED,
            "Enregistrez d'abord l'accord du parent et son identité (nom de naissance, "
            "prénoms, sexe, date et lieu de naissance).",
            "consent",
        )
    today = await _today(household.tenant_id, clock)
    outcome: QuotientAnswer | QuotientFailure
    try:
        outcome = await client.quotient(query_of(consent))
    except QuotientFailure as failure:
        outcome = failure
    await _store(consent, outcome, today, actor=staff, clock=clock)
    if isinstance(outcome, QuotientFailure):
        raise DomainError(QuotientErrorCode.PROVIDER_ERROR, outcome.reason, None)
    await household.refresh_from_db()
    return household


async def consent_of(actor: Account | None, household_id: int) -> QuotientConsent | None:
    """The household's consent, with the last lookup's error if any.

    Roles: AGENT.
    """
    staff = require_staff(actor)
    household = await household_for(staff, household_id)
    return await QuotientConsent.get_or_none(household_id=household.id)


@dataclass
class RateLimit:
    """At most ``per_second`` calls in any second and ``per_minute`` in any minute: the
    caller waits (``pause``) for the oldest call to leave the window."""

    per_second: int
    per_minute: int
    pause: Callable[[float], Awaitable[None]] = asyncio.sleep
    now: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.calls: deque[float] = deque()

    async def wait(self) -> None:
        for limit, window in ((self.per_second, 1.0), (self.per_minute, 60.0)):
            recent = [t for t in self.calls if self.now() - t < window]
            if len(recent) >= limit:
                await self.pause(window - (self.now() - recent[-limit]))
        self.calls.append(self.now())
        while len(self.calls) > self.per_minute:
            self.calls.popleft()


@dataclass
class RefreshSummary:
    refreshed: int = 0
    failed: int = 0
    stopped: bool = False  # the provider asked us to slow down (429): the rest waits


async def refresh_lapsing_quotients(
    client: QuotientClient,
    *,
    clock: Clock,
    limit: RateLimit | None = None,
    tenant_id: int | None = None,
) -> RefreshSummary:
    """The nightly refresh: every consented household whose quotient lapses within
    FAMILLE_QUOTIENT_REFRESH_DAYS (or has lapsed, or was never fetched), not tried today.

    Safe to run twice: a refreshed quotient is valid beyond the horizon, a failed one was
    tried today. A 429 ends the run; the households left are tried the next night.
    ``tenant_id`` limits the run to one town.
    """
    settings = get_settings()
    limit = limit or RateLimit(settings.api_particulier_calls_per_second, CALLS_PER_MINUTE)
    summary = RefreshSummary()
    query = (
        QuotientConsent.all() if tenant_id is None else QuotientConsent.filter(tenant_id=tenant_id)
    )
    consents = await query.order_by("id")
    if not consents:
        return summary
    households = {
        row["id"]: row
        for row in await Household.filter(
            id__in=[consent.household_id for consent in consents]
        ).values("id", "family_quotient_valid_until")
    }
    zones = dict(
        await Tenant.filter(id__in={consent.tenant_id for consent in consents}).values_list(
            "id", "timezone"
        )
    )
    for consent in consents:
        today = clock.now().astimezone(ZoneInfo(str(zones[consent.tenant_id]))).date()
        valid_until = households[consent.household_id]["family_quotient_valid_until"]
        horizon = today + timedelta(days=settings.quotient_refresh_days)
        if consent.last_attempt_on == today or (valid_until is not None and valid_until > horizon):
            continue
        await limit.wait()
        outcome: QuotientAnswer | QuotientFailure
        try:
            outcome = await client.quotient(query_of(consent))
        except QuotientFailure as failure:
            outcome = failure
        if isinstance(outcome, QuotientFailure) and outcome.status == 429:
            summary.stopped = True
            break
        await _store(consent, outcome, today, actor=None, clock=clock)
        if isinstance(outcome, QuotientFailure):
            summary.failed += 1
        else:
            summary.refreshed += 1
    return summary
