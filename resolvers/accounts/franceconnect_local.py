"""A local stand-in for FranceConnect, served under ``/fc-local/`` when no issuer is set.

The real FranceConnect only answers a town's registered client (partner credentials), so
tests and the demo (``famille dev``) talk to this small OpenID Connect provider instead: the
same discovery document, authorization-code flow, token and userinfo endpoints as
FranceConnect v2, ID tokens and userinfo signed RS256 with a key generated when the process
first needs it. Its authorize page lets whoever holds the browser type any identity, which is
why production must set ``FAMILLE_FRANCECONNECT_ISSUER``.

Codes live in this process's memory: the stand-in is for one process (``famille dev``, tests).
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from resolvers.core.clock import Clock
from settings import get_settings

PATH = "/fc-local"
CODE_LIFETIME = timedelta(seconds=60)
TOKEN_LIFETIME = timedelta(seconds=60)
# Longer than authlib's 60 s leeway, or the client would deem it expired on arrival.
ACCESS_TOKEN_LIFETIME = timedelta(minutes=10)

# FranceConnect's own demonstration identity, prefilled on the authorize page.
DEMO_IDENTITY = {
    "given_name": "Angela Claire Louise",
    "family_name": "DUBOIS",
    "gender": "female",
    "email": "wossewodda-3728@yopmail.com",
    "birthdate": "1962-08-24",
    "birthplace": "75107",
    "birthcountry": "99100",
}
IDENTITY_FIELDS = tuple(DEMO_IDENTITY)


def local_issuer() -> str:
    return f"{get_settings().public_url}{PATH}"


def subject_of(identity: dict[str, str]) -> str:
    """FranceConnect's ``sub``: stable for one person and one client, revealing nothing."""
    person = "|".join(identity.get(name, "") for name in ("family_name", "given_name"))
    person += "|" + "|".join(identity.get(name, "") for name in ("birthdate", "birthplace"))
    client = get_settings().franceconnect_client_id
    return hashlib.sha256(f"{client}|{person}".encode()).hexdigest() + "v1"


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    nonce: str
    identity: dict[str, str]
    expires_at: datetime


@dataclass
class LocalFranceConnect:
    """The provider's state: its signing key and the codes and access tokens handed out."""

    _key: RSAKey | None = None
    codes: dict[str, _Grant] = field(default_factory=dict)
    access_tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def key(self) -> RSAKey:
        if self._key is None:
            self._key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8)})
        return self._key

    def app(self, clock: Clock) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/jwks", self._jwks),
                Route("/authorize", self._authorize(clock), methods=["GET", "POST"]),
                Route("/token", self._token(clock), methods=["POST"]),
                Route("/userinfo", self._userinfo(clock)),
            ]
        )

    def transport(self, clock: Clock) -> httpx.ASGITransport:
        """How the API reaches the stand-in: in-process, at the same paths as over HTTP."""
        return httpx.ASGITransport(app=Starlette(routes=[Mount(PATH, app=self.app(clock))]))

    def _sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": "RS256", "kid": self.key.kid}
        return jwt.encode(header, claims, self.key)

    async def _discovery(self, request: Request) -> JSONResponse:
        issuer = local_issuer()
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "userinfo_endpoint": f"{issuer}/userinfo",
                "jwks_uri": f"{issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "userinfo_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "scopes_supported": get_settings().franceconnect_scopes.split(),
            }
        )

    async def _jwks(self, request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    def _authorize(self, clock: Clock) -> Any:
        async def endpoint(request: Request) -> Response:
            settings = get_settings()
            params: dict[str, str] = dict(request.query_params)
            if request.method == "POST":
                params |= {k: str(v) for k, v in (await request.form()).items()}
            expected_redirect = f"{settings.public_url}/franceconnect/callback"
            if (
                params.get("client_id") != settings.franceconnect_client_id
                or params.get("redirect_uri") != expected_redirect
                or params.get("response_type") != "code"
                or not params.get("state")
                or not params.get("nonce")
            ):
                return HTMLResponse(
                    "<p>Demande invalide : client, adresse de retour, state ou nonce.</p>", 400
                )
            back = params["redirect_uri"]
            if request.method == "GET":
                return HTMLResponse(_form(params))
            if params.get("action") == "cancel":
                query = {"error": "access_denied", "state": params["state"]}
                return RedirectResponse(f"{back}?{urlencode(query)}", 302)
            identity = {name: params.get(name, "").strip() for name in IDENTITY_FIELDS}
            code = secrets.token_urlsafe(24)
            self.codes[code] = _Grant(
                client_id=params["client_id"],
                redirect_uri=back,
                nonce=params["nonce"],
                identity=identity,
                expires_at=clock.now() + CODE_LIFETIME,
            )
            query = {"code": code, "state": params["state"]}
            return RedirectResponse(f"{back}?{urlencode(query)}", 302)

        return endpoint

    def _token(self, clock: Clock) -> Any:
        async def endpoint(request: Request) -> JSONResponse:
            settings = get_settings()
            form = {k: str(v) for k, v in (await request.form()).items()}
            if (
                form.get("client_id") != settings.franceconnect_client_id
                or form.get("client_secret") != settings.franceconnect_client_secret
            ):
                return JSONResponse({"error": "invalid_client"}, 401)
            grant = self.codes.pop(form.get("code", ""), None)  # single use
            if (
                grant is None
                or form.get("grant_type") != "authorization_code"
                or grant.expires_at <= clock.now()
                or grant.redirect_uri != form.get("redirect_uri")
                or grant.client_id != form["client_id"]
            ):
                return JSONResponse({"error": "invalid_grant"}, 400)
            access_token = secrets.token_urlsafe(24)
            subject = subject_of(grant.identity)
            self.access_tokens[access_token] = {"sub": subject, **grant.identity}
            now = int(clock.now().timestamp())
            id_token = self._sign(
                {
                    "iss": local_issuer(),
                    "sub": subject,
                    "aud": grant.client_id,
                    "iat": now,
                    "exp": now + int(TOKEN_LIFETIME.total_seconds()),
                    "nonce": grant.nonce,
                    "acr": "eidas1",
                    "at_hash": create_half_hash(access_token, "RS256").decode(),
                }
            )
            return JSONResponse(
                {
                    "access_token": access_token,
                    "token_type": "Bearer",
                    "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
                    "id_token": id_token,
                }
            )

        return endpoint

    def _userinfo(self, clock: Clock) -> Any:
        async def endpoint(request: Request) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            claims = self.access_tokens.get(token) if scheme.lower() == "bearer" else None
            if claims is None:
                return JSONResponse({"error": "invalid_token"}, 401)
            now = int(clock.now().timestamp())
            # FranceConnect v2 answers userinfo as a signed JWT.
            signed = self._sign(
                {
                    **{k: v for k, v in claims.items() if v},
                    "iss": local_issuer(),
                    "aud": get_settings().franceconnect_client_id,
                    "iat": now,
                    "exp": now + int(TOKEN_LIFETIME.total_seconds()),
                }
            )
            return Response(signed, media_type="application/jwt")

        return endpoint


def _form(params: dict[str, str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(params[name])}">'
        for name in ("client_id", "redirect_uri", "response_type", "state", "nonce")
    )
    labels = {
        "given_name": "Prénom(s)",
        "family_name": "Nom de naissance",
        "gender": "Sexe (female ou male)",
        "email": "Adresse e-mail",
        "birthdate": "Date de naissance (AAAA-MM-JJ)",
        "birthplace": "Code INSEE de la commune de naissance",
        "birthcountry": "Code INSEE du pays de naissance",
    }
    inputs = "".join(
        f'<label>{labels[name]}<input name="{name}" value="{escape(DEMO_IDENTITY[name])}"></label>'
        for name in IDENTITY_FIELDS
    )
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>FranceConnect (démonstration)</title>
<style>body{{font-family:Arial,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem}}
label{{display:block;margin:.4rem 0}}input{{display:block;width:100%;padding:.4rem}}
.warn{{background:#fff3cd;padding:.6rem}}</style></head>
<body><h1>FranceConnect — fournisseur d'identité de démonstration</h1>
<p class="warn">Ceci n'est pas FranceConnect : un fournisseur local pour les essais. Saisissez
l'identité avec laquelle vous voulez vous connecter.</p>
<form method="post">{hidden}{inputs}
<button type="submit" name="action" value="accept">Continuer</button>
<button type="submit" name="action" value="cancel">Annuler</button></form></body></html>"""


LOCAL_FRANCECONNECT = LocalFranceConnect()
