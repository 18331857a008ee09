"""News queries: a family's, the public ones, and the staff's list."""

from typing import Annotated

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.news.types import NewsConnection
from gql.pagination import after_pk, page_size
from resolvers.news import news

First = Annotated[
    int | None, strawberry.argument(description="Page size (default 20, at most 100).")
]
After = Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")]


@strawberry.type
class NewsQueries:
    @strawberry.field(
        description="The news a family should read today: public ones, and those of the "
        "sites and activities its children are enrolled in. Latest first."
    )
    async def news(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        first: First = None,
        after: After = None,
    ) -> NewsConnection:
        page = await news.household_news(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            first=page_size(first),
            after_id=after_pk(after),
            clock=info.context.clock,
        )
        return NewsConnection.of(page, after)

    @strawberry.field(
        description="A town's public news being published today; no login needed. Latest first."
    )
    async def public_news(
        self,
        info: Info,
        town: Annotated[str, strawberry.argument(description="Town slug.")],
        first: First = None,
        after: After = None,
    ) -> NewsConnection:
        page = await news.public_news(
            town, first=page_size(first), after_id=after_pk(after), clock=info.context.clock
        )
        return NewsConnection.of(page, after)

    @strawberry.field(
        description="Staff: every news item of the town, scheduled and expired ones included."
    )
    async def town_news(
        self, info: Info, first: First = None, after: After = None
    ) -> NewsConnection:
        page = await news.town_news(
            info.context.account, first=page_size(first), after_id=after_pk(after)
        )
        return NewsConnection.of(page, after)
