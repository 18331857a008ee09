"""Sign in with FranceConnect: OpenID Connect's authorization-code flow, through authlib.

``start`` keeps a state and a nonce server-side (single use, expiring) and gives the URL to
send the browser to; ``finish`` takes the callback's code, has authlib exchange it and verify
the ID token (signature against the provider's keys, issuer, audience, nonce, expiry, at_hash),
reads the identity from userinfo, then either signs in the account linked to that identity,
links the signed-in parent who asked for it, or creates a parent account from the identity.
An existing account with the identity's e-mail is never taken over: its owner signs in with
their password once and links FranceConnect from their space.

With ``FAMILLE_FRANCECONNECT_ISSUER`` empty the provider is the local stand-in
(``franceconnect_local``), reached in-process, so tests and the demo need no network.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from tortoise.exceptions import IntegrityError

from models.accounts import (
    Account,
    AccountRole,
    Civility,
    FranceConnectAttempt,
    FranceConnectLink,
    TokenPurpose,
)
from models.tenants import Tenant
from resolvers.accounts.accounts import Session, get_town, issue_token
from resolvers.accounts.franceconnect_local import LOCAL_FRANCECONNECT, local_issuer
from resolvers.core.clock import Clock
from resolvers.core.errors import AccountErrorCode, DomainError, NotAuthenticated
from resolvers.core.security import digest, new_token
from resolvers.core.transactions import atomic
from settings import get_settings

# Clocks of the provider and of this server differ a little in real life.
CLOCK_LEEWAY_SECONDS = 60


class Outcome(StrEnum):
    """What the callback did."""

    SIGNED_IN = "signed_in"
    LINKED = "linked"
    CREATED = "created"


@dataclass
class FranceConnectSession:
    """The session opened at the end of the flow, and how the account was reached."""

    session: Session
    outcome: Outcome


@dataclass
class Identity:
    """The person as FranceConnect certifies them."""

    subject: str
    given_name: str
    family_name: str
    gender: str
    email: str
    birth_date: date | None
    birth_place_code: str
    birth_country_code: str


_clients: dict[tuple[str, str, str, int], tuple[Clock, StarletteOAuth2App]] = {}


def redirect_uri() -> str:
    return f"{get_settings().public_url}/franceconnect/callback"


def client(clock: Clock) -> StarletteOAuth2App:
    """authlib's OpenID Connect client for the configured provider, kept per configuration
    (it caches the discovery document and the provider's keys)."""
    settings = get_settings()
    issuer = settings.franceconnect_issuer.rstrip("/") or local_issuer()
    key = (
        issuer,
        settings.franceconnect_client_id,
        settings.franceconnect_client_secret,
        id(clock),
    )
    cached = _clients.get(key)
    if cached is not None and cached[0] is clock:
        return cached[1]
    client_kwargs: dict[str, Any] = {
        "scope": settings.franceconnect_scopes,
        "token_endpoint_auth_method": "client_secret_post",
        "timeout": 10.0,
    }
    if not settings.franceconnect_issuer:
        client_kwargs["transport"] = LOCAL_FRANCECONNECT.transport(clock)
    app = OAuth().register(
        "franceconnect",
        client_id=settings.franceconnect_client_id,
        client_secret=settings.franceconnect_client_secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )
    assert isinstance(app, StarletteOAuth2App)
    _clients[key] = (clock, app)
    return app


def _refused(code: AccountErrorCode, message: str) -> DomainError:
    return DomainError(code, message)


async def start(town: str | None, *, link_account: Account | None = None, clock: Clock) -> str:
    """Record a fresh state and nonce and answer the provider's authorize URL.

    With ``link_account`` (a signed-in parent), the callback links that account.
    """
    if link_account is not None:
        if link_account.role != AccountRole.PARENT:
            raise DomainError(
                AccountErrorCode.FORBIDDEN,
                "FranceConnect est réservé aux comptes des familles.",
            )
        tenant = await Tenant.get(id=link_account.tenant_id)
    else:
        tenant = await get_town(town or "")
    state, nonce = new_token(), new_token()
    try:
        authorization = await client(clock).create_authorization_url(
            redirect_uri(), state=state, nonce=nonce, acr_values="eidas1"
        )
    except (httpx.HTTPError, OAuthError) as error:
        raise _unavailable() from error
    await FranceConnectAttempt.create(
        tenant=tenant,
        state_hash=digest(state),
        nonce=nonce,
        link_account=link_account,
        created_at=clock.now(),
        expires_at=clock.now()
        + timedelta(minutes=get_settings().franceconnect_attempt_ttl_minutes),
    )
    url: str = authorization["url"]
    return url


def _unavailable() -> DomainError:
    return _refused(
        AccountErrorCode.FRANCECONNECT_FAILED,
        "FranceConnect ne répond pas pour le moment. Réessayez dans quelques minutes ou "
        "connectez-vous avec votre adresse e-mail et votre mot de passe.",
    )


async def _consume_attempt(state: str, *, clock: Clock) -> FranceConnectAttempt:
    """The attempt of this state, used up now (kept used even if what follows fails)."""
    async with atomic():
        attempt = (
            await FranceConnectAttempt.filter(state_hash=digest(state or "-"))
            .select_for_update()
            .first()
        )
        if attempt is None:
            raise _refused(
                AccountErrorCode.FRANCECONNECT_STATE_INVALID,
                "Cette connexion FranceConnect n'a pas été demandée depuis ce portail. "
                "Recommencez depuis le bouton « S'identifier avec FranceConnect ».",
            )
        if attempt.consumed_at is not None:
            raise _refused(
                AccountErrorCode.FRANCECONNECT_STATE_USED,
                "Ce retour de FranceConnect a déjà été utilisé. Recommencez depuis le bouton "
                "« S'identifier avec FranceConnect ».",
            )
        if attempt.expires_at <= clock.now():
            raise _refused(
                AccountErrorCode.FRANCECONNECT_STATE_EXPIRED,
                "La connexion FranceConnect a pris trop de temps. Recommencez depuis le bouton "
                "« S'identifier avec FranceConnect ».",
            )
        attempt.consumed_at = clock.now()
        await attempt.save(update_fields=["consumed_at"])
    return attempt


async def verify_id_token(
    provider: StarletteOAuth2App, token: dict[str, Any], nonce: str, *, clock: Clock
) -> dict[str, Any]:
    """The ID token's claims once authlib has checked them: signature against the provider's
    published keys, ``iss``, ``aud``/``azp``, ``nonce``, ``exp``/``iat`` at the server's clock,
    ``at_hash``. (authlib's ``parse_id_token`` does the same against the wall clock only.)"""
    if "id_token" not in token:
        raise _invalid_id_token()
    metadata = await provider.load_server_metadata()
    registry = JWSRegistry(
        algorithms=metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    )
    try:
        try:
            keys = KeySet.import_key_set(await provider.fetch_jwk_set())
            decoded = jwt.decode(token["id_token"], keys, registry=registry)
        except InvalidKeyIdError:  # the provider rotated its keys
            keys = KeySet.import_key_set(await provider.fetch_jwk_set(force=True))
            decoded = jwt.decode(token["id_token"], keys, registry=registry)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": provider.client_id},
            },
            {
                "nonce": nonce,
                "client_id": provider.client_id,
                "access_token": token.get("access_token"),
            },
        )
        claims.validate(now=int(clock.now().timestamp()), leeway=CLOCK_LEEWAY_SECONDS)
    except (JoseError, ValueError) as error:
        raise _invalid_id_token() from error
    return dict(claims)


def _invalid_id_token() -> DomainError:
    return _refused(
        AccountErrorCode.FRANCECONNECT_ID_TOKEN_INVALID,
        "La réponse de FranceConnect n'a pas pu être vérifiée : aucune connexion n'a été "
        "ouverte. Recommencez depuis le bouton « S'identifier avec FranceConnect ».",
    )


async def _userinfo(
    provider: StarletteOAuth2App, token: dict[str, Any], *, clock: Clock
) -> dict[str, Any]:
    """The identity claims: FranceConnect v2 signs them (application/jwt), v1 sends JSON."""
    metadata = await provider.load_server_metadata()
    response = await provider.get(metadata["userinfo_endpoint"], token=token)
    response.raise_for_status()
    if not response.headers.get("content-type", "").startswith("application/jwt"):
        data: dict[str, Any] = response.json()
        return data
    registry = JWSRegistry(
        algorithms=metadata.get("userinfo_signing_alg_values_supported") or ["RS256"]
    )
    try:
        keys = KeySet.import_key_set(await provider.fetch_jwk_set())
        return dict(jwt.decode(response.text, keys, registry=registry).claims)
    except JoseError as error:
        raise _invalid_id_token() from error


def _identity(subject: str, claims: dict[str, Any]) -> Identity:
    birth_date: date | None
    try:
        birth_date = date.fromisoformat(str(claims.get("birthdate", "")))
    except ValueError:
        birth_date = None
    return Identity(
        subject=subject,
        given_name=str(claims.get("given_name", "")).strip(),
        family_name=str(claims.get("family_name", "")).strip(),
        gender=str(claims.get("gender", "")),
        email=str(claims.get("email", "")).strip().lower(),
        birth_date=birth_date,
        birth_place_code=str(claims.get("birthplace", "")).strip()[:5],
        birth_country_code=str(claims.get("birthcountry", "")).strip()[:5],
    )


async def finish(
    state: str, code: str | None, error: str | None, *, clock: Clock
) -> FranceConnectSession:
    """The callback: check the state, exchange the code, verify the identity, sign in."""
    attempt = await _consume_attempt(state, clock=clock)
    if error:
        raise _refused(
            AccountErrorCode.FRANCECONNECT_CANCELLED,
            "La connexion avec FranceConnect a été annulée : vous n'êtes pas connecté.",
        )
    provider = client(clock)
    try:
        token = await provider.fetch_access_token(redirect_uri(), code=code or "")
    except OAuthError as refused:
        raise _refused(
            AccountErrorCode.FRANCECONNECT_FAILED,
            "FranceConnect a refusé le code de connexion (déjà utilisé ou expiré). "
            "Recommencez depuis le bouton « S'identifier avec FranceConnect ».",
        ) from refused
    except httpx.HTTPError as failure:
        raise _unavailable() from failure
    claims = await verify_id_token(provider, token, attempt.nonce, clock=clock)
    try:
        userinfo = await _userinfo(provider, token, clock=clock)
    except httpx.HTTPError as failure:
        raise _unavailable() from failure
    if userinfo.get("sub") != claims["sub"]:
        raise _invalid_id_token()
    identity = _identity(str(claims["sub"]), userinfo)
    async with atomic():
        tenant = await Tenant.get(id=attempt.tenant_id)
        account, outcome = await _reach_account(tenant, attempt, identity, clock=clock)
        token_value, expires_at = await issue_token(
            account,
            TokenPurpose.SESSION,
            timedelta(hours=get_settings().session_ttl_hours),
            clock=clock,
        )
    account.tenant = tenant
    return FranceConnectSession(
        Session(token=token_value, expires_at=expires_at, account=account), outcome
    )


async def _reach_account(
    tenant: Tenant, attempt: FranceConnectAttempt, identity: Identity, *, clock: Clock
) -> tuple[Account, Outcome]:
    link = await FranceConnectLink.get_or_none(tenant=tenant, subject=identity.subject)
    if attempt.link_account_id is not None:
        account = await Account.get(id=attempt.link_account_id)
        if link is not None and link.account_id != account.id:
            raise _refused(
                AccountErrorCode.FRANCECONNECT_ALREADY_LINKED,
                "Cette identité FranceConnect est déjà liée à un autre compte de ce portail.",
            )
        if link is None:
            if await FranceConnectLink.exists(account_id=account.id):
                raise _refused(
                    AccountErrorCode.FRANCECONNECT_ACCOUNT_LINKED,
                    "Votre compte est déjà lié à une autre identité FranceConnect : déliez-la "
                    "d'abord depuis votre espace.",
                )
            await _link(tenant, account, identity.subject, clock=clock)
        _check_usable(account)
        return account, Outcome.LINKED
    if link is not None:
        account = await Account.get(id=link.account_id)
        _check_usable(account)
        return account, Outcome.SIGNED_IN
    if not identity.email:
        raise _invalid_id_token()
    if await Account.exists(tenant=tenant, email=identity.email):
        raise _refused(
            AccountErrorCode.FRANCECONNECT_EMAIL_TAKEN,
            f"Un compte existe déjà avec l'adresse {identity.email}. Pour votre sécurité, il "
            "n'est pas relié automatiquement : connectez-vous une fois avec votre adresse "
            "e-mail et votre mot de passe (ou « Mot de passe oublié »), puis choisissez « Lier "
            "mon compte FranceConnect » dans votre espace. Ensuite, FranceConnect suffira.",
        )
    try:
        account = await Account.create(
            tenant=tenant,
            email=identity.email,
            # No password: FranceConnect opens the account, « Mot de passe oublié » sets one.
            password_hash="",
            role=AccountRole.PARENT,
            civility=Civility.MONSIEUR if identity.gender == "male" else Civility.MADAME,
            last_name=identity.family_name,
            first_names=identity.given_name,
            birth_name=identity.family_name,
            birth_date=identity.birth_date,
            birth_place_code=identity.birth_place_code
            if identity.birth_country_code in ("", "99100")
            else identity.birth_country_code,
            birth_country="FRANCE" if identity.birth_country_code == "99100" else "",
            # The parent starts from FranceConnect's button, under the town's terms.
            cgu_version=tenant.cgu_version,
            cgu_accepted_at=clock.now(),
            # FranceConnect vouches for the person and the address.
            activated_at=clock.now(),
        )
        await _link(tenant, account, identity.subject, clock=clock)
    except IntegrityError:
        raise _refused(
            AccountErrorCode.FRANCECONNECT_EMAIL_TAKEN,
            "Un compte vient d'être créé avec cette identité ou cette adresse : recommencez.",
        ) from None
    return account, Outcome.CREATED


def _check_usable(account: Account) -> None:
    if account.is_disabled:
        raise _refused(
            AccountErrorCode.FORBIDDEN,
            "Ce compte est désactivé : contactez la mairie.",
        )


async def _link(tenant: Tenant, account: Account, subject: str, *, clock: Clock) -> None:
    await FranceConnectLink.create(
        tenant=tenant, account=account, subject=subject, linked_at=clock.now()
    )
    if account.activated_at is None:
        account.activated_at = clock.now()
        await account.save(update_fields=["activated_at"])


async def unlink(account: Account | None) -> None:
    """Forget the FranceConnect identity; refused while it is the only way in."""
    if account is None:
        raise NotAuthenticated()
    async with atomic():
        link = await FranceConnectLink.filter(account_id=account.id).select_for_update().first()
        if link is None:
            raise _refused(
                AccountErrorCode.FRANCECONNECT_NOT_LINKED,
                "Votre compte n'est lié à aucune identité FranceConnect.",
            )
        if not account.password_hash:
            raise DomainError(
                AccountErrorCode.PASSWORD_REQUIRED,
                "Votre compte n'a pas encore de mot de passe : choisissez-en un avec « Mot de "
                "passe oublié » avant de délier FranceConnect, sinon vous ne pourriez plus "
                "vous connecter.",
            )
        await link.delete()
