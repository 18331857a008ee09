"""Operations mutations: a site's kitchen address, and the parents' calendar links."""

from typing import Annotated

import strawberry

from gql.context import Info
from gql.errors import CalendarError, handles_errors
from gql.ids import decode_id, encode_id
from gql.operations.types import CalendarFeed
from models.households import Child
from resolvers.operations import feeds, kitchen


@strawberry.type(description="Result of `setKitchenEmail`.")
class KitchenEmailPayload:
    site_id: strawberry.ID | None = strawberry.field(default=None, description="The site.")
    kitchen_email: str | None = strawberry.field(
        default=None, description="Where its forecast goes now; null = no mail."
    )
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of `createCalendarFeed` and `revokeCalendarFeed`.")
class CalendarFeedPayload:
    feed: CalendarFeed | None = strawberry.field(default=None, description="The link's record.")
    url: str | None = strawberry.field(
        default=None,
        description="The private link to add to a phone's calendar: shown once, on creation.",
    )
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type
class OperationsMutations:
    @strawberry.mutation(
        description="Staff: the e-mail address of a site's kitchen, which receives the daily "
        "meal forecast at the booking cut-off; empty stops the mail."
    )
    @handles_errors()
    async def set_kitchen_email(
        self,
        info: Info,
        site_id: Annotated[strawberry.ID, strawberry.argument(description="The site.")],
        email: Annotated[str, strawberry.argument(description="The kitchen's address.")],
    ) -> KitchenEmailPayload:
        site = await kitchen.set_kitchen_email(
            info.context.account,
            decode_id(site_id, "Site", field="siteId"),
            email,
            clock=info.context.clock,
        )
        return KitchenEmailPayload(
            site_id=strawberry.ID(encode_id("Site", site.id)), kitchen_email=site.kitchen_email
        )

    @strawberry.mutation(
        description="Parent: a new private link to the child's booked days as an iCalendar "
        "feed, for a phone's calendar. Anyone holding it reads those days: revoke it if shared."
    )
    @handles_errors()
    async def create_calendar_feed(
        self,
        info: Info,
        child_id: Annotated[strawberry.ID, strawberry.argument(description="The child.")],
    ) -> CalendarFeedPayload:
        feed, token = await feeds.create_feed(
            info.context.account,
            decode_id(child_id, "Child", field="childId"),
            clock=info.context.clock,
        )
        child = await Child.get(id=feed.child_id)
        return CalendarFeedPayload(
            feed=CalendarFeed.from_model(feed, child.first_names), url=feeds.feed_url(token)
        )

    @strawberry.mutation(description="Parent: stop a calendar link at once (it answers 404).")
    @handles_errors()
    async def revoke_calendar_feed(
        self,
        info: Info,
        feed_id: Annotated[strawberry.ID, strawberry.argument(description="The link.")],
    ) -> CalendarFeedPayload:
        feed = await feeds.revoke_feed(
            info.context.account,
            decode_id(feed_id, "CalendarFeed", field="feedId"),
            clock=info.context.clock,
        )
        child = await Child.get(id=feed.child_id)
        return CalendarFeedPayload(feed=CalendarFeed.from_model(feed, child.first_names))
