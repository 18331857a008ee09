"""What the seeds' sign-up form asks beyond the login (birth date and place, preferred contact
channel), « Dernière connexion le … », and changing the login e-mail by a mailed link."""

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx

from models.accounts import Account
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL, Mailbox
from tests.factories import PASSWORD, make_account, make_town, token_for

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    account { email birthDate birthCity birthDepartment birthCountry preferredContact }
    errors { code field message }
  }
}
"""
UPDATE = """
mutation Update($input: AccountDetailsInput!) {
  updateAccountDetails(input: $input) {
    account { birthDate birthCity preferredContact phoneMobile }
    errors { code field message }
  }
}
"""
LOGIN = """
mutation Login($town: String!, $email: String!, $password: String!) {
  login(input: {town: $town, email: $email, password: $password}) { token errors { code } }
}
"""
SIGN_INS = "query { me { previousSignInAt previousSignInLabel } }"
REQUEST_CHANGE = """
mutation Change($email: String!) {
  requestEmailChange(newEmail: $email) { ok message errors { code field message } }
}
"""
CONFIRM_CHANGE = """
mutation Confirm($token: String!) {
  confirmEmailChange(token: $token) { account { email } errors { code message } }
}
"""


def sign_up(town: str, **overrides: Any) -> dict[str, Any]:
    return {
        "town": town,
        "email": f"parent-{uuid.uuid4().hex[:8]}@exemple.fr",
        "password": "Secret2026",
        "civility": "MADAME",
        "lastName": "Toulemonde",
        "firstNames": "Jacqueline",
        "acceptCgu": True,
        "addressLine": "14 boulevard Jacques Duclos",
        "postalCode": "40220",
        "city": "Tarnos",
        **overrides,
    }


# --- sign-up and the parent's own details -------------------------------------------------


async def test_sign_up_keeps_birth_date_place_and_preferred_contact(api: GraphQL) -> None:
    town = await make_town()
    form = sign_up(
        town.slug,
        birthDate="1980-05-02",
        birthCity="Bayonne",
        birthDepartment="Pyrénées-Atlantiques",
        birthCountry="FRANCE",
        preferredContact="SMS",
        phoneMobile="0534258615",
    )

    payload = (await api(REGISTER, {"input": form}))["data"]["register"]

    assert payload["errors"] == []
    assert payload["account"] == {
        "email": form["email"],
        "birthDate": "1980-05-02",
        "birthCity": "Bayonne",
        "birthDepartment": "Pyrénées-Atlantiques",
        "birthCountry": "FRANCE",
        "preferredContact": "SMS",
    }


async def test_sign_up_without_them_defaults_to_email(api: GraphQL) -> None:
    town = await make_town()

    payload = (await api(REGISTER, {"input": sign_up(town.slug)}))["data"]["register"]

    assert payload["account"]["preferredContact"] == "EMAIL"
    assert payload["account"]["birthDate"] is None


async def test_sign_up_refuses_a_future_birth_date_and_sms_without_a_mobile(
    api: GraphQL,
) -> None:
    town = await make_town()
    form = sign_up(town.slug, birthDate="2030-01-01", preferredContact="SMS")

    payload = (await api(REGISTER, {"input": form}))["data"]["register"]

    assert payload["account"] is None
    assert {(e["code"], e["field"]) for e in payload["errors"]} == {
        ("INVALID", "birthDate"),
        ("REQUIRED", "phoneMobile"),
    }
    assert not await Account.exists(tenant=town)


async def test_a_parent_updates_their_details(api: GraphQL, clock: FrozenClock) -> None:
    town = await make_town()
    token = await token_for(await make_account(town, clock), clock)

    refused = (await api(UPDATE, {"input": {"preferredContact": "SMS"}}, token=token))["data"]
    assert refused["updateAccountDetails"]["errors"][0]["field"] == "phoneMobile"
    done = await api(
        UPDATE,
        {
            "input": {
                "birthDate": "1979-12-31",
                "birthCity": "Castres",
                "preferredContact": "SMS",
                "phoneMobile": "0612345678",
            }
        },
        token=token,
    )
    assert done["data"]["updateAccountDetails"] == {
        "account": {
            "birthDate": "1979-12-31",
            "birthCity": "Castres",
            "preferredContact": "SMS",
            "phoneMobile": "0612345678",
        },
        "errors": [],
    }
    cleared = await api(UPDATE, {"input": {"birthDate": None}}, token=token)
    assert cleared["data"]["updateAccountDetails"]["account"]["birthDate"] is None
    anonymous = await api(UPDATE, {"input": {"birthCity": "Albi"}})
    assert anonymous["data"]["updateAccountDetails"]["errors"][0]["code"] == "NOT_AUTHENTICATED"


# --- « Dernière connexion le … » -----------------------------------------------------------


async def test_the_previous_sign_in_is_shown_in_the_towns_time_zone(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)
    variables = {"town": town.slug, "email": parent.email, "password": PASSWORD}

    first = (await api(LOGIN, variables))["data"]["login"]["token"]
    assert (await api(SIGN_INS, token=first))["data"]["me"] == {
        "previousSignInAt": None,
        "previousSignInLabel": "Première connexion",
    }
    clock.advance(timedelta(days=1, hours=8, minutes=5))  # 24/11/2026 17:05 UTC
    second = (await api(LOGIN, variables))["data"]["login"]["token"]

    me = (await api(SIGN_INS, token=second))["data"]["me"]
    assert me["previousSignInAt"] == "2026-11-23T09:00:00+00:00"
    assert me["previousSignInLabel"] == "Dernière connexion le lundi 23 novembre 2026 à 10h00"
    # The first session still sees the sign-in before it: none.
    assert (await api(SIGN_INS, token=first))["data"]["me"]["previousSignInAt"] is None


# --- changing the login e-mail ---------------------------------------------------------------


def change_link(mailbox: Mailbox, address: str) -> str:
    [message] = mailbox.to(address)
    match = re.search(r"http://famille\.test(/adresse-email/\S+)", Mailbox.text(message))
    assert match, Mailbox.text(message)
    return match.group(1)


async def test_the_login_email_changes_once_the_new_address_confirms(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)
    old = parent.email
    token = await token_for(parent, clock)
    new = f"nouvelle-{uuid.uuid4().hex[:6]}@exemple.fr"

    asked = (await api(REQUEST_CHANGE, {"email": new.upper()}, token=token))["data"]
    assert asked["requestEmailChange"]["ok"] is True
    await run_jobs()
    link = change_link(mailbox, new)
    # Not yet: the old address still logs in, the new one does not.
    assert (await Account.get(id=parent.id)).email == old

    page = await http.get(link)
    assert page.status_code == 200 and (await Account.get(id=parent.id)).email == old
    confirmed = await http.post(link)
    assert confirmed.status_code == 200 and new in confirmed.text

    assert (await Account.get(id=parent.id)).email == new
    await run_jobs()
    [told] = mailbox.to(old)
    assert new in Mailbox.text(told)
    assert (await api("query { me { email } }", token=token))["data"]["me"]["email"] == new
    again = (await api(CONFIRM_CHANGE, {"token": link.rsplit("/", 1)[1]}))["data"]
    assert again["confirmEmailChange"]["errors"][0]["code"] == "TOKEN_USED"
    logged = (await api(LOGIN, {"town": town.slug, "email": new, "password": PASSWORD}))["data"][
        "login"
    ]
    assert logged["errors"] == []


async def test_an_email_change_is_refused_when_the_address_is_taken_or_invalid(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)
    neighbour = await make_account(town, clock)
    token = await token_for(parent, clock)

    answers = {
        email: (await api(REQUEST_CHANGE, {"email": email}, token=token))["data"][
            "requestEmailChange"
        ]["errors"][0]["code"]
        for email in (neighbour.email, "pas-une-adresse", parent.email)
    }

    assert answers == {
        neighbour.email: "EMAIL_TAKEN",
        "pas-une-adresse": "EMAIL_INVALID",
        parent.email: "INVALID",
    }
    anonymous = await api(REQUEST_CHANGE, {"email": "x@exemple.fr"})
    assert anonymous["data"]["requestEmailChange"]["errors"][0]["code"] == "NOT_AUTHENTICATED"


async def test_an_address_taken_meanwhile_or_a_late_link_changes_nothing(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)
    token = await token_for(parent, clock)
    new = f"convoitee-{uuid.uuid4().hex[:6]}@exemple.fr"
    await api(REQUEST_CHANGE, {"email": new}, token=token)
    await run_jobs()
    first = change_link(mailbox, new).rsplit("/", 1)[1]

    await make_account(town, clock, email=new)  # someone signs up with it meanwhile
    taken = (await api(CONFIRM_CHANGE, {"token": first}))["data"]["confirmEmailChange"]
    assert taken["errors"][0]["code"] == "EMAIL_TAKEN"

    later = f"tardive-{uuid.uuid4().hex[:6]}@exemple.fr"
    await api(REQUEST_CHANGE, {"email": later}, token=token)
    await run_jobs()
    second = change_link(mailbox, later).rsplit("/", 1)[1]
    clock.advance(timedelta(hours=25))
    late = (await api(CONFIRM_CHANGE, {"token": second}))["data"]["confirmEmailChange"]
    assert late["errors"][0]["code"] == "TOKEN_EXPIRED"
    assert (await Account.get(id=parent.id)).email == parent.email
