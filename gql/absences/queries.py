"""Absence queries: the staff's review queue."""

from typing import Annotated

import strawberry

from gql.absences.types import AbsenceReport, load_reports
from gql.context import Info
from gql.pagination import EDGES, Edge, PageInfo, after_pk, connection_fields, page_size
from resolvers.absences.absences import pending_reports


@strawberry.type(description="A page of absence reports waiting for a decision.")
class AbsenceReportConnection:
    nodes: list[AbsenceReport] = strawberry.field(description="Reports, oldest first.")
    edges: list[Edge[AbsenceReport]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Reports waiting in all.")


@strawberry.type
class AbsenceQueries:
    @strawberry.field(description="Staff: the town's absence reports waiting for a decision.")
    async def pending_absence_reports(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> AbsenceReportConnection:
        rows, has_next, total = await pending_reports(
            info.context.account, first=page_size(first), after_id=after_pk(after)
        )
        return AbsenceReportConnection(
            **connection_fields(
                await load_reports(rows), [row.id for row in rows], has_next, after
            ),
            total_count=total,
        )
