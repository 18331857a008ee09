"""GraphQL types of messages (échanges)."""

from datetime import datetime

import strawberry

from gql.ids import encode_id
from gql.node import Node
from gql.pagination import EDGES, Edge, PageInfo, connection_fields
from models.messages import Message as MessageModel
from models.messages import MessageThread as ThreadModel
from resolvers.messages.messages import ThreadPage


@strawberry.type(description="One message of a thread.")
class Message(Node):
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    body: str = strawberry.field(description="Text.")
    from_staff: bool = strawberry.field(description="Written by the town's services.")
    author_name: str = strawberry.field(description="Who wrote it (empty if the account is gone).")
    created_at: datetime = strawberry.field(description="Written at (UTC).")

    @classmethod
    def from_model(cls, row: MessageModel, author_name: str) -> "Message":
        return cls(
            id=strawberry.ID(encode_id("Message", row.id)),
            body=row.body,
            from_staff=row.from_staff,
            author_name=author_name,
            created_at=row.created_at,
        )


@strawberry.type(description="A page of a thread's messages, oldest first.")
class MessageConnection:
    nodes: list[Message] = strawberry.field(description="Messages.")
    edges: list[Edge[Message]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Messages of the thread in all.")


@strawberry.type(description="A conversation between a household and the town's services.")
class MessageThread(Node):
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    household_id: strawberry.ID = strawberry.field(description="The household.")
    subject: str = strawberry.field(description="Subject (objet).")
    request_id: strawberry.ID | None = strawberry.field(
        description="The request (demande) it is about; null for a free-standing thread."
    )
    created_at: datetime = strawberry.field(description="Started at (UTC).")
    last_message_at: datetime = strawberry.field(description="Latest message at (UTC).")
    unread_count: int = strawberry.field(
        description="Messages of the other side the caller has not read yet."
    )

    @classmethod
    def from_model(cls, row: ThreadModel, unread: int) -> "MessageThread":
        return cls(
            id=strawberry.ID(encode_id("MessageThread", row.id)),
            household_id=strawberry.ID(encode_id("Household", row.household_id)),
            subject=row.subject,
            request_id=strawberry.ID(encode_id("Request", row.request_id))
            if row.request_id
            else None,
            created_at=row.created_at,
            last_message_at=row.last_message_at,
            unread_count=unread,
        )


@strawberry.type(description="A page of threads, latest activity first.")
class MessageThreadConnection:
    nodes: list[MessageThread] = strawberry.field(description="Threads.")
    edges: list[Edge[MessageThread]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Threads in all.")

    @classmethod
    def of(cls, page: ThreadPage, after: str | None) -> "MessageThreadConnection":
        return cls(
            **connection_fields(
                [MessageThread.from_model(t, page.unread.get(t.id, 0)) for t in page.threads],
                [thread.id for thread in page.threads],
                page.has_next,
                after,
            ),
            total_count=page.total,
        )
