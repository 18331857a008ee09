"""graphql-core's executor with one shortcut: lists of scalars completed in one loop.

graphql-core completes every item of a list on its own (a path entry, an awaitable check,
the non-null wrapper, then the scalar's ``coerce_output_value``): a few microseconds per
item, which a school-year calendar pays for each of its hundreds of ``CalendarDay``
values (about 2 ms of a year of two activities). When every item of a plain list is a
ready value that its scalar accepts, the result is the same list of coerced values, so it
is built in one loop; anything else (a null, an error, an awaitable, a ``@stream``, a
coercion that fails) goes the usual way, which reports it exactly as before.
"""

from collections.abc import Iterable
from typing import Any

from graphql import GraphQLLeafType, GraphQLNonNull, GraphQLOutputType, Undefined, is_leaf_type
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import AwaitableOrValue, Path
from graphql.type import GraphQLResolveInfo
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class FamilleExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with lists of scalars and enums completed at once."""

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: Iterable[Any],
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        leaf = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if (
            isinstance(items, list)
            and is_leaf_type(leaf)
            and not self.get_stream_usage(field_details_list, path)
        ):
            completed = self._complete_leaves(leaf, items)
            if completed is not None:
                return completed
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def _complete_leaves(self, leaf: GraphQLLeafType, items: list[Any]) -> list[Any] | None:
        """The coerced items, or None when one needs graphql-core's own handling."""
        coerce, is_awaitable = leaf.coerce_output_value, self.is_awaitable
        completed = []
        for item in items:
            if item is None or isinstance(item, Exception) or is_awaitable(item):
                return None
            try:
                value = coerce(item)
            except Exception:  # noqa: BLE001 - reported by the usual path, with its location
                return None
            if value is None or value is Undefined:
                return None
            completed.append(value)
        return completed
