"""Consents per child, of the types the town defines: answered by a guardian with date and
author (history kept), required ones block enrolment, other towns' types out of reach."""

from datetime import timedelta
from typing import Any

from gql.ids import encode_id
from models.accounts import Account, AccountRole
from models.households import Child, ConsentAnswer
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL
from tests.factories import make_account, make_catalogue, make_town, token_for
from tests.households.test_households_contacts import Family, linked_family

SAVE_TYPE = """
mutation($input: ConsentTypeInput!, $id: ID) {
  saveConsentType(input: $input, consentTypeId: $id) {
    consentType { id name description required active }
    errors { code field message }
  }
}
"""
TYPES = "query($retired: Boolean!) { consentTypes(includeRetired: $retired) { name required } }"
ANSWER = """
mutation($child: ID!, $type: ID!, $granted: Boolean!) {
  answerConsent(childId: $child, consentTypeId: $type, granted: $granted) {
    answer { granted answeredAt authorName }
    errors { code field message }
  }
}
"""
CHILD_CONSENTS = """
query($id: ID!) {
  household(id: $id) {
    children {
      firstNames
      consents { consentType { name required } answer { granted authorName } }
      consentHistory { granted authorName }
    }
  }
}
"""
ENROLL = """
mutation($child: ID!, $activity: ID!, $site: ID!, $period: ID!) {
  enrollChild(childId: $child, activityId: $activity, siteId: $site, periodId: $period) {
    enrollment { status }
    errors { code field message }
  }
}
"""


async def agent_token(family: Family, clock: FrozenClock) -> str:
    tenant = await family.household.tenant
    return await token_for(await make_account(tenant, clock, role=AccountRole.ADMIN), clock)


async def define(api: GraphQL, token: str, name: str, required: bool) -> str:
    result = await api(SAVE_TYPE, {"input": {"name": name, "required": required}}, token=token)
    assert result["data"]["saveConsentType"]["errors"] == [], result
    consent_type_id: str = result["data"]["saveConsentType"]["consentType"]["id"]
    return consent_type_id


def errors_of(payload: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(error["code"], error["field"]) for error in payload["errors"]}


async def test_a_guardian_answers_and_changes_an_answer_with_the_history_kept(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a town asking for « Droit à l'image » and « Rentrer seul »
    family = await linked_family(clock)
    admin = await agent_token(family, clock)
    image = await define(api, admin, "Droit à l'image", required=False)
    await define(api, admin, "Rentrer seul", required=False)
    child = await Child.filter(household=family.household).order_by("birth_date").first()
    assert child is not None
    child_id = encode_id("Child", child.id)

    # when the parent says yes to the photos, then changes her mind
    first = await api(
        ANSWER, {"child": child_id, "type": image, "granted": True}, token=family.token
    )
    clock.advance(timedelta(hours=2))
    await api(ANSWER, {"child": child_id, "type": image, "granted": False}, token=family.token)
    result = await api(CHILD_CONSENTS, {"id": family.household_id}, token=family.token)

    # then the answer in force is no, both answers stay with their author
    assert first["data"]["answerConsent"]["answer"]["authorName"] == "Camille Testeur"
    [eldest, _] = result["data"]["household"]["children"]
    assert eldest["consents"] == [
        {
            "consentType": {"name": "Droit à l'image", "required": False},
            "answer": {"granted": False, "authorName": "Camille Testeur"},
        },
        {"consentType": {"name": "Rentrer seul", "required": False}, "answer": None},
    ]
    assert [a["granted"] for a in eldest["consentHistory"]] == [False, True]
    assert await ConsentAnswer.filter(child_id=child.id).count() == 2


async def test_a_required_consent_left_unanswered_blocks_enrolment(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a town requiring « Soins d'urgence » and a canteen to enrol in
    family = await linked_family(clock)
    admin = await agent_token(family, clock)
    urgent = await define(api, admin, "Soins d'urgence", required=True)
    await define(api, admin, "Transport", required=False)
    staff = await Account.get(tenant_id=family.household.tenant_id, role=AccountRole.ADMIN)
    catalogue = await make_catalogue(staff, clock)
    child = await Child.filter(household=family.household).order_by("birth_date").first()
    assert child is not None
    variables = {
        "child": encode_id("Child", child.id),
        "activity": encode_id("Activity", catalogue.canteen.id),
        "site": encode_id("Site", catalogue.site.id),
        "period": encode_id("Period", catalogue.period.id),
    }

    # when the parent enrols her child before answering
    refused = await api(ENROLL, variables, token=family.token)

    # then she is told which consent to answer first, in French
    [error] = refused["data"]["enrollChild"]["errors"]
    assert error["code"] == "CONSENT_MISSING"
    assert error["field"] == "childId"
    assert "Soins d'urgence" in error["message"]
    assert "Transport" not in error["message"]

    # when she answers it (a no counts: the town knows), the enrolment goes through
    await api(
        ANSWER,
        {"child": encode_id("Child", child.id), "type": urgent, "granted": False},
        token=family.token,
    )
    accepted = await api(ENROLL, variables, token=family.token)
    assert accepted["data"]["enrollChild"]["errors"] == []


async def test_types_are_the_towns_own_and_retired_ones_are_no_longer_asked(
    api: GraphQL, clock: FrozenClock
) -> None:
    family = await linked_family(clock)
    admin = await agent_token(family, clock)
    transport = await define(api, admin, "Transport", required=True)
    elsewhere = await make_town()
    stranger = await make_account(elsewhere, clock, role=AccountRole.ADMIN)
    stranger_token = await token_for(stranger, clock)
    foreign_type = await define(api, stranger_token, "Droit à l'image", required=False)
    child = await Child.filter(household=family.household).first()
    assert child is not None

    duplicate = await api(SAVE_TYPE, {"input": {"name": "Transport"}}, token=admin)
    foreign_answer = await api(
        ANSWER,
        {"child": encode_id("Child", child.id), "type": foreign_type, "granted": True},
        token=family.token,
    )
    foreign_child = await api(
        ANSWER,
        {"child": encode_id("Child", child.id), "type": foreign_type, "granted": True},
        token=stranger_token,
    )
    by_parent = await api(SAVE_TYPE, {"input": {"name": "Sortie"}}, token=family.token)
    retired = await api(
        SAVE_TYPE,
        {"input": {"name": "Transport", "required": True, "active": False}, "id": transport},
        token=admin,
    )
    seen_by_parent = await api(TYPES, {"retired": True}, token=family.token)
    seen_by_staff = await api(TYPES, {"retired": True}, token=admin)

    assert errors_of(duplicate["data"]["saveConsentType"]) == {("INVALID", "name")}
    assert errors_of(foreign_answer["data"]["answerConsent"]) == {("NOT_FOUND", "consentTypeId")}
    assert errors_of(foreign_child["data"]["answerConsent"]) == {("NOT_FOUND", "childId")}
    assert [e["code"] for e in by_parent["data"]["saveConsentType"]["errors"]] == ["FORBIDDEN"]
    assert retired["data"]["saveConsentType"]["consentType"]["active"] is False
    assert seen_by_parent["data"]["consentTypes"] == []
    assert seen_by_staff["data"]["consentTypes"] == [{"name": "Transport", "required": True}]
