"""« S'identifier avec FranceConnect », driven over HTTP as a browser would, against the local
OpenID Connect stand-in mounted under /fc-local/: the login redirect, the provider's form, the
callback, then GraphQL as the signed-in parent."""

import re
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from models.accounts import Account, FranceConnectAttempt, FranceConnectLink
from resolvers.accounts import franceconnect
from resolvers.core.clock import FrozenClock
from resolvers.core.errors import AccountErrorCode, DomainError
from settings import get_settings
from tests.conftest import GraphQL
from tests.factories import make_account, make_town, token_for

ME = """
query {
  me {
    email firstNames lastName birthDate birthPlaceCode birthCountry franceConnectLinked
    households { id }
  }
}
"""
LINK = "mutation { linkFranceConnect { url errors { code message } } }"
UNLINK = "mutation { unlinkFranceConnect { account { franceConnectLinked } errors { code } } }"


def identity(**overrides: str) -> dict[str, str]:
    """What the parent types on the stand-in's form (a fresh person each time)."""
    unique = uuid.uuid4().hex[:8]
    return {
        "given_name": "Camille",
        "family_name": f"MARTIN{unique.upper()}",
        "gender": "female",
        "email": f"camille-{unique}@exemple.fr",
        "birthdate": "1985-03-14",
        "birthplace": "81065",
        "birthcountry": "99100",
        **overrides,
    }


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def to_provider(http: httpx.AsyncClient, start: str) -> dict[str, str]:
    """Follow the portal's redirect to the provider's form; answer the form's fields."""
    response = await http.get(start)
    assert response.status_code == 302, response.text
    authorize = response.headers["location"]
    assert authorize.startswith("http://famille.test/fc-local/authorize?")
    form = await http.get(authorize)
    assert form.status_code == 200 and "démonstration" in form.text
    return query_of(authorize)


async def provider_answers(
    http: httpx.AsyncClient, params: dict[str, str], person: dict[str, str], action: str = "ok"
) -> str:
    """The provider's form is posted: answers the callback URL it redirects to."""
    response = await http.post("/fc-local/authorize", data={**params, **person, "action": action})
    assert response.status_code == 302, response.text
    callback = response.headers["location"]
    assert callback.startswith("http://famille.test/franceconnect/callback?")
    return callback


async def sign_in(
    http: httpx.AsyncClient, start: str, person: dict[str, str]
) -> tuple[httpx.Response, str]:
    """The whole round trip; answers the callback's response and its URL."""
    params = await to_provider(http, start)
    callback = await provider_answers(http, params, person)
    return await http.get(callback), callback


def token_on(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    match = re.search(r'<code id="token">([^<]+)</code>', page.text)
    assert match, page.text
    return match.group(1)


def error_on(page: httpx.Response) -> tuple[str, str]:
    assert page.status_code == 400, page.text
    match = re.search(r'data-code="(\w+)">([^<]+)<', page.text)
    assert match, page.text
    return match.group(1), match.group(2)


async def test_first_sign_in_creates_the_parent_account_from_the_identity(
    http: httpx.AsyncClient, api: GraphQL
) -> None:
    town = await make_town()
    person = identity()

    page, _ = await sign_in(http, f"/franceconnect/login?town={town.slug}", person)

    token = token_on(page)
    assert "créé à partir de votre identité FranceConnect" in page.text
    me = (await api(ME, token=token))["data"]["me"]
    assert me == {
        "email": person["email"],
        "firstNames": "Camille",
        "lastName": person["family_name"],
        "birthDate": "1985-03-14",
        "birthPlaceCode": "81065",
        "birthCountry": "FRANCE",
        "franceConnectLinked": True,
        "households": [],
    }


async def test_a_parent_links_franceconnect_then_signs_in_with_it_to_the_same_account(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)
    password_token = await token_for(parent, clock)
    # FranceConnect knows the parent under another address than the portal's login.
    person = identity(email=f"autre-{uuid.uuid4().hex[:6]}@exemple.fr")

    link = (await api(LINK, token=password_token))["data"]["linkFranceConnect"]
    assert link["errors"] == []
    params = query_of(link["url"])
    assert params["acr_values"] == "eidas1" and params["state"] and params["nonce"]
    callback = await provider_answers(http, params, person)
    linked = await http.get(callback)

    assert "maintenant lié à FranceConnect" in linked.text
    me = (await api(ME, token=token_on(linked)))["data"]["me"]
    assert me["email"] == parent.email and me["franceConnectLinked"] is True

    # Later, from the sign-in page: FranceConnect alone lands on the same account.
    page, _ = await sign_in(http, f"/franceconnect/login?town={town.slug}", person)
    assert "Vous êtes connecté" in page.text
    me = (await api(ME, token=token_on(page)))["data"]["me"]
    assert me["email"] == parent.email
    assert await Account.filter(tenant=town).count() == 1


async def test_an_existing_email_is_not_taken_over(http: httpx.AsyncClient, clock: Any) -> None:
    town = await make_town()
    parent = await make_account(town, clock)

    page, _ = await sign_in(
        http, f"/franceconnect/login?town={town.slug}", identity(email=parent.email)
    )

    code, message = error_on(page)
    assert code == "FRANCECONNECT_EMAIL_TAKEN"
    assert "connectez-vous une fois avec votre adresse e-mail et votre mot de passe" in message
    assert "Lier mon compte FranceConnect" in message
    assert await Account.filter(tenant=town).count() == 1
    assert not await FranceConnectLink.exists(tenant=town)


async def test_a_replayed_callback_is_refused_and_opens_nothing(
    http: httpx.AsyncClient,
) -> None:
    town = await make_town()
    page, callback = await sign_in(http, f"/franceconnect/login?town={town.slug}", identity())
    token_on(page)

    replay = await http.get(callback)

    assert error_on(replay)[0] == "FRANCECONNECT_STATE_USED"


async def test_a_state_the_portal_never_issued_is_refused(http: httpx.AsyncClient) -> None:
    town = await make_town()
    params = await to_provider(http, f"/franceconnect/login?town={town.slug}")
    callback = await provider_answers(http, {**params, "state": "forge"}, identity())

    page = await http.get(callback)

    code, message = error_on(page)
    assert code == "FRANCECONNECT_STATE_INVALID"
    assert "n'a pas été demandée depuis ce portail" in message
    assert await Account.filter(tenant=town).count() == 0


async def test_a_slow_round_trip_expires(http: httpx.AsyncClient, clock: FrozenClock) -> None:
    town = await make_town()
    params = await to_provider(http, f"/franceconnect/login?town={town.slug}")
    clock.advance(timedelta(minutes=get_settings().franceconnect_attempt_ttl_minutes, seconds=1))
    callback = await provider_answers(http, params, identity())

    assert error_on(await http.get(callback))[0] == "FRANCECONNECT_STATE_EXPIRED"
    assert await Account.filter(tenant=town).count() == 0


async def test_an_expired_code_is_refused_by_the_provider(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await make_town()
    params = await to_provider(http, f"/franceconnect/login?town={town.slug}")
    callback = await provider_answers(http, params, identity())
    clock.advance(timedelta(minutes=2))  # the provider's codes live 60 s

    code, message = error_on(await http.get(callback))

    assert code == "FRANCECONNECT_FAILED" and "déjà utilisé ou expiré" in message
    assert await Account.filter(tenant=town).count() == 0


async def test_cancelling_at_franceconnect_signs_nobody_in(http: httpx.AsyncClient) -> None:
    town = await make_town()
    params = await to_provider(http, f"/franceconnect/login?town={town.slug}")
    callback = await provider_answers(http, params, identity(), action="cancel")

    assert error_on(await http.get(callback))[0] == "FRANCECONNECT_CANCELLED"


async def test_an_unknown_town_is_refused_in_french(http: httpx.AsyncClient) -> None:
    page = await http.get("/franceconnect/login?town=nulle-part")

    assert error_on(page) == ("UNKNOWN_TOWN", "Aucune commune « nulle-part » sur ce portail.")


async def test_the_front_end_gets_the_token_in_the_fragment(
    http: httpx.AsyncClient, api: GraphQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "franceconnect_front_url", "https://famille.ville.fr/")
    town = await make_town()
    params = await to_provider(http, f"/franceconnect/login?town={town.slug}")
    callback = await provider_answers(http, params, identity())

    landing = await http.get(callback)

    assert landing.status_code == 302
    target = urlsplit(landing.headers["location"])
    assert target.netloc == "famille.ville.fr" and target.query == ""
    fragment = {k: v[0] for k, v in parse_qs(target.fragment).items()}
    assert fragment["outcome"] == "created"
    assert (await api(ME, token=fragment["token"]))["data"]["me"]["franceConnectLinked"]
    refused = await http.get(callback)
    assert "error=FRANCECONNECT_STATE_USED" in refused.headers["location"]


async def test_an_identity_linked_elsewhere_cannot_be_linked_again(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_town()
    person = identity()
    token_on((await sign_in(http, f"/franceconnect/login?town={town.slug}", person))[0])
    other = await make_account(town, clock)

    link = (await api(LINK, token=await token_for(other, clock)))["data"]["linkFranceConnect"]
    page = await http.get(await provider_answers(http, query_of(link["url"]), person))

    assert error_on(page)[0] == "FRANCECONNECT_ALREADY_LINKED"
    assert not await FranceConnectLink.exists(account_id=other.id)


async def test_unlinking(http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock) -> None:
    town = await make_town()
    # Opened by FranceConnect: no password yet, so unlinking would lock the parent out.
    created = token_on(
        (await sign_in(http, f"/franceconnect/login?town={town.slug}", identity()))[0]
    )
    refused = (await api(UNLINK, token=created))["data"]["unlinkFranceConnect"]
    assert refused["errors"] == [{"code": "PASSWORD_REQUIRED"}]

    parent = await make_account(town, clock)
    token = await token_for(parent, clock)
    none = (await api(UNLINK, token=token))["data"]["unlinkFranceConnect"]
    assert none["errors"] == [{"code": "FRANCECONNECT_NOT_LINKED"}]
    link = (await api(LINK, token=token))["data"]["linkFranceConnect"]
    token_on(await http.get(await provider_answers(http, query_of(link["url"]), identity())))

    done = (await api(UNLINK, token=token))["data"]["unlinkFranceConnect"]

    assert done == {"account": {"franceConnectLinked": False}, "errors": []}


async def test_staff_cannot_link_franceconnect(api: GraphQL, clock: FrozenClock) -> None:
    from models.accounts import AccountRole

    town = await make_town()
    agent = await make_account(town, clock, role=AccountRole.AGENT)

    link = (await api(LINK, token=await token_for(agent, clock)))["data"]["linkFranceConnect"]

    assert link["url"] is None and link["errors"][0]["code"] == "FORBIDDEN"
    assert not await FranceConnectAttempt.exists(tenant=town)


# --- the ID token's verification (authlib), with tokens the stand-in really issued ---------


async def _issued(http: httpx.AsyncClient, town_slug: str) -> tuple[dict[str, Any], str]:
    """A token response of the stand-in and the nonce it was asked with."""
    params = await to_provider(http, f"/franceconnect/login?town={town_slug}")
    code = query_of(await provider_answers(http, params, identity()))["code"]
    settings = get_settings()
    response = await http.post(
        "/fc-local/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "client_id": settings.franceconnect_client_id,
            "client_secret": settings.franceconnect_client_secret,
        },
    )
    assert response.status_code == 200, response.text
    token: dict[str, Any] = response.json()
    return token, params["nonce"]


def _tampered(id_token: str) -> str:
    header, payload, signature = id_token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    return f"{header}.{flipped}.{signature}"


async def test_the_id_token_is_verified(http: httpx.AsyncClient, clock: FrozenClock) -> None:
    town = await make_town()
    token, nonce = await _issued(http, town.slug)
    provider = franceconnect.client(clock)
    claims = await franceconnect.verify_id_token(provider, token, nonce, clock=clock)
    assert claims["aud"] == get_settings().franceconnect_client_id

    refusals = {
        "tampered": ({**token, "id_token": _tampered(token["id_token"])}, nonce, clock),
        "another nonce": (token, "autre", clock),
        "another access token": ({**token, "access_token": "autre"}, nonce, clock),
        "no id token": ({"access_token": token["access_token"]}, nonce, clock),
        "expired": (token, nonce, FrozenClock(clock.now() + timedelta(minutes=5))),
    }
    for why, (bad_token, bad_nonce, at) in refusals.items():
        with pytest.raises(DomainError) as refused:
            await franceconnect.verify_id_token(provider, bad_token, bad_nonce, clock=at)
        assert refused.value.code == AccountErrorCode.FRANCECONNECT_ID_TOKEN_INVALID, why
