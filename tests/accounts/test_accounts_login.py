"""Login: bearer sessions, the same answer for every wrong credential, throttling, logout."""

import uuid
from datetime import timedelta
from typing import Any

import httpx

from gql.app import create_app
from gql.ids import encode_id
from models.accounts import AccountRole
from resolvers.core.clock import FrozenClock
from tests.conftest import Backend, GraphQL
from tests.factories import PASSWORD, make_account, make_household, make_town, token_for

LOGIN = """
mutation Login($town: String!, $email: String!, $password: String!) {
  login(input: {town: $town, email: $email, password: $password}) {
    token
    expiresAt
    account { email }
    errors { code field message }
  }
}
"""
LOGOUT = "mutation { logout { ok message errors { code message } } }"
ME = "query { me { email } }"
HOUSEHOLD = "query($id: ID!) { household(id: $id) { name } }"

WRONG_CREDENTIALS = {
    "code": "INVALID_CREDENTIALS",
    "field": None,
    "message": "Adresse e-mail ou mot de passe incorrect.",
}
OTHER_ADDRESS = ("203.0.113.9", 1234)


async def log_in(api: GraphQL, town: str, email: str, password: str) -> dict[str, Any]:
    result = await api(LOGIN, {"town": town, "email": email, "password": password})
    payload: dict[str, Any] = result["data"]["login"]
    return payload


async def fail(api: GraphQL, town: str, email: str, times: int) -> None:
    for _ in range(times):
        payload = await log_in(api, town, email, "pas-le-bon-1")
        assert payload["errors"] == [WRONG_CREDENTIALS]


def unknown_email() -> str:
    return f"inconnu-{uuid.uuid4().hex[:8]}@exemple.fr"


async def test_login_gives_a_bearer_token(api: GraphQL, clock: FrozenClock) -> None:
    # given an activated parent account
    town = await make_town()
    parent = await make_account(town, clock)

    # when the parent logs in (the e-mail typed with capitals and spaces)
    payload = await log_in(api, town.slug, f"  {parent.email.upper()} ", PASSWORD)

    # then a token valid 14 days opens the parent's session
    assert payload["errors"] == []
    assert payload["account"] == {"email": parent.email}
    assert payload["expiresAt"] == "2026-12-07T09:00:00+00:00"
    me = await api(ME, token=payload["token"])
    assert me == {"data": {"me": {"email": parent.email}}}


async def test_wrong_password_and_unknown_email_answer_the_same(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)

    wrong_password = await log_in(api, town.slug, parent.email, "pas-le-bon-1")
    unknown = await log_in(api, town.slug, unknown_email(), PASSWORD)

    assert (
        wrong_password
        == unknown
        == {
            "token": None,
            "expiresAt": None,
            "account": None,
            "errors": [WRONG_CREDENTIALS],
        }
    )


async def test_five_failures_lock_the_email_even_for_the_right_password(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given five wrong passwords on one account within a few minutes
    town = await make_town()
    parent = await make_account(town, clock)
    await fail(api, town.slug, parent.email, times=5)

    # when the real owner then types the right password
    payload = await log_in(api, town.slug, parent.email, PASSWORD)

    # then the login is refused until the window is over, in Paris time (09:00 UTC = 10h00)
    [error] = payload["errors"]
    assert error["code"] == "TOO_MANY_ATTEMPTS"
    assert error["message"] == (
        "Trop de tentatives de connexion échouées. Par sécurité, réessayez à partir de 10h15 "
        "ou utilisez « Mot de passe oublié »."
    )
    assert payload["token"] is None


async def test_unknown_email_is_locked_the_same_way(api: GraphQL, clock: FrozenClock) -> None:
    # given five failures on an e-mail that has no account, and five on one that has
    town = await make_town()
    parent = await make_account(town, clock)
    stranger = unknown_email()
    await fail(api, town.slug, stranger, times=5)
    await fail(api, town.slug, parent.email, times=5)

    # when both are tried once more
    unknown = await log_in(api, town.slug, stranger, PASSWORD)
    known = await log_in(api, town.slug, parent.email, PASSWORD)

    # then the lock does not tell which e-mails have an account
    assert unknown == known
    assert [e["code"] for e in known["errors"]] == ["TOO_MANY_ATTEMPTS"]


async def test_locked_email_works_again_once_the_window_is_over(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given an account locked at 10h00 Paris time, told to retry from 10h15
    town = await make_town()
    parent = await make_account(town, clock)
    await fail(api, town.slug, parent.email, times=5)
    locked = await log_in(api, town.slug, parent.email, PASSWORD)
    assert "réessayez à partir de 10h15" in locked["errors"][0]["message"]

    # when the parent comes back at 10h15, as the message said
    clock.advance(timedelta(minutes=15))
    payload = await log_in(api, town.slug, parent.email, PASSWORD)

    # then the right password works
    assert payload["errors"] == []
    assert payload["token"]


async def test_lock_is_per_email(api: GraphQL, clock: FrozenClock) -> None:
    town = await make_town()
    locked, other = await make_account(town, clock), await make_account(town, clock)
    await fail(api, town.slug, locked.email, times=5)

    payload = await log_in(api, town.slug, other.email, PASSWORD)

    assert payload["errors"] == []


async def test_a_success_resets_the_count_of_the_email(api: GraphQL, clock: FrozenClock) -> None:
    # given four failures, then a success, then four failures again
    town = await make_town()
    parent = await make_account(town, clock)
    await fail(api, town.slug, parent.email, times=4)
    assert (await log_in(api, town.slug, parent.email, PASSWORD))["errors"] == []
    await fail(api, town.slug, parent.email, times=4)

    # when the right password is typed: eight failures in the window, but four since success
    payload = await log_in(api, town.slug, parent.email, PASSWORD)

    # then the account is not locked
    assert payload["errors"] == []
    assert payload["token"]


async def test_twenty_failures_slow_the_client_address_down_but_never_lock_it(
    api: GraphQL, backend: Backend, clock: FrozenClock
) -> None:
    """One town hall or school behind a NAT is one address for all its parents."""
    # given twenty failures from one address, each on a different e-mail (below 5 per e-mail)
    town = await make_town()
    parent = await make_account(town, clock)
    for _ in range(20):
        assert (await log_in(api, town.slug, unknown_email(), "devine123"))["errors"] == [
            WRONG_CREDENTIALS
        ]
    assert clock.slept == []  # up to the twentieth failure, nobody waited

    # when another parent logs in from that address with the right password
    from_shared = await log_in(api, town.slug, parent.email, PASSWORD)

    # then the login waited a second (on the clock: tests never sleep) and succeeded
    assert from_shared["errors"] == []
    assert (await api(ME, token=from_shared["token"]))["data"]["me"] == {"email": parent.email}
    assert clock.slept == [1.0]

    # and each further failure doubles the wait, up to 10 seconds
    for _ in range(6):
        await log_in(api, town.slug, unknown_email(), "devine123")
    assert clock.slept == [1.0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]

    # and a right password still logs in from there, after the longest wait
    assert (await log_in(api, town.slug, parent.email, PASSWORD))["errors"] == []
    assert clock.slept[-1] == 10.0

    # and another address is not slowed down at all
    clock.slept.clear()
    transport = httpx.ASGITransport(
        app=create_app(clock=clock, redis=backend.redis), client=OTHER_ADDRESS
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://famille.test") as other:
        assert (await log_in(GraphQL(other), town.slug, parent.email, PASSWORD))["errors"] == []
    assert clock.slept == []


async def test_the_email_lock_still_holds_from_a_slowed_down_address(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given twenty failures from one address on other e-mails, then five on the parent's
    town = await make_town()
    parent = await make_account(town, clock)
    for _ in range(20):
        await log_in(api, town.slug, unknown_email(), "devine123")
    await fail(api, town.slug, parent.email, 5)

    # when the right password is sent for the parent
    payload = await log_in(api, town.slug, parent.email, PASSWORD)

    # then the e-mail is locked for its window, whatever the password
    [error] = payload["errors"]
    assert error["code"] == "TOO_MANY_ATTEMPTS"
    assert payload["token"] is None
    # (the five failures waited 1, 2, 4, 8, 10 s: the lock ends 15 min after the first)
    assert "réessayez à partir de 10h15" in error["message"]


async def test_forged_token_is_anonymous(api: GraphQL, clock: FrozenClock) -> None:
    # given a household that exists
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    household = await make_household(staff, clock)
    forged = "invente-" + uuid.uuid4().hex

    # when a client sends a token nobody issued
    me = await api(ME, token=forged)
    result = await api(HOUSEHOLD, {"id": encode_id("Household", household.id)}, token=forged)

    # then it is nobody: no account, and protected data asks to log in
    assert me == {"data": {"me": None}}
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert "Vous devez être connecté" in error["message"]


async def test_session_expires_after_14_days(api: GraphQL, clock: FrozenClock) -> None:
    town = await make_town()
    parent = await make_account(town, clock)
    token = await token_for(parent, clock)

    clock.advance(timedelta(days=14, seconds=-1))
    assert (await api(ME, token=token))["data"]["me"] == {"email": parent.email}

    clock.advance(timedelta(seconds=2))
    assert (await api(ME, token=token))["data"]["me"] is None


async def test_logout_revokes_only_this_token(api: GraphQL, clock: FrozenClock) -> None:
    # given a parent logged in on two devices
    town = await make_town()
    parent = await make_account(town, clock)
    phone, laptop = await token_for(parent, clock), await token_for(parent, clock)

    # when the phone logs out
    result = await api(LOGOUT, token=phone)

    # then the phone's token no longer works, the laptop's still does
    assert result["data"]["logout"] == {
        "ok": True,
        "message": "Vous êtes déconnecté.",
        "errors": [],
    }
    assert (await api(ME, token=phone))["data"]["me"] is None
    assert (await api(ME, token=laptop))["data"]["me"] == {"email": parent.email}
    again = await api(LOGOUT, token=phone)
    assert [e["code"] for e in again["data"]["logout"]["errors"]] == ["NOT_AUTHENTICATED"]


async def test_logout_without_a_token(api: GraphQL) -> None:
    result = await api(LOGOUT)

    payload = result["data"]["logout"]
    assert payload["ok"] is False
    [error] = payload["errors"]
    assert error["code"] == "NOT_AUTHENTICATED"
    assert payload["message"] == error["message"]


async def test_staff_of_another_town_cannot_log_in_with_this_towns_slug(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given an agent of Albi, and the town of Castres
    castres, albi = await make_town(), await make_town()
    agent = await make_account(albi, clock, role=AccountRole.AGENT)

    # when the agent logs in on Castres with the right e-mail and password
    elsewhere = await log_in(api, castres.slug, agent.email, PASSWORD)

    # then Castres knows no such account; on Albi it works
    assert elsewhere["errors"] == [WRONG_CREDENTIALS]
    assert elsewhere["token"] is None
    at_home = await log_in(api, albi.slug, agent.email, PASSWORD)
    assert at_home["errors"] == []
