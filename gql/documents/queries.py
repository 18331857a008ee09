"""Document queries: the household's private storage, and one readable document."""

from typing import Annotated

import strawberry

from gql.context import Info
from gql.documents.types import Document, DocumentConnection
from gql.enums import DocumentKind
from gql.ids import decode_id
from gql.pagination import after_pk, connection_fields, page_size
from resolvers.documents import documents


@strawberry.type
class DocumentQueries:
    @strawberry.field(
        description="The household's private document storage, newest first. Its guardians "
        "only: staff get FORBIDDEN and see documents only attached to requests."
    )
    async def documents(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        kind: Annotated[
            DocumentKind | None, strawberry.argument(description="Only this kind.")
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> DocumentConnection:
        rows, has_next, total = await documents.stored_documents(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            kind=kind,
            first=page_size(first),
            after_id=after_pk(after),
        )
        return DocumentConnection(
            **connection_fields(
                [Document.from_model(row) for row in rows],
                [row.id for row in rows],
                has_next,
                after,
            ),
            total_count=total,
        )

    @strawberry.field(
        description="One document: for its household's guardians, or for the town's staff "
        "once it is attached to a request. NOT_FOUND otherwise."
    )
    async def document(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The document.")],
    ) -> Document:
        row = await documents.readable_document(
            info.context.account, decode_id(id, "Document", field="id")
        )
        return Document.from_model(row)
