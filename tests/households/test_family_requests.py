"""Parents ask, staff decide: a change of a child's details, diet or PAI, and a family quotient
from a proof of income; both in the request history, decided in the inbox, mailed."""

from collections.abc import Awaitable, Callable
from typing import Any

from gql.ids import encode_id
from models.accounts import AccountRole
from models.documents import DocumentKind
from models.households import Child, Diet, FamilyQuotientSource, Household
from models.requests import Request
from resolvers.core.clock import FrozenClock
from resolvers.documents.documents import CheckedFile, DocumentForm, store_document
from resolvers.households.family_files import GuardianChanges, update_guardian
from tests import samples
from tests.conftest import GraphQL, Mailbox
from tests.factories import make_account, make_town, token_for
from tests.households.test_households_contacts import Family, linked_family

REQUEST_CHILD = """
mutation($id: ID!, $input: ChildChangesInput!) {
  requestChildUpdate(childId: $id, input: $input) {
    request { id kind status summary history { status comment } }
    errors { code field message }
  }
}
"""
DECIDE = """
mutation($id: ID!, $action: RequestAction!, $comment: String!) {
  changeRequestStatus(requestId: $id, action: $action, comment: $comment) {
    request { status history { status comment } }
    errors { code field message }
  }
}
"""
REQUEST_QUOTIENT = """
mutation($id: ID!, $docs: [ID!]!, $comment: String!) {
  requestFamilyQuotient(householdId: $id, documentIds: $docs, comment: $comment) {
    request { id kind status summary attachments { title } }
    errors { code field message }
  }
}
"""
COMPLETE_QUOTIENT = """
mutation($id: ID!, $q: Int!, $until: Date) {
  completeFamilyQuotientRequest(requestId: $id, quotient: $q, validUntil: $until) {
    request { status history { status comment } }
    errors { code field message }
  }
}
"""


async def staff_token(family: Family, clock: FrozenClock) -> str:
    tenant = await family.household.tenant
    return await token_for(await make_account(tenant, clock, role=AccountRole.AGENT), clock)


async def first_child(family: Family) -> Child:
    child = await Child.filter(household=family.household).order_by("id").first()
    assert child is not None
    return child


def errors_of(payload: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(error["code"], error["field"]) for error in payload["errors"]}


async def test_a_childs_diet_and_pai_change_applies_once_staff_accept_it(
    api: GraphQL,
    clock: FrozenClock,
    mailbox: Mailbox,
    run_jobs: Callable[[], Awaitable[None]],
) -> None:
    # given a linked parent
    family = await linked_family(clock)
    child = await first_child(family)

    # when she asks for a vegetarian diet and a PAI
    asked = await api(
        REQUEST_CHILD,
        {
            "id": encode_id("Child", child.id),
            "input": {"diet": "VEGETARIAN", "hasPai": True, "paiDetails": "Asthme : Ventoline"},
        },
        token=family.token,
    )
    request = asked["data"]["requestChildUpdate"]["request"]

    # then nothing changes before an agent decides
    assert request["kind"] == "CHILD_UPDATE"
    assert request["status"] == "SUBMITTED"
    assert request["summary"] == "Modification de la fiche de Enfant0 : PAI, régime alimentaire"
    await child.refresh_from_db()
    assert child.diet == Diet.STANDARD

    # when the agent accepts it
    decided = await api(
        DECIDE,
        {"id": request["id"], "action": "COMPLETE", "comment": "PAI signé par le médecin"},
        token=await staff_token(family, clock),
    )

    # then the file changes, the history says so, and the family is mailed
    assert decided["data"]["changeRequestStatus"]["request"]["history"] == [
        {"status": "SUBMITTED", "comment": ""},
        {"status": "COMPLETED", "comment": "PAI signé par le médecin"},
    ]
    await child.refresh_from_db()
    assert (child.diet, child.has_pai, child.pai_details) == (
        Diet.VEGETARIAN,
        True,
        "Asthme : Ventoline",
    )
    await run_jobs()
    [mail] = mailbox.to(family.parent.email)
    assert "PAI signé par le médecin" in mailbox.text(mail)


async def test_a_refused_change_leaves_the_file_alone(
    api: GraphQL,
    clock: FrozenClock,
    mailbox: Mailbox,
    run_jobs: Callable[[], Awaitable[None]],
) -> None:
    # given a linked parent who asked the town to write to the other guardian only
    family = await linked_family(clock)
    child = await first_child(family)
    agent = await make_account(await family.household.tenant, clock, role=AccountRole.AGENT)
    await update_guardian(
        agent, family.guardian.id, GuardianChanges(receives_mail=False), clock=clock
    )
    asked = await api(
        REQUEST_CHILD,
        {"id": encode_id("Child", child.id), "input": {"schoolClass": "CM1"}},
        token=family.token,
    )
    request_id = asked["data"]["requestChildUpdate"]["request"]["id"]

    refused = await api(
        DECIDE,
        {"id": request_id, "action": "REJECT", "comment": "L'école indique CE2."},
        token=await staff_token(family, clock),
    )

    assert refused["data"]["changeRequestStatus"]["request"]["status"] == "REJECTED"
    await child.refresh_from_db()
    assert child.school_class == ""
    await run_jobs()
    assert mailbox.to(family.parent.email) == []


async def test_a_change_request_for_another_familys_child_or_changing_nothing_is_refused(
    api: GraphQL, clock: FrozenClock
) -> None:
    family = await linked_family(clock)
    other = await linked_family(clock)
    child = await first_child(family)

    foreign = await api(
        REQUEST_CHILD,
        {"id": encode_id("Child", child.id), "input": {"diet": "NO_PORK"}},
        token=other.token,
    )
    nothing = await api(
        REQUEST_CHILD,
        {"id": encode_id("Child", child.id), "input": {"diet": "STANDARD"}},
        token=family.token,
    )

    assert errors_of(foreign["data"]["requestChildUpdate"]) == {("NOT_FOUND", "childId")}
    assert errors_of(nothing["data"]["requestChildUpdate"]) == {("INVALID", "input")}
    assert not await Request.exists(household_id=family.household.id, kind="child_update")


async def test_a_proof_of_income_sets_the_quotient_when_staff_complete_the_request(
    api: GraphQL,
    clock: FrozenClock,
    mailbox: Mailbox,
    run_jobs: Callable[[], Awaitable[None]],
) -> None:
    # given a parent who stored her tax notice
    family = await linked_family(clock)
    notice = await store_document(
        family.parent,
        family.household.id,
        DocumentForm(DocumentKind.TAX_NOTICE, "Avis d'imposition 2026"),
        [CheckedFile("avis.pdf", "application/pdf", samples.pdf())],
        in_storage=True,
        clock=clock,
    )

    # when she sends it with a FAMILY_QUOTIENT request
    sent = await api(
        REQUEST_QUOTIENT,
        {
            "id": family.household_id,
            "docs": [encode_id("Document", notice.id)],
            "comment": "Nouvel avis",
        },
        token=family.token,
    )
    request = sent["data"]["requestFamilyQuotient"]["request"]
    assert request["kind"] == "FAMILY_QUOTIENT"
    assert request["attachments"] == [{"title": "Avis d'imposition 2026"}]
    token = await staff_token(family, clock)

    # then a plain COMPLETE is refused: the agent must give the quotient
    plain = await api(
        DECIDE, {"id": request["id"], "action": "COMPLETE", "comment": ""}, token=token
    )
    assert errors_of(plain["data"]["changeRequestStatus"]) == {("INVALID", "action")}

    # when the agent completes it with the quotient read on the notice
    done = await api(
        COMPLETE_QUOTIENT, {"id": request["id"], "q": 734, "until": "2027-12-31"}, token=token
    )

    # then the household's quotient is set from a proof, the history and a mail say so
    assert done["data"]["completeFamilyQuotientRequest"]["request"]["history"][-1] == {
        "status": "COMPLETED",
        "comment": "Quotient familial fixé à 734 € jusqu'au 31/12/2027",
    }
    household = await Household.get(id=family.household.id)
    assert household.family_quotient == 734
    assert household.family_quotient_source == FamilyQuotientSource.PROOF
    assert str(household.family_quotient_valid_until) == "2027-12-31"
    assert str(household.family_quotient_set_on) == "2026-11-23"
    await run_jobs()
    [mail] = mailbox.to(family.parent.email)
    assert "734" in mailbox.text(mail)


async def test_a_quotient_request_needs_a_document_of_the_household_and_staff_of_its_town(
    api: GraphQL, clock: FrozenClock
) -> None:
    family = await linked_family(clock)
    other = await linked_family(clock)
    foreign = await store_document(
        other.parent,
        other.household.id,
        DocumentForm(DocumentKind.CAF_ATTESTATION, "Attestation CAF"),
        [CheckedFile("caf.pdf", "application/pdf", samples.pdf())],
        in_storage=True,
        clock=clock,
    )

    empty = await api(
        REQUEST_QUOTIENT, {"id": family.household_id, "docs": [], "comment": ""}, token=family.token
    )
    stolen = await api(
        REQUEST_QUOTIENT,
        {"id": family.household_id, "docs": [encode_id("Document", foreign.id)], "comment": ""},
        token=family.token,
    )
    own = await api(
        REQUEST_QUOTIENT,
        {"id": other.household_id, "docs": [encode_id("Document", foreign.id)], "comment": ""},
        token=other.token,
    )
    request_id = own["data"]["requestFamilyQuotient"]["request"]["id"]
    # an agent of another town
    elsewhere = await make_town()
    stranger = await make_account(elsewhere, clock, role=AccountRole.AGENT)
    completed = await api(
        COMPLETE_QUOTIENT,
        {"id": request_id, "q": 100},
        token=await token_for(stranger, clock),
    )

    assert errors_of(empty["data"]["requestFamilyQuotient"]) == {("REQUIRED", "documentIds")}
    assert errors_of(stolen["data"]["requestFamilyQuotient"]) == {("NOT_FOUND", "documentIds")}
    assert errors_of(completed["data"]["completeFamilyQuotientRequest"]) == {
        ("NOT_FOUND", "requestId")
    }
    assert (await Household.get(id=other.household.id)).family_quotient is None
