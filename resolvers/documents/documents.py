"""The household's private document storage, and who may read what.

Rules, in one place:
- a household's guardians see and manage its documents; staff never browse them;
- staff of the town see a document once it is attached to one of the town's requests,
  and each of their downloads is recorded in the audit log;
- a file is checked (size, count, content) before anything is written, and the metadata
  and the bytes are written in one transaction (database backend) or the bytes first and
  swept if the metadata never commits (filesystem backend).
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from models.accounts import Account, AccountRole
from models.documents import Document, DocumentFile, DocumentKind, RequestAttachment
from models.households import Guardian
from models.requests import Request
from resolvers.core import audit, signed_links
from resolvers.core.clock import Clock
from resolvers.core.errors import (
    DocumentErrorCode,
    DomainError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    ValidationErrors,
)
from resolvers.core.transactions import atomic
from resolvers.documents.sniffing import ACCEPTED_LABEL, sniff
from resolvers.documents.storage import current_store, store_for
from resolvers.households.households import household_for
from settings import get_settings


class Upload(Protocol):
    """What the multipart parser hands over (Starlette's UploadFile)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass
class DocumentForm:
    kind: DocumentKind
    title: str
    number: str = ""
    issuer: str = ""
    issued_on: date | None = None
    expires_on: date | None = None


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every check, ready to store."""

    filename: str
    content_type: str
    data: bytes


def _kb(size: int) -> str:
    return f"{size // 1024:,} Ko".replace(",", "\u202f")


async def check_files(uploads: list[Upload], field: str) -> list[CheckedFile]:
    """Read and check every file, reporting all refusals at once; nothing is stored here.

    The multipart parser stops keeping a file's bytes one past the limit, so reading
    ``limit + 1`` bytes is enough to know a file is too large.
    """
    settings = get_settings()
    limit = settings.upload_max_file_kb * 1024
    if not uploads:
        raise DomainError(DocumentErrorCode.REQUIRED, "Joignez au moins un fichier.", field)
    if len(uploads) > settings.upload_max_files:
        raise DomainError(
            DocumentErrorCode.TOO_MANY_FILES,
            f"Un document compte au plus {settings.upload_max_files} fichiers "
            f"({len(uploads)} envoyés).",
            field,
        )
    errors: list[DomainError] = []
    checked: list[CheckedFile] = []
    for index, upload in enumerate(uploads):
        name = (upload.filename or f"fichier {index + 1}").strip()[:200] or "fichier"
        data = await upload.read(limit + 1)
        at = f"{field}.{index}"
        if not data:
            errors.append(
                DomainError(DocumentErrorCode.FILE_EMPTY, f"Le fichier « {name} » est vide.", at)
            )
        elif len(data) > limit:
            errors.append(
                DomainError(
                    DocumentErrorCode.FILE_TOO_LARGE,
                    f"Le fichier « {name} » dépasse la taille maximale de {_kb(limit)}.",
                    at,
                )
            )
        elif (found := sniff(data)) is None:
            errors.append(
                DomainError(
                    DocumentErrorCode.FILE_TYPE_REFUSED,
                    f"Le fichier « {name} » n'est pas un {ACCEPTED_LABEL} : son contenu a "
                    "été vérifié, quel que soit son nom.",
                    at,
                )
            )
        else:
            checked.append(CheckedFile(name, found.content_type, data))
    if errors:
        raise ValidationErrors(errors)
    return checked


def check_form(form: DocumentForm, field: str = "") -> DocumentForm:
    """Trimmed metadata, or every field error at once."""
    prefix = f"{field}." if field else ""
    errors = []
    title = form.title.strip()
    if not title:
        errors.append(
            DomainError(
                DocumentErrorCode.REQUIRED, "Donnez un titre au document.", f"{prefix}title"
            )
        )
    elif len(title) > 150:
        errors.append(
            DomainError(
                DocumentErrorCode.INVALID,
                "Le titre compte au plus 150 caractères.",
                f"{prefix}title",
            )
        )
    if form.issued_on and form.expires_on and form.expires_on < form.issued_on:
        errors.append(
            DomainError(
                DocumentErrorCode.INVALID,
                "La date d'expiration doit suivre la date de délivrance.",
                f"{prefix}expiresOn",
            )
        )
    if errors:
        raise ValidationErrors(errors)
    return DocumentForm(
        kind=form.kind,
        title=title,
        number=form.number.strip()[:64],
        issuer=form.issuer.strip()[:150],
        issued_on=form.issued_on,
        expires_on=form.expires_on,
    )


def _require_parent(actor: Account | None) -> Account:
    if actor is None:
        raise NotAuthenticated()
    if actor.role != AccountRole.PARENT:
        raise Forbidden(
            "Les documents d'une famille sont privés : le service les voit seulement "
            "joints à une demande."
        )
    return actor


async def store_document(
    actor: Account,
    household_id: int,
    form: DocumentForm,
    files: list[CheckedFile],
    *,
    in_storage: bool,
    clock: Clock,
) -> Document:
    """Write checked files and their metadata; the caller's transaction, if any, is used.

    Bytes go to the backend first (a no-op for the database backend); if the metadata
    then fails, the written files are discarded before the error goes on.
    """
    store = current_store()
    stored = [await store.put(file.data) for file in files]
    try:
        async with atomic():
            document = await Document.create(
                household_id=household_id,
                kind=form.kind,
                title=form.title,
                number=form.number,
                issuer=form.issuer,
                issued_on=form.issued_on,
                expires_on=form.expires_on,
                in_storage=in_storage,
                uploaded_by=actor,
                created_at=clock.now(),
            )
            await DocumentFile.bulk_create(
                [
                    DocumentFile(
                        document=document,
                        position=position,
                        filename=file.filename,
                        content_type=file.content_type,
                        size=len(file.data),
                        sha256=hashlib.sha256(file.data).hexdigest(),
                        backend=saved.backend,
                        storage_key=saved.storage_key,
                        content=saved.content,
                    )
                    for position, (file, saved) in enumerate(zip(files, stored, strict=True))
                ]
            )
    except BaseException:
        await store.discard([saved.storage_key for saved in stored if saved.storage_key])
        raise
    return document


async def upload_document(
    actor: Account | None,
    household_id: int,
    form: DocumentForm,
    uploads: list[Upload],
    *,
    clock: Clock,
) -> Document:
    """A parent adds a document with its files to the household's private storage."""
    parent = _require_parent(actor)
    await household_for(parent, household_id)
    errors: list[DomainError] = []
    try:
        form = check_form(form)
    except ValidationErrors as failure:
        errors.extend(failure.errors)
    try:
        files = await check_files(uploads, "files")
    except ValidationErrors as failure:
        errors.extend(failure.errors)
    except DomainError as failure:
        errors.append(failure)
    if errors:
        raise ValidationErrors(errors)
    return await store_document(parent, household_id, form, files, in_storage=True, clock=clock)


async def stored_documents(
    actor: Account | None,
    household_id: int,
    *,
    kind: DocumentKind | None,
    first: int,
    after_id: int | None,
) -> tuple[list[Document], bool, int]:
    """The household's storage, newest first: its guardians only, never staff."""
    parent = _require_parent(actor)
    await household_for(parent, household_id)
    query = Document.filter(household_id=household_id, in_storage=True)
    if kind is not None:
        query = query.filter(kind=kind)
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(first + 1)
    return rows[:first], len(rows) > first, total


async def readable_document(actor: Account | None, document_id: int) -> Document:
    """The document if ``actor`` may read it; otherwise NOT_FOUND, so nothing leaks."""
    if actor is None:
        raise NotAuthenticated()
    document = await Document.get_or_none(id=document_id)
    if document is None:
        raise NotFound("Document", "documentId")
    if actor.role == AccountRole.PARENT:
        if await Guardian.exists(household_id=document.household_id, account_id=actor.id):
            return document
    elif await RequestAttachment.exists(
        document_id=document_id, request__tenant_id=actor.tenant_id
    ):
        return document
    raise NotFound("Document", "documentId")


async def owned_documents(actor: Account, household_id: int, document_ids: list[int]) -> list[int]:
    """Ids of the household's documents among ``document_ids``; any other is NOT_FOUND."""
    rows = await Document.filter(id__in=document_ids, household_id=household_id).values_list(
        "id", flat=True
    )
    found: set[object] = set(rows)
    if missing := [i for i in document_ids if i not in found]:
        raise NotFound(f"Document {missing[0]}", "attachments")
    return list(dict.fromkeys(document_ids))


async def attach(request: Request, document_ids: list[int], *, clock: Clock) -> None:
    """Give documents to a request: from now on the town's staff may read them."""
    now = clock.now()
    await RequestAttachment.bulk_create(
        [
            RequestAttachment(request=request, document_id=document_id, created_at=now)
            for document_id in document_ids
        ]
    )


async def delete_document(actor: Account | None, document_id: int, *, clock: Clock) -> bool:
    """Remove from storage; True if deleted, False if kept because a request needs it."""
    parent = _require_parent(actor)
    document = await readable_document(parent, document_id)
    if await RequestAttachment.exists(document_id=document.id):
        document.in_storage = False
        await document.save(update_fields=["in_storage"])
        return False
    files = await DocumentFile.filter(document_id=document.id).values_list("backend", "storage_key")
    await document.delete()
    for backend, key in files:
        if key:
            await store_for(str(backend)).discard([str(key)])
    return True


def download_url(file_id: int, actor: Account, *, clock: Clock) -> tuple[str, datetime]:
    """A short-lived link to one file, naming who it was issued to; its expiry."""
    return signed_links.DOCUMENT_FILE.url(actor, {"file": file_id}, clock=clock)


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes


async def open_download(token: str, *, clock: Clock) -> Download:
    """The file a valid link names, if its reader may still read the document; a staff
    read is recorded in the audit log.

    Tampered, expired or disabled-account links raise ``signed_links.InvalidLink``; a file
    gone, or a document no longer readable by the link's account, NOT_FOUND.
    """
    reader, params = await signed_links.DOCUMENT_FILE.verify(token, clock=clock)
    row = await DocumentFile.get_or_none(id=int(params["file"])).select_related("document")
    if row is None:
        raise NotFound("Fichier")
    await readable_document(reader, row.document_id)
    if reader.role != AccountRole.PARENT:
        await audit.record(
            "document.read",
            tenant_id=reader.tenant_id,
            actor=reader,
            target_type="document",
            target_id=row.document_id,
            clock=clock,
            details={"file": row.filename, "household_id": row.document.household_id},
        )
    data = await store_for(row.backend).get(row.storage_key, row.content)
    return Download(row.filename, row.content_type, data)


async def expiring_documents(today: date, days: int) -> list[Document]:
    """Stored documents expiring within ``days`` whose current expiry date had no reminder."""
    rows = await Document.filter(
        in_storage=True, expires_on__gte=today, expires_on__lte=today + timedelta(days=days)
    ).order_by("id")
    return [row for row in rows if row.expiry_reminded_for != row.expires_on]
