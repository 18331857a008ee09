"""Plain HTTP routes of online payment (not GraphQL): the providers' callbacks and the
page the parent's browser comes back to.

Callbacks answer at once, on the exact path (a redirect would lose PayZen's POST): the
notification is stored and its reconcile job recorded with the outcome
(resolvers/payments/reconcile.py), then handed to arq after the answer
(gql/outbox_relay.py). The return page reads our own records, never the parameters the
browser brings back.
"""

from collections.abc import Awaitable, Callable

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from gql.observability import callbacks
from gql.outbox_relay import relay_after_commit
from gql.pages import _page as page
from gql.pages import escape
from models.payments import PaymentProvider
from resolvers.core.clock import Clock
from resolvers.payments.payments import CALLBACK_PATHS, return_state
from resolvers.payments.reconcile import receive_callback

Endpoint = Callable[[Request], Awaitable[Response]]


def callback(provider: PaymentProvider, clock: Clock) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        # The bytes as received: request.url would decode the query string (and fail on
        # invalid UTF-8), a decoded body would not hash to what was sent.
        answer = await receive_callback(
            provider,
            method=request.method,
            headers=dict(request.headers),
            query=request.scope.get("query_string", b""),
            body=await request.body(),
            source_ip=request.client.host if request.client else "unknown",
            clock=clock,
        )
        callbacks.record(provider, answer.status_code)
        task = None
        redis = getattr(request.app.state, "redis", None)
        if answer.outbox_id is not None and redis:
            # The relay mutations use: at a few hundred IPNs a second, one relay (an
            # UPDATE … RETURNING and a Redis pipeline) hands over every callback's job
            # committed meanwhile, rather than each enqueuing its own.
            task = BackgroundTask(relay_after_commit, redis, clock)
        return PlainTextResponse(answer.body, status_code=answer.status_code, background=task)

    return endpoint


async def return_page(request: Request) -> HTMLResponse:
    state = await return_state(request.path_params["token"])
    if state is None:
        return page(
            "Paiement introuvable",
            "<p>Ce lien de retour ne correspond à aucun paiement.</p>",
            status_code=404,
        )
    return page(
        state.title,
        f"<p>{escape(state.message)}</p>"
        "<p>Vous pouvez fermer cette page et revenir à votre espace famille.</p>",
    )


def routes(clock: Clock) -> list[Route]:
    # Each callback answers on its path with or without a trailing slash: Starlette would
    # otherwise redirect ``…/ipn/`` (307), and a provider does not follow redirects.
    return [
        *(
            Route(exact, callback(provider, clock), methods=["GET", "POST"])
            for provider, path in CALLBACK_PATHS.items()
            for exact in (path, f"{path}/")
        ),
        # The providers bring the browser back with GET (PayZen vads_return_mode) or POST.
        Route("/paiement/retour/{token}", return_page, methods=["GET", "POST"]),
    ]
