"""Document mutations: upload to the private storage (multipart), remove from it."""

from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from gql.context import Info
from gql.documents.types import Document, DocumentInput
from gql.errors import DocumentError, handles_errors
from gql.ids import decode_id
from gql.inputs import to_form
from resolvers.documents import documents


@strawberry.type(description="Result of `uploadDocument`.")
class UploadDocumentPayload:
    document: Document | None = strawberry.field(default=None, description="The new document.")
    errors: list[DocumentError] = strawberry.field(
        default_factory=list, description="Why it was refused; nothing was stored then."
    )


@strawberry.type(description="Result of `deleteDocument`.")
class DeleteDocumentPayload:
    deleted: bool = strawberry.field(
        default=False, description="True when the document and its files are gone."
    )
    kept_for_requests: bool = strawberry.field(
        default=False,
        description="True when it left the storage but stays attached to the requests it "
        "justifies.",
    )
    errors: list[DocumentError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type
class DocumentMutations:
    @strawberry.mutation(
        description="A parent adds a document to the household's private storage, with 1 to "
        "4 files sent as a GraphQL multipart request (header `Apollo-Require-Preflight: true` "
        "required). Accepted: PDF, PNG, JPG, BMP, ODT, DOCX, DOC, checked by content; at most "
        "3,200 KB per file (FAMILLE_UPLOAD_MAX_FILE_KB)."
    )
    @handles_errors()
    async def upload_document(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        input: Annotated[DocumentInput, strawberry.argument(description="Its metadata.")],
        files: Annotated[list[Upload], strawberry.argument(description="Its files (1 to 4).")],
    ) -> UploadDocumentPayload:
        row = await documents.upload_document(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            to_form(documents.DocumentForm, input),
            list(files),  # type: ignore[arg-type]
            clock=info.context.clock,
        )
        return UploadDocumentPayload(document=Document.from_model(row))

    @strawberry.mutation(
        description="Remove a document from the storage. One attached to a request stays "
        "with that request (the town keeps what justified it) but leaves the storage."
    )
    @handles_errors()
    async def delete_document(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The document.")],
    ) -> DeleteDocumentPayload:
        deleted = await documents.delete_document(
            info.context.account,
            decode_id(id, "Document", field="id"),
            clock=info.context.clock,
        )
        return DeleteDocumentPayload(deleted=deleted, kept_for_requests=not deleted)
