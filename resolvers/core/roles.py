"""Staff roles: who may run a staff operation, and the scopes some roles are limited to.

Each staff operation declares its roles once, in the GraphQL layer's table
(``gql/access.py``); while one of its root fields runs, the declaration is this module's
``current_operation``, and ``require_staff`` — the guard every staff operation calls —
enforces it. A staff operation whose field has no declaration fails loudly (a bug, logged),
so none can be added without one. Outside GraphQL (CLI, jobs, tests calling resolvers)
there is no operation: ``require_staff`` only checks that the actor is staff.

What each domain's rows a role reaches is said here once: a régisseur the régies they are
given (``authority_ids_of``), a site member their sites (``site_ids_of``), everyone else
the whole town (None). Which staff roles reach a family's data at all (its file, calendar,
requests, messages; or only its bills) is ``FAMILY_DATA_ROLES``, enforced by the one access
rule of family files (``households.household_for``) and its SQL copy in the calendar.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

from models.accounts import Account, AccountRole, StaffAuthority, StaffSite
from resolvers.core.errors import Forbidden, NotAuthenticated

STAFF_ROLES: tuple[AccountRole, ...] = (
    AccountRole.ADMIN,
    AccountRole.AGENT,
    AccountRole.REGISSEUR,
    AccountRole.SITE,
)

ROLE_LABELS: dict[AccountRole, str] = {
    AccountRole.PARENT: "parent",
    AccountRole.ADMIN: "administrateur",
    AccountRole.AGENT: "agent",
    AccountRole.REGISSEUR: "régisseur",
    AccountRole.SITE: "agent de site",
}


@dataclass(frozen=True)
class OperationRoles:
    """The roles of the operation running now; ``roles`` None: it declared none."""

    name: str
    roles: frozenset[AccountRole] | None


class UndeclaredStaffOperation(RuntimeError):
    """A staff operation whose roles nobody declared: a bug of the API, not of the user."""


current_operation: ContextVar[OperationRoles | None] = ContextVar("current_operation", default=None)


@contextmanager
def running(operation: OperationRoles) -> Iterator[None]:
    """Make ``operation`` the current one while its resolver runs."""
    token = current_operation.set(operation)
    try:
        yield
    finally:
        current_operation.reset(token)


class FamilyData(StrEnum):
    """What part of a family's data an operation shared by parents and staff reads."""

    # The family file: people, health, calendar, bookings, requests, messages, documents.
    FILE = "file"
    # What billing needs: invoices, payments, refunds, mandates, tax certificates.
    BILLING = "billing"


# A site member works from attendance sheets and kitchen forecasts of their sites only; a
# régisseur bills and collects, so reads a family's bills but not its file (health notes,
# PAI, consents are not theirs to see).
FAMILY_DATA_ROLES: dict[FamilyData, frozenset[AccountRole]] = {
    FamilyData.FILE: frozenset({AccountRole.ADMIN, AccountRole.AGENT}),
    FamilyData.BILLING: frozenset({AccountRole.ADMIN, AccountRole.AGENT, AccountRole.REGISSEUR}),
}


def require_family_data(actor: Account, data: FamilyData) -> None:
    """Staff whose role does not reach this part of family data are refused (FORBIDDEN),
    whatever the household: the refusal says nothing of which households exist."""
    if actor.role == AccountRole.PARENT:
        return
    if actor.role not in FAMILY_DATA_ROLES[data]:
        raise refusal(actor.role)


def is_staff(account: Account) -> bool:
    return account.role != AccountRole.PARENT


def refusal(role: AccountRole) -> Forbidden:
    """The one refusal of a role outside an operation's declaration (code FORBIDDEN)."""
    return Forbidden(
        f"Cette opération n'est pas ouverte au rôle « {ROLE_LABELS[role]} »"
        " : demandez à un administrateur de la commune."
    )


def role_allowed(role: AccountRole, roles: frozenset[AccountRole]) -> bool:
    """ADMIN may do everything; the others what the operation names."""
    return role == AccountRole.ADMIN or role in roles


def require_staff(actor: Account | None) -> Account:
    """The staff guard of every staff operation: signed in, not a parent, and (inside a
    GraphQL operation) one of the roles the operation declares."""
    if actor is None:
        raise NotAuthenticated()
    if actor.role == AccountRole.PARENT:
        raise Forbidden("Cette opération est réservée aux agents de la commune.")
    operation = current_operation.get()
    if operation is not None:
        if operation.roles is None:
            raise UndeclaredStaffOperation(
                f"{operation.name} is a staff operation without declared roles: add it to "
                "STAFF_OPERATIONS in gql/access.py"
            )
        if not role_allowed(actor.role, operation.roles):
            raise refusal(actor.role)
    return actor


def require_admin(actor: Account | None) -> Account:
    """Staff and settings are the administrators' (checked again here: jobs and CLI)."""
    staff = require_staff(actor)
    if staff.role != AccountRole.ADMIN:
        raise refusal(staff.role)
    return staff


async def authority_ids_of(actor: Account) -> set[int] | None:
    """The régies a régisseur is given; None for roles that see every régie of the town."""
    if actor.role != AccountRole.REGISSEUR:
        return None
    rows = await StaffAuthority.filter(account_id=actor.id).values("authority_id")
    return {int(row["authority_id"]) for row in rows}


async def site_ids_of(actor: Account) -> set[int] | None:
    """The sites a site member works at; None for roles that see every site of the town."""
    if actor.role != AccountRole.SITE:
        return None
    rows = await StaffSite.filter(account_id=actor.id).values("site_id")
    return {int(row["site_id"]) for row in rows}


async def require_authority(actor: Account, authority_id: int) -> None:
    """A régisseur acts on the régies they are given only (others: the whole town)."""
    allowed = await authority_ids_of(actor)
    if allowed is not None and authority_id not in allowed:
        raise Forbidden("Cette régie ne vous est pas confiée.")


async def require_site(actor: Account, site_id: int) -> None:
    """A site member acts on their sites only (others: the whole town)."""
    allowed = await site_ids_of(actor)
    if allowed is not None and site_id not in allowed:
        raise Forbidden("Ce site ne vous est pas confié.")
