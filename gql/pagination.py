"""Keyset pagination shared by every growing list: ``first`` + ``after`` cursor.

A connection has Relay's shape: ``edges { cursor node }`` and ``pageInfo``, beside the
plain ``nodes`` and ``totalCount``. Cursors are opaque; each is the keyset position of
its item, so any edge's cursor may be passed as ``after``.
"""

from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from gql.ids import decode_id, encode_id
from settings import get_settings

CURSOR_TYPE = "Cursor"
T = TypeVar("T")

# Shared descriptions of the connections' fields.
EDGES = "The items of this page with their cursors (Relay's edges), in the order of `nodes`."
PAGE_INFO = "How to get the next page."

# The arguments of a connection field.
First = Annotated[
    int | None, strawberry.argument(description="Page size (default 20, at most 100).")
]
After = Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")]


@strawberry.type(description="Where a page stands in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when another page follows.")
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` to get the next page; null on an empty page."
    )
    has_previous_page: bool = strawberry.field(
        default=False,
        description="True when items come before this page (it was asked with `after`).",
    )
    start_cursor: str | None = strawberry.field(
        default=None, description="The cursor of the page's first item; null on an empty page."
    )


@strawberry.type(description="An item of a page with its cursor (Relay's edge).")
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="Pass as `after` to get the items that follow this one."
    )
    node: T = strawberry.field(description="The item.")


def page_size(first: int | None) -> int:
    """The requested size, clamped to the configured bounds."""
    settings = get_settings()
    if first is None:
        return settings.page_size_default
    return max(1, min(first, settings.page_size_max))


def cursor_for(pk: int) -> str:
    return encode_id(CURSOR_TYPE, pk)


def after_pk(after: str | None) -> int | None:
    return decode_id(after, CURSOR_TYPE, field="after") if after else None


def page_info(last_pk: int | None, has_next_page: bool) -> PageInfo:
    """Forward-only page info from the last item (``page`` gives the whole shape)."""
    return PageInfo(
        has_next_page=has_next_page,
        end_cursor=cursor_for(last_pk) if last_pk is not None else None,
    )


def connection_fields(
    nodes: Sequence[Any], pks: Sequence[int], has_next_page: bool, after: str | None
) -> dict[str, Any]:
    """A connection's ``nodes``, ``edges`` and ``page_info``, from the page's items and
    their keyset ids (``pks``, one per node) and the ``after`` it was asked with:
    ``Connection(**connection_fields(...), total_count=…)``."""
    cursors = [cursor_for(pk) for pk in pks]
    return {
        "nodes": list(nodes),
        "edges": [Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
        "page_info": PageInfo(
            has_next_page=has_next_page,
            end_cursor=cursors[-1] if cursors else None,
            has_previous_page=after is not None,
            start_cursor=cursors[0] if cursors else None,
        ),
    }
