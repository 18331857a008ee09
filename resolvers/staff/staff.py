"""Staff accounts: invited by mail, given a role (and régies or sites), disabled at once.

An invitation creates the account without a password; following the mailed link (single
use, ``FAMILLE_STAFF_INVITATION_TTL_HOURS``) sets the password and the person's name, and
activates it. Disabling closes every session and, since ``authenticate`` and signed links
read the account on each request, stops its bearer tokens and download links at once.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from models.accounts import (
    Account,
    AccountRole,
    AccountToken,
    Civility,
    StaffAuthority,
    StaffSite,
    TokenPurpose,
)
from models.authorities import BillingAuthority
from models.catalogue import Site
from models.tenants import Tenant
from resolvers.accounts.accounts import (
    EMAIL,
    consume_token,
    issue_token,
    password_problems,
    revoke_sessions,
)
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import AccountErrorCode, DomainError, NotFound, ValidationErrors
from resolvers.core.outbox import queue_mail
from resolvers.core.roles import ROLE_LABELS, STAFF_ROLES, require_admin
from resolvers.core.security import hash_password
from resolvers.core.transactions import atomic
from settings import get_settings


@dataclass
class RoleForm:
    """A staff role with what it is limited to: régies for REGISSEUR, sites for SITE."""

    role: AccountRole
    authority_ids: list[int] = field(default_factory=list)
    site_ids: list[int] = field(default_factory=list)


@dataclass
class Invitation:
    """The invited account and its link in clear (mailed; printed by the CLI)."""

    account: Account
    link: str


@dataclass
class StaffMember:
    """A staff account with the régies and sites it is given."""

    account: Account
    authority_ids: list[int]
    site_ids: list[int]


def _invalid(message: str, field_name: str) -> DomainError:
    return DomainError(AccountErrorCode.INVALID, message, field_name)


async def _check_role(tenant_id: int, form: RoleForm) -> None:
    """A staff role, and régies and sites of the town, as the role needs them."""
    if form.role not in STAFF_ROLES:
        raise _invalid("Choisissez un rôle d'agent de la commune.", "role")
    if form.role == AccountRole.REGISSEUR and not form.authority_ids:
        raise _invalid("Un régisseur gère au moins une régie : choisissez-la.", "authorityIds")
    if form.role == AccountRole.SITE and not form.site_ids:
        raise _invalid("Un agent de site travaille sur au moins un site.", "siteIds")
    wanted_authorities = set(form.authority_ids)
    if wanted_authorities and await BillingAuthority.filter(
        id__in=wanted_authorities, tenant_id=tenant_id
    ).count() != len(wanted_authorities):
        raise NotFound("Régie", "authorityIds")
    wanted_sites = set(form.site_ids)
    if wanted_sites and await Site.filter(id__in=wanted_sites, tenant_id=tenant_id).count() != len(
        wanted_sites
    ):
        raise NotFound("Lieu", "siteIds")


async def _give_scopes(account: Account, form: RoleForm) -> None:
    """Replace the régies and sites of ``account`` with those its role keeps."""
    await StaffAuthority.filter(account_id=account.id).delete()
    await StaffSite.filter(account_id=account.id).delete()
    if form.role == AccountRole.REGISSEUR:
        await StaffAuthority.bulk_create(
            [
                StaffAuthority(account_id=account.id, authority_id=i)
                for i in sorted(set(form.authority_ids))
            ]
        )
    if form.role == AccountRole.SITE:
        await StaffSite.bulk_create(
            [StaffSite(account_id=account.id, site_id=i) for i in sorted(set(form.site_ids))]
        )


async def send_invitation(
    tenant: Tenant, email: str, form: RoleForm, *, actor: Account | None, clock: Clock
) -> Invitation:
    """Create (or re-invite) a staff account of ``tenant`` and mail its link. ``actor`` None:
    the operator's first administrator (CLI)."""
    settings = get_settings()
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise DomainError(
            AccountErrorCode.EMAIL_INVALID, "L'adresse e-mail n'est pas valide.", "email"
        )
    await _check_role(tenant.id, form)
    async with atomic():
        account = await Account.get_or_none(tenant_id=tenant.id, email=email)
        if account is not None and (
            account.activated_at is not None or account.role == AccountRole.PARENT
        ):
            raise DomainError(
                AccountErrorCode.EMAIL_TAKEN,
                "Un compte de la commune a déjà cette adresse e-mail.",
                "email",
            )
        if account is None:
            account = await Account.create(
                tenant_id=tenant.id,
                email=email,
                password_hash="",  # none until the invitation is accepted
                role=form.role,
                civility=Civility.MADAME,
                last_name="",
                first_names="",
                cgu_version="",
                cgu_accepted_at=clock.now(),
            )
        else:  # a pending invitation sent again: the previous link stops working
            account.role = form.role
            await account.save(update_fields=["role"])
            await AccountToken.filter(
                account_id=account.id,
                purpose=TokenPurpose.STAFF_INVITATION,
                consumed_at__isnull=True,
            ).update(consumed_at=clock.now())
        await _give_scopes(account, form)
        token, _ = await issue_token(
            account,
            TokenPurpose.STAFF_INVITATION,
            timedelta(hours=settings.staff_invitation_ttl_hours),
            clock=clock,
        )
        link = f"{settings.public_url}/invitation/{token}"
        await queue_mail(
            email,
            "staff_invitation",
            {
                "town": tenant.name,
                "role": ROLE_LABELS[form.role],
                "link": link,
                "valid_hours": settings.staff_invitation_ttl_hours,
            },
            clock=clock,
        )
        await audit.record(
            "staff.invite",
            tenant_id=tenant.id,
            actor=actor,
            target_type="account",
            target_id=account.id,
            clock=clock,
            details={"email": email, "role": form.role.name, **_scope_details(form)},
        )
    return Invitation(account, link)


def _scope_details(form: RoleForm) -> dict[str, list[int]]:
    return {
        "authority_ids": sorted(set(form.authority_ids)),
        "site_ids": sorted(set(form.site_ids)),
    }


async def invite_staff(
    actor: Account | None, email: str, form: RoleForm, *, clock: Clock
) -> Invitation:
    """An administrator invites a colleague with a role."""
    admin = require_admin(actor)
    tenant = await Tenant.get(id=admin.tenant_id)
    return await send_invitation(tenant, email, form, actor=admin, clock=clock)


async def accept_invitation(
    token: str,
    password: str,
    *,
    civility: Civility,
    last_name: str,
    first_names: str,
    clock: Clock,
) -> Account:
    """Follow the mailed link: choose the password, say who one is; the account is active."""
    async with atomic():
        row = await consume_token(token, TokenPurpose.STAFF_INVITATION, clock=clock)
        account: Account = row.account
        tenant = await Tenant.get(id=account.tenant_id)
        problems: list[DomainError] = []
        weak = password_problems(tenant, password)
        if weak:
            problems.append(weak)
        for name, value in (("lastName", last_name), ("firstNames", first_names)):
            if not value.strip():
                problems.append(
                    DomainError(AccountErrorCode.REQUIRED, "Ce champ est obligatoire.", name)
                )
        if problems:
            raise ValidationErrors(problems)
        account.password_hash = hash_password(password)
        account.civility = civility
        account.last_name = last_name.strip()
        account.first_names = first_names.strip()
        account.activated_at = clock.now()
        account.cgu_version = tenant.cgu_version
        account.cgu_accepted_at = clock.now()
        await account.save()
        await audit.record(
            "staff.accept_invitation",
            tenant_id=tenant.id,
            actor=account,
            target_type="account",
            target_id=account.id,
            clock=clock,
        )
    return account


async def _colleague(admin: Account, account_id: int) -> Account:
    """A staff account of the administrator's town, not their own."""
    account = await Account.get_or_none(id=account_id, tenant_id=admin.tenant_id)
    if account is None or account.role == AccountRole.PARENT:
        raise NotFound("Agent", "accountId")
    if account.id == admin.id:
        raise DomainError(
            AccountErrorCode.OWN_ACCOUNT,
            "Vous ne pouvez pas changer le rôle ni désactiver votre propre compte : "
            "demandez-le à un autre administrateur.",
            "accountId",
        )
    return account


async def change_role(
    actor: Account | None, account_id: int, form: RoleForm, *, clock: Clock
) -> StaffMember:
    """Give a colleague another role (or other régies or sites): in force at their next
    request, since every request reads the account again."""
    admin = require_admin(actor)
    account = await _colleague(admin, account_id)
    await _check_role(admin.tenant_id, form)
    async with atomic():
        before = account.role
        account.role = form.role
        await account.save(update_fields=["role"])
        await _give_scopes(account, form)
        await audit.record(
            "staff.change_role",
            tenant_id=admin.tenant_id,
            actor=admin,
            target_type="account",
            target_id=account.id,
            clock=clock,
            details={
                "from": AccountRole(before).name,
                "to": form.role.name,
                **_scope_details(form),
            },
        )
    return await _member(account)


async def set_disabled(
    actor: Account | None, account_id: int, disabled: bool, *, clock: Clock
) -> StaffMember:
    """Disable a colleague (sessions closed, links dead at once) or enable them again."""
    admin = require_admin(actor)
    account = await _colleague(admin, account_id)
    async with atomic():
        account.is_disabled = disabled
        await account.save(update_fields=["is_disabled"])
        if disabled:
            await revoke_sessions(account, keep=None, clock=clock)
        await audit.record(
            "staff.disable" if disabled else "staff.enable",
            tenant_id=admin.tenant_id,
            actor=admin,
            target_type="account",
            target_id=account.id,
            clock=clock,
        )
    return await _member(account)


async def _member(account: Account) -> StaffMember:
    [member] = await members_of([account])
    return member


async def members_of(accounts: list[Account]) -> list[StaffMember]:
    ids = [a.id for a in accounts]
    authorities: dict[int, list[int]] = {i: [] for i in ids}
    sites: dict[int, list[int]] = {i: [] for i in ids}
    for row in (
        await StaffAuthority.filter(account_id__in=ids)
        .order_by("authority_id")
        .values("account_id", "authority_id")
    ):
        authorities[row["account_id"]].append(row["authority_id"])
    for row in (
        await StaffSite.filter(account_id__in=ids)
        .order_by("site_id")
        .values("account_id", "site_id")
    ):
        sites[row["account_id"]].append(row["site_id"])
    return [StaffMember(a, authorities[a.id], sites[a.id]) for a in accounts]


async def staff_members(actor: Account | None) -> list[StaffMember]:
    """The town's staff, by name, with their role, state and scopes."""
    admin = require_admin(actor)
    accounts = (
        await Account.filter(tenant_id=admin.tenant_id)
        .exclude(role=AccountRole.PARENT)
        .order_by("last_name", "first_names", "email")
    )
    return await members_of(accounts)
