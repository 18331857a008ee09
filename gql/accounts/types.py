"""GraphQL types of accounts and towns."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from gql.context import Info
from gql.enums import AccountRole, Civility, ContactChannel
from gql.ids import encode_id
from models.accounts import Account as AccountModel
from models.tenants import Tenant
from resolvers.accounts.accounts import previous_sign_in, sign_in_label

if TYPE_CHECKING:
    from gql.households.types import Household


@strawberry.type(description="The password rules a town sets, to show next to the form.")
class PasswordPolicy:
    min_length: int = strawberry.field(description="Minimum number of characters.")
    requires_lowercase: bool = strawberry.field(description="At least one lower-case letter.")
    requires_uppercase: bool = strawberry.field(description="At least one upper-case letter.")
    requires_digit: bool = strawberry.field(description="At least one digit.")
    description: str = strawberry.field(description="The rules as one French sentence.")


@strawberry.type(description="A town (collectivité) running its family portal here.")
class Town:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    slug: str = strawberry.field(description="Short name to pass as `town` when logging in.")
    name: str = strawberry.field(description="Display name, e.g. « Ville de Castres ».")
    time_zone: str = strawberry.field(description="IANA zone deadlines are computed in.")
    cgu_version: str = strawberry.field(description="Version of the terms parents accept.")
    cgu_text: str = strawberry.field(description="The terms (CGU) as the town wrote them.")
    password_policy: PasswordPolicy = strawberry.field(description="Password rules.")

    @classmethod
    def from_model(cls, tenant: Tenant) -> "Town":
        rules = [f"au moins {tenant.password_min_length} caractères", "une minuscule"]
        if tenant.password_requires_uppercase:
            rules.append("une majuscule")
        rules.append("un chiffre")
        return cls(
            id=strawberry.ID(encode_id("Town", tenant.id)),
            slug=tenant.slug,
            name=tenant.name,
            time_zone=tenant.timezone,
            cgu_version=tenant.cgu_version,
            cgu_text=tenant.cgu_text or "",
            password_policy=PasswordPolicy(
                min_length=tenant.password_min_length,
                requires_lowercase=True,
                requires_uppercase=tenant.password_requires_uppercase,
                requires_digit=True,
                description="Le mot de passe doit contenir " + ", ".join(rules) + ".",
            ),
        )


@strawberry.type(description="A login (compte) of a parent or of a town agent.")
class Account:
    pk: strawberry.Private[int]
    tenant_id: strawberry.Private[int]
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    email: str = strawberry.field(description="Login e-mail, lower-cased.")
    role: AccountRole = strawberry.field(description="What the account may reach.")
    civility: Civility = strawberry.field(description="Civilité.")
    last_name: str = strawberry.field(description="Nom d'usage.")
    first_names: str = strawberry.field(description="Prénom(s).")
    birth_name: str = strawberry.field(description="Nom de naissance, if different.")
    phone_mobile: str = strawberry.field(description="Mobile phone number.")
    phone_home: str = strawberry.field(description="Home phone number.")
    address_line: str = strawberry.field(description="Street address.")
    address_complement: str = strawberry.field(description="Building, floor… (optional).")
    postal_code: str = strawberry.field(description="Code postal (5 digits).")
    city: str = strawberry.field(description="Commune.")
    activated_at: datetime | None = strawberry.field(
        description="When the mailed link was followed; null while not activated."
    )
    birth_date: date | None = strawberry.field(description="Date de naissance, if given.")
    birth_city: str = strawberry.field(description="Commune de naissance, if given.")
    birth_department: str = strawberry.field(description="Département de naissance, if given.")
    birth_country: str = strawberry.field(description="Pays de naissance, if given.")
    birth_place_code: str = strawberry.field(
        description="INSEE code of the birth place as FranceConnect certified it (the commune, "
        "or the country for people born abroad); empty otherwise."
    )
    preferred_contact: ContactChannel = strawberry.field(
        description="« Moyen de contact préféré », offered first with each new request."
    )

    @strawberry.field(
        description="Whether the account is linked to a FranceConnect identity (then « "
        "S'identifier avec FranceConnect » signs in to it)."
    )
    async def france_connect_linked(self, info: Info) -> bool:
        link = await info.context.loaders.franceconnect_link_by_account.load(self.pk)
        return link is not None

    @strawberry.field(
        description="When this account signed in before the current session (« Dernière "
        "connexion »), by password or FranceConnect; null at the first sign-in. Read as the "
        "account itself; for another account, its latest sign-in."
    )
    async def previous_sign_in_at(self, info: Info) -> datetime | None:
        return await self._previous_sign_in(info)

    @strawberry.field(
        description="The same as a French sentence in the town's time zone: « Dernière "
        "connexion le mardi 24 novembre 2026 à 9h00 », or « Première connexion »."
    )
    async def previous_sign_in_label(self, info: Info) -> str:
        moment = await self._previous_sign_in(info)
        tenant = await info.context.loaders.tenant_by_id.load(self.tenant_id)
        assert tenant is not None
        return sign_in_label(moment, tenant.timezone)

    async def _previous_sign_in(self, info: Info) -> datetime | None:
        me = info.context.account
        session_id = info.context.session_id if me is not None and me.id == self.pk else None
        return await previous_sign_in(self.pk, session_id)

    @strawberry.field(description="The town this account belongs to.")
    async def town(self, info: Info) -> Town:
        tenant = await info.context.loaders.tenant_by_id.load(self.tenant_id)
        assert tenant is not None
        return Town.from_model(tenant)

    @strawberry.field(
        description="Family files this account is a guardian of; empty until linked with an "
        "access key. Always empty for staff."
    )
    async def households(
        self, info: Info
    ) -> list[Annotated["Household", strawberry.lazy("gql.households.types")]]:
        from gql.households.types import Household

        rows = await info.context.loaders.households_by_account.load(self.pk)
        return [Household.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, account: AccountModel) -> "Account":
        return cls(
            pk=account.id,
            tenant_id=account.tenant_id,
            id=strawberry.ID(encode_id("Account", account.id)),
            email=account.email,
            role=account.role,
            civility=account.civility,
            last_name=account.last_name,
            first_names=account.first_names,
            birth_name=account.birth_name,
            phone_mobile=account.phone_mobile,
            phone_home=account.phone_home,
            address_line=account.address_line,
            address_complement=account.address_complement,
            postal_code=account.postal_code,
            city=account.city,
            activated_at=account.activated_at,
            birth_date=account.birth_date,
            birth_city=account.birth_city,
            birth_department=account.birth_department,
            birth_country=account.birth_country,
            birth_place_code=account.birth_place_code,
            preferred_contact=account.preferred_contact,
        )
