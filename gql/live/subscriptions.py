"""The household subscriptions: calendar changes and request changes.

Same authorisation as the queries: the account comes from the bearer token of the
connection_init payload, and ``household_for`` decides (another household → NOT_FOUND, no
valid token → NOT_AUTHENTICATED), first when the client subscribes — the error answers the
subscribe message — then again before each event, so a revoked token or an unlinked
guardian stops receiving at the next event.
"""

from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Annotated, TypeVar

import strawberry

from gql.context import Context, Info, bearer_token
from gql.ids import decode_id
from gql.live.types import CalendarChange, RequestChange
from jobs import live
from models.accounts import Account
from resolvers.accounts.accounts import authenticate
from resolvers.households.households import household_for
from resolvers.live.live import LiveEvent, Topic

T = TypeVar("T")

HouseholdId = Annotated[strawberry.ID, strawberry.argument(description="The household to follow.")]


async def _current_account(context: Context) -> Account | None:
    """The token's account as of now (it may have been revoked since the connection)."""
    token = bearer_token(context.connection_params)
    found = await authenticate(token, clock=context.clock) if token else None
    return found[0] if found else None


async def _authorised_household(context: Context, household_id: strawberry.ID) -> int:
    pk = decode_id(household_id, "Household", field="householdId")
    await household_for(await _current_account(context), pk)
    return pk


async def _stream(
    context: Context, topic: Topic, household_id: int, convert: Callable[[LiveEvent], T]
) -> AsyncGenerator[T, None]:
    assert context.redis is not None
    async with aclosing(live.listen(context.redis, topic, household_id)) as events:
        async for event in events:
            await household_for(await _current_account(context), household_id)
            yield convert(event)


@strawberry.type
class LiveSubscriptions:
    @strawberry.subscription(
        description="Changes of the household's calendar as they commit, whoever made them "
        "(the family on another phone, a town agent, a waiting-list promotion, an absence "
        "decision): refetch `calendar` for the days given."
    )
    async def calendar_changes(
        self, info: Info, household_id: HouseholdId
    ) -> AsyncGenerator[CalendarChange, None]:
        pk = await _authorised_household(info.context, household_id)
        return _stream(info.context, Topic.CALENDAR, pk, CalendarChange.from_event)

    @strawberry.subscription(
        description="New requests of the household and each new step of their history "
        "(status change by the town): refetch `household.requests`."
    )
    async def request_changes(
        self, info: Info, household_id: HouseholdId
    ) -> AsyncGenerator[RequestChange, None]:
        pk = await _authorised_household(info.context, household_id)
        return _stream(info.context, Topic.REQUESTS, pk, RequestChange.from_event)
