"""graphql-core's executor with two shortcuts for long lists, same answers.

graphql-core completes every item of a list on its own, and every field of every object
item on its own: a path entry, a resolve-info object, an awaitable check, the non-null
wrapper, then the scalar's ``coerce_output_value``, a few microseconds each. A school-year
calendar pays it for hundreds of ``CalendarDay`` values (about 2 ms), a 180-day booking
for 180 lines × their fields (about 5 ms). So, for a plain list:

- of scalars or enums: the coerced items at once;
- of objects whose selected fields are all plain attributes (Strawberry's "basic" fields:
  no resolver, no arguments, no extension, no directive) of leaf type, of a list of
  leaves, or of an object type (or a list of them) whose selected fields are such again
  (a calendar line's child, activity, site and days) and which has no ``is_type_of``
  (graphql-core would pass it the nested field's resolve info, which the shortcut does
  not build), with no ``@defer``: each item's dict built directly, its keys in
  graphql-core's order.

Objects are built column by column: a selected field is read from every item, then its
values are checked and coerced together, so what to do is decided once per field and
list, not once per field and item (900 times for a 180-line answer). Most columns need no
coercion: graphql-core's String, ID, Boolean, Int and Float return a value of their own
type unchanged (within Int's range, for a finite Float), and an enum column holds a
handful of distinct values, each coerced once.

Anything else met on the way (a null where none may be, an exception, an awaitable, a
value the scalar refuses, a ``@stream``, an item of another type, field middleware) sends
the whole list the usual way, which reports it exactly as before: the shortcuts only ever
answer what graphql-core would have answered without an error.

An output type whose instances never change once built and are shared between answers
(``Shared``: a calendar's days, built once per distinct day and process) keeps, on each
instance, its completed dict per selection of leaves: an answer listing it again costs one
lookup per item, what the JSON scalar it replaces cost, instead of a completion per field.
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import Enum
from itertools import repeat
from math import isfinite
from operator import attrgetter
from typing import Any, NamedTuple

import orjson
from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path
from graphql.type import GraphQLResolveInfo
from graphql.type.scalars import (
    serialize_boolean,
    serialize_float,
    serialize_id,
    serialize_int,
    serialize_string,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.schema.types.base_scalars import isoformat as strawberry_isoformat
from strawberry.types.field import StrawberryField
from strawberry.types.scalar import identity as scalar_identity

_FAILED = object()  # a value graphql-core would report: take its path
# Selections kept per shared instance: a client's few documents, not one per alias a
# client could invent (past this, such selections are completed each time).
MAX_SHARED_SELECTIONS = 4
# Each selection kept is known by a small number (an int hashes and compares at once, a
# tuple of names is hashed again on every lookup): so many selections at most per process.
MAX_SIGNATURES = 256
_signatures: dict[tuple[tuple[str, str], ...], int] = {}
# Plans of selections that no variable can change (no directive and no fragment variable
# anywhere in them), shared by the requests of a cached document (gql/operation_cache.py
# keeps each parsed document): the key is the identity of the selection's field nodes,
# kept alive next to the plan. So many at most per process; past them, per request.
MAX_SHARED_PLANS = 512
_shared_plans: dict[
    tuple[GraphQLObjectType, tuple[int, ...]], tuple[tuple[FieldNode, ...], "_Plan | None"]
] = {}
# What graphql-core completes as null.
_NULLS = frozenset({type(None), type(Undefined)})
# Values that an identity scalar (no serialize) passes as they are.
_READY = frozenset({dict, str, int, float, bool})
# Values that are never an error nor awaitable: no check needed.
_PLAIN = frozenset({dict, str, int, float, bool, list, date, datetime})
# graphql-core's coercions that return a value of this exact type as it is (Int within
# its 32-bit range, Float when finite: see graphql/type/scalars.py).
_UNCHANGED: dict[Callable[[Any], Any], type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
    serialize_int: int,
    serialize_float: float,
}


class _Kind(NamedTuple):
    """What values complete as: a leaf, a list (``items``: of leaves) or a flat object
    (``sub``), null allowed or not."""

    non_null: bool
    leaf: GraphQLLeafType | None = None
    items: "_Kind | None" = None
    sub: "tuple[GraphQLObjectType, _Plan] | None" = None


class _Field(NamedTuple):
    """One response key of a flat object: an attribute's value (``read`` from an item)
    completed as ``kind``, or for ``__typename`` (``kind`` None) the type's name."""

    key: str
    read: Callable[[Any], Any] | None
    kind: _Kind | None
    typename: str = ""


class _Plan(NamedTuple):
    """How to build the selected fields of an object type: ``fields`` in response order;
    for a ``Shared`` type selected for leaves only, its class and the number of the
    selection (its response keys and field names), under which completions are kept."""

    fields: list[_Field]
    shared: type | None = None
    signature: int = 0


class Shared:
    """Base of an output type whose instances never change once built and are shared by
    answers: the executor keeps each instance's completed dict per selection on it (see
    the module's docstring). Its subclasses are neither awaitable nor exceptions."""

    _completions: dict[int, dict[str, Any]]
    # Its JSON per compiled selection (gql/mobile/compiled.py), built once as well.
    _encoded: dict[int, Any]

    def __post_init__(self) -> None:
        self._completions = {}
        self._encoded = {}


_COMPLETIONS = attrgetter("_completions")


class FamilleExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with flat lists completed at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flat_plans: dict[tuple[GraphQLObjectType, int], tuple[FieldDetailsList, _Plan | None]]
        self._flat_plans = {}

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        non_null = isinstance(item_type, GraphQLNonNull)
        inner = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if isinstance(items, list) and not self.get_stream_usage(field_details_list, path):
            completed: list[Any] | None = None
            if is_leaf_type(inner):
                completed = self._complete_values(_Kind(non_null, leaf=inner), items, info)
            elif isinstance(inner, GraphQLObjectType) and not self._field_middleware():
                plan = self._flat_plan(inner, field_details_list)
                if plan is not None:
                    kind = _Kind(non_null, sub=(inner, plan))
                    completed = self._complete_values(kind, items, info)
            if completed is not None:
                return completed
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _field_middleware(self) -> bool:
        """Whether resolvers are wrapped (Strawberry passes a manager, empty unless a schema
        extension implements ``resolve``)."""
        manager = self.middleware_manager
        return manager is not None and bool(manager.middlewares)

    def _flat_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> _Plan | None:
        """How to build the selected fields of ``object_type`` from attributes, or None
        when one of them is not a plain leaf attribute. Once per selection and request
        (the key is the selection's identity, kept alive next to the plan, as
        graphql-core's own ``collect_subfields`` does), and once per process for a
        selection no variable can change (``_static``)."""
        key = (object_type, id(field_details_list))
        cached = self._flat_plans.get(key)
        if cached is not None:
            return cached[1]
        nodes = tuple(detail.node for detail in field_details_list)
        shared_key = (object_type, tuple(map(id, nodes)))
        shared = _shared_plans.get(shared_key)
        if shared is not None:
            plan = shared[1]
        else:
            plan = self._make_flat_plan(object_type, field_details_list)
            if len(_shared_plans) < MAX_SHARED_PLANS and self._static(field_details_list):
                _shared_plans[shared_key] = (nodes, plan)
        self._flat_plans[key] = (field_details_list, plan)
        return plan

    def _static(self, field_details_list: FieldDetailsList) -> bool:
        """Whether the selections under these fields are the same for any request: no
        directive (@skip, @include, @defer… read variables), no fragment variable, not
        under a deferred fragment."""
        if any(
            detail.defer_usage is not None or detail.fragment_variable_values is not None
            for detail in field_details_list
        ):
            return False
        pending: list[SelectionSetNode | None] = [
            detail.node.selection_set for detail in field_details_list
        ]
        seen: set[str] = set()
        while pending:
            selection_set = pending.pop()
            if selection_set is None:
                continue
            for selection in selection_set.selections:
                if selection.directives:
                    return False
                if isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is None or fragment.variable_signatures:
                        return False
                    if name not in seen:
                        seen.add(name)
                        if fragment.definition.directives:
                            return False
                        pending.append(fragment.definition.selection_set)
                else:
                    assert isinstance(selection, FieldNode | InlineFragmentNode)
                    pending.append(selection.selection_set)
        return True

    def _make_flat_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> _Plan | None:
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return None
        fields: list[_Field] = []
        signature: list[tuple[str, str]] = []
        for response_key, details in grouped_field_set.items():
            node = details[0].node
            signature.append((response_key, node.name.value))
            if node.name.value == "__typename":
                fields.append(_Field(response_key, None, None, object_type.name))
                continue
            field_def = self.schema.get_field(object_type, node.name.value)
            if field_def is None or field_def.args or node.arguments:
                return None
            if any(detail.node.directives for detail in details):
                return None  # @stream and the like: graphql-core's own path
            field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            # Strawberry resolves a basic field with `_get_basic_result`, which returns
            # `field.default_resolver(source, field.python_name)`.
            resolve = field_def.resolve
            if (
                not isinstance(field, StrawberryField)
                or not field.is_basic_field
                or getattr(resolve, "__name__", "") != "_get_basic_result"
                or field.python_name is None
            ):
                return None
            kind = self._kind(field_def.type, details)
            if kind is None:
                return None
            fields.append(_Field(response_key, _reader(field), kind))
        origin = _origin(object_type)
        if origin is not None and all(f.kind is None or f.kind.leaf is not None for f in fields):
            number = _signature_number(tuple(signature))
            if number is not None:
                return _Plan(fields, origin, number)
        return _Plan(fields)

    def _kind(self, field_type: GraphQLOutputType, details: FieldDetailsList) -> _Kind | None:
        """How a field of ``field_type`` completes, or None when not flat."""
        non_null = isinstance(field_type, GraphQLNonNull)
        inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
        if is_leaf_type(inner):
            return _Kind(non_null, leaf=inner)
        if isinstance(inner, GraphQLList):
            item = inner.of_type.of_type if is_non_null_type(inner.of_type) else inner.of_type
            item_non_null = is_non_null_type(inner.of_type)
            if is_leaf_type(item):
                return _Kind(non_null, items=_Kind(item_non_null, leaf=item))
            if isinstance(item, GraphQLObjectType) and item.is_type_of is None:
                # a list of flat objects (a calendar line's days)
                item_plan = self._flat_plan(item, details)
                if item_plan is None:
                    return None
                return _Kind(non_null, items=_Kind(item_non_null, sub=(item, item_plan)))
            return None
        if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
            sub_plan = self._flat_plan(inner, details)
            return None if sub_plan is None else _Kind(non_null, sub=(inner, sub_plan))
        return None

    def _complete_values(
        self, kind: _Kind, values: list[Any], info: GraphQLResolveInfo[Any]
    ) -> list[Any] | None:
        """``values`` completed as ``kind`` (null for a null where allowed), or None when
        one needs graphql-core's own handling."""
        types = set(map(type, values))
        if types.isdisjoint(_NULLS):
            return self._complete_present(kind, values, types, info)
        if kind.non_null:
            return None
        present = [value for value in values if type(value) not in _NULLS]
        completed = self._complete_present(kind, present, types - _NULLS, info)
        if completed is None:
            return None
        rest = iter(completed)
        return [None if type(value) in _NULLS else next(rest) for value in values]

    def _complete_present(
        self, kind: _Kind, values: list[Any], types: set[type], info: GraphQLResolveInfo[Any]
    ) -> list[Any] | None:
        """``_complete_values`` of values none of which is null (of these ``types``)."""
        if kind.leaf is not None:
            return coerce_leaves(kind.leaf, values, types, self.is_awaitable)
        if kind.items is not None:
            if not _ready(values, types, self.is_awaitable):
                return None
            if not all(issubclass(value_type, list) for value_type in types):
                return None
            completed = []
            for value in values:
                items = self._complete_values(kind.items, value, info)
                if items is None:
                    return None
                completed.append(items)
            return completed
        assert kind.sub is not None
        object_type, plan = kind.sub
        if plan.shared is not None and types == {plan.shared}:
            return self._complete_shared(object_type, plan, info, values)
        if not _ready(values, types, self.is_awaitable):
            return None
        return self._complete_objects(object_type, plan, info, values)

    def _complete_shared(
        self,
        object_type: GraphQLObjectType,
        plan: _Plan,
        info: GraphQLResolveInfo[Any],
        items: list[Any],
    ) -> list[Any] | None:
        """The dicts of ``Shared`` items (instances of ``plan.shared``): those kept for
        this selection, the others built column by column and kept (a calendar's days are
        built on the first answer showing them; the next answers only look them up). The
        answers share these dicts, which nothing changes once completed."""
        signature = plan.signature
        memos: list[dict[int, dict[str, Any]]] = list(map(_COMPLETIONS, items))
        completed: list[dict[str, Any] | None] = list(map(dict.get, memos, repeat(signature)))
        if None not in completed:
            return completed
        missing = [n for n, value in enumerate(completed) if value is None]
        built = self._complete_objects(object_type, plan, info, [items[n] for n in missing])
        if built is None:
            return None
        for n, value in zip(missing, built, strict=True):
            completed[n] = value
            memo = memos[n]
            if len(memo) < MAX_SHARED_SELECTIONS:
                memo[signature] = value
        return completed

    def _complete_objects(
        self,
        object_type: GraphQLObjectType,
        plan: _Plan,
        info: GraphQLResolveInfo[Any],
        items: list[Any],
    ) -> list[Any] | None:
        """Each item's dict (the items are neither null nor awaitable), built column by
        column, or None when one needs graphql-core's own handling."""
        is_type_of = object_type.is_type_of
        if is_type_of is not None and not all(is_type_of(item, info) is True for item in items):
            return None
        columns: list[list[Any]] = []
        for field in plan.fields:
            if field.read is None or field.kind is None:
                columns.append([field.typename] * len(items))
                continue
            try:
                values = list(map(field.read, items))
            except Exception:  # noqa: BLE001 - reported by the usual path
                return None
            column = self._complete_values(field.kind, values, info)
            if column is None:
                return None
            columns.append(column)
        keys = [field.key for field in plan.fields]
        return list(map(dict, map(zip, repeat(keys), zip(*columns, strict=True))))


def _ready(values: list[Any], types: set[type], is_awaitable: Callable[[Any], bool]) -> bool:
    """Whether graphql-core would complete each of ``values`` (of these ``types``) as it
    is: neither raise it nor await it."""
    if types <= _PLAIN:
        return True
    exception = any(map(isinstance, values, repeat(Exception)))
    return not exception and not any(map(is_awaitable, values))


def coerce_leaves(
    leaf: GraphQLLeafType,
    values: list[Any],
    types: set[type],
    is_awaitable: Callable[[Any], bool],
) -> list[Any] | None:
    """``leaf``'s output values of ``values`` (none null, of these ``types``), or None
    where graphql-core would report an error. Also the compiled documents' way
    (gql/mobile/compiled.py) of completing a column of a list's objects."""
    coerce = leaf.coerce_output_value
    if coerce is scalar_identity and types <= _READY:
        return list(values)  # a scalar without serialize (CalendarDay) of plain values
    if len(types) == 1:
        (value_type,) = types
        if _UNCHANGED.get(coerce) is value_type and _in_range(value_type, values):
            return list(values)
        if isinstance(leaf, GraphQLEnumType) and issubclass(value_type, Enum | str):
            return _coerce_distinct(coerce, values, is_awaitable)
        if coerce is strawberry_isoformat and value_type is date:
            # The Date scalar's ISO days, written by orjson in C, the same text for
            # every date (checked from 0001-01-01 to 9999-12-31): ``isoformat``
            # formats each through PyUnicode_FromFormat (180 a booking answer).
            days: list[str] = orjson.loads(orjson.dumps(values))
            return days
    if not _ready(values, types, is_awaitable):
        return None
    try:
        coerced = list(map(coerce, values))
    except Exception:  # noqa: BLE001 - reported by the usual path, with its location
        return None
    return coerced if set(map(type, coerced)).isdisjoint(_NULLS) else None


def _coerce_distinct(
    coerce: Callable[[Any], Any], values: list[Any], is_awaitable: Callable[[Any], bool]
) -> list[Any] | None:
    """The coerced values, each distinct one coerced once: for values of one enum or
    ``str`` type, where equal values are the same value (an enum's aliases are one
    member), not for numbers (``0.0 == -0.0``)."""
    coerced: dict[Any, Any] = {}
    for value in set(values):
        ready = _ready([value], {type(value)}, is_awaitable)
        output = _coerce(coerce, value) if ready else _FAILED
        if output is _FAILED:
            return None
        coerced[value] = output
    return list(map(coerced.__getitem__, values))


def _signature_number(signature: tuple[tuple[str, str], ...]) -> int | None:
    """The number of a selection (1, 2…), or None past ``MAX_SIGNATURES``."""
    number = _signatures.get(signature)
    if number is None and len(_signatures) < MAX_SIGNATURES:
        number = _signatures[signature] = len(_signatures) + 1
    return number


def _origin(object_type: GraphQLObjectType) -> type | None:
    """The ``Shared`` class behind ``object_type``, if it is one."""
    definition = (object_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    if (
        isinstance(origin, type)
        and issubclass(origin, Shared)
        and not issubclass(origin, BaseException)
        and not hasattr(origin, "__await__")
    ):
        return origin
    return None


def _reader(field: StrawberryField) -> Callable[[Any], Any]:
    """Reads ``field`` from an item as Strawberry would: ``default_resolver(item, name)``,
    a C ``attrgetter`` for the default ``getattr``."""
    getter, attribute = field.default_resolver, field.python_name
    if getter is getattr:
        return attrgetter(attribute)
    return lambda item: getter(item, attribute)


def _in_range(value_type: type, values: list[Any]) -> bool:
    """Whether graphql-core's Int or Float takes all ``values`` as they are."""
    if value_type is int:
        return not values or (GRAPHQL_MIN_INT <= min(values) and max(values) <= GRAPHQL_MAX_INT)
    if value_type is float:
        return all(map(isfinite, values))
    return True


def _coerce(coerce: Callable[[Any], Any], value: Any) -> Any:
    """``coerce(value)``, or _FAILED where graphql-core would report an error."""
    try:
        coerced = coerce(value)
    except Exception:  # noqa: BLE001 - reported by the usual path, with its location
        return _FAILED
    return _FAILED if coerced is None or coerced is Undefined else coerced
