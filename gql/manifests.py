"""Registering a client app's documents from the manifest its build tooling writes
(``famille register-documents FILE``), for trusted-documents mode (gql/persisted.py).

Two formats:
- Apollo's ``persisted-query-manifest.json`` (``@apollo/generate-persisted-query-manifest``):
  ``{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id":
  "<sha256 of body>", "name": …, "type": "query" | "mutation" | "subscription", "body": …}]}``;
- Relay's persisted queries file (``persistConfig``): ``{"<id>": "<document text>"}``, whose
  ids may be any hash (MD5 by default): each document is known by its id and its SHA-256.

Registering is idempotent: a document already registered under its id is left as it is;
an id already bound to another text refuses the whole manifest (nothing is written).
"""

from dataclasses import dataclass
from datetime import datetime

from graphql import GraphQLSyntaxError, OperationDefinitionNode, parse
from tortoise.transactions import in_transaction

from gql.persisted import MAX_ID_CHARS, sha256_hex
from models.persisted import PersistedDocument

APOLLO_FORMAT = "apollo-persisted-query-manifest"


class ManifestError(Exception):
    """A manifest that cannot be registered; the message is French, for the command line."""


@dataclass(frozen=True)
class ManifestDocument:
    document_id: str
    body: str
    name: str | None
    operation_type: str | None


@dataclass(frozen=True)
class Registration:
    added: int
    known: int


def read_manifest(data: object) -> list[ManifestDocument]:
    """The documents of an Apollo or Relay manifest (decoded JSON), each checked."""
    if isinstance(data, dict) and data.get("format") == APOLLO_FORMAT:
        return _apollo(data)
    if isinstance(data, dict) and data and all(isinstance(v, str) for v in data.values()):
        return [_document(str(key), body, None, None) for key, body in data.items()]
    raise ManifestError(
        "Manifeste non reconnu : attendu celui d'Apollo (format "
        f'"{APOLLO_FORMAT}", version 1) ou celui de Relay ({{"<id>": "<document>"}}).'
    )


def _apollo(data: dict[str, object]) -> list[ManifestDocument]:
    if data.get("version") != 1:
        raise ManifestError(
            f"Manifeste Apollo en version {data.get('version')!r} : seule la 1 est lue."
        )
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError("Manifeste Apollo sans liste « operations ».")
    documents = []
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict) or not isinstance(operation.get("body"), str):
            raise ManifestError(f"Opération n° {index + 1} sans « body ».")
        body = operation["body"]
        document_id = operation.get("id")
        if document_id != sha256_hex(body):
            raise ManifestError(
                f"Opération n° {index + 1} ({operation.get('name')}) : son « id » n'est pas "
                "le SHA-256 de son « body »."
            )
        name, kind = operation.get("name"), operation.get("type")
        documents.append(
            _document(
                document_id,
                body,
                name if isinstance(name, str) else None,
                kind if isinstance(kind, str) else None,
            )
        )
    return documents


def _document(
    document_id: str, body: str, name: str | None, operation_type: str | None
) -> ManifestDocument:
    if not 0 < len(document_id) <= MAX_ID_CHARS:
        raise ManifestError(f"Identifiant de document invalide : {document_id[:40]!r}.")
    try:
        parsed = parse(body)
    except GraphQLSyntaxError as error:
        raise ManifestError(f"Document {document_id} illisible : {error.message}") from error
    operation = next(
        (d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)), None
    )
    if operation is not None:
        name = name or (operation.name.value if operation.name else None)
        operation_type = operation_type or operation.operation.value
    return ManifestDocument(document_id, body, name, operation_type)


async def register_documents(documents: list[ManifestDocument], *, now: datetime) -> Registration:
    """Writes the documents not registered yet, all or none."""
    added = known = 0
    async with in_transaction():
        existing = {
            row.document_id: row
            for row in await PersistedDocument.filter(
                document_id__in=[d.document_id for d in documents]
            )
        }
        seen: dict[str, str] = {}
        for document in documents:
            row = existing.get(document.document_id)
            body = row.body if row is not None else seen.get(document.document_id)
            if body is not None and body != document.body:
                raise ManifestError(
                    f"L'identifiant {document.document_id} est déjà enregistré pour un autre "
                    "document : rien n'a été enregistré."
                )
            if body is not None:
                known += 1
                continue
            await PersistedDocument.create(
                document_id=document.document_id,
                sha256=sha256_hex(document.body),
                body=document.body,
                name=(document.name or "")[:200] or None,
                operation_type=document.operation_type,
                created_at=now,
            )
            seen[document.document_id] = document.body
            added += 1
    return Registration(added=added, known=known)
