"""The access rule of family files, written twice, checked by one table.

``households.household_for`` states the rule in Python (its guardians, or staff of its
town); the calendar's hot path states it again in SQL (``calendar._access_predicate``,
inside ``load_context``'s one statement) to save a round trip. Two copies drift apart
silently, and a drift is a family's calendar shown to a stranger: so both run against the
same rows, on both databases, for every state either copy reads (who asks: nobody, a
parent or staff; the guardian rows linking accounts to households; the household's
town; the household's existence), and each answer must be the table's.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from models.accounts import Account, AccountRole
from models.households import Guardian, Household
from resolvers.calendar.calendar import load_context
from resolvers.core.clock import FrozenClock
from resolvers.core.errors import Forbidden, NotAuthenticated, NotFound
from resolvers.households.households import household_for, issue_access_key, link_household
from tests.conftest import Backend
from tests.factories import make_account, make_household, make_town

ALLOWED, NOT_FOUND, NOT_AUTHENTICATED = "allowed", "not found", "not authenticated"
FORBIDDEN = "forbidden"
MISSING_HOUSEHOLD = -1  # an id no household has


@dataclass(frozen=True)
class Case:
    """``actor`` asks for ``household`` (names of the world's accounts and households)."""

    name: str
    actor: str | None
    household: str
    expected: str


CASES = [
    Case("nobody signed in", None, "martin", NOT_AUTHENTICATED),
    Case("parent, guardian of the household", "parent_martin", "martin", ALLOWED),
    Case("parent, guardian of another household", "parent_bernard", "martin", NOT_FOUND),
    Case("parent of the town, linked to no household", "parent_unlinked", "martin", NOT_FOUND),
    # The guardian row stays (the town keeps who is responsible), its account is unlinked.
    Case("parent whose guardian row was unlinked", "parent_unlinked_later", "martin", NOT_FOUND),
    Case("parent whose guardian row was deleted", "parent_removed", "martin", NOT_FOUND),
    # Refused when signing in (accounts.authenticate), never here: the rule only reads who
    # is a guardian, so both copies let a disabled guardian's account in alike.
    Case("disabled parent, guardian of the household", "parent_disabled", "martin", ALLOWED),
    # link_household refuses a key of another town; were the row there anyway, both
    # copies would trust it (the rule has no town for parents).
    Case("parent of another town, guardian row", "parent_elsewhere", "martin", ALLOWED),
    Case("agent of the town", "agent", "martin", ALLOWED),
    Case("admin of the town", "admin", "martin", ALLOWED),
    # A site member works from attendance sheets, a régisseur from bills: neither reads a
    # family file, in their town or another (the refusal names no household).
    Case("site member of the town", "site", "martin", FORBIDDEN),
    Case("régisseur of the town", "regisseur", "martin", FORBIDDEN),
    Case("site member of another town", "site_elsewhere", "martin", FORBIDDEN),
    Case("site member, a household that does not exist", "site", "missing", FORBIDDEN),
    Case("agent of another town", "agent_elsewhere", "martin", NOT_FOUND),
    Case("admin of another town", "admin_elsewhere", "martin", NOT_FOUND),
    # Staff are judged by their town only, even holding a guardian row.
    Case("agent of another town with a guardian row", "agent_guardian", "martin", NOT_FOUND),
    Case("agent of the town, household of another town", "agent", "durand", NOT_FOUND),
    Case("parent, a household that does not exist", "parent_martin", "missing", NOT_FOUND),
    Case("agent, a household that does not exist", "agent", "missing", NOT_FOUND),
]


@dataclass
class World:
    accounts: dict[str, Account]
    households: dict[str, int]


async def _link(staff: Account, parent: Account, household: Household, clock: Any) -> Guardian:
    """Link ``parent`` to a free guardian of ``household`` as a family does: with a key."""
    guardian = await Guardian.filter(household=household, account_id=None).order_by("id").first()
    assert guardian is not None
    issued = await issue_access_key(guardian.id, actor=staff, clock=clock)
    await link_household(parent, issued.key, clock=clock)
    return guardian


@pytest.fixture(scope="module")
async def world(backend: Backend) -> World:
    """Two towns; in the first, the Martin and Bernard households and every kind of account
    of the table; in the second, the Durand household and its staff."""
    clock = FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    town, elsewhere = await make_town(), await make_town()
    agent = await make_account(town, clock, role=AccountRole.AGENT)
    agent_elsewhere = await make_account(elsewhere, clock, role=AccountRole.AGENT)
    martin = await make_household(agent, clock, guardians=5, name="Famille Martin")
    bernard = await make_household(agent, clock, guardians=1, name="Famille Bernard")
    durand = await make_household(agent_elsewhere, clock, guardians=1, name="Famille Durand")
    accounts = {
        "agent": agent,
        "admin": await make_account(town, clock, role=AccountRole.ADMIN),
        "agent_elsewhere": agent_elsewhere,
        "admin_elsewhere": await make_account(elsewhere, clock, role=AccountRole.ADMIN),
        "agent_guardian": await make_account(elsewhere, clock, role=AccountRole.AGENT),
        "site": await make_account(town, clock, role=AccountRole.SITE),
        "regisseur": await make_account(town, clock, role=AccountRole.REGISSEUR),
        "site_elsewhere": await make_account(elsewhere, clock, role=AccountRole.SITE),
    }
    for name in ("martin", "bernard", "unlinked", "unlinked_later", "removed", "disabled"):
        accounts[f"parent_{name}"] = await make_account(town, clock)
    accounts["parent_elsewhere"] = await make_account(elsewhere, clock)
    await _link(agent, accounts["parent_martin"], martin, clock)
    await _link(agent, accounts["parent_bernard"], bernard, clock)
    later = await _link(agent, accounts["parent_unlinked_later"], martin, clock)
    await Guardian.filter(id=later.id).update(account_id=None)
    removed = await _link(agent, accounts["parent_removed"], martin, clock)
    await Guardian.filter(id=removed.id).delete()
    await _link(agent, accounts["parent_disabled"], martin, clock)
    await Account.filter(id=accounts["parent_disabled"].id).update(is_disabled=True)
    # Rows link_household would refuse (another town): written as the data could hold them.
    for name in ("parent_elsewhere", "agent_guardian"):
        free = await Guardian.filter(household=martin, account_id=None).order_by("id").first()
        assert free is not None
        await Guardian.filter(id=free.id).update(account_id=accounts[name].id)
    # Both copies read the accounts as the database has them now.
    fresh = {name: await Account.get(id=account.id) for name, account in accounts.items()}
    households = {"martin": martin.id, "durand": durand.id, "missing": MISSING_HOUSEHOLD}
    return World(fresh, households)


async def _outcome(call: Callable[[], Awaitable[object]]) -> str:
    try:
        await call()
    except NotAuthenticated:
        return NOT_AUTHENTICATED
    except NotFound:
        return NOT_FOUND
    except Forbidden:
        return FORBIDDEN
    return ALLOWED


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_python_and_sql_copies_of_the_access_rule_agree(world: World, case: Case) -> None:
    # given the world's rows, and who asks for which household
    actor = world.accounts[case.actor] if case.actor else None
    household_id = world.households[case.household]
    # when both copies of the rule decide
    in_python = await _outcome(lambda: household_for(actor, household_id))
    in_sql = await _outcome(
        lambda: load_context(actor, household_id, date(2026, 12, 1), date(2026, 12, 31))
    )
    # then both give the table's answer
    assert {"python": in_python, "sql": in_sql} == {"python": case.expected, "sql": case.expected}
