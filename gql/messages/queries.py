"""Messages queries: a household's threads, the staff inbox, a thread's messages and the
dashboard's unread count."""

from typing import Annotated

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.messages.types import Message, MessageConnection, MessageThreadConnection
from gql.pagination import after_pk, connection_fields, page_size
from models.messages import Message as MessageModel
from resolvers.messages import messages

First = Annotated[
    int | None, strawberry.argument(description="Page size (default 20, at most 100).")
]
After = Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")]


def author_name(row: MessageModel) -> str:
    """« Prénom Nom » of the message's author; empty when the account is gone."""
    return f"{row.author.first_names} {row.author.last_name}" if row.author else ""


@strawberry.type
class MessageQueries:
    @strawberry.field(description="A household's threads with the town, latest activity first.")
    async def message_threads(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        first: First = None,
        after: After = None,
    ) -> MessageThreadConnection:
        page = await messages.household_threads(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            first=page_size(first),
            after_id=after_pk(after),
        )
        return MessageThreadConnection.of(page, after)

    @strawberry.field(description="Staff: the town's threads, latest activity first.")
    async def town_message_threads(
        self,
        info: Info,
        unread_only: Annotated[
            bool, strawberry.argument(description="Only threads with family messages unread.")
        ] = False,
        first: First = None,
        after: After = None,
    ) -> MessageThreadConnection:
        page = await messages.town_threads(
            info.context.account,
            unread_only=unread_only,
            first=page_size(first),
            after_id=after_pk(after),
        )
        return MessageThreadConnection.of(page, after)

    @strawberry.field(
        description="A thread's messages, oldest first (reading them does not mark them read: "
        "call `markThreadRead`).",
        deprecation_reason="Not paginated: use `threadMessagesConnection`.",
    )
    async def thread_messages(
        self,
        info: Info,
        thread_id: Annotated[strawberry.ID, strawberry.argument(description="The thread.")],
    ) -> list[Message]:
        rows = await messages.thread_messages(
            info.context.account, decode_id(thread_id, "MessageThread", field="threadId")
        )
        return [Message.from_model(row, author_name(row)) for row in rows]

    @strawberry.field(
        description="A thread's messages, oldest first, a page at a time (reading them does "
        "not mark them read: call `markThreadRead`)."
    )
    async def thread_messages_connection(
        self,
        info: Info,
        thread_id: Annotated[strawberry.ID, strawberry.argument(description="The thread.")],
        first: First = None,
        after: After = None,
    ) -> MessageConnection:
        rows, has_next, total = await messages.thread_messages_page(
            info.context.account,
            decode_id(thread_id, "MessageThread", field="threadId"),
            first=page_size(first),
            after_id=after_pk(after),
        )
        return MessageConnection(
            **connection_fields(
                [Message.from_model(row, author_name(row)) for row in rows],
                [row.id for row in rows],
                has_next,
                after,
            ),
            total_count=total,
        )

    @strawberry.field(
        description="« Échanges à lire »: unread messages of a household for a parent, or of "
        "the whole town for staff when `householdId` is omitted."
    )
    async def unread_message_count(
        self,
        info: Info,
        household_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Household (parents).")
        ] = None,
    ) -> int:
        return await messages.unread_count(
            info.context.account,
            decode_id(household_id, "Household", field="householdId") if household_id else None,
        )
