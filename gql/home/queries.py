"""The family app's home screen, one root field answered by one function."""

from typing import Annotated

import strawberry

from gql.calendar.types import calendar_day
from gql.context import Info
from gql.home.types import Home
from gql.ids import decode_id
from models.accounts import Account
from resolvers.core.clock import Clock
from resolvers.home.home import household_home


@strawberry.type
class HomeQueries:
    @strawberry.field(
        description="The family app's home screen of a household: its children with their "
        "next days (today and the next school days, as `calendar` shows them), the unpaid "
        "invoices and what they owe, the unread messages, the latest requests. Parents "
        "reach their own household, agents and administrators those of their town; any "
        "other id answers NOT_FOUND, whether or not it exists. 8 SQL statements (the "
        "bearer token's lookup included) whatever the family's size; the shipped "
        "document gql/mobile/home.graphql is answered by the compiled path."
    )
    async def home(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
    ) -> Home:
        return await home_screen(info.context.account, household_id, clock=info.context.clock)


async def home_screen(account: Account | None, household_id: str, *, clock: Clock) -> Home:
    """``home``'s answer, for the field's resolver and for the mobile app's compiled
    document (gql/mobile/compiled.py): one place for the id's decoding, the access rule
    and what the screen shows."""
    household = decode_id(household_id, "Household", field="householdId")
    return Home.of(await household_home(account, household, calendar_day, clock=clock))
