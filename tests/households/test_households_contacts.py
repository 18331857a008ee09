"""A linked parent keeps the family file up to date; every change shows as a request."""

from dataclasses import dataclass
from typing import Any

from gql.ids import encode_id
from models.accounts import Account, AccountRole
from models.households import Contact, ContactKind, Guardian, Household
from models.requests import Request
from resolvers.core.clock import FrozenClock
from resolvers.households.households import issue_access_key, link_household
from tests.conftest import GraphQL
from tests.factories import make_account, make_household, make_town, token_for

UPDATE_DETAILS = """
mutation Details($id: ID!, $input: ContactDetailsInput!) {
  updateContactDetails(householdId: $id, input: $input) {
    household {
      addressLine addressComplement postalCode city
      guardians { firstNames email phoneMobile phoneWork hasAccount }
    }
    errors { code field message }
  }
}
"""
ADD_CONTACT = """
mutation Add($id: ID!, $input: ContactInput!) {
  addContact(householdId: $id, input: $input) {
    contact { id kind lastName firstNames relationship phone notes }
    errors { code field message }
  }
}
"""
UPDATE_CONTACT = """
mutation Update($id: ID!, $input: ContactInput!) {
  updateContact(contactId: $id, input: $input) {
    contact { id kind lastName firstNames relationship phone notes }
    errors { code field message }
  }
}
"""
REMOVE_CONTACT = """
mutation Remove($id: ID!) {
  removeContact(contactId: $id) { contact { id } errors { code field message } }
}
"""
CONTACTS = "query($id: ID!) { household(id: $id) { contacts { id kind lastName phone } } }"
REQUESTS = """
query($id: ID!, $first: Int, $after: String) {
  household(id: $id) {
    requests(first: $first, after: $after) {
      nodes { id kind status summary history { status comment } }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
}
"""

DOCTOR = {
    "kind": "DOCTOR",
    "lastName": "Durand",
    "firstNames": "Anne",
    "phone": "05 63 71 00 00",
    "notes": "Cabinet place Jean Jaurès",
}
GRANDMOTHER = {
    "kind": "AUTHORISED_PICKUP",
    "lastName": "Bernard",
    "firstNames": "Josette",
    "relationship": "Grand-mère",
    "phone": "06 12 34 56 78",
}
COMPLETED_HISTORY = [
    {"status": "SUBMITTED", "comment": ""},
    {"status": "COMPLETED", "comment": "Traitée automatiquement"},
]


@dataclass
class Family:
    household: Household
    household_id: str
    guardian: Guardian
    parent: Account
    token: str


async def linked_family(clock: FrozenClock) -> Family:
    """A file opened by an agent, its first guardian linked to a parent's account."""
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    household = await make_household(staff, clock, children=2)
    guardian = await Guardian.filter(household=household).order_by("id").first()
    assert guardian is not None
    issued = await issue_access_key(guardian.id, actor=staff, clock=clock)
    parent = await make_account(town, clock)
    await link_household(parent, issued.key, clock=clock)
    await guardian.refresh_from_db()
    return Family(
        household,
        encode_id("Household", household.id),
        guardian,
        parent,
        await token_for(parent, clock),
    )


async def requests_page(
    api: GraphQL, family: Family, *, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    result = await api(
        REQUESTS, {"id": family.household_id, "first": first, "after": after}, token=family.token
    )
    assert "errors" not in result, result["errors"]
    page: dict[str, Any] = result["data"]["household"]["requests"]
    return page


def errors_of(payload: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(error["code"], error["field"]) for error in payload["errors"]}


async def test_parent_updates_the_address_and_their_own_details(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a parent linked as the first guardian of a file
    family = await linked_family(clock)
    other = await Guardian.filter(household=family.household).exclude(id=family.guardian.id)
    [other_guardian] = other

    # when she moves and changes her phone and e-mail
    result = await api(
        UPDATE_DETAILS,
        {
            "id": family.household_id,
            "input": {
                "addressLine": " 3 impasse des Lilas ",
                "postalCode": "81200",
                "city": "Mazamet",
                "phoneMobile": "06 98 76 54 32",
                "email": "nouvelle.adresse@exemple.fr",
            },
        },
        token=family.token,
    )

    # then the household has the new address and only her guardian record changed
    payload = result["data"]["updateContactDetails"]
    assert payload["errors"] == []
    household = payload["household"]
    assert (
        household["addressLine"],
        household["addressComplement"],
        household["postalCode"],
        household["city"],
    ) == ("3 impasse des Lilas", "", "81200", "Mazamet")
    [mine, theirs] = household["guardians"]
    assert (mine["email"], mine["phoneMobile"], mine["hasAccount"]) == (
        "nouvelle.adresse@exemple.fr",
        "06 98 76 54 32",
        True,
    )
    assert (theirs["email"], theirs["phoneMobile"]) == (other_guardian.email, "")
    stored = await Household.get(id=family.household.id)
    assert (stored.address_line, stored.postal_code, stored.city) == (
        "3 impasse des Lilas",
        "81200",
        "Mazamet",
    )

    # and the change is a completed request
    page = await requests_page(api, family)
    assert page["totalCount"] == 1
    [request] = page["nodes"]
    assert (request["kind"], request["status"], request["summary"]) == (
        "CONTACT_DETAILS_UPDATE",
        "COMPLETED",
        "Mise à jour des coordonnées",
    )
    assert request["history"] == COMPLETED_HISTORY


async def test_confirming_details_without_change_is_recorded(
    api: GraphQL, clock: FrozenClock
) -> None:
    family = await linked_family(clock)
    result = await api(
        UPDATE_DETAILS,
        {"id": family.household_id, "input": {"postalCode": "81100", "city": "Castres"}},
        token=family.token,
    )
    assert result["data"]["updateContactDetails"]["errors"] == []
    [request] = (await requests_page(api, family))["nodes"]
    assert request["summary"] == "Coordonnées confirmées sans changement"


async def test_invalid_postal_code_changes_nothing(api: GraphQL, clock: FrozenClock) -> None:
    # given a linked parent
    family = await linked_family(clock)

    # when she types a four-digit postal code along with a new city
    result = await api(
        UPDATE_DETAILS,
        {"id": family.household_id, "input": {"postalCode": "8120", "city": "Mazamet"}},
        token=family.token,
    )

    # then the postal code is reported and nothing is saved nor recorded
    payload = result["data"]["updateContactDetails"]
    assert errors_of(payload) == {("INVALID", "postalCode")}
    assert payload["household"] is None
    stored = await Household.get(id=family.household.id)
    assert (stored.postal_code, stored.city) == ("81100", "Castres")
    assert (await requests_page(api, family))["totalCount"] == 0


async def test_invalid_e_mail_is_reported(api: GraphQL, clock: FrozenClock) -> None:
    family = await linked_family(clock)
    result = await api(
        UPDATE_DETAILS,
        {"id": family.household_id, "input": {"email": "pas-une-adresse"}},
        token=family.token,
    )
    assert errors_of(result["data"]["updateContactDetails"]) == {("INVALID", "email")}
    await family.guardian.refresh_from_db()
    assert family.guardian.email != "pas-une-adresse"


async def test_contact_lifecycle_is_recorded_as_requests(api: GraphQL, clock: FrozenClock) -> None:
    # given a linked parent
    family = await linked_family(clock)

    # when she adds the doctor and the grandmother, corrects the doctor, then removes her
    added = await api(ADD_CONTACT, {"id": family.household_id, "input": DOCTOR}, token=family.token)
    payload = added["data"]["addContact"]
    assert payload["errors"] == []
    doctor = payload["contact"]
    assert {k: doctor[k] for k in DOCTOR} == DOCTOR
    assert doctor["relationship"] == ""
    grandmother = await api(
        ADD_CONTACT, {"id": family.household_id, "input": GRANDMOTHER}, token=family.token
    )
    assert grandmother["data"]["addContact"]["errors"] == []

    corrected = {**DOCTOR, "lastName": "Durand-Lefèvre", "phone": "05 63 71 11 11"}
    updated = await api(
        UPDATE_CONTACT, {"id": doctor["id"], "input": corrected}, token=family.token
    )
    assert updated["data"]["updateContact"]["errors"] == []
    assert updated["data"]["updateContact"]["contact"]["id"] == doctor["id"]
    assert updated["data"]["updateContact"]["contact"]["lastName"] == "Durand-Lefèvre"
    contacts = await api(CONTACTS, {"id": family.household_id}, token=family.token)
    assert [(c["lastName"], c["phone"]) for c in contacts["data"]["household"]["contacts"]] == [
        ("Durand-Lefèvre", "05 63 71 11 11"),
        ("Bernard", "06 12 34 56 78"),
    ]

    removed = await api(REMOVE_CONTACT, {"id": doctor["id"]}, token=family.token)
    assert removed["data"]["removeContact"] == {"contact": None, "errors": []}

    # then only the grandmother is left
    contacts = await api(CONTACTS, {"id": family.household_id}, token=family.token)
    assert [c["lastName"] for c in contacts["data"]["household"]["contacts"]] == ["Bernard"]

    # and each change is a completed request, newest first
    page = await requests_page(api, family, first=10)
    assert page["totalCount"] == 4
    assert page["pageInfo"]["hasNextPage"] is False
    assert [(r["kind"], r["status"], r["summary"]) for r in page["nodes"]] == [
        ("CONTACT_REMOVE", "COMPLETED", "Suppression du contact Anne Durand-Lefèvre (médecin)"),
        ("CONTACT_UPDATE", "COMPLETED", "Modification du contact Anne Durand-Lefèvre (médecin)"),
        (
            "CONTACT_ADD",
            "COMPLETED",
            "Ajout du contact Josette Bernard (personne autorisée à récupérer les enfants)",
        ),
        ("CONTACT_ADD", "COMPLETED", "Ajout du contact Anne Durand (médecin)"),
    ]
    assert all(r["history"] == COMPLETED_HISTORY for r in page["nodes"])
    submitted_by_parent = Request.filter(household=family.household, submitted_by=family.parent)
    assert await submitted_by_parent.count() == 4


async def test_contact_form_errors_are_reported_at_once(api: GraphQL, clock: FrozenClock) -> None:
    # given a linked parent with a doctor on file
    family = await linked_family(clock)
    added = await api(ADD_CONTACT, {"id": family.household_id, "input": DOCTOR}, token=family.token)
    doctor_id = added["data"]["addContact"]["contact"]["id"]

    # when a contact has nine digits, or no last name, or both
    short_phone = {**GRANDMOTHER, "phone": "06 12 34 56 7"}
    no_name = {**GRANDMOTHER, "lastName": "  "}
    both = {**GRANDMOTHER, "lastName": "", "phone": "06-12"}
    results = [
        (
            await api(
                ADD_CONTACT, {"id": family.household_id, "input": short_phone}, token=family.token
            )
        )["data"]["addContact"],
        (await api(ADD_CONTACT, {"id": family.household_id, "input": no_name}, token=family.token))[
            "data"
        ]["addContact"],
        (await api(ADD_CONTACT, {"id": family.household_id, "input": both}, token=family.token))[
            "data"
        ]["addContact"],
        (await api(UPDATE_CONTACT, {"id": doctor_id, "input": short_phone}, token=family.token))[
            "data"
        ]["updateContact"],
        (await api(UPDATE_CONTACT, {"id": doctor_id, "input": no_name}, token=family.token))[
            "data"
        ]["updateContact"],
    ]

    # then each form is refused with its field errors, and nothing changed
    assert [errors_of(payload) for payload in results] == [
        {("INVALID", "phone")},
        {("REQUIRED", "lastName")},
        {("INVALID", "phone"), ("REQUIRED", "lastName")},
        {("INVALID", "phone")},
        {("REQUIRED", "lastName")},
    ]
    assert all(payload["contact"] is None for payload in results)
    [doctor] = await Contact.filter(household=family.household)
    assert (doctor.kind, doctor.last_name, doctor.phone) == (
        ContactKind.DOCTOR,
        "Durand",
        "05 63 71 00 00",
    )
    assert (await requests_page(api, family))["totalCount"] == 1


async def test_requests_are_paginated_newest_first(api: GraphQL, clock: FrozenClock) -> None:
    # given five requests
    family = await linked_family(clock)
    for index in range(5):
        contact = {**GRANDMOTHER, "lastName": f"Voisin{index}"}
        added = await api(
            ADD_CONTACT, {"id": family.household_id, "input": contact}, token=family.token
        )
        assert added["data"]["addContact"]["errors"] == []

    # when they are read two at a time
    pages = []
    after = None
    while True:
        page = await requests_page(api, family, first=2, after=after)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert len(pages) < 5, "pagination does not end"

    # then three pages come, newest first, without duplicates
    assert [len(page["nodes"]) for page in pages] == [2, 2, 1]
    assert [page["totalCount"] for page in pages] == [5, 5, 5]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
    ids = [node["id"] for page in pages for node in page["nodes"]]
    assert len(set(ids)) == 5
    summaries = [node["summary"] for page in pages for node in page["nodes"]]
    assert summaries == [
        f"Ajout du contact Josette Voisin{index} (personne autorisée à récupérer les enfants)"
        for index in (4, 3, 2, 1, 0)
    ]

    # and the page after the last one is empty
    last = await requests_page(api, family, first=2, after=pages[-1]["pageInfo"]["endCursor"])
    assert last["nodes"] == []
    assert last["pageInfo"] == {"hasNextPage": False, "endCursor": None}


async def test_a_bad_cursor_is_an_invalid_argument(api: GraphQL, clock: FrozenClock) -> None:
    family = await linked_family(clock)
    for after in ("pas-un-curseur", family.household_id):  # garbage, and an id of another type
        result = await api(
            REQUESTS, {"id": family.household_id, "first": 2, "after": after}, token=family.token
        )
        [error] = result["errors"]
        assert error["extensions"]["code"] == "INVALID"
        assert error["extensions"]["field"] == "after"
        assert error["message"] == "Identifiant invalide."
