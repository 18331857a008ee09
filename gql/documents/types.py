"""GraphQL types of the document storage."""

import datetime as dt
from datetime import datetime

import strawberry

from gql.context import Info
from gql.enums import DocumentKind
from gql.ids import encode_id
from gql.node import Node
from gql.pagination import EDGES, Edge, PageInfo
from models.documents import Document as DocumentModel
from resolvers.documents.documents import download_url


@strawberry.type(description="One file of a document, with a short-lived download link.")
class DocumentFile:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    filename: str = strawberry.field(description="Name the parent gave it.")
    content_type: str = strawberry.field(
        description="MIME type found in its content (not taken from the name)."
    )
    size: int = strawberry.field(description="Size in bytes.")
    download_url: str = strawberry.field(
        description="Link to download it, valid for FAMILLE_SIGNED_LINK_TTL_MINUTES to whoever "
        "holds it: ask again for a fresh one rather than storing it."
    )
    download_url_expires_at: datetime = strawberry.field(
        description="When `downloadUrl` stops working (UTC)."
    )


@strawberry.type(
    description="A supporting document (pièce justificative): typed metadata and 1 to 4 files."
)
class Document(Node):
    pk: strawberry.Private[int]
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    kind: DocumentKind = strawberry.field(description="What it proves.")
    title: str = strawberry.field(description="Title given by the parent.")
    number: str = strawberry.field(description="Number on the document, or empty.")
    issuer: str = strawberry.field(description="Issuing authority, or empty.")
    issued_on: dt.date | None = strawberry.field(description="Issue date, if given.")
    expires_on: dt.date | None = strawberry.field(description="Expiry date, if given.")
    in_storage: bool = strawberry.field(
        description="Listed in the household's storage; false for a file given only to one request."
    )
    created_at: datetime = strawberry.field(description="Uploaded at (UTC).")

    @strawberry.field(description="Its files, in upload order.")
    async def files(self, info: Info) -> list[DocumentFile]:
        account = info.context.require_account()
        rows = await info.context.loaders.files_by_document.load(self.pk)
        files = []
        for row in rows:
            url, expires_at = download_url(row.id, account, clock=info.context.clock)
            files.append(
                DocumentFile(
                    id=strawberry.ID(encode_id("DocumentFile", row.id)),
                    filename=row.filename,
                    content_type=row.content_type,
                    size=row.size,
                    download_url=url,
                    download_url_expires_at=expires_at,
                )
            )
        return files

    @classmethod
    def from_model(cls, row: DocumentModel) -> "Document":
        return cls(
            pk=row.id,
            id=strawberry.ID(encode_id("Document", row.id)),
            kind=row.kind,
            title=row.title,
            number=row.number,
            issuer=row.issuer,
            issued_on=row.issued_on,
            expires_on=row.expires_on,
            in_storage=row.in_storage,
            created_at=row.created_at,
        )


@strawberry.type(description="A page of the household's stored documents, newest first.")
class DocumentConnection:
    nodes: list[Document] = strawberry.field(description="The documents of this page.")
    edges: list[Edge[Document]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="Documents in the whole list.")


@strawberry.input(description="A document's metadata.")
class DocumentInput:
    kind: DocumentKind = strawberry.field(description="What it proves.")
    title: str = strawberry.field(description="A title, e.g. 'Certificat médical de Léa'.")
    number: str = strawberry.field(default="", description="Number on the document.")
    issuer: str = strawberry.field(default="", description="Issuing authority.")
    issued_on: dt.date | None = strawberry.field(default=None, description="Issue date.")
    expires_on: dt.date | None = strawberry.field(
        default=None, description="Expiry date: the owners are mailed before it comes."
    )
