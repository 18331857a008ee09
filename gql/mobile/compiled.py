"""The mobile app's documents answered by a compiled path: database rows to JSON bytes.

The family app sends the same few documents all day long: the calendar is most of its
traffic, the home screen is what every opening of the app asks, the booking submit most
of its writes (the opening day's surge). For the documents shipped here
(``gql/mobile/*.graphql``, registered with ``famille register-documents
gql/mobile/persisted-query-manifest.json`` and by the demo), each document is compiled
once, when this module loads, against the schema: its root field's resolver function (the
same one the field calls: ``calendar_lines``, ``home_screen``, ``submitted_changes``, so
the ids' decoding, the access rule and the domain's work exist once), a mutation's
``handles_errors`` (its ``handle``: the transaction, the refusals as the payload's errors)
and, for each selected field, the attribute to read and the GraphQL type's own output
coercion. A request
carrying such a document (its exact text, or its SHA-256 as a persisted query) then skips
Strawberry's and graphql-core's per-request work (the extensions' hooks, the execution
context, a resolve info and a completion per field) and serialises the resolver's objects
straight to bytes with orjson, a list of objects column by column as gql/execution.py
builds it (a submit's 180 lines); a ``Shared`` item (a calendar's day, built once per
distinct day and process) keeps its bytes per compiled selection, so a year's answer
costs one lookup per day.

The answer is the general executor's, byte for byte, status and headers included: the
variables are coerced and the arguments converted as the executor does it, with what
depends on the document alone done when it is compiled (gql/mobile/arguments.py), and
checked by the same edge rules (``operation_input_errors``); a
domain failure becomes the same error object (graphql-core's ``located_error``, then
``ErrorPolicy``'s rewrite), and the response goes through the view's own headers
(``X-Request-ID``, media type, caching). Whatever it does not handle exactly goes to the
general executor, which answers it as before: another operation name, a GET, variables
that fail coercion or the edge rules (their errors are the executor's), a hash+text
registration; for a query, also a value the compiled plan does not expect (a null where
none may be) or any exception other than a domain failure (the executor then masks and
logs it). A mutation is never handed over once its function was called: it may have
committed, and must not run twice; whatever fails from there is answered as the executor
answers a failing root field. After a mutation the view relays the outbox as
``OutboxRelay`` does (``relay_after_mutation``). tests/gql/test_compiled_documents.py and
test_compiled_submit.py compare both answers byte for byte.
"""

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from types import NoneType
from typing import Any, NamedTuple

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    is_leaf_type,
    parse,
    validate,
)
from graphql.error import located_error
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.graphql import OperationType

from gql.access import OperationAccess
from gql.calendar.mutations import submitted_changes
from gql.calendar.queries import calendar_lines
from gql.edge import operation_input_errors
from gql.errors import DomainFailure, ErrorPolicy, log_unexpected
from gql.execution import Shared, coerce_leaves
from gql.home.queries import home_screen
from gql.manifests import Registration, read_manifest, register_documents
from gql.mobile.arguments import Arguments
from gql.observability.operations import payload_codes
from gql.persisted import persisted_text, registered_text, sha256_hex
from gql.schema import schema
from models.accounts import Account
from resolvers.core import logs
from resolvers.core.clock import Clock
from resolvers.core.sql import one_connection
from settings import get_settings

logger = logging.getLogger("famille.compiled")

DOCUMENTS_DIR = Path(__file__).parent
# The manifest shipped next to the documents, for `famille register-documents`.
MANIFEST = DOCUMENTS_DIR / "persisted-query-manifest.json"
# A mobile request is a hash or a short text and a few variables: larger bodies (a long
# list of children) take the general path rather than being parsed twice.
MAX_BODY_BYTES = 8192

# The root fields a compiled document may select, each with the function its resolver
# calls. Each function takes the account first, the field's arguments by their Python
# names (as Strawberry converts them for the resolver) and the clock by keyword, as the
# resolver passes them from the context. A mutation's function runs under its resolver's
# ``handles_errors`` (its ``handle``: the transaction, the payload's errors).
RootFunction = Callable[..., Awaitable[Any]]
ROOTS: dict[str, RootFunction] = {
    "calendar": calendar_lines,
    "home": home_screen,
    "submitBookingChanges": submitted_changes,
}
# What a compiled document may be.
KINDS = {"query": OperationType.QUERY, "mutation": OperationType.MUTATION}


class CompileError(Exception):
    """A shipped document the compiled path cannot answer exactly (raised at import)."""


class _Unexpected(Exception):
    """A value the compiled plan does not handle: the general executor answers."""


class _Field(NamedTuple):
    """One response key: the attribute ``read`` from the object, then a ``leaf`` type's
    output coercion, an object's ``sub`` plan, or for a list ``items`` (each ``sub`` or
    leaf), ``nullable`` or not."""

    key: str
    read: Callable[[Any], Any]
    nullable: bool
    leaf: GraphQLLeafType | None = None
    sub: "_Plan | None" = None
    items: "_Field | None" = None


class _Plan(NamedTuple):
    """The selected fields of an object type, in response order, and their ``keys``;
    ``shared``: the number under which a ``Shared`` item keeps its bytes (0: not
    shared); ``is_type_of``: the check graphql-core makes of each object (Strawberry's,
    for a type implementing an interface: an error type), which reads no resolve info."""

    fields: tuple[_Field, ...]
    keys: tuple[str, ...]
    shared: int = 0
    is_type_of: Callable[[Any, Any], Any] | None = None


@dataclass(frozen=True)
class CompiledDocument:
    text: str
    sha256: str
    name: str
    document: DocumentNode
    kind: OperationType
    arguments_only: OperationDefinitionNode
    root: FieldNode
    function: RootFunction
    access: OperationAccess
    # A mutation's ``handles_errors`` (gql/errors.py), which its function runs under.
    handle: Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]] | None
    plan: _Field
    arguments: Arguments


_shared_numbers = iter(range(1, 1 << 30))


def _reader(field: StrawberryField) -> Callable[[Any], Any]:
    getter, attribute = field.default_resolver, field.python_name
    if getter is getattr and attribute is not None:
        return attrgetter(attribute)
    raise CompileError(f"{field.python_name}: not a plain attribute")


def _compile_field(
    parent: GraphQLObjectType, node: FieldNode, field_type: GraphQLOutputType
) -> _Field:
    """What a field of ``parent`` selected by ``node`` completes as (a basic field only:
    no resolver, argument, alias or directive, as gql/execution.py's shortcuts require)."""
    if node.alias or node.directives or node.arguments:
        raise CompileError(f"{node.name.value}: aliases, arguments and directives are not compiled")
    field_def = parent.fields[node.name.value]
    field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        not isinstance(field, StrawberryField)
        or not field.is_basic_field
        or getattr(field_def.resolve, "__name__", "") != "_get_basic_result"
    ):
        raise CompileError(f"{parent.name}.{node.name.value}: not a basic field")
    return _kind(node.name.value, _reader(field), field_type, node.selection_set)


def _kind(
    key: str,
    read: Callable[[Any], Any],
    field_type: GraphQLOutputType,
    selection_set: SelectionSetNode | None,
) -> _Field:
    nullable = not isinstance(field_type, GraphQLNonNull)
    inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    if is_leaf_type(inner):
        assert isinstance(inner, GraphQLLeafType)
        return _Field(key, read, nullable, leaf=inner)
    if isinstance(inner, GraphQLList):
        return _Field(
            key, read, nullable, items=_kind(key, _identity, inner.of_type, selection_set)
        )
    if isinstance(inner, GraphQLObjectType) and selection_set:
        return _Field(key, read, nullable, sub=_compile_plan(inner, selection_set))
    raise CompileError(f"{key}: {inner} is not compiled")


def _identity(value: Any) -> Any:
    return value


def _compile_plan(object_type: GraphQLObjectType, selection_set: SelectionSetNode) -> _Plan:
    fields = []
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.name.value.startswith("__"):
            raise CompileError(f"{object_type.name}: fragments and meta-fields are not compiled")
        field_def = object_type.fields.get(selection.name.value)
        if field_def is None:
            raise CompileError(f"{object_type.name}.{selection.name.value}: no such field")
        fields.append(_compile_field(object_type, selection, field_def.type))
    definition = (object_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if object_type.is_type_of is not None and getattr(definition, "is_type_of", True) is not None:
        raise CompileError(f"{object_type.name}: its own is_type_of is not compiled")
    origin = getattr(definition, "origin", None)
    shared = isinstance(origin, type) and issubclass(origin, Shared)
    if shared and object_type.is_type_of is not None:
        raise CompileError(f"{object_type.name}: a shared type with is_type_of")
    return _Plan(
        tuple(fields),
        tuple(field.key for field in fields),
        next(_shared_numbers) if shared else 0,
        object_type.is_type_of,
    )


def compile_document(text: str) -> CompiledDocument:
    """One shipped document, compiled against the schema; raises ``CompileError``."""
    document = parse(text)
    if errors := validate(schema._schema, document):
        raise CompileError(f"not valid: {errors[0].message}")
    if len(document.definitions) != 1 or not isinstance(
        operation := document.definitions[0], OperationDefinitionNode
    ):
        raise CompileError("one operation, no fragment")
    kind = KINDS.get(operation.operation.value)
    if kind is None or operation.name is None or operation.directives:
        raise CompileError("a named query or mutation without directives")
    [root] = operation.selection_set.selections
    if not isinstance(root, FieldNode) or root.alias or root.directives:
        raise CompileError("one root field, without alias nor directive")
    if root.name.value not in ROOTS:
        raise CompileError(f"{root.name.value}: no compiled root function")
    if not all(isinstance(argument.value, VariableNode) for argument in root.arguments or ()):
        raise CompileError("root arguments must be variables")
    root_type = schema._schema.get_root_type(operation.operation)
    assert root_type is not None
    field_def = root_type.fields[root.name.value]
    strawberry_field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(strawberry_field, StrawberryField):
        raise CompileError(f"{root.name.value}: not a Strawberry field")
    access = next((e for e in strawberry_field.extensions if isinstance(e, OperationAccess)), None)
    if access is None:
        raise CompileError(f"{root.name.value}: no OperationAccess (gql/access.py)")
    resolver = strawberry_field.base_resolver
    handle = getattr(resolver.wrapped_func if resolver else None, "handle", None)
    if (kind is OperationType.MUTATION) != (handle is not None):
        raise CompileError(f"{root.name.value}: a mutation runs under handles_errors, a query not")
    plan = _kind(root.name.value, _identity, field_def.type, root.selection_set)
    try:
        arguments = Arguments.compile(operation, field_def, root, strawberry_field)
    except ValueError as error:
        raise CompileError(str(error)) from None
    # What the edge rules walk: only the root field takes arguments (nested ones are not
    # compiled), so the operation without the root's selection is checked the same way.
    arguments_only = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions,
        directives=(),
        selection_set=SelectionSetNode(
            selections=(FieldNode(name=root.name, arguments=root.arguments, directives=()),)
        ),
    )
    return CompiledDocument(
        text=text,
        sha256=sha256_hex(text),
        name=operation.name.value,
        document=document,
        kind=kind,
        arguments_only=arguments_only,
        root=root,
        function=ROOTS[root.name.value],
        access=access,
        handle=handle,
        plan=plan,
        arguments=arguments,
    )


def shipped_documents() -> list[CompiledDocument]:
    """The documents of ``gql/mobile/*.graphql``, compiled."""
    return [compile_document(path.read_text()) for path in sorted(DOCUMENTS_DIR.glob("*.graphql"))]


COMPILED: dict[str, CompiledDocument] = {d.sha256: d for d in shipped_documents()}
_BY_TEXT: dict[str, CompiledDocument] = {d.text: d for d in COMPILED.values()}


# --- serialising -----------------------------------------------------------------------


def _complete(field: _Field, value: Any) -> Any:
    """``value`` as the executor completes it (JSON-ready; a Shared item's bytes as an
    ``orjson.Fragment``), or ``_Unexpected`` where it would report an error."""
    if value is None:
        if field.nullable:
            return None
        raise _Unexpected(field.key)
    if field.leaf is not None:
        coerced = field.leaf.coerce_output_value(value)
        if coerced is None:
            raise _Unexpected(field.key)
        return coerced
    if field.items is not None:
        if not isinstance(value, list):
            raise _Unexpected(field.key)
        items = field.items
        if items.sub is not None and not items.nullable:
            if items.sub.shared:
                return _shared_items(items.sub, value)
            # Column by column only from two items: deciding once per column what to do
            # with a field shares nothing within one item (a one-day submit's line) and
            # costs more than completing it (4.73 M → 4.56 M instructions a surge submit).
            if len(value) > 1:
                return _objects(items.sub, value)
        return [_complete(items, item) for item in value]
    plan = field.sub
    assert plan is not None
    if plan.shared:
        encoded = value._encoded.get(plan.shared)
        if encoded is None:
            encoded = value._encoded[plan.shared] = orjson.Fragment(
                orjson.dumps(_object(plan, value))
            )
        return encoded
    return _object(plan, value)


def _shared_items(plan: _Plan, items: list[Any]) -> list[Any]:
    """The bytes of ``Shared`` items (a calendar's days): one lookup each, once built."""
    number = plan.shared
    encoded = [item._encoded.get(number) for item in items]  # a None item: AttributeError
    if None in encoded:
        for n, item in enumerate(items):
            if encoded[n] is None:
                encoded[n] = item._encoded[number] = orjson.Fragment(
                    orjson.dumps(_object(plan, item))
                )
    return encoded


def _objects(plan: _Plan, values: list[Any]) -> list[dict[str, Any]]:
    """The dicts of a list's objects (none may be null), built column by column as the
    executor builds them (gql/execution.py): what to do with a field is decided once per
    list, not once per item (1,800 values for a 180-line submit)."""
    if NoneType in set(map(type, values)):
        raise _Unexpected("null item")
    if plan.is_type_of is not None and not all(plan.is_type_of(v, None) for v in values):
        raise _Unexpected(type(values[0]).__name__)
    columns = [_column(field, list(map(field.read, values))) for field in plan.fields]
    return list(map(dict, map(zip, repeat(plan.keys), zip(*columns, strict=True))))


def _column(field: _Field, values: list[Any]) -> list[Any]:
    """``_complete`` of each of ``values`` (a field of a list's objects): a column of
    leaves coerced at once as the executor coerces it, a column of objects built column
    by column in turn, each distinct object once (its dict shared by its items)."""
    types = set(map(type, values))
    if NoneType not in types:
        if field.leaf is not None:
            column = coerce_leaves(field.leaf, values, types, optimized_is_awaitable)
            if column is None:
                raise _Unexpected(field.key)
            return column
        if field.sub is not None and not field.sub.shared:
            # An object named again and again (a submit's 180 lines name one child) is
            # built once: its fields are plain attributes, the same at every read.
            distinct = {id(value): value for value in values}
            built = dict(zip(distinct, _objects(field.sub, list(distinct.values())), strict=True))
            return [built[id(value)] for value in values]
    return [_complete(field, value) for value in values]


def _object(plan: _Plan, value: Any) -> dict[str, Any]:
    if plan.is_type_of is not None and not plan.is_type_of(value, None):
        raise _Unexpected(type(value).__name__)
    return {field.key: _complete(field, field.read(value)) for field in plan.fields}


# --- answering -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The answer's body and what the view's headers read from it."""

    body: bytes
    failed: bool
    # The root field answered: the metrics' and logs' operation (gql/observability).
    operation: str = ""
    kind: OperationType = OperationType.QUERY
    # The codes of a mutation payload's ``errors``, for the metrics (``payload_error``).
    payload_codes: tuple[str, ...] = ()


async def answer(
    body: bytes,
    *,
    account_of: Callable[[], Awaitable[Account | None]],
    clock: Clock,
    request_id: str,
    redis: Any,
) -> Answer | None:
    """The compiled answer to a POST's JSON ``body``, or None for the general executor.
    ``account_of`` authenticates as the view's context does, only once the document is
    known to be compiled."""
    compiled = await _recognise(body, redis)
    if compiled is None:
        return None
    document, variables = compiled
    coerced = document.arguments.coerce(variables)
    if coerced is None:
        return None  # the executor's own variable errors
    if operation_input_errors(
        schema._schema, document.document, document.arguments_only, variables, schema.input_limits
    ):
        return None  # the edge's errors, as InputGuard reports them
    try:
        kwargs = document.arguments.kwargs(coerced)
    except Exception:  # noqa: BLE001 - the executor reports them, nothing has run
        return None
    operation = document.root.name.value
    # A query's token lookup and statements on one pooled connection (one_connection: a
    # mutation's transaction takes its own).
    async with one_connection() if document.handle is None else nullcontext():
        account = await account_of()
        logs.update(operation=operation)  # as OperationMetrics does before executing
        call = partial(document.function, account, clock=clock, **kwargs)
        if document.handle is not None:
            return await _mutation(document, partial(document.handle, call), account, request_id)
        try:
            result = await document.access.run(account, call)
        except DomainFailure as failure:
            return _failed(document, failure, request_id)
        except Exception:  # noqa: BLE001 - the executor runs it again, then masks and logs it
            logger.warning("compiled %s failed: the executor answers", document.name, exc_info=True)
            return None
    try:
        data = {operation: _complete(document.plan, result)}
    except Exception:  # noqa: BLE001 - _Unexpected, or a coercion's error: the executor's
        return None
    return Answer(orjson.dumps({"data": data}), failed=False, operation=operation)


async def _mutation(
    document: CompiledDocument,
    call: Callable[[], Awaitable[Any]],
    account: Account | None,
    request_id: str,
) -> Answer:
    """A mutation's answer. Once its function is called the general executor never runs
    it again (it may have committed): whatever fails from there is answered as the
    executor answers a failing root field (located there, rewritten by ``ErrorPolicy``:
    masked, or SERVICE_UNAVAILABLE; logged), so the changes are applied once at most."""
    operation = document.root.name.value
    with payload_codes() as codes:
        try:
            result = await document.access.run(account, call)
            # A value the plan does not expect (none does: a bug) after the commit: the
            # executor would report it deeper in the payload; here, at the root field.
            data = {operation: _complete(document.plan, result)}
        except Exception as exc:  # noqa: BLE001 - answered as the executor answers it
            return replace(_failed(document, exc, request_id), payload_codes=tuple(codes))
    return Answer(
        orjson.dumps({"data": data}),
        failed=False,
        operation=operation,
        kind=OperationType.MUTATION,
        payload_codes=tuple(codes),
    )


def _failed(document: CompiledDocument, failure: Exception, request_id: str) -> Answer:
    """The executor's answer to a root field that raised ``failure``: its error located
    at the field, as ``ErrorPolicy`` rewrites it, logged as the schema logs errors."""
    error = located_error(failure, [document.root], [document.root.name.value])
    log_unexpected([error], request_id)
    formatted = ErrorPolicy._rewrite(error, request_id).formatted
    return Answer(
        orjson.dumps({"data": None, "errors": [formatted]}),
        failed=True,
        operation=document.root.name.value,
        kind=document.kind,
    )


async def _recognise(body: bytes, redis: Any) -> tuple[CompiledDocument, dict[str, Any]] | None:
    """The compiled document and the variables of a request the general path would run
    as that very document: its exact text, or its hash alone where the persisted-query
    rules (gql/persisted.py) resolve it to that text."""
    if len(body) > MAX_BODY_BYTES:
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not set(data) <= {
        "query",
        "variables",
        "operationName",
        "extensions",
    }:
        return None
    variables = data.get("variables")
    if variables is None:
        variables = {}
    if not isinstance(variables, dict):
        return None
    extensions = data.get("extensions")
    query = data.get("query")
    if extensions is not None:
        if (
            query is not None
            or not isinstance(extensions, dict)
            or set(extensions) != {"persistedQuery"}
        ):
            return None
        persisted = extensions["persistedQuery"]
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            return None
        key = persisted.get("sha256Hash")
        document = COMPILED.get(key) if isinstance(key, str) else None
        if document is None or await persisted_text(document.sha256, redis) != document.text:
            return None
    else:
        document = _BY_TEXT.get(query) if isinstance(query, str) else None
        if document is None:
            return None
        if get_settings().persisted_only and await registered_text(document.sha256) is None:
            return None
    if data.get("operationName") not in (None, document.name):
        return None
    return document, variables


async def register_shipped_documents(*, now: datetime) -> Registration:
    """`famille register-documents` of the shipped manifest (the demo's seed and the bench
    call it): idempotent."""
    return await register_documents(read_manifest(json.loads(MANIFEST.read_text())), now=now)


def mobile_manifest() -> Mapping[str, Any]:
    """The Apollo manifest of the shipped documents (what `famille register-documents`
    reads from ``MANIFEST``)."""
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": d.sha256, "name": d.name, "type": d.kind.value, "body": d.text}
            for d in COMPILED.values()
        ],
    }
