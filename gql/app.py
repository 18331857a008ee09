"""The ASGI application: GraphQL at /graphql (HTTP, and subscriptions over a websocket),
GraphiQL from local assets, health (gql/health.py), mail links."""

import contextlib
import gc
import logging
import secrets
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
from arq import ArqRedis
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http.parse_content_type import parse_content_type
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gql import access_log, downloads, edge, franceconnect_routes, health, pages, payment_routes
from gql.admission import Admission
from gql.compression import Compression
from gql.context import Context, bearer_token
from gql.errors import exception_handlers
from gql.files import (
    cash_journal_file,
    deposit_slip_pdf,
    desk_receipt_pdf,
    direct_debit_xml,
    file_download,
    household_export,
    invoice_pdf,
    pes_xml,
    tax_certificate_pdf,
)
from gql.graphiql import graphiql_page
from gql.http_cache import cache_headers
from gql.http_errors import GRAPHQL_RESPONSE_JSON, http_error_response
from gql.live.websocket import TextFrameWebSocketAdapter
from gql.loaders import make_loaders
from gql.mobile import compiled
from gql.observability import endpoint, operations
from gql.observability.tracing import configure_tracing, instrument_app
from gql.outbox_relay import relay_after_mutation
from gql.schema import schema
from gql.security_headers import SecurityHeaders
from gql.uploads import (
    PREFLIGHT_HEADERS,
    BodySizeLimit,
    BoundedRequestAdapter,
    close_uploads,
)
from jobs.queue import open_pool
from models import pool_metrics
from models.accounts import Account
from models.database import close_db, init_db
from resolvers.accounts.accounts import authenticate
from resolvers.calendar.booking_rules import public_holiday
from resolvers.core import logs, signed_links
from resolvers.core.clock import Clock, SystemClock
from settings import get_settings

logger = logging.getLogger("famille.http")

STATIC_DIR = Path(__file__).parent / "static"


def _header(headers: Headers, name: str) -> str:
    """The first ``name`` header, or "": Starlette's ``get`` finds a missing one by raising
    and catching a KeyError, which costs twice as much (every request asks for a few)."""
    values = headers.getlist(name)
    return values[0] if values else ""


def _request_id(request: HTTPConnection) -> str:
    """The client's X-Request-ID (64 characters at most), else a new one: 16 random hex
    digits (os.urandom's, as uuid4's, without building a UUID: every request asks)."""
    return _header(request.headers, "x-request-id")[:64] or secrets.token_hex(8)


class FamilleGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context, local GraphiQL and orjson responses."""

    request_adapter_class = BoundedRequestAdapter
    websocket_adapter_class = TextFrameWebSocketAdapter

    def __init__(self, clock: Clock) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            multipart_uploads_enabled=True,
            # graphql-ws's protocol only; its predecessor (subscriptions-transport-ws) is
            # unmaintained.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.clock = clock

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        try:
            if isinstance(request, Request) and request.method == "POST":
                compiled = await self._compiled_response(request)
                if compiled is not None:
                    return compiled
            return await super().run(request)
        except HTTPException as exc:  # a GraphQL error body, not Strawberry's text/plain
            return http_error_response(request.headers, exc)
        finally:
            await close_uploads(request)

    async def _compiled_response(self, request: Request) -> Response | None:
        """The answer of the mobile app's compiled documents (gql/mobile/compiled.py), with
        the headers the general path gives it; None: the general path answers."""
        content_type = request.headers.get("content-type", "")
        if content_type != "application/json":  # as Strawberry reads it (the slower way)
            content_type, _ = parse_content_type(content_type)
        # (Strawberry reads the first Accept header only: given alone, not all decoded)
        if "application/json" not in content_type or self._get_stream_transport_from_headers(
            {"accept": _header(request.headers, "accept")}
        ):
            return None
        start = time.perf_counter()
        request_id = _request_id(request)
        logs.start(request_id=request_id)
        redis = getattr(request.app.state, "redis", None)

        async def account_of() -> Account | None:
            found = await self._signed_in(request)
            return found[0] if found else None

        answered = await compiled.answer(
            await request.body(),
            account_of=account_of,
            clock=self.clock,
            request_id=request_id,
            redis=redis,
        )
        if answered is None:
            return None
        # Metrics and the log line, as OperationMetrics gives the executor's answers.
        errors = (
            [
                GraphQLError("", extensions=e.get("extensions"))
                for e in orjson.loads(answered.body)["errors"]
            ]
            if answered.failed
            else []
        )
        sub_response = await self.get_sub_response(request)
        if answered.kind == OperationType.MUTATION:  # what OutboxRelay does after one
            await relay_after_mutation(redis, self.clock, sub_response)
        operations.record(
            answered.operation,
            answered.kind,
            errors,
            list(answered.payload_codes),
            time.perf_counter() - start,
        )
        sub_response.headers["X-Request-ID"] = request_id
        response = Response(answered.body, status_code=200, media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        response.background = sub_response.background
        # What _finish reads of a body: whether it has data (it has) and errors.
        return self._finish(response, {"data": None, "errors": answered.failed}, sub_response)

    def parse_json(self, data: str | bytes) -> Any:
        return edge.parse_json_object(data)

    async def get_context(self, request: Any, response: Any) -> Context:
        if isinstance(request, WebSocket):
            return self._websocket_context(request)
        request_id = _request_id(request)
        response.headers["X-Request-ID"] = request_id
        context = Context(
            request=request,
            response=response,
            clock=self.clock,
            redis=getattr(request.app.state, "redis", None),
            request_id=request_id,
            client_address=request.client.host if request.client else "unknown",
            loaders=make_loaders(self.clock),
        )
        logs.start(request_id=request_id)
        found = await self._signed_in(request)
        if found:
            context.account, context.session_id = found
        return context

    async def _signed_in(self, request: Request) -> tuple[Account, int] | None:
        """The account and session of the request's bearer token, if valid (its town in
        the log lines from here): the general path's context and the compiled path alike."""
        token = bearer_token(request.headers)
        found = await authenticate(token, clock=self.clock) if token else None
        if found:
            logs.update(town=str(found[0].tenant_id))
        return found

    def _websocket_context(self, websocket: WebSocket) -> Context:
        """One context for the connection; the account is read from the connection_init
        payload by each subscription (gql/live), not from the handshake's headers, which
        browsers cannot set."""
        request_id = _request_id(websocket)
        return Context(
            request=websocket,
            response=None,
            clock=self.clock,
            redis=getattr(websocket.app.state, "redis", None),
            request_id=request_id,
            client_address=websocket.client.host if websocket.client else "unknown",
            loaders=make_loaders(),
            connection_params={},
        )

    def should_render_graphql_ide(self, request: Any) -> bool:
        # A GET with only a persisted query's hash (`extensions`, no `query`) is a query.
        return super().should_render_graphql_ide(request) and not request.query_params.get(
            "extensions"
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's page loads GraphiQL from a CDN; town networks cannot reach it.
        return Response(graphiql_page(), media_type="text/html")

    async def get_sub_response(self, request: Any) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.graphql_response_json = (  # type: ignore[attr-defined]
            GRAPHQL_RESPONSE_JSON in _header(request.headers, "accept")
        )
        sub_response.request = request  # type: ignore[attr-defined]  # for its caching headers
        return sub_response

    async def process_result(self, request: Any, result: ExecutionResult) -> Any:
        data = await super().process_result(request, result)
        # GraphQL over HTTP: with application/graphql-response+json, a request that failed
        # before execution (parse, validation, variables: errors without a path) has no data.
        if (
            GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")
            and result.data is None
            and result.errors
            and all(error.path is None for error in result.errors)
        ):
            data.pop("data", None)
        return data

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        return self._finish(response, response_data, sub_response)

    def _finish(self, response: Response, response_data: Any, sub_response: Response) -> Response:
        """The headers every GraphQL answer over HTTP gets (media type, status of a request
        that failed before execution, caching), the compiled documents' included."""
        if getattr(sub_response, "graphql_response_json", False):
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
            # (unless the operation chose its status: a persisted-query miss stays 200)
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = sub_response.status_code or 400
        request = sub_response.request  # type: ignore[attr-defined]
        response.headers.update(
            cache_headers(
                method=request.method,
                request_headers=request.headers,
                body=response_data,
                max_age=get_settings().public_cache_max_age_seconds,
            )
        )
        return response

    async def execute_operation(self, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return await super().execute_operation(**kwargs)
        except HTTPException as exc:
            # GraphQL over HTTP: a mutation sent with GET is 405 Method Not Allowed, not 400.
            method = kwargs["request_adapter"].method
            if method == "GET" and exc.status_code == 400 and "mutation" in exc.reason:
                raise HTTPException(405, exc.reason) from exc
            raise

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


# What a browser front end on another origin sends: JSON bodies, the bearer token, and the
# headers that let a multipart upload past the CSRF guard (gql/uploads.py refuses multipart
# requests without one of them, which a cross-site form cannot send).
CORS_ALLOWED_HEADERS = ("content-type", "authorization", *PREFLIGHT_HEADERS)


def cors_middleware(origins: list[str]) -> list[Middleware]:
    """CORS for the front ends of ``FAMILLE_CORS_ORIGINS`` only: a browser on another origin
    gets no grant, and with none configured no CORS header is ever sent. No credentials:
    the API authenticates with bearer tokens, never cookies."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=list(CORS_ALLOWED_HEADERS),
            expose_headers=["X-Request-ID"],
            max_age=600,
        )
    ]


def create_app(*, clock: Clock | None = None, redis: ArqRedis | None = None) -> Starlette:
    """The app; tests pass their own clock and Redis pool, production uses the defaults."""
    clock = clock or SystemClock()
    # Here, in each process: `famille serve --workers N` spawns processes that set up
    # uvicorn's logging anew (access_log.install keeps one filter however often it runs).
    access_log.install()
    logs.ensure_configured(
        level=get_settings().log_level, json_lines=get_settings().log_format == "json"
    )
    # Traces when the OTEL_* variables ask for them (gql/observability/tracing.py).
    configure_tracing()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await init_db()
        pool_metrics.instrument()
        app.state.redis = redis or await open_pool(get_settings())
        # The public holidays (the holidays package takes about 0.3 s to load): read now,
        # not by the first family's calendar.
        for year in range(clock.now().year - 1, clock.now().year + 2):
            public_holiday(date(year, 1, 1))
        # Everything loaded so far lives as long as the process: keep it out of the
        # collector's full passes (bench/: p99 of a month calendar 73 ms → 25 ms).
        gc.freeze()
        try:
            yield
        finally:
            if redis is None:
                await app.state.redis.aclose()
            await close_db()
            # This process's gauges leave the sums of `famille serve --workers N`.
            endpoint.mark_process_dead()

    graphql_view = FamilleGraphQL(clock)
    app = Starlette(
        routes=[
            Route("/graphql", graphql_view, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_view),
            *health.routes(),
            endpoint.metrics_route(),
            Route(signed_links.DOCUMENT_FILE.route, file_download(clock)),
            Route("/activation/{token}", pages.activation_page(clock), methods=["GET", "POST"]),
            Route(
                "/mot-de-passe/{token}", pages.password_reset_page(clock), methods=["GET", "POST"]
            ),
            Route(
                "/adresse-email/{token}", pages.email_change_page(clock), methods=["GET", "POST"]
            ),
            *franceconnect_routes.routes(clock),
            *downloads.routes(clock),
            Route(signed_links.INVOICE_PDF.route, invoice_pdf(clock)),
            Route(signed_links.DIRECT_DEBIT_XML.route, direct_debit_xml(clock)),
            Route(signed_links.PES_XML.route, pes_xml(clock)),
            Route(signed_links.TAX_CERTIFICATE.route, tax_certificate_pdf(clock)),
            Route(signed_links.DESK_RECEIPT.route, desk_receipt_pdf(clock)),
            Route(signed_links.DEPOSIT_SLIP.route, deposit_slip_pdf(clock)),
            Route(signed_links.CASH_JOURNAL.route, cash_journal_file(clock)),
            Route(signed_links.HOUSEHOLD_EXPORT.route, household_export(clock)),
            *payment_routes.routes(clock),
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        ],
        lifespan=lifespan,
        exception_handlers=exception_handlers(),
        middleware=[
            *cors_middleware(get_settings().cors_origins),
            Middleware(
                Admission,
                concurrency=get_settings().api_concurrency,
                queue=get_settings().api_queue,
                retry_after=get_settings().api_retry_after_seconds,
            ),
            Middleware(Compression, minimum_size=get_settings().compress_min_bytes),
            Middleware(SecurityHeaders),
            Middleware(BodySizeLimit, max_bytes=get_settings().request_max_mb * 1024 * 1024),
        ],
    )
    app.state.clock = clock
    instrument_app(app)
    if redis is not None:
        app.state.redis = redis
    return app
