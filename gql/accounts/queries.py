"""Account queries: who am I, and the public facts of a town."""

from typing import Annotated

import strawberry

from gql.accounts.types import Account, Town
from gql.context import Info
from resolvers.accounts.accounts import get_town


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The logged-in account, or null without a valid bearer token.")
    def me(self, info: Info) -> Account | None:
        account = info.context.account
        return Account.from_model(account) if account else None

    @strawberry.field(
        description="Public facts of a town (name, password rules) for the sign-up form."
    )
    async def town(
        self, slug: Annotated[str, strawberry.argument(description="Town slug, e.g. `castres`.")]
    ) -> Town:
        return Town.from_model(await get_town(slug))
