"""Every agent's read of a child's health notes through the family file is audited, and
admins see it next to the attendance-sheet reads; a family reading its own file is not."""

from gql.ids import encode_id
from models.accounts import AccountRole
from models.audit import AuditEntry
from resolvers.core.clock import FrozenClock
from resolvers.operations.attendance import HEALTH_READ
from tests.conftest import GraphQL
from tests.factories import make_account, token_for
from tests.ops_factories import make_ops_town
from tests.sql_count import count_queries

FILE = """
query($id: ID!) {
  household(id: $id) { children { firstNames healthNotes paiDetails } }
}
"""
NAMES_ONLY = "query($id: ID!) { household(id: $id) { children { firstNames } } }"
READS = """
query($childId: ID!) {
  healthNotesReads(childId: $childId) { totalCount nodes { agentName via siteId date } }
}
"""


async def test_an_agent_reading_the_family_file_is_recorded_once_per_child(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a family of two children, an agent and an admin of the town
    town = await make_ops_town(clock)
    durand = encode_id("Household", town.households["Durand"].id)
    agent = await token_for(town.staff, clock)
    admin = await token_for(await make_account(town.tenant, clock, role=AccountRole.ADMIN), clock)

    # when the agent opens the file with the health notes and PAI (both fields, one read)
    async with count_queries() as log:
        result = await api(FILE, {"id": durand}, token=agent)

    # then each child's read is one audit entry, written in one statement
    assert [c["firstNames"] for c in result["data"]["household"]["children"]] == ["Léa", "Hugo"]
    inserts = [s for s in log.statements if s.startswith('INSERT INTO "audit_entry"')]
    assert len(inserts) == 1
    for child in ("Léa", "Hugo"):
        reads = await api(READS, {"childId": encode_id("Child", town.children[child])}, token=admin)
        assert reads["data"]["healthNotesReads"] == {
            "totalCount": 1,
            "nodes": [{"agentName": "Camille Testeur", "via": "household", "siteId": None,
                       "date": None}],
        }  # fmt: skip


async def test_no_record_when_the_notes_are_not_shown_or_the_family_reads_them(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_ops_town(clock)
    petit = encode_id("Household", town.households["Petit"].id)
    inès = town.children["Inès"]

    names = await api(NAMES_ONLY, {"id": petit}, token=await token_for(town.staff, clock))
    assert "errors" not in names
    own = await api(FILE, {"id": petit}, token=await token_for(town.parents["Petit"], clock))
    assert own["data"]["household"]["children"][0]["paiDetails"] == (
        "Stylo d'adrénaline dans le cartable"
    )

    assert not await AuditEntry.exists(action=HEALTH_READ, target_id=inès)
