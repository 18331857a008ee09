"""Every operation of the households area, on its forbidden paths.

Each refused call must answer the right code and leave every row as it was. A parent
reaching into another family, or an agent into another town, gets NOT_FOUND exactly as
for an id that does not exist, so nobody can probe which files exist.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from strawberry.types.base import get_object_definition

from gql.households.mutations import HouseholdMutations
from gql.households.queries import HouseholdQueries
from gql.ids import encode_id
from gql.schema import schema
from models.accounts import Account, AccountRole
from models.audit import AuditEntry
from models.households import AccessKey, Contact, ContactKind, Guardian, Household
from models.outbox import OutboxJob
from models.requests import Request
from models.tenants import Tenant
from resolvers.core.clock import FrozenClock
from resolvers.households.households import (
    ContactForm,
    add_contact,
    issue_access_key,
    link_household,
)
from tests.conftest import Backend, GraphQL
from tests.factories import make_account, make_household, make_town, token_for

HOUSEHOLD = "query($id: ID!) { household(id: $id) { id name contacts { id } } }"
HOUSEHOLDS = """
query($search: String!) {
  households(search: $search, first: 100) { nodes { id reference name } totalCount }
}
"""
CREATE_HOUSEHOLD = """
mutation($input: CreateHouseholdInput!) {
  createHousehold(input: $input) { household { id } errors { code field message } }
}
"""
ISSUE_KEY = """
mutation($id: ID!) {
  issueAccessKey(guardianId: $id) { accessKey mailedTo errors { code field message } }
}
"""
LINK = """
mutation($key: String!) {
  linkHousehold(accessKey: $key) { household { id } errors { code field message } }
}
"""
UPDATE_DETAILS = """
mutation($id: ID!, $input: ContactDetailsInput!) {
  updateContactDetails(householdId: $id, input: $input) {
    household { id addressLine } errors { code field message }
  }
}
"""
ADD_CONTACT = """
mutation($id: ID!, $input: ContactInput!) {
  addContact(householdId: $id, input: $input) { contact { id } errors { code field message } }
}
"""
UPDATE_CONTACT = """
mutation($id: ID!, $input: ContactInput!) {
  updateContact(contactId: $id, input: $input) {
    contact { id lastName } errors { code field message }
  }
}
"""
REMOVE_CONTACT = """
mutation($id: ID!) {
  removeContact(contactId: $id) { contact { id } errors { code field message } }
}
"""

NEW_HOUSEHOLD = {
    "name": "Famille Pirate",
    "guardians": [{"civility": "MONSIEUR", "lastName": "Pirate", "firstNames": "Jack"}],
}
NEW_DETAILS = {
    "addressLine": "666 rue du Piratage",
    "postalCode": "75001",
    "city": "Paris",
    "phoneMobile": "06 66 66 66 66",
}
NEW_CONTACT = {"kind": "EMERGENCY", "lastName": "Intrus", "phone": "06 11 22 33 44"}
MISSING_PK = 2_000_000_000


@dataclass
class World:
    """A victim family in town A, an intruding family in town A, and an agent of town B."""

    town: Tenant
    staff_token: str
    household: Household  # the victim's file
    linked_guardian: Guardian
    free_guardian: Guardian  # no account yet
    key: str  # unused key of the free guardian
    contact: Contact
    owner_token: str  # parent linked to the victim's file
    intruder_token: str  # parent linked to another file of the same town
    intruder_guardian: Guardian
    other_staff_token: str  # agent of town B
    other_household: Household  # a file of town B

    @property
    def household_id(self) -> str:
        return encode_id("Household", self.household.id)

    @property
    def contact_id(self) -> str:
        return encode_id("Contact", self.contact.id)


async def linked_household(
    town: Tenant, staff: Account, clock: FrozenClock, name: str
) -> tuple[Household, str]:
    household = await make_household(staff, clock, name=name)
    guardian = await Guardian.filter(household=household).order_by("id").first()
    assert guardian is not None
    parent = await make_account(town, clock)
    await link_household(
        parent, (await issue_access_key(guardian.id, actor=staff, clock=clock)).key, clock=clock
    )
    return household, await token_for(parent, clock)


@pytest.fixture
async def world(backend: Backend, clock: FrozenClock) -> World:
    town, other_town = await make_town(), await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    household, owner_token = await linked_household(
        town, staff, clock, f"Famille Victime {uuid.uuid4().hex[:6]}"
    )
    linked, free = await Guardian.filter(household=household).order_by("id")
    owner = await Account.get(id=linked.account_id)
    contact = await add_contact(
        owner,
        household.id,
        ContactForm(ContactKind.DOCTOR, "Durand", "05 63 71 00 00", first_names="Anne"),
        clock=clock,
    )
    key = (await issue_access_key(free.id, actor=staff, clock=clock)).key
    intruded, intruder_token = await linked_household(town, staff, clock, "Famille Voisine")
    intruder_guardian = await Guardian.filter(household=intruded).order_by("id").first()
    assert intruder_guardian is not None
    other_staff = await make_account(other_town, clock, role=AccountRole.AGENT)
    other_household = await make_household(other_staff, clock, name="Famille Ailleurs")
    return World(
        town=town,
        staff_token=await token_for(staff, clock),
        household=household,
        linked_guardian=linked,
        free_guardian=free,
        key=key,
        contact=contact,
        owner_token=owner_token,
        intruder_token=intruder_token,
        intruder_guardian=intruder_guardian,
        other_staff_token=await token_for(other_staff, clock),
        other_household=other_household,
    )


async def snapshot(world: World) -> dict[str, Any]:
    """Every row a refused call could have touched."""
    household_id = world.household.id
    return {
        "household": await Household.filter(id=household_id).values(),
        "guardians": await Guardian.filter(household_id=household_id).order_by("id").values(),
        "contacts": await Contact.filter(household_id=household_id).order_by("id").values(),
        "keys": await AccessKey.filter(guardian__household_id=household_id)
        .order_by("id")
        .values("id", "expires_at", "used_at", "used_by_id"),
        "counts": {
            model.__name__: await model.all().count()
            for model in (Household, Guardian, Contact, AccessKey, Request, AuditEntry, OutboxJob)
        },
    }


def field_of(document: str) -> str:
    """The root field a one-field document selects."""
    return document.split("{", 2)[1].split("(")[0].strip()


def refusal(result: dict[str, Any], document: str) -> dict[str, Any]:
    """The single error of a refused call: GraphQL error for queries, payload for mutations."""
    field = field_of(document)
    if document.lstrip().startswith("query"):
        assert result["data"] is None
        [error] = result["errors"]
        return {
            "code": error["extensions"]["code"],
            "field": error["extensions"]["field"],
            "message": error["message"],
        }
    assert "errors" not in result, result["errors"]
    payload = result["data"][field]
    assert all(value is None for key, value in payload.items() if key != "errors"), payload
    [error] = payload["errors"]
    return dict(error)


Variables = Callable[[World], dict[str, Any]]


def household_var(world: World) -> dict[str, Any]:
    return {"id": world.household_id}


def details_vars(world: World) -> dict[str, Any]:
    return {"id": world.household_id, "input": NEW_DETAILS}


def add_contact_vars(world: World) -> dict[str, Any]:
    return {"id": world.household_id, "input": NEW_CONTACT}


def update_contact_vars(world: World) -> dict[str, Any]:
    return {"id": world.contact_id, "input": NEW_CONTACT}


def contact_var(world: World) -> dict[str, Any]:
    return {"id": world.contact_id}


def free_guardian_var(world: World) -> dict[str, Any]:
    return {"id": encode_id("Guardian", world.free_guardian.id)}


def own_guardian_var(world: World) -> dict[str, Any]:
    return {"id": encode_id("Guardian", world.intruder_guardian.id)}


def create_vars(world: World) -> dict[str, Any]:
    return {"input": NEW_HOUSEHOLD}


def search_all(world: World) -> dict[str, Any]:
    return {"search": ""}


def key_var(world: World) -> dict[str, Any]:
    return {"key": world.key}


CONSENT_TYPES = "query { consentTypes { id } }"


def no_vars(world: World) -> dict[str, Any]:
    return {}


ANONYMOUS_CASES = [
    pytest.param(CONSENT_TYPES, no_vars, id="consentTypes"),
    pytest.param(HOUSEHOLD, household_var, id="household"),
    pytest.param(HOUSEHOLDS, search_all, id="households"),
    pytest.param(CREATE_HOUSEHOLD, create_vars, id="createHousehold"),
    pytest.param(ISSUE_KEY, free_guardian_var, id="issueAccessKey"),
    pytest.param(LINK, key_var, id="linkHousehold"),
    pytest.param(UPDATE_DETAILS, details_vars, id="updateContactDetails"),
    pytest.param(ADD_CONTACT, add_contact_vars, id="addContact"),
    pytest.param(UPDATE_CONTACT, update_contact_vars, id="updateContact"),
    pytest.param(REMOVE_CONTACT, contact_var, id="removeContact"),
]
# A parent of another family of the same town, aiming at the victim's file and contact.
INTRUDER_CASES = [
    pytest.param(HOUSEHOLD, household_var, "Household", id="household"),
    pytest.param(UPDATE_DETAILS, details_vars, "Household", id="updateContactDetails"),
    pytest.param(ADD_CONTACT, add_contact_vars, "Household", id="addContact"),
    pytest.param(UPDATE_CONTACT, update_contact_vars, "Contact", id="updateContact"),
    pytest.param(REMOVE_CONTACT, contact_var, "Contact", id="removeContact"),
]
PARENT_ON_STAFF_CASES = [
    pytest.param(HOUSEHOLDS, search_all, id="households"),
    pytest.param(CREATE_HOUSEHOLD, create_vars, id="createHousehold"),
    pytest.param(ISSUE_KEY, own_guardian_var, id="issueAccessKey-own-guardian"),
    pytest.param(ISSUE_KEY, free_guardian_var, id="issueAccessKey-other-guardian"),
]
OTHER_TOWN_CASES = [
    pytest.param(HOUSEHOLD, household_var, id="household"),
    pytest.param(ISSUE_KEY, free_guardian_var, id="issueAccessKey"),
    pytest.param(UPDATE_DETAILS, details_vars, id="updateContactDetails"),
    pytest.param(ADD_CONTACT, add_contact_vars, id="addContact"),
    pytest.param(UPDATE_CONTACT, update_contact_vars, id="updateContact"),
    pytest.param(REMOVE_CONTACT, contact_var, id="removeContact"),
]


def test_every_households_operation_is_covered() -> None:
    names = {
        schema.config.name_converter.get_graphql_name(field)
        for area in (HouseholdQueries, HouseholdMutations)
        for field in get_object_definition(area, strict=True).fields
    }
    covered = {field_of(str(param.values[0])) for param in ANONYMOUS_CASES}
    assert covered == names
    assert names == {
        "consentTypes",
        "household",
        "households",
        "createHousehold",
        "issueAccessKey",
        "linkHousehold",
        "updateContactDetails",
        "addContact",
        "updateContact",
        "removeContact",
    }


@pytest.mark.parametrize(("document", "variables"), ANONYMOUS_CASES)
async def test_anonymous_calls_are_refused(
    api: GraphQL, world: World, document: str, variables: Variables
) -> None:
    # given the state of the world
    before = await snapshot(world)

    # when the operation is called without a token
    result = await api(document, variables(world))

    # then it asks to log in and nothing changed
    assert refusal(result, document)["code"] == "NOT_AUTHENTICATED"
    assert await snapshot(world) == before


async def test_anonymous_link_leaves_the_key_usable(
    api: GraphQL, world: World, clock: FrozenClock
) -> None:
    await api(LINK, {"key": world.key})
    parent = await make_account(world.town, clock)
    result = await api(LINK, {"key": world.key}, token=await token_for(parent, clock))
    assert result["data"]["linkHousehold"]["errors"] == []


@pytest.mark.parametrize(("document", "variables", "kind"), INTRUDER_CASES)
async def test_a_parent_cannot_reach_another_family(
    api: GraphQL, world: World, document: str, variables: Variables, kind: str
) -> None:
    # given a parent of another family of the same town
    before = await snapshot(world)

    # when they use the victim family's ids
    result = await api(document, variables(world), token=world.intruder_token)

    # then the file or contact is "not found", nothing changed...
    refused = refusal(result, document)
    assert refused["code"] == "NOT_FOUND"
    assert await snapshot(world) == before

    # ...exactly as for an id that does not exist
    missing = {**variables(world), "id": encode_id(kind, MISSING_PK)}
    assert refusal(await api(document, missing, token=world.intruder_token), document) == refused

    # and the same call works for the family's own parent (the ids were right)
    allowed = await api(document, variables(world), token=world.owner_token)
    assert "errors" not in allowed, allowed["errors"]
    assert allowed["data"][field_of(document)].get("errors", []) == []


@pytest.mark.parametrize(("document", "variables"), PARENT_ON_STAFF_CASES)
async def test_staff_operations_are_forbidden_to_parents(
    api: GraphQL, world: World, document: str, variables: Variables
) -> None:
    before = await snapshot(world)
    result = await api(document, variables(world), token=world.intruder_token)
    assert refusal(result, document)["code"] == "FORBIDDEN"
    assert await snapshot(world) == before


@pytest.mark.parametrize(("document", "variables"), OTHER_TOWN_CASES)
async def test_staff_of_another_town_find_nothing(
    api: GraphQL, world: World, document: str, variables: Variables
) -> None:
    # given an agent of another town
    before = await snapshot(world)

    # when they use this town's household, guardian or contact ids
    result = await api(document, variables(world), token=world.other_staff_token)

    # then nothing is found and nothing changed
    assert refusal(result, document)["code"] == "NOT_FOUND"
    assert await snapshot(world) == before

    # while this town's agent reaches the same ids
    allowed = await api(document, variables(world), token=world.staff_token)
    assert "errors" not in allowed, allowed["errors"]
    assert allowed["data"][field_of(document)].get("errors", []) == []


async def test_staff_lists_only_their_towns_files(api: GraphQL, world: World) -> None:
    # given a file in each town
    town_id = world.household_id
    other_id = encode_id("Household", world.other_household.id)

    # when the other town's agent lists or searches files, this town's never show
    for search in ("", world.household.name, world.household.reference, "Famille"):
        result = await api(HOUSEHOLDS, {"search": search}, token=world.other_staff_token)
        ids = {node["id"] for node in result["data"]["households"]["nodes"]}
        assert town_id not in ids, search
        assert ids <= {other_id}, search
        assert result["data"]["households"]["totalCount"] == len(ids)
    everything = await api(HOUSEHOLDS, {"search": ""}, token=world.other_staff_token)
    assert [n["id"] for n in everything["data"]["households"]["nodes"]] == [other_id]

    # and this town's agent sees their own two files, not the other town's
    mine = await api(HOUSEHOLDS, {"search": ""}, token=world.staff_token)
    listed = [node["id"] for node in mine["data"]["households"]["nodes"]]
    assert town_id in listed and other_id not in listed
    assert mine["data"]["households"]["totalCount"] == 2
