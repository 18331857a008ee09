"""Pages of short lists kept in an order of their own (a price grid by activity and bracket,
a household's mandates active first): the list's ids in its order, then the page's rows.

The other lists page by keyset on their order's columns; these are read by staff or one
household, a few hundred rows at most, whose order is not a keyset a client could follow
(mandates are sorted on their status in Python). The cursor stays the item's id, as
everywhere: an item deleted since its page was read is an invalid cursor.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model

from resolvers.core.errors import CommonErrorCode, DomainError

Row = TypeVar("Row", bound=Model)


@dataclass
class Page(Generic[Row]):
    """Rows of one page, whether more follow, and how many the whole list has."""

    rows: list[Row]
    has_next: bool
    total: int


async def page_of_ids(
    ordered_ids: Sequence[int],
    load: Callable[[list[int]], Awaitable[list[Row]]],
    *,
    first: int,
    after_id: int | None,
) -> Page[Row]:
    """The ``first`` items after ``after_id`` (the last one shown) of the list whose ids
    are ``ordered_ids``, loaded by ``load`` (any order: they come back in the list's)."""
    start = 0
    if after_id is not None:
        try:
            start = list(ordered_ids).index(after_id) + 1
        except ValueError:
            raise DomainError(CommonErrorCode.INVALID, "Curseur invalide.", "after") from None
    wanted = list(ordered_ids[start : start + first])
    by_id = {row.pk: row for row in await load(wanted)} if wanted else {}
    rows = [by_id[pk] for pk in wanted if pk in by_id]  # unless deleted meanwhile
    return Page(rows, start + first < len(ordered_ids), len(ordered_ids))
