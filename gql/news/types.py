"""GraphQL types of news (actualités)."""

import datetime as dt
from datetime import datetime

import strawberry

from gql.ids import encode_id
from gql.node import Node
from gql.pagination import EDGES, Edge, PageInfo, connection_fields
from models.news import News as NewsModel
from models.news import NewsAudience
from resolvers.news.news import NewsPage

strawberry.enum(
    NewsAudience,
    description="PUBLIC: anyone, even without an account; SITE: families with a child "
    "enrolled at the site; ACTIVITY: families with a child enrolled in the activity.",
)


@strawberry.type(description="A news item (actualité) of the town.")
class News(Node):
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    title: str = strawberry.field(description="Title.")
    body: str = strawberry.field(description="Text, in French, as typed by the service.")
    audience: NewsAudience = strawberry.field(description="Who reads it.")
    site_id: strawberry.ID | None = strawberry.field(description="The site (SITE audience).")
    activity_id: strawberry.ID | None = strawberry.field(
        description="The activity (ACTIVITY audience)."
    )
    publish_from: dt.date = strawberry.field(description="First day shown (town time).")
    publish_until: dt.date | None = strawberry.field(
        description="Last day shown (included); null = no end."
    )
    created_at: datetime = strawberry.field(description="Written at (UTC).")

    @classmethod
    def from_model(cls, row: NewsModel) -> "News":
        return cls(
            id=strawberry.ID(encode_id("News", row.id)),
            title=row.title,
            body=row.body,
            audience=row.audience,
            site_id=strawberry.ID(encode_id("Site", row.site_id)) if row.site_id else None,
            activity_id=strawberry.ID(encode_id("Activity", row.activity_id))
            if row.activity_id
            else None,
            publish_from=row.publish_from,
            publish_until=row.publish_until,
            created_at=row.created_at,
        )


@strawberry.type(description="A page of news, latest publication first.")
class NewsConnection:
    nodes: list[News] = strawberry.field(description="News items.")
    edges: list[Edge[News]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Items in all.")

    @classmethod
    def of(cls, page: NewsPage, after: str | None) -> "NewsConnection":
        return cls(
            **connection_fields(
                [News.from_model(row) for row in page.rows],
                [row.id for row in page.rows],
                page.has_next,
                after,
            ),
            total_count=page.total,
        )
