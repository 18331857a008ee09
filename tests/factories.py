"""Small factories for test data; each test gets its own town so tests never collide."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from models.accounts import Account, AccountRole, Civility
from models.catalogue import Activity, ActivityKind, Period, Site, SiteKind
from models.households import Child, Household
from models.tenants import Tenant
from resolvers.accounts.accounts import login
from resolvers.calendar.catalogue import (
    ActivityForm,
    add_school_holiday,
    create_period,
    create_site,
    save_activity,
    set_opening,
)
from resolvers.calendar.enrollments import enroll
from resolvers.core.clock import Clock
from resolvers.core.security import hash_password
from resolvers.households.households import ChildForm, GuardianForm, HouseholdForm, create_household
from tests.samples import PASSWORDS

PASSWORD = PASSWORDS[0]  # a secret the logs must not show (tests/samples.py)
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once


async def make_town(**overrides: Any) -> Tenant:
    slug = f"ville-{uuid.uuid4().hex[:10]}"
    return await Tenant.create(**{"slug": slug, "name": f"Ville de {slug}", **overrides})


async def make_account(
    tenant: Tenant,
    clock: Clock,
    *,
    role: AccountRole = AccountRole.PARENT,
    email: str | None = None,
    activated: bool = True,
) -> Account:
    return await Account.create(
        tenant=tenant,
        email=email or f"{role.value}-{uuid.uuid4().hex[:8]}@exemple.fr",
        password_hash=_PASSWORD_HASH,
        role=role,
        civility=Civility.MADAME,
        last_name="Testeur",
        first_names="Camille",
        cgu_version=tenant.cgu_version,
        cgu_accepted_at=clock.now(),
        activated_at=clock.now() if activated else None,
    )


async def make_household(
    staff: Account,
    clock: Clock,
    *,
    children: int = 2,
    guardians: int = 2,
    name: str = "Famille Test",
) -> Household:
    return await create_household(
        HouseholdForm(
            name=name,
            address_line="1 rue de la Paix",
            postal_code="81100",
            city="Castres",
            guardians=[
                GuardianForm(
                    Civility.MADAME,
                    "Test",
                    f"Parent{i}",
                    "Mère",
                    f"parent{i}-{uuid.uuid4().hex[:6]}@exemple.fr",
                )
                for i in range(guardians)
            ],
            children=[
                ChildForm("Test", f"Enfant{i}", date(2015 + i % 8, 1 + i % 12, 1))
                for i in range(children)
            ],
        ),
        actor=staff,
        clock=clock,
    )


async def token_for(account: Account, clock: Clock) -> str:
    """A bearer token through the real login, from its own address (no throttling noise)."""
    tenant = await Tenant.get(id=account.tenant_id)
    session = await login(
        tenant.slug,
        account.email,
        PASSWORD,
        client_address=f"factory-{uuid.uuid4().hex[:6]}",
        clock=clock,
    )
    return session.token


@dataclass
class Catalogue:
    """A town's canteen for the 2026-2027 school year, as the tests book it."""

    site: Site
    canteen: Activity
    period: Period


async def make_catalogue(
    staff: Account, clock: Clock, *, capacity: int | None = None, booking_days: int = 7
) -> Catalogue:
    """Canteen (RS-REPAS) on Mon, Tue, Thu, Fri, 7 days' notice at 23:59, Christmas off."""
    site = await create_site(staff, "École Jean Jaurès", SiteKind.SCHOOL, "", clock=clock)
    canteen = await save_activity(
        staff,
        ActivityForm(
            code="RS-REPAS",
            name="Restauration scolaire",
            kind=ActivityKind.CANTEEN,
            booking_value=booking_days,
            cancellation_value=booking_days,
        ),
        clock=clock,
    )
    period = await create_period(
        staff, "Année scolaire 2026-2027", date(2026, 9, 1), date(2027, 7, 3), clock=clock
    )
    await set_opening(staff, canteen.id, site.id, period.id, [0, 1, 3, 4], capacity, clock=clock)
    await add_school_holiday(
        staff, "Vacances de Noël", date(2026, 12, 19), date(2027, 1, 3), clock=clock
    )
    return Catalogue(site, canteen, period)


async def enroll_all(
    staff: Account, household: Household, catalogue: Catalogue, clock: Clock
) -> list[int]:
    """Enrol every child of the household in the canteen (active at once: staff did it)."""
    child_ids = cast(
        list[int],
        await Child.filter(household=household).order_by("birth_date").values_list("id", flat=True),
    )
    for child_id in child_ids:
        await enroll(
            staff,
            child_id,
            catalogue.canteen.id,
            catalogue.site.id,
            catalogue.period.id,
            clock=clock,
        )
    return list(child_ids)
