"""Small factories for test data; each test gets its own town so tests never collide."""

import uuid
from datetime import date
from typing import Any

from models.accounts import Account, AccountRole, Civility
from models.households import Household
from models.tenants import Tenant
from resolvers.accounts import login
from resolvers.clock import Clock
from resolvers.households import ChildForm, GuardianForm, HouseholdForm, create_household
from resolvers.security import hash_password

PASSWORD = "motdepasse1"
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
