"""Refusals at the HTTP level (no query, undecodable JSON, a multipart request without the
preflight header, a mutation over GET…) answered as GraphQL error bodies, never text/plain:

    {"errors": [{"message": "<French sentence>", "extensions": {"code": "BAD_REQUEST"}}]}

with ``application/json``, or ``application/graphql-response+json`` when the client asks
for it (GraphQL over HTTP), and the request's status (400, 405…). Strawberry raises these
as ``HTTPException`` with an English reason; each known reason gets its French sentence and
code here. Our own refusals (gql/uploads.py) are already French and keep their text.
"""

from collections.abc import Mapping
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.responses import Response

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"

BAD_REQUEST = "BAD_REQUEST"

# Strawberry's reasons (strawberry/http/*.py), by their beginning → (code, French message).
_KNOWN: tuple[tuple[str, str, str], ...] = (
    (
        "No GraphQL query found",
        BAD_REQUEST,
        "Aucune requête GraphQL : envoyez le document dans `query` (ou le hachage d'un "
        "document enregistré dans `extensions.persistedQuery`).",
    ),
    (
        "Unable to parse request body as JSON",
        BAD_REQUEST,
        "Le corps de la requête (ou un paramètre `variables`/`extensions`) n'est pas du JSON "
        "valide.",
    ),
    (
        "Unsupported content type",
        BAD_REQUEST,
        "Type de contenu non pris en charge : envoyez du JSON (application/json), ou "
        "multipart/form-data pour joindre des fichiers.",
    ),
    (
        "Unable to parse the multipart body",
        BAD_REQUEST,
        "Le corps multipart de la requête est illisible.",
    ),
    (
        "File(s) missing in form data",
        BAD_REQUEST,
        "Des fichiers annoncés dans `map` manquent au formulaire multipart.",
    ),
    (
        "The GraphQL operation's `query`",
        BAD_REQUEST,
        "`query` doit être une chaîne de caractères (ou null).",
    ),
    (
        "The GraphQL operation's `variables`",
        BAD_REQUEST,
        "`variables` doit être un objet JSON (ou null).",
    ),
    (
        "The GraphQL operation's `extensions`",
        BAD_REQUEST,
        "`extensions` doit être un objet JSON (ou null).",
    ),
    (
        "Batching is not enabled",
        BAD_REQUEST,
        "Une seule opération par requête : les lots (tableaux JSON) ne sont pas acceptés.",
    ),
    (
        "Can't get GraphQL operation type",
        BAD_REQUEST,
        "Le document contient plusieurs opérations : précisez `operationName`.",
    ),
    (
        "Unknown operation named",
        BAD_REQUEST,
        "Aucune opération de ce nom (`operationName`) dans le document.",
    ),
    (
        "mutations are not allowed when using GET",
        "METHOD_NOT_ALLOWED",
        "Les mutations s'envoient en POST, pas en GET.",
    ),
    (
        "subscriptions are not allowed",
        BAD_REQUEST,
        "Les abonnements passent par le websocket /graphql (graphql-transport-ws).",
    ),
    (
        "GraphQL only supports GET and POST",
        "METHOD_NOT_ALLOWED",
        "Seules les méthodes GET et POST sont acceptées.",
    ),
)


def error_body(message: str, code: str) -> dict[str, Any]:
    """One GraphQL error, as every refusal of the API is shaped."""
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def wants_graphql_response_json(headers: Mapping[str, str]) -> bool:
    return GRAPHQL_RESPONSE_JSON in headers.get("accept", "")


def http_error_response(headers: Mapping[str, str], exc: HTTPException) -> Response:
    """The GraphQL error body of an HTTP-level refusal, with its status."""
    code, message = BAD_REQUEST, exc.reason
    for start, known_code, french in _KNOWN:
        if exc.reason.startswith(start):
            code, message = known_code, french
            break
    media_type = "application/json"
    if wants_graphql_response_json(headers):
        media_type = GRAPHQL_RESPONSE_JSON
    response = Response(
        orjson.dumps(error_body(message, code)),
        status_code=exc.status_code,
        media_type=f"{media_type}; charset=utf-8",
        # Never stored by a cache: the same URL may well succeed next time.
        headers={"Cache-Control": "private, no-store"},
    )
    if exc.status_code == 405:  # RFC 9110: a 405 says which methods are allowed
        response.headers["Allow"] = "POST" if exc.reason.startswith("mutations") else "GET, POST"
    return response
