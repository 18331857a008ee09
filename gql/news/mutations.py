"""News mutations: staff publish and withdraw."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.context import Info
from gql.errors import CommunicationError, handles_errors
from gql.ids import decode_id, encode_id
from gql.news.types import News
from models.news import NewsAudience
from resolvers.news import news


@strawberry.input(description="A news item to publish.")
class NewsInput:
    title: str = strawberry.field(description="Title (200 characters at most).")
    body: str = strawberry.field(description="Text.")
    audience: NewsAudience = strawberry.field(description="Who reads it.")
    publish_from: dt.date = strawberry.field(description="First day shown (town time).")
    publish_until: dt.date | None = strawberry.field(
        default=None, description="Last day shown (included); null = no end."
    )
    site_id: strawberry.ID | None = strawberry.field(
        default=None, description="The site, for the SITE audience."
    )
    activity_id: strawberry.ID | None = strawberry.field(
        default=None, description="The activity, for the ACTIVITY audience."
    )


@strawberry.type(description="Result of `publishNews` and `deleteNews`.")
class NewsPayload:
    news: News | None = strawberry.field(default=None, description="The item published.")
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="Id of the item deleted."
    )
    errors: list[CommunicationError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type
class NewsMutations:
    @strawberry.mutation(
        description="Staff: publish a news item, for everyone or the families of a site or an "
        "activity, between two dates."
    )
    @handles_errors()
    async def publish_news(
        self,
        info: Info,
        input: Annotated[NewsInput, strawberry.argument(description="The item.")],
    ) -> NewsPayload:
        form = news.NewsForm(
            title=input.title,
            body=input.body,
            audience=input.audience,
            publish_from=input.publish_from,
            publish_until=input.publish_until,
            site_id=decode_id(input.site_id, "Site", field="siteId") if input.site_id else None,
            activity_id=decode_id(input.activity_id, "Activity", field="activityId")
            if input.activity_id
            else None,
        )
        row = await news.publish_news(info.context.account, form, clock=info.context.clock)
        return NewsPayload(news=News.from_model(row))

    @strawberry.mutation(description="Staff: withdraw a news item for good.")
    @handles_errors()
    async def delete_news(
        self,
        info: Info,
        news_id: Annotated[strawberry.ID, strawberry.argument(description="The item.")],
    ) -> NewsPayload:
        pk = decode_id(news_id, "News", field="newsId")
        await news.delete_news(info.context.account, pk, clock=info.context.clock)
        return NewsPayload(deleted_id=strawberry.ID(encode_id("News", pk)))
