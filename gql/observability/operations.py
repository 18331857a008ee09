"""Each GraphQL operation counted, timed and logged (docs/monitoring.md).

``OperationMetrics`` is the outermost schema extension: it sees the operation after
``ErrorPolicy`` gave every error its ``extensions.code``, and the codes of the mutation
payloads' ``errors`` that ``handles_errors`` reported (``payload_error``).

The ``operation`` label is bounded by the schema: the operation's name when it is a root
field's name (``mutation submitBookingChanges``), otherwise the name of its only root field
(``query MonCalendrier { calendar … }`` counts as ``calendar``), otherwise ``other``. A
client's own names never become labels: they would be as many series as a client wants.
"""

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode
from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from resolvers.core import logs

logger = logging.getLogger("famille.graphql.operations")

REQUESTS = Counter(
    "famille_graphql_requests_total",
    "GraphQL operations by operation, type and outcome: ok, client_error (an expected "
    "failure: refused input, a payload's errors, a document the schema refuses), "
    "server_error (masked internal error, database unavailable)",
    ["operation", "type", "outcome"],
)
DURATION = Histogram(
    "famille_graphql_request_duration_seconds",
    "Time to answer a GraphQL query or mutation, from its text to its result",
    ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ERRORS = Counter(
    "famille_graphql_errors_total",
    "Errors by stable code: extensions.code of GraphQL errors, and codes of mutation "
    "payloads' errors",
    ["code"],
)
OTHER = "other"
# (gql/errors.py: a masked bug, the database gone)
SERVER_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"})
# A code is one of ours (an enum value), never a client's text; past this many distinct
# codes in a process (there are fewer than 200), the rest count as OTHER.
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")
MAX_CODES = 300
_codes_seen: set[str] = set()

# The codes of the current operation's mutation payloads (handles_errors adds to it).
_payload_codes: ContextVar[list[str] | None] = ContextVar("famille_payload_codes", default=None)


def payload_error(codes: list[str]) -> None:
    """Record the codes of a mutation payload's ``errors`` (called by ``handles_errors``)."""
    recorded = _payload_codes.get()
    if recorded is not None:
        recorded.extend(codes)


@contextmanager
def payload_codes() -> Iterator[list[str]]:
    """The codes ``payload_error`` records while the block runs (one operation's)."""
    codes: list[str] = []
    token = _payload_codes.set(codes)
    try:
        yield codes
    finally:
        try:
            _payload_codes.reset(token)
        except ValueError:
            # An operation strawberry never resumed (an APQ miss, a refused request) is
            # closed by the garbage collector in another context: nothing to reset there.
            pass


def code_label(code: object) -> str:
    """``code`` as a label value: itself when it is an error code, else OTHER."""
    if not isinstance(code, str) or not _CODE.match(code):
        return "OTHER"
    if code not in _codes_seen:
        if len(_codes_seen) >= MAX_CODES:
            return "OTHER"
        _codes_seen.add(code)
    return code


def operation_label(document: Any, operation_name: str | None, root_fields: frozenset[str]) -> str:
    """The bounded ``operation`` label of a parsed document (see the module's docstring)."""
    if operation_name and operation_name in root_fields:
        return operation_name
    definitions = [
        definition
        for definition in getattr(document, "definitions", ())
        if isinstance(definition, OperationDefinitionNode)
    ]
    if operation_name:
        definitions = [d for d in definitions if d.name and d.name.value == operation_name]
    if len(definitions) != 1:
        return OTHER
    selections = definitions[0].selection_set.selections
    if len(selections) == 1 and isinstance(selections[0], FieldNode):
        name = selections[0].name.value
        if name in root_fields:
            return name
    return OTHER


def outcome_of(errors: list[GraphQLError], payload_codes: list[str]) -> tuple[str, list[str]]:
    """The outcome label and the error codes of one operation's result."""
    codes = [str((error.extensions or {}).get("code", "")) for error in errors] + payload_codes
    if any(code in SERVER_CODES for code in codes):
        return "server_error", codes
    if codes:
        return "client_error", codes
    return "ok", codes


class OperationMetrics(SchemaExtension):
    """Counts, times and logs one operation; sets the log context's operation."""

    def __init__(self, root_fields: frozenset[str]) -> None:
        self.root_fields = root_fields

    def on_execute(self) -> Iterator[None]:
        # Parsed and valid: the lines logged while it runs say which operation.
        execution = self.execution_context
        logs.update(
            operation=operation_label(
                execution.graphql_document, execution.operation_name, self.root_fields
            )
        )
        yield

    def on_operation(self) -> Iterator[None]:
        start = time.perf_counter()
        with payload_codes() as codes:
            yield
        execution = self.execution_context
        try:
            kind = execution.operation_type
        except Exception:  # noqa: BLE001 - a text that did not parse has no operation type
            kind = OperationType.QUERY
        operation = operation_label(
            execution.graphql_document, execution.operation_name, self.root_fields
        )
        errors = list(getattr(execution.result, "errors", None) or [])
        record(operation, kind, errors, codes, time.perf_counter() - start)


def record(
    operation: str,
    kind: OperationType,
    errors: list[GraphQLError],
    payload_codes: list[str],
    elapsed: float,
) -> None:
    """Count, time and log one operation (the executor's, or the mobile app's compiled
    path, gql/mobile/compiled.py, which skips the extensions)."""
    outcome, codes = outcome_of(errors, payload_codes)
    REQUESTS.labels(operation, kind.value, outcome).inc()
    for code in codes:
        ERRORS.labels(code_label(code)).inc()
    if kind != OperationType.SUBSCRIPTION:
        DURATION.labels(operation, kind.value).observe(elapsed)
    logs.update(operation=operation)
    logger.info(
        "%s %s: %s",
        kind.value,
        operation,
        outcome if not codes else f"{outcome} ({', '.join(sorted(set(codes)))})",
        extra={"duration_ms": round(elapsed * 1000, 1)},
    )
