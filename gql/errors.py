"""Where domain failures become GraphQL errors, and everything else gets masked.

Mutations return their expected failures inside the payload (``errors: [XxxError!]!``),
each with a stable ``code``; queries raise them as GraphQL errors whose
``extensions.code`` carries the same code. Any other exception is a bug: logged once with
the request id, and shown to clients only as a French sentence quoting that id — except
a lost database connection, which is an outage, not a bug: ``SERVICE_UNAVAILABLE``.
"""

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, ParamSpec, TypeVar, get_args, get_origin, get_type_hints

import asyncpg
import strawberry
from graphql import GraphQLError, GraphQLSyntaxError, VariableDefinitionNode
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from strawberry.extensions import SchemaExtension
from tortoise.exceptions import DBConnectionError
from tortoise.exceptions import ValidationError as ModelValidationError

from gql.observability.operations import payload_error
from resolvers.core import logs
from resolvers.core.errors import (
    AccountErrorCode,
    BillingErrorCode,
    CalendarErrorCode,
    CommonErrorCode,
    CommunicationErrorCode,
    DirectDebitErrorCode,
    DocumentErrorCode,
    DomainError,
    HouseholdErrorCode,
    QuotientErrorCode,
    TreasuryErrorCode,
    ValidationErrors,
)
from resolvers.core.transactions import atomic as _atomic

logger = logging.getLogger("famille.graphql")

DomainFailure = (DomainError, ValidationErrors)

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
SERVICE_UNAVAILABLE_MESSAGE = (
    "Le service est momentanément indisponible : réessayez dans un instant. Référence : {}."
)
# What a lost, refused or hung database connection raises through Tortoise and asyncpg.
_DATABASE_DOWN: tuple[type[BaseException], ...] = (
    ConnectionError,  # reset, refused, broken pipe
    TimeoutError,
    asyncpg.PostgresConnectionError,  # ConnectionDoesNotExistError, CannotConnectNowError…
    DBConnectionError,
)


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what it was raised from) is the database going away; asyncpg
    reports a transaction whose connection died as an InterfaceError on its rollback."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, _DATABASE_DOWN):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


async def database_unavailable_response(request: Request, exc: Exception) -> Response:
    """Starlette's handler when the database fails outside GraphQL's execution (a route, or
    the request's authentication): 503 with Retry-After, as GraphQL errors on /graphql."""
    if not database_unavailable(exc):
        raise exc
    reference = request.headers.get("x-request-id", "")[:64] or "-"
    logger.warning("%s %s: database unavailable (%s)", request.method, request.url.path, exc)
    message = SERVICE_UNAVAILABLE_MESSAGE.format(reference)
    headers = {"Retry-After": "5"}
    if request.url.path == "/graphql":
        body = {"errors": [{"message": message, "extensions": {"code": SERVICE_UNAVAILABLE}}]}
        return JSONResponse(body, status_code=503, headers=headers)
    return PlainTextResponse(message, status_code=503, headers=headers)


CLIENT_GONE = 499  # as nginx records "client closed request"; nobody receives it


async def client_gone_response(request: Request, exc: Exception) -> Response:
    """Starlette's handler when the client hung up before its request's body arrived: a
    phone that lost its network, or gave up while its request waited its turn (gql/
    admission.py). Nothing was read, so nothing was done, and there is nobody to answer:
    one line in the log, where an uncaught ClientDisconnect cost an ERROR with a traceback
    (a few milliseconds of CPU each, in the minute the server is busiest)."""
    logger.info("%s %s: client gone before its request arrived", request.method, request.url.path)
    return Response(status_code=CLIENT_GONE)


def exception_handlers() -> dict[Any, Any]:
    """The app's handlers of what escapes a route: the database gone, the client gone."""
    handlers: dict[Any, Any] = {
        kind: database_unavailable_response for kind in (*_DATABASE_DOWN, asyncpg.InterfaceError)
    }
    handlers[ClientDisconnect] = client_gone_response
    return handlers


CommonErrorCodeEnum = strawberry.enum(
    CommonErrorCode,
    name="CommonErrorCode",
    description="Codes of failures any query may report in `extensions.code`.",
)
AccountErrorCodeEnum = strawberry.enum(
    AccountErrorCode,
    name="AccountErrorCode",
    description="Stable codes of account failures (registration, login, passwords).",
)
HouseholdErrorCodeEnum = strawberry.enum(
    HouseholdErrorCode,
    name="HouseholdErrorCode",
    description="Stable codes of family-file failures.",
)
CalendarErrorCodeEnum = strawberry.enum(
    CalendarErrorCode,
    name="CalendarErrorCode",
    description="Stable codes of catalogue, enrolment, calendar and booking failures.",
)
DocumentErrorCodeEnum = strawberry.enum(
    DocumentErrorCode,
    name="DocumentErrorCode",
    description="Stable codes of document-storage failures (files refused, not found…).",
)
CommunicationErrorCodeEnum = strawberry.enum(
    CommunicationErrorCode,
    name="CommunicationErrorCode",
    description="Stable codes of news and messages failures.",
)

BillingErrorCodeEnum = strawberry.enum(
    BillingErrorCode,
    name="BillingErrorCode",
    description="Stable codes of tariff, attendance, régie, invoice and tax-certificate failures.",
)

DirectDebitErrorCodeEnum = strawberry.enum(
    DirectDebitErrorCode,
    name="DirectDebitErrorCode",
    description="Stable codes of SEPA mandate and direct-debit failures.",
)

TreasuryErrorCodeEnum = strawberry.enum(
    TreasuryErrorCode,
    name="TreasuryErrorCode",
    description="Stable codes of PES model and titres export failures.",
)

QuotientErrorCodeEnum = strawberry.enum(
    QuotientErrorCode,
    name="QuotientErrorCode",
    description="Stable codes of CAF/MSA quotient failures (API Particulier).",
)


@strawberry.interface(description="An expected failure the user can fix; message in French.")
class UserError:
    message: str = strawberry.field(description="What went wrong, in French, for the user.")
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase path), or null for the whole form."
    )


@strawberry.type(description="A failure of an account operation.")
class AccountError(UserError):
    code: AccountErrorCode = strawberry.field(description="Stable code to branch on.")
    codes: ClassVar[type[AccountErrorCode]] = AccountErrorCode


@strawberry.type(description="A failure of a family-file operation.")
class HouseholdError(UserError):
    code: HouseholdErrorCode = strawberry.field(description="Stable code to branch on.")
    codes: ClassVar[type[HouseholdErrorCode]] = HouseholdErrorCode


@strawberry.type(description="A failure of a catalogue, enrolment or booking operation.")
class CalendarError(UserError):
    code: CalendarErrorCode = strawberry.field(description="Stable code to branch on.")
    codes: ClassVar[type[CalendarErrorCode]] = CalendarErrorCode


@strawberry.type(description="A failure of a document-storage operation.")
class DocumentError(UserError):
    code: DocumentErrorCode = strawberry.field(description="Stable code to branch on.")
    codes: ClassVar[type[DocumentErrorCode]] = DocumentErrorCode


@strawberry.type(description="A failure of a news or messages operation.")
class CommunicationError(UserError):
    code: CommunicationErrorCode = strawberry.field(description="Stable code to branch on.")
    codes: ClassVar[type[CommunicationErrorCode]] = CommunicationErrorCode


@strawberry.type(
    description="A failure of a tariff, attendance, régie, invoice or tax-certificate operation."
)
class BillingError(UserError):
    code: BillingErrorCode = strawberry.field(description="Stable code to branch on.")
    codes: ClassVar[type[BillingErrorCode]] = BillingErrorCode


@strawberry.type(description="A failure of a SEPA mandate or direct-debit operation.")
class DirectDebitError(UserError):
    code: DirectDebitErrorCode = strawberry.field(description="Stable code to branch on.")
    codes: ClassVar[type[DirectDebitErrorCode]] = DirectDebitErrorCode


@strawberry.type(description="A failure of a PES model or titres export operation.")
class TreasuryError(UserError):
    code: TreasuryErrorCode = strawberry.field(description="Stable code to branch on.")
    codes: ClassVar[type[TreasuryErrorCode]] = TreasuryErrorCode


@strawberry.type(description="A failure of a CAF/MSA quotient operation.")
class QuotientError(UserError):
    code: QuotientErrorCode = strawberry.field(description="Stable code to branch on.")
    codes: ClassVar[type[QuotientErrorCode]] = QuotientErrorCode


E = TypeVar(
    "E",
    AccountError,
    HouseholdError,
    CalendarError,
    DocumentError,
    CommunicationError,
    BillingError,
    DirectDebitError,
    TreasuryError,
    QuotientError,
)

# Each area's error type, with its enum of codes (``codes``).
AREA_ERRORS: tuple[type, ...] = E.__constraints__


def to_user_errors(failure: DomainError | ValidationErrors, error_type: type[E]) -> list[E]:
    """Map domain failures onto an area's error type, code by code.

    Common codes (NOT_AUTHENTICATED, NOT_FOUND…) exist in every area's enum by value; that
    each area's enum holds every code its operations raise is checked at schema build
    (gql/error_codes.py), so the lookup by value cannot fail on a code left out.
    """
    failures = failure.errors if isinstance(failure, ValidationErrors) else [failure]
    return [
        error_type(
            code=error_type.codes(error.code.value), message=error.message, field=error.field
        )
        for error in failures
    ]


P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class HandledMutation:
    """A mutation resolver under ``handles_errors``, as the schema-build check reads it."""

    resolver: Callable[..., Any]
    error_type: type
    atomic: bool


# Filled as the mutation modules are imported; gql/schema.py checks their codes.
HANDLED: list[HandledMutation] = []


def payload_error_type(payload: type) -> type:
    """The error type of a payload's ``errors: list[XxxError]`` field."""
    annotation = get_type_hints(payload).get("errors")
    args = get_args(annotation) if get_origin(annotation) is list else ()
    if len(args) != 1 or args[0] not in AREA_ERRORS:
        raise TypeError(f"{payload.__name__}.errors is not a list of an area's error type")
    error_type: type = args[0]
    return error_type


_MODEL_REFUSAL = re.compile(
    r"^(?:(?P<field>\w+): )?Length of .* (?P<length>\d+) > (?P<max>\d+)$", re.S
)


def model_refusal(refused: ModelValidationError) -> DomainError:
    """A value the model's own validators refused (a text longer than its column, which the
    operations do not all check first): ``INVALID`` naming the field, not a masked error.
    The fuzz test of the schema found it (a 20-character postal code)."""
    text = str(refused)
    match = _MODEL_REFUSAL.match(text)
    field = match and match.group("field") or text.split(":", 1)[0].strip()
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), field) if field.isidentifier() else None
    message = (
        f"Valeur trop longue ({match.group('length')} caractères, {match.group('max')} au plus)."
        if match
        else "Valeur refusée."
    )
    return DomainError(CommonErrorCode.INVALID, message, camel)


def handles_errors(
    *, atomic: bool = True
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """The one wrapper of every mutation (Saleor's ``BaseMutation.handle_errors``), applied
    under ``@strawberry.mutation``:

    - the mutation runs in one database transaction (``resolvers.core.transactions.atomic``,
      which the operations' own ``atomic()`` blocks join), committed before the answer is
      sent and before the outbox relay hands its jobs to Redis;
    - a ``DomainError`` / ``ValidationErrors`` rolls it back and becomes the payload's
      ``errors``: the payload is the resolver's return annotation, the error type that of
      the payload's ``errors`` field (a payload with other required fields builds itself in
      a ``from_errors`` class method);
    - anything else rolls back too and goes on to ``ErrorPolicy``, which masks it.

    ``atomic=False`` is for the few mutations that must keep what they wrote before
    failing; the resolver says why. ``functools.wraps`` keeps the signature and the
    annotations Strawberry reads, so the schema does not change.
    """

    def decorate(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        payload = get_type_hints(resolver)["return"]
        error_type = payload_error_type(payload)
        from_errors: Callable[[list[Any]], R] = getattr(
            payload, "from_errors", lambda errors: payload(errors=errors)
        )

        async def handle(call: Callable[[], Awaitable[R]]) -> R:
            """``call()`` as the resolver runs under this wrapper: the resolver's own
            call, and the mobile app's compiled document (gql/mobile/compiled.py), which
            skips the executor but not the transaction nor the payload's errors."""
            try:
                if not atomic:
                    return await call()
                async with _atomic():
                    return await call()
            except DomainFailure as failure:
                return _refused(to_user_errors(failure, error_type))
            except ModelValidationError as refused:
                return _refused(to_user_errors(model_refusal(refused), error_type))

        @functools.wraps(resolver)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            return await handle(lambda: resolver(*args, **kwargs))

        def _refused(errors: list[Any]) -> R:
            payload_error([error.code.value for error in errors])
            return from_errors(errors)

        def refuse(failure: DomainError) -> R:
            """The payload of a refusal decided before the resolver runs (gql/access.py)."""
            return _refused(to_user_errors(failure, error_type))

        wrapper.refuse = refuse  # type: ignore[attr-defined]
        wrapper.handle = handle  # type: ignore[attr-defined]
        HANDLED.append(HandledMutation(resolver, error_type, atomic))
        return wrapper

    return decorate


class ErrorPolicy(SchemaExtension):
    """Give domain errors their code and French message; mask everything unexpected."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        result.errors = [self._rewrite(error, request_id) for error in errors]

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Subscriptions send each result before on_operation resumes: rewrite them here.
        errors = getattr(result, "errors", None)
        if errors:
            request_id = getattr(self.execution_context.context, "request_id", "-")
            result.errors = [self._rewrite(error, request_id) for error in errors]
        yield

    @staticmethod
    def _rewrite(error: GraphQLError, request_id: str) -> GraphQLError:
        original = error.original_error
        if original is None or (isinstance(original, GraphQLError) and error.path is None):
            # Syntax, validation, limit and variable errors, raised before execution: safe to
            # show as they are, with graphql-core's context ("Variable '$from' got invalid
            # value…") and locations, not only the scalar's own error inside.
            inner = original.extensions if original is not None else None
            extensions = {
                "code": _pre_execution_code(error),
                **(inner or {}),
                **(error.extensions or {}),
            }
            return GraphQLError(
                error.message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions=extensions,
            )
        if isinstance(original, ValidationErrors):
            original = original.errors[0]
        if isinstance(original, DomainError):
            return GraphQLError(
                original.message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": original.code.value, "field": original.field},
            )
        if isinstance(original, GraphQLError):
            return original
        if database_unavailable(original):
            return GraphQLError(
                SERVICE_UNAVAILABLE_MESSAGE.format(request_id),
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": SERVICE_UNAVAILABLE, "requestId": request_id},
            )
        # With tracing on, the reference also names the trace: the support finds the
        # failing request's spans (its SQL statements) as well as its log lines.
        trace_id = logs.trace_id()
        reference = f"{request_id}, trace {trace_id}" if trace_id else request_id
        return GraphQLError(
            f"Une erreur inattendue est survenue. Référence : {reference}.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={
                "code": "INTERNAL_SERVER_ERROR",
                "requestId": request_id,
                **({"traceId": trace_id} if trace_id else {}),
            },
        )


def _pre_execution_code(error: GraphQLError) -> str:
    """Apollo's codes: a document that does not parse (or is over the token limit), a
    variable whose value cannot be coerced, or a document the schema refuses."""
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if any(isinstance(node, VariableDefinitionNode) for node in error.nodes or ()):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def log_unexpected(errors: list[GraphQLError], request_id: str) -> None:
    """Log each bug once with its traceback; expected failures are not logged."""
    for error in errors:
        original = error.original_error
        if original is None or isinstance(original, (*DomainFailure, GraphQLError)):
            continue
        if database_unavailable(original):  # an outage, not a bug: one line, no traceback
            logger.warning("request %s: database unavailable (%r)", request_id, original)
            continue
        logger.error("request %s: %s", request_id, error.message, exc_info=original)
