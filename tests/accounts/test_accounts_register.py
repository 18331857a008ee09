"""Sign-up: the form's failure paths, and the whole journey from the mail to the children."""

import re
import uuid
from datetime import timedelta
from typing import Any

from models.accounts import Account, AccountRole
from tests.conftest import GraphQL, Mailbox
from tests.factories import make_account, make_household, make_town, token_for

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    account { id email activatedAt town { slug } }
    errors { code field message }
  }
}
"""
LOGIN = """
mutation Login($town: String!, $email: String!, $password: String!) {
  login(input: {town: $town, email: $email, password: $password}) {
    token
    errors { code message }
  }
}
"""
ACTIVATE = """
mutation Activate($token: String!) {
  activateAccount(token: $token) { account { email activatedAt } errors { code message } }
}
"""
ISSUE_KEY = """
mutation Issue($guardianId: ID!) {
  issueAccessKey(guardianId: $guardianId) { accessKey mailedTo errors { code message } }
}
"""
LINK = """
mutation Link($key: String!) {
  linkHousehold(accessKey: $key) { household { name } errors { code message } }
}
"""
ME = """
query {
  me {
    email
    households { name guardians { firstNames hasAccount } children { firstNames birthDate } }
  }
}
"""
HOUSEHOLD_GUARDIANS = "query($id: ID!) { household(id: $id) { guardians { id firstNames } } }"


def form(town: str, **overrides: Any) -> dict[str, Any]:
    return {
        "town": town,
        "email": "Marie.Dupont@Exemple.fr",
        "password": "soleil2026",
        "civility": "MADAME",
        "lastName": "Dupont",
        "firstNames": "Marie",
        "acceptCgu": True,
        "addressLine": "4 rue des Écoles",
        "postalCode": "81100",
        "city": "Castres",
        **overrides,
    }


def activation_token(mailbox: Mailbox, address: str) -> str:
    [message] = mailbox.to(address)
    match = re.search(r"http://famille\.test/activation/(\S+)", Mailbox.text(message))
    assert match, Mailbox.text(message)
    return match.group(1)


async def test_parent_journey_from_sign_up_to_children(
    api: GraphQL, http: Any, mailbox: Mailbox, run_jobs: Any, clock: Any
) -> None:
    # given a town whose agent opened a family file for the Dupont family
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    household = await make_household(staff, clock, children=2)
    staff_token = await token_for(staff, clock)

    # when Marie signs up, the activation mail arrives and she follows its link
    result = await api(REGISTER, {"input": form(town.slug)})
    assert result["data"]["register"]["errors"] == []
    assert result["data"]["register"]["account"]["email"] == "marie.dupont@exemple.fr"
    assert result["data"]["register"]["account"]["activatedAt"] is None
    await run_jobs()
    [message] = mailbox.to("marie.dupont@exemple.fr")
    assert message["Subject"] == f"Activez votre espace famille — {town.name}"
    link = f"/activation/{activation_token(mailbox, 'marie.dupont@exemple.fr')}"
    page = await http.post(link)
    assert page.status_code == 200
    assert "Votre espace est activé" in page.text

    # and logs in, then links her account with the key the agent issued
    login = await api(
        LOGIN, {"town": town.slug, "email": "marie.dupont@exemple.fr", "password": "soleil2026"}
    )
    token = login["data"]["login"]["token"]
    assert token
    from gql.ids import encode_id

    guardians = await api(
        HOUSEHOLD_GUARDIANS, {"id": encode_id("Household", household.id)}, token=staff_token
    )
    guardian_id = guardians["data"]["household"]["guardians"][0]["id"]
    issued = await api(ISSUE_KEY, {"guardianId": guardian_id}, token=staff_token)
    key = issued["data"]["issueAccessKey"]["accessKey"]
    linked = await api(LINK, {"key": key.lower().replace("-", " ")}, token=token)
    assert linked["data"]["linkHousehold"] == {"household": {"name": "Famille Test"}, "errors": []}

    # then she sees her household and its children
    me = await api(ME, token=token)
    [seen] = me["data"]["me"]["households"]
    assert [c["firstNames"] for c in seen["children"]] == ["Enfant0", "Enfant1"]
    assert [g["hasAccount"] for g in seen["guardians"]] == [True, False]


async def test_form_errors_are_all_reported_at_once(api: GraphQL) -> None:
    town = await make_town()
    result = await api(
        REGISTER,
        {
            "input": form(
                town.slug,
                email="pas-une-adresse",
                password="court",
                acceptCgu=False,
                lastName=" ",
                postalCode="811",
            )
        },
    )
    errors = result["data"]["register"]["errors"]
    assert {(e["code"], e["field"]) for e in errors} == {
        ("CGU_NOT_ACCEPTED", "acceptCgu"),
        ("EMAIL_INVALID", "email"),
        ("REQUIRED", "lastName"),
        ("INVALID", "postalCode"),
        ("PASSWORD_TOO_WEAK", "password"),
    }
    weak = next(e for e in errors if e["code"] == "PASSWORD_TOO_WEAK")
    assert weak["message"] == "Le mot de passe doit contenir au moins 8 caractères, un chiffre."
    assert result["data"]["register"]["account"] is None


async def test_password_policy_is_the_towns(api: GraphQL) -> None:
    strict = await make_town(password_requires_uppercase=True)
    result = await api(REGISTER, {"input": form(strict.slug, password="soleil2026")})
    [error] = result["data"]["register"]["errors"]
    assert error["code"] == "PASSWORD_TOO_WEAK"
    assert "une lettre majuscule" in error["message"]
    ok = await api(REGISTER, {"input": form(strict.slug, password="Soleil2026")})
    assert ok["data"]["register"]["errors"] == []


async def test_duplicate_email_is_refused_in_the_same_town_only(api: GraphQL) -> None:
    town, other_town = await make_town(), await make_town()
    await api(REGISTER, {"input": form(town.slug)})
    again = await api(REGISTER, {"input": form(town.slug, email="MARIE.dupont@exemple.fr")})
    assert [e["code"] for e in again["data"]["register"]["errors"]] == ["EMAIL_TAKEN"]
    elsewhere = await api(REGISTER, {"input": form(other_town.slug)})
    assert elsewhere["data"]["register"]["errors"] == []


async def test_unknown_town(api: GraphQL) -> None:
    result = await api(REGISTER, {"input": form("atlantide")})
    [error] = result["data"]["register"]["errors"]
    assert (error["code"], error["field"]) == ("UNKNOWN_TOWN", "town")


async def test_login_is_refused_until_activation(api: GraphQL) -> None:
    town = await make_town()
    await api(REGISTER, {"input": form(town.slug)})
    login = await api(
        LOGIN, {"town": town.slug, "email": "marie.dupont@exemple.fr", "password": "soleil2026"}
    )
    [error] = login["data"]["login"]["errors"]
    assert error["code"] == "ACCOUNT_NOT_ACTIVATED"
    assert login["data"]["login"]["token"] is None


async def test_activation_link_is_single_use(api: GraphQL, mailbox: Mailbox, run_jobs: Any) -> None:
    town = await make_town()
    address = f"unique-{town.slug}@exemple.fr"
    await api(REGISTER, {"input": form(town.slug, email=address)})
    await run_jobs()
    token = activation_token(mailbox, address)
    first = await api(ACTIVATE, {"token": token})
    assert first["data"]["activateAccount"]["errors"] == []
    second = await api(ACTIVATE, {"token": token})
    assert [e["code"] for e in second["data"]["activateAccount"]["errors"]] == ["TOKEN_USED"]


async def test_activation_link_expires(
    api: GraphQL, mailbox: Mailbox, run_jobs: Any, clock: Any
) -> None:
    town = await make_town()
    address = f"late-{town.slug}@exemple.fr"
    await api(REGISTER, {"input": form(town.slug, email=address)})
    await run_jobs()
    clock.advance(timedelta(hours=72, seconds=1))
    result = await api(ACTIVATE, {"token": activation_token(mailbox, address)})
    [error] = result["data"]["activateAccount"]["errors"]
    assert error["code"] == "TOKEN_EXPIRED"
    assert "expiré" in error["message"]


async def test_forged_activation_token(api: GraphQL, http: Any) -> None:
    result = await api(ACTIVATE, {"token": "invente-de-toutes-pieces"})
    assert [e["code"] for e in result["data"]["activateAccount"]["errors"]] == ["TOKEN_INVALID"]
    page = await http.post("/activation/invente-de-toutes-pieces")
    assert page.status_code == 400
    assert "n'est pas valide" in page.text


async def test_following_the_activation_link_only_shows_a_button_that_posts(
    api: GraphQL, http: Any, mailbox: Mailbox, run_jobs: Any
) -> None:
    """Mail scanners open links (GET) before the parent does: that must not use the link."""
    # given a parent who registered
    town = await make_town()
    address = f"scanne-{uuid.uuid4().hex[:8]}@exemple.fr"
    result = await api(REGISTER, {"input": form(town.slug, email=address)})
    assert result["data"]["register"]["errors"] == []
    await run_jobs()
    link = f"/activation/{activation_token(mailbox, address)}"

    # when a scanner opens the link, twice
    for _ in range(2):
        page = await http.get(link)

        # then it gets a page whose button posts to the same link, and nothing is activated
        assert page.status_code == 200
        assert '<form method="post">' in page.text
        assert "Activer mon espace" in page.text
    assert (await Account.get(tenant_id=town.id, email=address)).activated_at is None
    login = await api(LOGIN, {"town": town.slug, "email": address, "password": "soleil2026"})
    assert [e["code"] for e in login["data"]["login"]["errors"]] == ["ACCOUNT_NOT_ACTIVATED"]

    # and the parent's click (the POST) activates the account, once
    page = await http.post(link)
    assert page.status_code == 200
    assert "Votre espace est activé" in page.text
    assert (await Account.get(tenant_id=town.id, email=address)).activated_at is not None
    again = await http.post(link)
    assert again.status_code == 400
    assert "déjà été utilisé" in again.text
