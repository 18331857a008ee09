"""graphql-core's executor with two shortcuts for long lists, same answers.

graphql-core completes every item of a list on its own, and every field of every object
item on its own: a path entry, a resolve-info object, an awaitable check, the non-null
wrapper, then the scalar's ``coerce_output_value``, a few microseconds each. A school-year
calendar pays it for hundreds of ``CalendarDay`` values (about 2 ms), a 180-day booking
for 180 lines × their fields (about 5 ms). So, for a plain list:

- of scalars or enums, whose items are ready values: the coerced items in one loop (none
  to coerce for a scalar without serialize, such as CalendarDay, when every item is a
  plain value);
- of objects whose selected fields are all plain attributes (Strawberry's "basic" fields:
  no resolver, no arguments, no extension, no directive) of leaf type, of a list of
  leaves, or of an object type whose selected fields are such again (a calendar line's
  child, activity, site and days), with no ``@defer``: each item's dict built directly,
  in the order graphql-core would build it.

Anything else met on the way (a null, an exception, an awaitable, a value the scalar
refuses, a ``@stream``, an item of another type, field middleware) sends the whole list
the usual way, which reports it exactly as before: the shortcuts only ever answer what
graphql-core would have answered without an error.
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    is_leaf_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path
from graphql.type import GraphQLResolveInfo
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.scalar import identity as scalar_identity

_FAILED = object()  # a value graphql-core would report (or null out): take its path
# Values that are never null, an error or awaitable: an identity scalar passes them as they are.
_READY = frozenset({dict, str, int, float, bool})
# Field values that are never an error nor awaitable: no check needed.
_PLAIN = frozenset({dict, str, int, float, bool, list, date, datetime})


class _Field(NamedTuple):
    """How to build one response key of a flat object: from an attribute, or for
    ``__typename`` the type's name (``getter`` None). The attribute is a leaf (``leaf``),
    a list of leaves (``leaf`` with ``is_list``) or a flat object (``sub``)."""

    key: str
    getter: Callable[[Any, str], Any] | None
    attribute: str
    leaf: GraphQLLeafType | None
    non_null: bool
    typename: str = ""
    is_list: bool = False
    sub: "tuple[GraphQLObjectType, _Plan] | None" = None


_Plan = list[_Field]


class FamilleExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with flat lists completed at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flat_plans: dict[tuple[GraphQLObjectType, int], tuple[FieldDetailsList, _Plan | None]]
        self._flat_plans = {}
        self._enum_values: dict[tuple[GraphQLEnumType, Any], Any] = {}

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        inner = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if isinstance(items, list) and not self.get_stream_usage(field_details_list, path):
            completed: list[Any] | None = None
            if is_leaf_type(inner):
                completed = self._complete_leaves(inner, items)
            elif isinstance(inner, GraphQLObjectType) and not self._field_middleware():
                plan = self._flat_plan(inner, field_details_list)
                if plan is not None:
                    completed = self._complete_flat_objects(inner, plan, info, items)
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

    def _ready(self, item: Any) -> bool:
        return not (item is None or isinstance(item, Exception) or self.is_awaitable(item))

    def _complete_leaves(self, leaf: GraphQLLeafType, items: list[Any]) -> list[Any] | None:
        """The coerced items, or None when one needs graphql-core's own handling."""
        coerce, is_awaitable = leaf.coerce_output_value, self.is_awaitable
        if coerce is scalar_identity and all(type(item) in _READY for item in items):
            return list(items)  # a scalar without serialize (CalendarDay) of plain values
        completed = []
        try:
            for item in items:
                if item is None or isinstance(item, Exception) or is_awaitable(item):
                    return None
                value = coerce(item)
                if value is None or value is Undefined:
                    return None
                completed.append(value)
        except Exception:  # noqa: BLE001 - reported by the usual path, with its location
            return None
        return completed

    def _flat_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> _Plan | None:
        """How to build the selected fields of ``object_type`` from attributes, or None
        when one of them is not a plain leaf attribute. Once per selection and request
        (the key is the selection's identity, kept alive next to the plan, as
        graphql-core's own ``collect_subfields`` does)."""
        key = (object_type, id(field_details_list))
        cached = self._flat_plans.get(key)
        if cached is not None:
            return cached[1]
        plan = self._make_flat_plan(object_type, field_details_list)
        self._flat_plans[key] = (field_details_list, plan)
        return plan

    def _make_flat_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> _Plan | None:
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return None
        plan: _Plan = []
        for response_key, details in grouped_field_set.items():
            node = details[0].node
            if node.name.value == "__typename":
                plan.append(_Field(response_key, None, "", None, True, object_type.name))
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
            field_type = field_def.type
            non_null = isinstance(field_type, GraphQLNonNull)
            inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
            getter, attribute = field.default_resolver, field.python_name
            if is_leaf_type(inner):
                plan.append(_Field(response_key, getter, attribute, inner, non_null))
            elif isinstance(inner, GraphQLList):
                item = inner.of_type.of_type if is_non_null_type(inner.of_type) else inner.of_type
                if not is_leaf_type(item):
                    return None
                plan.append(_Field(response_key, getter, attribute, item, non_null, is_list=True))
            elif isinstance(inner, GraphQLObjectType):
                sub_plan = self._flat_plan(inner, details)
                if sub_plan is None:
                    return None
                sub = (inner, sub_plan)
                plan.append(_Field(response_key, getter, attribute, None, non_null, sub=sub))
            else:
                return None
        return plan

    def _complete_flat_objects(
        self,
        object_type: GraphQLObjectType,
        plan: _Plan,
        info: GraphQLResolveInfo[Any],
        items: list[Any],
    ) -> list[Any] | None:
        """Each item's dict, or None when one needs graphql-core's own handling."""
        completed = []
        for item in items:
            result = self._complete_flat(object_type, plan, info, item)
            if result is _FAILED:
                return None
            completed.append(result)
        return completed

    def _complete_flat(
        self,
        object_type: GraphQLObjectType,
        plan: _Plan,
        info: GraphQLResolveInfo[Any],
        item: Any,
    ) -> Any:
        """One object's dict, or _FAILED where graphql-core's own handling is needed."""
        is_type_of, is_awaitable = object_type.is_type_of, self.is_awaitable
        if not self._ready(item) or (is_type_of is not None and is_type_of(item, info) is not True):
            return _FAILED
        result: dict[str, Any] = {}
        for key, getter, attribute, leaf, non_null, typename, is_list, sub in plan:
            if getter is None:
                result[key] = typename
                continue
            try:
                value: Any = getter(item, attribute)
            except Exception:  # noqa: BLE001 - reported by the usual path
                return _FAILED
            if value is None:
                if non_null:
                    return _FAILED
                result[key] = None
                continue
            if type(value) not in _PLAIN and (isinstance(value, Exception) or is_awaitable(value)):
                return _FAILED
            if sub is not None:
                value = self._complete_flat(sub[0], sub[1], info, value)
            elif leaf is None:
                return _FAILED
            elif is_list:
                if not isinstance(value, list):
                    return _FAILED
                value = self._complete_leaves(leaf, value)
                if value is None:
                    return _FAILED
            elif isinstance(leaf, GraphQLEnumType):
                value = self._coerce_enum(leaf, value)
            else:
                value = _coerce(leaf, value)
            if value is _FAILED:
                return _FAILED
            result[key] = value
        return result

    def _coerce_enum(self, leaf: GraphQLEnumType, value: Any) -> Any:
        """``_coerce`` of an enum value, once per value and request (a 180-line answer
        has a handful of outcomes; each coercion is a few Python calls)."""
        key = (leaf, value)
        try:
            return self._enum_values[key]
        except KeyError:
            coerced = self._enum_values[key] = _coerce(leaf, value)
            return coerced
        except TypeError:  # an unhashable value: graphql-core will say what is wrong
            return _FAILED


def _coerce(leaf: GraphQLLeafType, value: Any) -> Any:
    """``leaf``'s output value, or _FAILED where graphql-core would report an error."""
    try:
        coerced = leaf.coerce_output_value(value)
    except Exception:  # noqa: BLE001 - reported by the usual path, with its location
        return _FAILED
    return _FAILED if coerced is None or coerced is Undefined else coerced
