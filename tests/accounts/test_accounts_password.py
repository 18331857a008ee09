"""Passwords: changing one while logged in, and the forgotten-password link from the mail."""

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx

from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL, Mailbox
from tests.factories import PASSWORD, make_account, make_town, token_for

LOGIN = """
mutation Login($town: String!, $email: String!, $password: String!) {
  login(input: {town: $town, email: $email, password: $password}) {
    token
    errors { code field message }
  }
}
"""
ME = "query { me { email } }"
CHANGE_PASSWORD = """
mutation Change($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) {
    ok message errors { code field message }
  }
}
"""
REQUEST_RESET = """
mutation Request($town: String!, $email: String!) {
  requestPasswordReset(town: $town, email: $email) { ok message errors { code field message } }
}
"""
RESET = """
mutation Reset($token: String!, $new: String!) {
  resetPassword(token: $token, newPassword: $new) { ok message errors { code field message } }
}
"""

NEW_PASSWORD = "nouveau2026"
WEAK_MESSAGE = "Le mot de passe doit contenir au moins 8 caractères, un chiffre."


async def login_errors(api: GraphQL, town: str, email: str, password: str) -> list[str]:
    """The codes a login answers: [] when it opens a session."""
    result = await api(LOGIN, {"town": town, "email": email, "password": password})
    payload = result["data"]["login"]
    assert (payload["token"] is not None) == (payload["errors"] == [])
    return [error["code"] for error in payload["errors"]]


async def me(api: GraphQL, token: str) -> dict[str, Any] | None:
    result = await api(ME, token=token)
    found: dict[str, Any] | None = result["data"]["me"]
    return found


def reset_link(mailbox: Mailbox, address: str) -> str:
    """The path of the link in the (only) reset mail sent to the address."""
    [message] = mailbox.to(address)
    match = re.search(r"http://famille\.test(/mot-de-passe/\S+)", Mailbox.text(message))
    assert match, Mailbox.text(message)
    return match.group(1)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


# --- changePassword ---------------------------------------------------------------------


async def test_change_password_refuses_a_wrong_current_password(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)
    token = await token_for(parent, clock)

    result = await api(
        CHANGE_PASSWORD, {"current": "pas-le-bon-1", "new": NEW_PASSWORD}, token=token
    )

    assert result["data"]["changePassword"] == {
        "ok": False,
        "message": "Le mot de passe actuel est incorrect.",
        "errors": [
            {
                "code": "WRONG_PASSWORD",
                "field": "currentPassword",
                "message": "Le mot de passe actuel est incorrect.",
            }
        ],
    }
    assert await login_errors(api, town.slug, parent.email, PASSWORD) == []
    assert await login_errors(api, town.slug, parent.email, NEW_PASSWORD) == ["INVALID_CREDENTIALS"]
    await run_jobs()
    assert mailbox.to(parent.email) == []


async def test_change_password_refuses_a_weak_new_password(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)
    token = await token_for(parent, clock)

    result = await api(CHANGE_PASSWORD, {"current": PASSWORD, "new": "court"}, token=token)

    payload = result["data"]["changePassword"]
    assert payload["ok"] is False
    assert payload["errors"] == [
        {"code": "PASSWORD_TOO_WEAK", "field": "newPassword", "message": WEAK_MESSAGE}
    ]
    assert await login_errors(api, town.slug, parent.email, PASSWORD) == []


async def test_change_password_needs_a_session(api: GraphQL) -> None:
    result = await api(CHANGE_PASSWORD, {"current": PASSWORD, "new": NEW_PASSWORD})

    payload = result["data"]["changePassword"]
    assert payload["ok"] is False
    assert [e["code"] for e in payload["errors"]] == ["NOT_AUTHENTICATED"]


async def test_change_password_logs_out_other_devices_and_warns_by_mail(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given a parent logged in on a laptop and on a phone
    town = await make_town()
    parent = await make_account(town, clock)
    laptop, phone = await token_for(parent, clock), await token_for(parent, clock)

    # when the password is changed from the laptop
    result = await api(CHANGE_PASSWORD, {"current": PASSWORD, "new": NEW_PASSWORD}, token=laptop)

    # then only the new password logs in
    assert result["data"]["changePassword"] == {
        "ok": True,
        "message": "Votre mot de passe a été modifié.",
        "errors": [],
    }
    assert await login_errors(api, town.slug, parent.email, PASSWORD) == ["INVALID_CREDENTIALS"]
    assert await login_errors(api, town.slug, parent.email, NEW_PASSWORD) == []

    # and the phone is logged out while the laptop stays logged in
    assert await me(api, phone) is None
    assert await me(api, laptop) == {"email": parent.email}

    # and a mail tells the parent, in case it was not them
    await run_jobs()
    [message] = mailbox.to(parent.email)
    assert message["Subject"] == f"Votre mot de passe a été modifié — {town.name}"
    assert "vient d'être modifié" in Mailbox.text(message)
    assert "Mot de passe oublié" in Mailbox.text(message)


# --- forgotten password -----------------------------------------------------------------


async def test_reset_request_answers_the_same_for_unknown_emails(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given a town with one parent
    town = await make_town()
    parent = await make_account(town, clock)
    stranger = f"inconnu-{uuid.uuid4().hex[:8]}@exemple.fr"

    # when a reset is asked for the parent's e-mail and for an unknown one
    known = await api(REQUEST_RESET, {"town": town.slug, "email": parent.email})
    unknown = await api(REQUEST_RESET, {"town": town.slug, "email": stranger})

    # then both get the same answer, and only the parent gets a mail
    assert known == unknown
    assert known["data"]["requestPasswordReset"] == {
        "ok": True,
        "message": "Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot "
        "de passe vient d'être envoyé.",
        "errors": [],
    }
    await run_jobs()
    [message] = mailbox.to(parent.email)
    assert message["Subject"] == f"Réinitialisation de votre mot de passe — {town.name}"
    assert "valable 60 minutes" in Mailbox.text(message)
    assert mailbox.to(stranger) == []


async def test_reset_page_from_the_mail(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given a parent logged in on two devices who forgot the password and asked for a link
    town = await make_town()
    parent = await make_account(town, clock)
    sessions = [await token_for(parent, clock), await token_for(parent, clock)]
    await api(REQUEST_RESET, {"town": town.slug, "email": parent.email})
    await run_jobs()
    link = reset_link(mailbox, parent.email)

    # when the link is opened, the page shows a form
    page = await http.get(link)
    assert page.status_code == 200
    assert "Choisir un nouveau mot de passe" in page.text
    assert '<form method="post">' in page.text
    assert 'name="password"' in page.text

    # and a weak password is refused, changing nothing
    weak = await http.post(link, data={"password": "court"})
    assert weak.status_code == 400
    assert WEAK_MESSAGE in weak.text
    assert '<form method="post">' in weak.text
    assert all([await me(api, token) == {"email": parent.email} for token in sessions])
    assert await login_errors(api, town.slug, parent.email, PASSWORD) == []

    # and a good one is saved
    done = await http.post(link, data={"password": NEW_PASSWORD})
    assert done.status_code == 200
    assert "Mot de passe modifié" in done.text

    # then only the new password logs in, and every earlier session is closed
    assert await login_errors(api, town.slug, parent.email, PASSWORD) == ["INVALID_CREDENTIALS"]
    assert await login_errors(api, town.slug, parent.email, NEW_PASSWORD) == []
    assert [await me(api, token) for token in sessions] == [None, None]


async def test_reset_link_works_only_once(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given a parent who chose a new password from the mailed link
    town = await make_town()
    parent = await make_account(town, clock)
    await api(REQUEST_RESET, {"town": town.slug, "email": parent.email})
    await run_jobs()
    link = reset_link(mailbox, parent.email)
    assert (await http.post(link, data={"password": NEW_PASSWORD})).status_code == 200

    # when the same link is used again, by the page and by the mutation
    page = await http.post(link, data={"password": "intrus2026"})
    result = await api(RESET, {"token": token_of(link), "new": "intrus2026"})

    # then both refuse, and the password stays the one chosen first
    assert page.status_code == 400
    assert "Ce lien a déjà été utilisé." in page.text
    assert result["data"]["resetPassword"]["ok"] is False
    assert [e["code"] for e in result["data"]["resetPassword"]["errors"]] == ["TOKEN_USED"]
    assert await login_errors(api, town.slug, parent.email, "intrus2026") == ["INVALID_CREDENTIALS"]
    assert await login_errors(api, town.slug, parent.email, NEW_PASSWORD) == []


async def test_reset_link_expires_after_60_minutes(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)
    await api(REQUEST_RESET, {"town": town.slug, "email": parent.email})
    await run_jobs()
    token = token_of(reset_link(mailbox, parent.email))

    clock.advance(timedelta(minutes=60, seconds=1))
    result = await api(RESET, {"token": token, "new": NEW_PASSWORD})

    payload = result["data"]["resetPassword"]
    assert payload["ok"] is False
    [error] = payload["errors"]
    assert error["code"] == "TOKEN_EXPIRED"
    assert "expiré" in error["message"]
    assert await login_errors(api, town.slug, parent.email, NEW_PASSWORD) == ["INVALID_CREDENTIALS"]
    assert await login_errors(api, town.slug, parent.email, PASSWORD) == []


async def test_reset_by_mutation(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given a parent logged in elsewhere who asked for a link an hour less a minute ago
    town = await make_town()
    parent = await make_account(town, clock)
    session = await token_for(parent, clock)
    await api(REQUEST_RESET, {"town": town.slug, "email": parent.email})
    await run_jobs()
    token = token_of(reset_link(mailbox, parent.email))
    clock.advance(timedelta(minutes=59))

    # when an app sends the token of the link with a weak, then a good password
    weak = await api(RESET, {"token": token, "new": "court"})
    result = await api(RESET, {"token": token, "new": NEW_PASSWORD})

    # then the weak one is refused on its field, the good one is saved
    assert weak["data"]["resetPassword"]["errors"] == [
        {"code": "PASSWORD_TOO_WEAK", "field": "newPassword", "message": WEAK_MESSAGE}
    ]
    assert result["data"]["resetPassword"] == {
        "ok": True,
        "message": "Votre mot de passe a été modifié. Vous pouvez vous connecter.",
        "errors": [],
    }
    assert await login_errors(api, town.slug, parent.email, NEW_PASSWORD) == []
    assert await me(api, session) is None


async def test_forged_reset_token(api: GraphQL, http: httpx.AsyncClient) -> None:
    result = await api(RESET, {"token": "invente-de-toutes-pieces", "new": NEW_PASSWORD})
    assert [e["code"] for e in result["data"]["resetPassword"]["errors"]] == ["TOKEN_INVALID"]
    page = await http.post("/mot-de-passe/invente-de-toutes-pieces", data={"password": "x"})
    assert page.status_code == 400
    assert "Ce lien n'est pas valide." in page.text


async def test_reset_activates_an_account_never_activated(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given a parent who signed up but never followed the activation link
    town = await make_town()
    parent = await make_account(town, clock, activated=False)
    assert await login_errors(api, town.slug, parent.email, PASSWORD) == ["ACCOUNT_NOT_ACTIVATED"]

    # when the parent resets the password from the mailed link instead
    await api(REQUEST_RESET, {"town": town.slug, "email": parent.email})
    await run_jobs()
    token = token_of(reset_link(mailbox, parent.email))
    result = await api(RESET, {"token": token, "new": NEW_PASSWORD})

    # then the mail proved the address: the account is active and logs in
    assert result["data"]["resetPassword"]["ok"] is True
    assert await login_errors(api, town.slug, parent.email, NEW_PASSWORD) == []
