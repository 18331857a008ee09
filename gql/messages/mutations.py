"""Messages mutations: start a thread, reply, mark read."""

from typing import Annotated

import strawberry

from gql.context import Info
from gql.errors import CommunicationError, handles_errors
from gql.ids import decode_id
from gql.messages.types import Message, MessageThread
from resolvers.messages import messages


@strawberry.type(description="Result of a messages mutation.")
class MessageThreadPayload:
    thread: MessageThread | None = strawberry.field(default=None, description="The thread.")
    message: Message | None = strawberry.field(default=None, description="The message written.")
    errors: list[CommunicationError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


def _author(info: Info) -> str:
    account = info.context.account
    return f"{account.first_names} {account.last_name}" if account else ""


@strawberry.type
class MessageMutations:
    @strawberry.mutation(
        description="Start a thread between a household and the town (a guardian or an "
        "agent), about a request or free-standing; the other side is mailed."
    )
    @handles_errors()
    async def start_message_thread(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        subject: Annotated[str, strawberry.argument(description="Subject (objet).")],
        body: Annotated[str, strawberry.argument(description="The first message.")],
        request_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The request it is about, if any."),
        ] = None,
    ) -> MessageThreadPayload:
        thread, message = await messages.start_thread(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            subject,
            body,
            request_id=decode_id(request_id, "Request", field="requestId") if request_id else None,
            clock=info.context.clock,
        )
        return MessageThreadPayload(
            thread=MessageThread.from_model(thread, 0),
            message=Message.from_model(message, _author(info)),
        )

    @strawberry.mutation(description="Reply in a thread; the other side is mailed.")
    @handles_errors()
    async def reply_to_thread(
        self,
        info: Info,
        thread_id: Annotated[strawberry.ID, strawberry.argument(description="The thread.")],
        body: Annotated[str, strawberry.argument(description="The message.")],
    ) -> MessageThreadPayload:
        thread, message = await messages.reply(
            info.context.account,
            decode_id(thread_id, "MessageThread", field="threadId"),
            body,
            clock=info.context.clock,
        )
        return MessageThreadPayload(
            thread=MessageThread.from_model(thread, 0),
            message=Message.from_model(message, _author(info)),
        )

    @strawberry.mutation(description="Mark everything in a thread as read by the caller.")
    @handles_errors()
    async def mark_thread_read(
        self,
        info: Info,
        thread_id: Annotated[strawberry.ID, strawberry.argument(description="The thread.")],
    ) -> MessageThreadPayload:
        thread = await messages.mark_read(
            info.context.account,
            decode_id(thread_id, "MessageThread", field="threadId"),
            clock=info.context.clock,
        )
        return MessageThreadPayload(thread=MessageThread.from_model(thread, 0))
