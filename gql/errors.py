"""Where domain failures become GraphQL errors, and everything else gets masked.

Mutations return their expected failures inside the payload (``errors: [XxxError!]!``),
each with a stable ``code``; queries raise them as GraphQL errors whose
``extensions.code`` carries the same code. Any other exception is a bug: logged once with
the request id, and shown to clients only as a French sentence quoting that id.
"""

import logging
from collections.abc import Iterator
from enum import Enum
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError, VariableDefinitionNode
from strawberry.extensions import SchemaExtension

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
    ValidationErrors,
)

logger = logging.getLogger("famille.graphql")

DomainFailure = (DomainError, ValidationErrors)

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
    description="Stable codes of tariff, attendance, régie and invoice failures.",
)

DirectDebitErrorCodeEnum = strawberry.enum(
    DirectDebitErrorCode,
    name="DirectDebitErrorCode",
    description="Stable codes of SEPA mandate, direct-debit and tax-certificate failures.",
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


@strawberry.type(description="A failure of a family-file operation.")
class HouseholdError(UserError):
    code: HouseholdErrorCode = strawberry.field(description="Stable code to branch on.")


@strawberry.type(description="A failure of a catalogue, enrolment or booking operation.")
class CalendarError(UserError):
    code: CalendarErrorCode = strawberry.field(description="Stable code to branch on.")


@strawberry.type(description="A failure of a document-storage operation.")
class DocumentError(UserError):
    code: DocumentErrorCode = strawberry.field(description="Stable code to branch on.")


@strawberry.type(description="A failure of a news or messages operation.")
class CommunicationError(UserError):
    code: CommunicationErrorCode = strawberry.field(description="Stable code to branch on.")


@strawberry.type(description="A failure of a tariff, attendance, régie or invoice operation.")
class BillingError(UserError):
    code: BillingErrorCode = strawberry.field(description="Stable code to branch on.")


@strawberry.type(description="A failure of a SEPA mandate, direct-debit or certificate operation.")
class DirectDebitError(UserError):
    code: DirectDebitErrorCode = strawberry.field(description="Stable code to branch on.")


E = TypeVar(
    "E",
    AccountError,
    HouseholdError,
    CalendarError,
    DocumentError,
    CommunicationError,
    BillingError,
    DirectDebitError,
)

_CODES: dict[type, type[Enum]] = {
    AccountError: AccountErrorCode,
    HouseholdError: HouseholdErrorCode,
    CalendarError: CalendarErrorCode,
    DocumentError: DocumentErrorCode,
    CommunicationError: CommunicationErrorCode,
    BillingError: BillingErrorCode,
    DirectDebitError: DirectDebitErrorCode,
}


def to_user_errors(failure: DomainError | ValidationErrors, error_type: type[E]) -> list[E]:
    """Map domain failures onto an area's error type, code by code."""
    code_enum = _CODES[error_type]
    failures = failure.errors if isinstance(failure, ValidationErrors) else [failure]
    # Common codes (NOT_AUTHENTICATED, NOT_FOUND…) exist in every area's enum by value.
    return [
        error_type(code=code_enum(error.code.value), message=error.message, field=error.field)  # type: ignore[arg-type]
        for error in failures
    ]


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
        return GraphQLError(
            f"Une erreur inattendue est survenue. Référence : {request_id}.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
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
        logger.error("request %s: %s", request_id, error.message, exc_info=original)
