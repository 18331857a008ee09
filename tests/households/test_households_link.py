"""Opening a family file and linking parents' accounts to it with their access keys."""

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from gql.ids import decode_id, encode_id
from models.accounts import Account, AccountRole
from models.households import AccessKey, Guardian, Household
from models.tenants import Tenant
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL, Mailbox
from tests.factories import make_account, make_household, make_town, token_for

CREATE_HOUSEHOLD = """
mutation Create($input: CreateHouseholdInput!) {
  createHousehold(input: $input) {
    household {
      id reference name postalCode city
      guardians { id firstNames email hasAccount }
      children { firstNames birthDate }
    }
    errors { code field message }
  }
}
"""
ISSUE_KEY = """
mutation Issue($guardianId: ID!) {
  issueAccessKey(guardianId: $guardianId) {
    accessKey expiresAt mailedTo guardian { id firstNames }
    errors { code field message }
  }
}
"""
LINK = """
mutation Link($key: String!) {
  linkHousehold(accessKey: $key) { household { id name } errors { code field message } }
}
"""
ME = """
query {
  me {
    households { id name guardians { firstNames hasAccount } children { firstNames } }
  }
}
"""
HOUSEHOLD_GUARDIANS = """
query($id: ID!) { household(id: $id) { guardians { id firstNames email hasAccount } } }
"""

KEY_FORMAT = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")
Jobs = Callable[[], Awaitable[None]]


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@exemple.fr"


def household_input(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Famille Martin",
        "addressLine": "12 avenue Charles de Gaulle",
        "postalCode": "81100",
        "city": "Castres",
        "guardians": [
            {
                "civility": "MADAME",
                "lastName": "Martin",
                "firstNames": "Claire",
                "relationship": "Mère",
                "email": unique_email("claire"),
                "isPayer": True,
            },
            {
                "civility": "MONSIEUR",
                "lastName": "Martin",
                "firstNames": "Paul",
                "relationship": "Père",
                "email": unique_email("paul"),
            },
        ],
        "children": [
            {
                "lastName": "Martin",
                "firstNames": "Léa",
                "birthDate": "2018-03-14",
                "schoolClass": "CE1",
            },
            {
                "lastName": "Martin",
                "firstNames": "Hugo",
                "birthDate": "2016-09-02",
                "diet": "NO_PORK",
            },
        ],
        **overrides,
    }


async def staff_of(town: Tenant, clock: FrozenClock) -> tuple[Account, str]:
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    return staff, await token_for(staff, clock)


async def parent_of(town: Tenant, clock: FrozenClock) -> tuple[Account, str]:
    parent = await make_account(town, clock)
    return parent, await token_for(parent, clock)


async def guardian_ids(api: GraphQL, household: Household, staff_token: str) -> list[str]:
    result = await api(
        HOUSEHOLD_GUARDIANS, {"id": encode_id("Household", household.id)}, token=staff_token
    )
    return [g["id"] for g in result["data"]["household"]["guardians"]]


async def issue(api: GraphQL, guardian_id: str, staff_token: str) -> str:
    result = await api(ISSUE_KEY, {"guardianId": guardian_id}, token=staff_token)
    payload = result["data"]["issueAccessKey"]
    assert payload["errors"] == [], payload
    key: str = payload["accessKey"]
    return key


async def link(api: GraphQL, key: str, token: str) -> dict[str, Any]:
    result = await api(LINK, {"key": key}, token=token)
    payload: dict[str, Any] = result["data"]["linkHousehold"]
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def households_seen(api: GraphQL, token: str) -> list[dict[str, Any]]:
    result = await api(ME, token=token)
    households: list[dict[str, Any]] = result["data"]["me"]["households"]
    return households


# --- createHousehold ---------------------------------------------------------------------


async def test_staff_opens_a_family_file_with_a_generated_reference(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given an agent of the town
    town = await make_town()
    _, staff_token = await staff_of(town, clock)

    # when they open a file without typing a dossier number
    result = await api(CREATE_HOUSEHOLD, {"input": household_input()}, token=staff_token)

    # then the file exists with its guardians, its children (eldest first) and a reference
    payload = result["data"]["createHousehold"]
    assert payload["errors"] == []
    household = payload["household"]
    pk = decode_id(household["id"], "Household", field="id")
    assert re.fullmatch(r"F\d{6}", household["reference"])
    assert household["reference"] == f"F{pk:06d}"
    assert (household["name"], household["postalCode"], household["city"]) == (
        "Famille Martin",
        "81100",
        "Castres",
    )
    assert [g["firstNames"] for g in household["guardians"]] == ["Claire", "Paul"]
    assert [g["hasAccount"] for g in household["guardians"]] == [False, False]
    assert household["children"] == [
        {"firstNames": "Hugo", "birthDate": "2016-09-02"},
        {"firstNames": "Léa", "birthDate": "2018-03-14"},
    ]
    stored = await Household.get(id=pk)
    assert stored.tenant_id == town.id


async def test_staff_may_type_the_dossier_number(api: GraphQL, clock: FrozenClock) -> None:
    town = await make_town()
    _, staff_token = await staff_of(town, clock)
    result = await api(
        CREATE_HOUSEHOLD, {"input": household_input(reference=" DOS-2026-7 ")}, token=staff_token
    )
    assert result["data"]["createHousehold"]["errors"] == []
    assert result["data"]["createHousehold"]["household"]["reference"] == "DOS-2026-7"


async def test_name_and_a_guardian_are_required(api: GraphQL, clock: FrozenClock) -> None:
    # given an agent
    town = await make_town()
    _, staff_token = await staff_of(town, clock)

    # when the form has a blank name and no guardian
    result = await api(
        CREATE_HOUSEHOLD, {"input": household_input(name="  ", guardians=[])}, token=staff_token
    )

    # then both problems are reported at once and nothing is created
    payload = result["data"]["createHousehold"]
    assert payload["household"] is None
    assert {(e["code"], e["field"]) for e in payload["errors"]} == {
        ("REQUIRED", "name"),
        ("REQUIRED", "guardians"),
    }
    assert await Household.filter(tenant_id=town.id).count() == 0


async def test_a_dossier_number_is_unique_in_the_town(api: GraphQL, clock: FrozenClock) -> None:
    # given a file numbered DOS-42 in the town
    town, other_town = await make_town(), await make_town()
    _, staff_token = await staff_of(town, clock)
    first = await api(
        CREATE_HOUSEHOLD, {"input": household_input(reference="DOS-42")}, token=staff_token
    )
    assert first["data"]["createHousehold"]["errors"] == []

    # when another file is opened with the same number
    again = await api(
        CREATE_HOUSEHOLD, {"input": household_input(reference="DOS-42")}, token=staff_token
    )

    # then it is refused, while another town may use that number
    payload = again["data"]["createHousehold"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("REFERENCE_TAKEN", "reference")
    ]
    assert "DOS-42" in payload["errors"][0]["message"]
    assert payload["household"] is None
    assert await Household.filter(tenant_id=town.id).count() == 1
    _, other_staff_token = await staff_of(other_town, clock)
    elsewhere = await api(
        CREATE_HOUSEHOLD, {"input": household_input(reference="DOS-42")}, token=other_staff_token
    )
    assert elsewhere["data"]["createHousehold"]["errors"] == []


async def test_a_generated_reference_never_collides_with_a_typed_one(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a typed dossier number in the generated format, the one the next file would get
    town = await make_town()
    _, staff_token = await staff_of(town, clock)
    probe = await api(CREATE_HOUSEHOLD, {"input": household_input()}, token=staff_token)
    last_pk = decode_id(
        probe["data"]["createHousehold"]["household"]["id"], "Household", field="id"
    )
    typed = await api(
        CREATE_HOUSEHOLD,
        {"input": household_input(reference=f"F{last_pk + 2:06d}")},
        token=staff_token,
    )

    # when the next file is opened without a number
    generated = await api(CREATE_HOUSEHOLD, {"input": household_input()}, token=staff_token)

    # then the typed number in the reserved format was refused, and the next file opened
    assert [(e["code"], e["field"]) for e in typed["data"]["createHousehold"]["errors"]] == [
        ("INVALID", "reference")
    ]
    assert "errors" not in generated, generated["errors"]
    assert generated["data"]["createHousehold"]["errors"] == []
    assert generated["data"]["createHousehold"]["household"]["reference"].startswith("F")


# --- issueAccessKey ----------------------------------------------------------------------


async def test_an_access_key_is_mailed_to_the_guardian_and_shown_once(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Jobs
) -> None:
    # given a file whose first guardian has an e-mail
    town = await make_town(name="Ville de Castres-Test")
    _, staff_token = await staff_of(town, clock)
    created = await api(CREATE_HOUSEHOLD, {"input": household_input()}, token=staff_token)
    guardian = created["data"]["createHousehold"]["household"]["guardians"][0]

    # when the agent issues a key for her
    result = await api(ISSUE_KEY, {"guardianId": guardian["id"]}, token=staff_token)

    # then the agent sees the key this once, valid 90 days
    payload = result["data"]["issueAccessKey"]
    assert payload["errors"] == []
    key = payload["accessKey"]
    assert KEY_FORMAT.fullmatch(key), key
    assert payload["mailedTo"] == guardian["email"]
    assert payload["guardian"] == {"id": guardian["id"], "firstNames": "Claire"}
    assert payload["expiresAt"].startswith("2027-02-21T09:00:00")

    # and the guardian receives it by mail
    await run_jobs()
    [message] = mailbox.to(guardian["email"])
    assert (
        message["Subject"] == "Votre clé d'accès au dossier Famille Martin — Ville de Castres-Test"
    )
    text = Mailbox.text(message)
    assert key in text
    assert "Bonjour Claire" in text
    assert "21 février 2027" in text

    # and the database keeps only a digest: the key cannot be read back
    [stored] = await AccessKey.filter(
        guardian_id=decode_id(guardian["id"], "Guardian", field="guardianId")
    )
    assert key not in stored.key_hash
    assert stored.used_at is None


async def test_a_guardian_without_e_mail_gets_no_mail(api: GraphQL, clock: FrozenClock) -> None:
    town = await make_town()
    _, staff_token = await staff_of(town, clock)
    form = household_input(
        guardians=[
            {"civility": "MONSIEUR", "lastName": "Sans", "firstNames": "Courriel"},
        ]
    )
    created = await api(CREATE_HOUSEHOLD, {"input": form}, token=staff_token)
    [guardian] = created["data"]["createHousehold"]["household"]["guardians"]
    result = await api(ISSUE_KEY, {"guardianId": guardian["id"]}, token=staff_token)
    payload = result["data"]["issueAccessKey"]
    assert payload["errors"] == []
    assert KEY_FORMAT.fullmatch(payload["accessKey"])
    assert payload["mailedTo"] is None


# --- linkHousehold -----------------------------------------------------------------------


async def test_a_parent_links_with_the_key_typed_loosely(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Jobs
) -> None:
    # given a file with two children and a key mailed to its first guardian
    town = await make_town()
    staff, staff_token = await staff_of(town, clock)
    household = await make_household(staff, clock, children=2)
    [first_guardian, _] = await guardian_ids(api, household, staff_token)
    key = await issue(api, first_guardian, staff_token)
    await run_jobs()
    guardian = await Guardian.get(id=decode_id(first_guardian, "Guardian", field="id"))
    [message] = mailbox.to(guardian.email)
    mailed_key = re.search(r"\b\w{4}-\w{4}-\w{4}\b", Mailbox.text(message))
    assert mailed_key and mailed_key.group(0) == key

    # when the parent types it in lower case, with spaces instead of dashes
    parent, token = await parent_of(town, clock)
    typed = "  " + key.lower().replace("-", " ") + " "
    payload = await link(api, typed, token)

    # then the account is linked and the children show on the dashboard
    assert payload == {
        "household": {"id": encode_id("Household", household.id), "name": "Famille Test"},
        "errors": [],
    }
    [seen] = await households_seen(api, token)
    assert [c["firstNames"] for c in seen["children"]] == ["Enfant0", "Enfant1"]
    assert [g["hasAccount"] for g in seen["guardians"]] == [True, False]
    await guardian.refresh_from_db()
    assert guardian.account_id == parent.id
    [used] = await AccessKey.filter(guardian=guardian)
    assert used.used_at == clock.now()
    assert used.used_by_id == parent.id


async def test_the_key_may_be_typed_without_dashes(api: GraphQL, clock: FrozenClock) -> None:
    town = await make_town()
    staff, staff_token = await staff_of(town, clock)
    household = await make_household(staff, clock)
    [guardian, _] = await guardian_ids(api, household, staff_token)
    key = await issue(api, guardian, staff_token)
    _, token = await parent_of(town, clock)
    payload = await link(api, key.replace("-", "").lower(), token)
    assert payload["errors"] == []


async def test_a_wrong_key_is_refused(api: GraphQL, clock: FrozenClock) -> None:
    town = await make_town()
    _, token = await parent_of(town, clock)
    payload = await link(api, "ABCD-EFGH-JKMN", token)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("ACCESS_KEY_INVALID", "accessKey")
    ]
    assert payload["household"] is None
    assert await households_seen(api, token) == []


async def test_a_used_key_is_refused(api: GraphQL, clock: FrozenClock) -> None:
    # given a key already used by one parent
    town = await make_town()
    staff, staff_token = await staff_of(town, clock)
    household = await make_household(staff, clock)
    [guardian, _] = await guardian_ids(api, household, staff_token)
    key = await issue(api, guardian, staff_token)
    _, first_token = await parent_of(town, clock)
    assert (await link(api, key, first_token))["errors"] == []

    # when another account tries it
    _, other_token = await parent_of(town, clock)
    payload = await link(api, key, other_token)

    # then it is refused and that account sees no household
    assert codes(payload) == ["ACCESS_KEY_USED"]
    assert payload["household"] is None
    assert await households_seen(api, other_token) == []


async def test_a_key_expires_after_90_days(api: GraphQL, clock: FrozenClock) -> None:
    # given a key issued today
    town = await make_town()
    staff, staff_token = await staff_of(town, clock)
    household = await make_household(staff, clock)
    [guardian, _] = await guardian_ids(api, household, staff_token)
    key = await issue(api, guardian, staff_token)
    parent = await make_account(town, clock)

    # when the parent types it 90 days and one second later
    clock.advance(timedelta(days=90, seconds=1))
    token = await token_for(parent, clock)  # sessions do not last 90 days
    payload = await link(api, key, token)

    # then it has expired
    assert codes(payload) == ["ACCESS_KEY_EXPIRED"]
    assert "expiré" in payload["errors"][0]["message"]
    assert await households_seen(api, token) == []


async def test_a_key_still_works_on_its_last_second(api: GraphQL, clock: FrozenClock) -> None:
    town = await make_town()
    staff, staff_token = await staff_of(town, clock)
    household = await make_household(staff, clock)
    [guardian, _] = await guardian_ids(api, household, staff_token)
    key = await issue(api, guardian, staff_token)
    parent = await make_account(town, clock)
    clock.advance(timedelta(days=90, seconds=-1))
    token = await token_for(parent, clock)
    assert (await link(api, key, token))["errors"] == []


async def test_a_key_of_another_town_is_unknown_here(api: GraphQL, clock: FrozenClock) -> None:
    # given a valid key issued by another town
    town, other_town = await make_town(), await make_town()
    other_staff, other_staff_token = await staff_of(other_town, clock)
    household = await make_household(other_staff, clock)
    [guardian, _] = await guardian_ids(api, household, other_staff_token)
    key = await issue(api, guardian, other_staff_token)

    # when a parent of this town types it
    _, token = await parent_of(town, clock)
    payload = await link(api, key, token)

    # then it is not recognised (and it stays usable in its own town)
    assert codes(payload) == ["ACCESS_KEY_INVALID"]
    assert await households_seen(api, token) == []
    _, local_token = await parent_of(other_town, clock)
    assert (await link(api, key, local_token))["errors"] == []


async def test_issuing_a_new_key_retires_the_previous_one(api: GraphQL, clock: FrozenClock) -> None:
    # given a key the guardian lost, and a new one issued for her
    town = await make_town()
    staff, staff_token = await staff_of(town, clock)
    household = await make_household(staff, clock)
    [guardian, other_guardian] = await guardian_ids(api, household, staff_token)
    lost = await issue(api, guardian, staff_token)
    other_key = await issue(api, other_guardian, staff_token)
    clock.advance(timedelta(minutes=5))
    new = await issue(api, guardian, staff_token)
    assert new != lost

    # when the old key is typed, it no longer works
    _, token = await parent_of(town, clock)
    assert codes(await link(api, lost, token)) == ["ACCESS_KEY_EXPIRED"]

    # then the new one does, and the other guardian's key was not touched
    assert (await link(api, new, token))["errors"] == []
    _, other_token = await parent_of(town, clock)
    assert (await link(api, other_key, other_token))["errors"] == []


async def test_separated_parents_each_link_their_own_account(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a file with two guardians, each with their own key
    town = await make_town()
    staff, staff_token = await staff_of(town, clock)
    household = await make_household(staff, clock, children=3)
    [mother, father] = await guardian_ids(api, household, staff_token)
    mother_key = await issue(api, mother, staff_token)
    father_key = await issue(api, father, staff_token)

    # when each parent links their own account
    _, mother_token = await parent_of(town, clock)
    _, father_token = await parent_of(town, clock)
    assert (await link(api, mother_key, mother_token))["errors"] == []
    assert (await link(api, father_key, father_token))["errors"] == []

    # then both see the same household, its children, and both guardians with an account
    [seen_by_mother] = await households_seen(api, mother_token)
    [seen_by_father] = await households_seen(api, father_token)
    assert seen_by_mother == seen_by_father
    assert seen_by_mother["id"] == encode_id("Household", household.id)
    assert [c["firstNames"] for c in seen_by_mother["children"]] == [
        "Enfant0",
        "Enfant1",
        "Enfant2",
    ]
    assert [g["hasAccount"] for g in seen_by_mother["guardians"]] == [True, True]


async def test_a_parent_cannot_link_twice_to_the_same_household(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a parent linked as the first guardian
    town = await make_town()
    staff, staff_token = await staff_of(town, clock)
    household = await make_household(staff, clock)
    [mother, father] = await guardian_ids(api, household, staff_token)
    _, token = await parent_of(town, clock)
    assert (await link(api, await issue(api, mother, staff_token), token))["errors"] == []
    father_key = await issue(api, father, staff_token)

    # when she also types the second guardian's key
    payload = await link(api, father_key, token)

    # then it is refused, she is still one guardian, and the key stays usable by its owner
    assert codes(payload) == ["ALREADY_LINKED"]
    assert payload["household"] is None
    [seen] = await households_seen(api, token)
    assert [g["hasAccount"] for g in seen["guardians"]] == [True, False]
    _, father_token = await parent_of(town, clock)
    assert (await link(api, father_key, father_token))["errors"] == []


async def test_a_guardian_linked_to_an_account_cannot_be_taken_over(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given the first guardian already linked to an account
    town = await make_town()
    staff, staff_token = await staff_of(town, clock)
    household = await make_household(staff, clock)
    [mother, _] = await guardian_ids(api, household, staff_token)
    first, first_token = await parent_of(town, clock)
    assert (await link(api, await issue(api, mother, staff_token), first_token))["errors"] == []

    # when a new key for that guardian is typed by someone else
    second_key = await issue(api, mother, staff_token)
    _, other_token = await parent_of(town, clock)
    payload = await link(api, second_key, other_token)

    # then it is refused and the guardian keeps its account
    assert codes(payload) == ["ALREADY_LINKED"]
    assert await households_seen(api, other_token) == []
    guardian = await Guardian.get(id=decode_id(mother, "Guardian", field="id"))
    assert guardian.account_id == first.id


async def test_a_staff_account_cannot_link_itself_as_a_guardian(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_town()
    staff, staff_token = await staff_of(town, clock)
    household = await make_household(staff, clock)
    key = await issue(api, (await guardian_ids(api, household, staff_token))[0], staff_token)

    result = await link(api, key, staff_token)

    assert codes(result) == ["FORBIDDEN"]
    guardian = await Guardian.filter(household=household).order_by("id").first()
    assert guardian is not None and guardian.account_id is None


async def test_a_value_longer_than_its_column_is_invalid_and_nothing_is_written(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given an agent (the schema's fuzz test found this: a masked error before)
    town = await make_town()
    _, staff_token = await staff_of(town, clock)

    # when the postal code is twenty characters long
    result = await api(
        CREATE_HOUSEHOLD, {"input": household_input(postalCode="8" * 20)}, token=staff_token
    )

    # then it is INVALID, naming the field, and no file was opened
    payload = result["data"]["createHousehold"]
    assert payload["household"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "postalCode")
    assert "20 caractères, 10 au plus" in error["message"]
    assert await Household.filter(tenant_id=town.id).count() == 0
