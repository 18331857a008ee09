"""Keyset pagination shared by every growing list: ``first`` + ``after`` cursor."""

import strawberry

from gql.ids import decode_id, encode_id
from settings import get_settings

CURSOR_TYPE = "Cursor"


@strawberry.type(description="Where a page stands in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when another page follows.")
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` to get the next page; null on an empty page."
    )


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
    return PageInfo(
        has_next_page=has_next_page,
        end_cursor=cursor_for(last_pk) if last_pk is not None else None,
    )
