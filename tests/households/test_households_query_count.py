"""The dashboards cost a fixed number of SQL statements, however big the families (no N+1)."""

from models.accounts import Account, AccountRole
from models.households import ContactKind, Guardian, Household
from models.tenants import Tenant
from resolvers.core.clock import FrozenClock
from resolvers.households.households import (
    ContactDetailsForm,
    ContactForm,
    add_contact,
    issue_access_key,
    link_household,
    update_contact_details,
)
from tests.conftest import GraphQL
from tests.factories import make_account, make_household, make_town, token_for
from tests.sql_count import count_queries

PARENT_DASHBOARD = """
query {
  me {
    households {
      guardians { firstNames }
      children { firstNames }
      contacts { lastName }
      requests(first: 5) { nodes { summary history { status } } }
    }
  }
}
"""
STAFF_LIST = """
query {
  households(first: 50) { nodes { children { firstNames } guardians { firstNames } } }
}
"""

# Measured on both backends: bearer-token lookup 1, guardian links 1, households 1,
# guardians 1, children 1, contacts 1, requests count 1 + ranked page ids 1 + rows 1, their
# histories 1: whatever the number of households, children and requests.
PARENT_DASHBOARD_STATEMENTS = 10
# Bearer-token lookup 1, count 1, page 1, children 1, guardians 1.
STAFF_LIST_STATEMENTS = 5


async def linked_parent(
    town: Tenant, staff: Account, clock: FrozenClock, *, children: int, contacts: int
) -> str:
    """A parent linked to a file with that many children and contacts, and some requests."""
    household = await make_household(staff, clock, children=children, guardians=2)
    guardian = await Guardian.filter(household=household).order_by("id").first()
    assert guardian is not None
    parent = await make_account(town, clock)
    issued = await issue_access_key(guardian.id, actor=staff, clock=clock)
    await link_household(parent, issued.key, clock=clock)
    for index in range(contacts):
        form = ContactForm(ContactKind.EMERGENCY, f"Contact{index}", "06 12 34 56 78")
        await add_contact(parent, household.id, form, clock=clock)
    await update_contact_details(
        parent, household.id, ContactDetailsForm(city="Castres"), clock=clock
    )
    return await token_for(parent, clock)


async def test_parent_dashboard_does_not_grow_with_the_family(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a small family (1 child, 1 contact) and a big one (6 children, 4 contacts)
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    small = await linked_parent(town, staff, clock, children=1, contacts=1)
    big = await linked_parent(town, staff, clock, children=6, contacts=4)

    # when each parent opens the dashboard
    async with count_queries() as small_log:
        small_result = await api(PARENT_DASHBOARD, token=small)
    async with count_queries() as big_log:
        big_result = await api(PARENT_DASHBOARD, token=big)

    # then both answers are complete and cost the same fixed number of statements
    assert "errors" not in small_result and "errors" not in big_result
    [small_household] = small_result["data"]["me"]["households"]
    [big_household] = big_result["data"]["me"]["households"]
    assert (len(small_household["children"]), len(small_household["contacts"])) == (1, 1)
    assert (len(big_household["children"]), len(big_household["contacts"])) == (6, 4)
    assert len(big_household["requests"]["nodes"]) == 5
    assert all(len(r["history"]) == 2 for r in big_household["requests"]["nodes"])
    assert big_log.count == small_log.count, big_log.statements
    assert small_log.count == PARENT_DASHBOARD_STATEMENTS, small_log.statements


async def test_staff_list_does_not_grow_with_the_number_of_files(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a town with 2 files and a town with 12
    small_town, big_town = await make_town(), await make_town()
    tokens = []
    for town, files in ((small_town, 2), (big_town, 12)):
        staff = await make_account(town, clock, role=AccountRole.AGENT)
        for _ in range(files):
            await make_household(staff, clock, children=2, guardians=2)
        tokens.append(await token_for(staff, clock))

    # when each agent lists the town's files
    logs = []
    for token, files in zip(tokens, (2, 12), strict=True):
        async with count_queries() as log:
            result = await api(STAFF_LIST, token=token)
        nodes = result["data"]["households"]["nodes"]
        assert len(nodes) == files
        assert all(len(n["children"]) == 2 and len(n["guardians"]) == 2 for n in nodes)
        logs.append(log)

    # then both lists cost the same fixed number of statements
    assert logs[0].count == logs[1].count, logs[1].statements
    assert logs[0].count == STAFF_LIST_STATEMENTS, logs[0].statements


async def test_parent_dashboard_does_not_grow_with_the_number_of_households(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a parent linked to one file, and a parent linked to two (a blended family)
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    one = await linked_parent(town, staff, clock, children=2, contacts=1)
    parent = await make_account(town, clock)
    for _ in range(2):
        household = await make_household(staff, clock, children=2)
        guardian = await Guardian.filter(household=household).order_by("id").first()
        assert guardian is not None
        issued = await issue_access_key(guardian.id, actor=staff, clock=clock)
        await link_household(parent, issued.key, clock=clock)
        await add_contact(
            parent,
            household.id,
            ContactForm(ContactKind.DOCTOR, "Durand", "05 63 71 00 00"),
            clock=clock,
        )
    two = await token_for(parent, clock)
    assert await Household.filter(guardians__account_id=parent.id).count() == 2

    # when each opens the dashboard
    async with count_queries() as one_log:
        await api(PARENT_DASHBOARD, token=one)
    async with count_queries() as two_log:
        result = await api(PARENT_DASHBOARD, token=two)

    # then the second costs no more statements than the first
    assert len(result["data"]["me"]["households"]) == 2
    assert two_log.count == one_log.count, two_log.statements
