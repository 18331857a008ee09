"""Requests inbox mutations: an agent moves a request along; the family is mailed."""

from typing import Annotated

import strawberry

from gql.context import Info
from gql.enums import RequestAction
from gql.errors import CommunicationError, handles_errors
from gql.households.types import Request
from gql.ids import decode_id
from resolvers.requests import requests_inbox


@strawberry.type(description="Result of `changeRequestStatus`.")
class RequestStatusPayload:
    request: Request | None = strawberry.field(
        default=None, description="The request, with its new status."
    )
    errors: list[CommunicationError] = strawberry.field(
        default_factory=list, description="Why it was refused."
    )


@strawberry.type
class RequestMutations:
    @strawberry.mutation(
        description="Staff: take a request in review, complete it or reject it (a comment is "
        "then required). Absence reports and enrolments are decided by their own rules, as "
        "`decideAbsenceReport` and `decideEnrollment` do; a finished request no longer moves. "
        "Each change is added to the history, audited and mailed to the family."
    )
    @handles_errors()
    async def change_request_status(
        self,
        info: Info,
        request_id: Annotated[strawberry.ID, strawberry.argument(description="The request.")],
        action: Annotated[RequestAction, strawberry.argument(description="What to do.")],
        comment: Annotated[
            str, strawberry.argument(description="Told to the family (required to reject).")
        ] = "",
    ) -> RequestStatusPayload:
        row = await requests_inbox.change_request_status(
            info.context.account,
            decode_id(request_id, "Request", field="requestId"),
            action,
            comment,
            clock=info.context.clock,
        )
        return RequestStatusPayload(request=Request.from_model(row))
