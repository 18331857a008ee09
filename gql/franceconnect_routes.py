"""The HTTP side of « S'identifier avec FranceConnect » (not GraphQL: the browser travels).

``GET /franceconnect/login?town=SLUG`` sends the browser to FranceConnect;
``GET /franceconnect/callback`` is where FranceConnect sends it back. The session opened
there is answered like ``login``'s, as a bearer token: with ``FAMILLE_FRANCECONNECT_FRONT_URL``
set, the browser is redirected to the front end with ``#token=…&expires_at=…&outcome=…``
(the fragment never reaches a server log), or ``#error=CODE&message=…``; without it, a page
of the API shows the token (demo, tests). With no issuer set, the local stand-in is mounted
under ``/fc-local/``.
"""

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from gql.pages import _page as page
from gql.pages import escape
from resolvers.accounts import franceconnect
from resolvers.accounts.franceconnect_local import LOCAL_FRANCECONNECT, PATH
from resolvers.core.clock import Clock
from resolvers.core.errors import DomainError
from settings import get_settings

Endpoint = Callable[[Request], Awaitable[Response]]

_OUTCOMES = {
    franceconnect.Outcome.SIGNED_IN: "Vous êtes connecté à votre espace famille.",
    franceconnect.Outcome.LINKED: "Votre compte est maintenant lié à FranceConnect : la "
    "prochaine fois, « S'identifier avec FranceConnect » suffira.",
    franceconnect.Outcome.CREATED: "Votre espace famille est créé à partir de votre identité "
    "FranceConnect. Complétez votre adresse, puis reliez votre famille avec la clé d'accès "
    "reçue de la mairie.",
}


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _refusal(error: DomainError) -> Response:
    front = get_settings().franceconnect_front_url
    if front:
        fragment = urlencode({"error": error.code, "message": error.message})
        return _no_store(RedirectResponse(f"{front}#{fragment}", 302))
    body = f'<p class="error" data-code="{escape(str(error.code))}">{escape(error.message)}</p>'
    return _no_store(page("Connexion FranceConnect impossible", body, status_code=400))


def login(clock: Clock) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            url = await franceconnect.start(request.query_params.get("town", ""), clock=clock)
        except DomainError as error:
            return _refusal(error)
        return _no_store(RedirectResponse(url, 302))

    return endpoint


def callback(clock: Clock) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        params = request.query_params
        try:
            done = await franceconnect.finish(
                params.get("state", ""), params.get("code"), params.get("error"), clock=clock
            )
        except DomainError as error:
            return _refusal(error)
        session = done.session
        front = get_settings().franceconnect_front_url
        if front:
            fragment = urlencode(
                {
                    "token": session.token,
                    "expires_at": session.expires_at.isoformat(),
                    "outcome": done.outcome.value,
                }
            )
            return _no_store(RedirectResponse(f"{front}#{fragment}", 302))
        body = (
            f"<p>{escape(_OUTCOMES[done.outcome])}</p>"
            "<p>Votre jeton de session, à envoyer comme <code>Authorization: Bearer …</code> "
            f"(valable jusqu'au {escape(session.expires_at.isoformat())}) :</p>"
            f'<p><code id="token">{escape(session.token)}</code></p>'
        )
        return _no_store(page("Connexion FranceConnect réussie", body))

    return endpoint


def routes(clock: Clock) -> list[BaseRoute]:
    found: list[BaseRoute] = [
        Route("/franceconnect/login", login(clock)),
        Route("/franceconnect/callback", callback(clock)),
    ]
    if not get_settings().franceconnect_issuer:
        found.append(Mount(PATH, app=LOCAL_FRANCECONNECT.app(clock)))
    return found
