"""The mobile app's documents answered by a compiled path: database rows to JSON bytes.

The family app sends the same few documents all day long, and the calendar is most of
its traffic. For the documents shipped here (``gql/mobile/*.graphql``, registered with
``famille register-documents gql/mobile/persisted-query-manifest.json`` and by the demo),
each document is compiled once, when this module loads, against the schema: its root
field's resolver function (the same one the field calls: ``calendar_lines``, so the ids'
decoding, the access rule and the days' evaluation exist once) and, for each selected
field, the attribute to read and the GraphQL type's own output coercion. A request
carrying such a document (its exact text, or its SHA-256 as a persisted query) then skips
Strawberry's and graphql-core's per-request work (the extensions' hooks, the execution
context, a resolve info and a completion per field) and serialises the resolver's objects
straight to bytes with orjson; a ``Shared`` item (a calendar's day, built once per
distinct day and process) keeps its bytes per compiled selection, so a year's answer
costs one lookup per day.

The answer is the general executor's, byte for byte, status and headers included: the
variables are coerced by graphql-core's ``get_variable_values`` and checked by the same
edge rules (``operation_input_errors``), a domain failure becomes the same error object
(graphql-core's ``located_error``, then ``ErrorPolicy``'s rewrite), and the response goes
through the view's own headers (``X-Request-ID``, media type, caching). Whatever it does
not handle exactly goes to the general executor, which answers it as before: another
operation name, a GET, variables that fail coercion or the edge rules (their errors are the
executor's), a hash+text registration, a value the compiled plan does not expect (a null
where none may be), or any exception other than a domain failure (the executor then masks
and logs it). tests/gql/test_compiled_documents.py compares both answers byte for byte.
"""

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from pathlib import Path
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
)
from graphql.error import located_error
from graphql.execution.values import get_variable_values
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from gql.access import OperationAccess
from gql.calendar.queries import calendar_lines
from gql.edge import operation_input_errors
from gql.errors import DomainFailure, ErrorPolicy
from gql.execution import Shared
from gql.manifests import Registration, read_manifest, register_documents
from gql.persisted import persisted_text, registered_text, sha256_hex
from gql.schema import schema
from models.accounts import Account
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
# calls and the arguments' Python names. Each function takes the account first and the
# clock by keyword, as the resolver passes them from the context.
RootFunction = Callable[..., Awaitable[Any]]
ROOTS: dict[str, tuple[RootFunction, dict[str, str]]] = {
    "calendar": (
        calendar_lines,
        {"householdId": "household_id", "from": "start", "to": "end", "childIds": "child_ids"},
    ),
}


class CompileError(Exception):
    """A shipped document the compiled path cannot answer exactly (raised at import)."""


class _Unexpected(Exception):
    """A value the compiled plan does not handle: the general executor answers."""


class _Field(NamedTuple):
    """One response key: the attribute ``read`` from the object, then a leaf's
    ``coerce``, an object's ``sub`` plan, or for a list ``items`` (each ``sub`` or leaf),
    ``nullable`` or not."""

    key: str
    read: Callable[[Any], Any]
    nullable: bool
    coerce: Callable[[Any], Any] | None = None
    sub: "_Plan | None" = None
    items: "_Field | None" = None


class _Plan(NamedTuple):
    """The selected fields of an object type, in response order; ``shared``: the number
    under which a ``Shared`` item keeps its bytes (0: not shared)."""

    fields: tuple[_Field, ...]
    shared: int = 0


@dataclass(frozen=True)
class CompiledDocument:
    text: str
    sha256: str
    name: str
    document: DocumentNode
    operation: OperationDefinitionNode
    arguments_only: OperationDefinitionNode
    root: FieldNode
    function: RootFunction
    access: OperationAccess
    # response argument name → (variable name, Python parameter name)
    arguments: tuple[tuple[str, str], ...]
    plan: _Field


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
        return _Field(key, read, nullable, coerce=inner.coerce_output_value)
    if isinstance(inner, GraphQLList):
        return _Field(
            key, read, nullable, items=_kind(key, _identity, inner.of_type, selection_set)
        )
    if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None and selection_set:
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
    origin = getattr(definition, "origin", None)
    shared = isinstance(origin, type) and issubclass(origin, Shared)
    return _Plan(tuple(fields), next(_shared_numbers) if shared else 0)


def compile_document(text: str) -> CompiledDocument:
    """One shipped document, compiled against the schema; raises ``CompileError``."""
    document = parse(text)
    if len(document.definitions) != 1 or not isinstance(
        operation := document.definitions[0], OperationDefinitionNode
    ):
        raise CompileError("one operation, no fragment")
    if operation.operation.value != "query" or operation.name is None or operation.directives:
        raise CompileError("a named query without directives")
    [root] = operation.selection_set.selections
    if not isinstance(root, FieldNode) or root.alias or root.directives:
        raise CompileError("one root field, without alias nor directive")
    if root.name.value not in ROOTS:
        raise CompileError(f"{root.name.value}: no compiled root function")
    function, parameters = ROOTS[root.name.value]
    arguments = []
    for argument in root.arguments or ():
        if not isinstance(argument.value, VariableNode):
            raise CompileError("root arguments must be variables")
        arguments.append((argument.value.name.value, parameters[argument.name.value]))
    query_type = schema._schema.query_type
    assert query_type is not None
    field_def = query_type.fields[root.name.value]
    strawberry_field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    access = next(
        (e for e in getattr(strawberry_field, "extensions", ()) if isinstance(e, OperationAccess)),
        None,
    )
    if access is None:
        raise CompileError(f"{root.name.value}: no OperationAccess (gql/access.py)")
    plan = _kind(root.name.value, _identity, field_def.type, root.selection_set)
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
        operation=operation,
        arguments_only=arguments_only,
        root=root,
        function=function,
        access=access,
        arguments=tuple(arguments),
        plan=plan,
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
    if field.coerce is not None:
        coerced = field.coerce(value)
        if coerced is None:
            raise _Unexpected(field.key)
        return coerced
    if field.items is not None:
        if not isinstance(value, list):
            raise _Unexpected(field.key)
        items = field.items
        if items.sub is not None and items.sub.shared and not items.nullable:
            return _shared_items(items.sub, value)
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


def _object(plan: _Plan, value: Any) -> dict[str, Any]:
    return {field.key: _complete(field, field.read(value)) for field in plan.fields}


# --- answering -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """The answer's body and what the view's headers read from it."""

    body: bytes
    failed: bool
    # The root field answered: the metrics' and logs' operation (gql/observability).
    operation: str = ""


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
    coerced = get_variable_values(
        schema._schema, document.operation.variable_definitions or (), variables
    )
    if isinstance(coerced, list):
        return None  # the executor's own variable errors
    if operation_input_errors(
        schema._schema, document.document, document.arguments_only, variables, schema.input_limits
    ):
        return None  # the edge's errors, as InputGuard reports them
    values = coerced.coerced
    kwargs = {name: values[variable] for variable, name in document.arguments if variable in values}
    # The token lookup and the root function's statements on one pooled connection.
    async with one_connection():
        account = await account_of()
        try:
            result = await document.access.run(
                account, lambda: document.function(account, clock=clock, **kwargs)
            )
        except DomainFailure as failure:
            return _failed(document, failure, request_id)
        except Exception:  # noqa: BLE001 - the executor runs it again, then masks and logs it
            logger.warning("compiled %s failed: the executor answers", document.name, exc_info=True)
            return None
    try:
        data = {document.root.name.value: _complete(document.plan, result)}
    except Exception:  # noqa: BLE001 - _Unexpected, or a coercion's error: the executor's
        return None
    return Answer(orjson.dumps({"data": data}), failed=False, operation=document.root.name.value)


def _failed(document: CompiledDocument, failure: Exception, request_id: str) -> Answer:
    """A domain failure as the executor answers it (its error object, ``data: null``)."""
    error = located_error(failure, [document.root], [document.root.name.value])
    formatted = ErrorPolicy._rewrite(error, request_id).formatted
    return Answer(
        orjson.dumps({"data": None, "errors": [formatted]}),
        failed=True,
        operation=document.root.name.value,
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
            {"id": d.sha256, "name": d.name, "type": "query", "body": d.text}
            for d in COMPILED.values()
        ],
    }
