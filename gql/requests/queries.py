"""Requests inbox queries: the staff's view of every request (demande) of their town."""

from typing import Annotated

import strawberry

from gql.context import Info
from gql.enums import RequestKind, RequestStatus
from gql.households.types import Request, RequestConnection
from gql.pagination import after_pk, connection_fields, page_size
from resolvers.requests import requests_inbox


@strawberry.type
class RequestQueries:
    @strawberry.field(
        description="Staff: the town's requests (bookings, absences, enrolments, contact "
        "changes…), newest first, with their history, attachments and message threads."
    )
    async def town_requests(
        self,
        info: Info,
        statuses: Annotated[
            list[RequestStatus] | None,
            strawberry.argument(description="Only these statuses (default all)."),
        ] = None,
        kinds: Annotated[
            list[RequestKind] | None,
            strawberry.argument(description="Only these kinds (default all)."),
        ] = None,
        search: Annotated[
            str,
            strawberry.argument(
                description="Household: part of its name, or its exact dossier number."
            ),
        ] = "",
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> RequestConnection:
        page = await requests_inbox.town_requests(
            info.context.account,
            statuses=statuses or (),
            kinds=kinds or (),
            search=search,
            first=page_size(first),
            after_id=after_pk(after),
        )
        return RequestConnection(
            **connection_fields(
                [Request.from_model(row) for row in page.items],
                [row.id for row in page.items],
                page.has_next,
                after,
            ),
            total_count=page.total,
        )
