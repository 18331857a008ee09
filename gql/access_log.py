"""uvicorn's access log without the capability tokens in URLs.

Mailed and signed links carry their token in the path (``/activation/<token>``,
``/files/<token>``…) or the query string (``/exports/…?token=``): whoever reads the log
could follow them. ``TokenRedaction``, installed by ``famille serve`` and ``famille dev``,
logs the route with the token replaced by ``…`` and every query-string value too (names
stay: ``?token=…``; a GraphQL GET's document and variables may hold tokens as well).
"""

import logging
from urllib.parse import parse_qsl, quote

from resolvers.core.signed_links import LINK_KINDS

ACCESS_LOGGER = "uvicorn.access"
REDACTED = "…"
# Routes whose path after the prefix is a token (gql/app.py, gql/downloads.py,
# gql/payment_routes.py; the signed links' from resolvers/core/signed_links.py).
TOKEN_PREFIXES = (
    "/activation/",
    "/mot-de-passe/",
    *(kind.prefix for kind in LINK_KINDS),
    "/ics/",
    "/paiement/retour/",
)


def redact(path_with_query: str) -> str:
    """The path as logged: tokens after the known prefixes and query values replaced."""
    path, question, query = path_with_query.partition("?")
    for prefix in TOKEN_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            suffix = ".ics" if prefix == "/ics/" and path.endswith(".ics") else ""
            path = f"{prefix}{REDACTED}{suffix}"
            break
    if not question:
        return path
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    if not names:
        return f"{path}?{REDACTED}"
    return f"{path}?" + "&".join(f"{quote(name)}={REDACTED}" for name in names)


class TokenRedaction(logging.Filter):
    """Rewrites the path argument of uvicorn's access records (``'%s - "%s %s HTTP/%s" %d'``:
    client, method, path with query string, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redact(args[2]), args[3], args[4])
        return True


def install() -> None:
    """Attach the filter to uvicorn's access logger (once; uvicorn's logging set-up keeps
    a logger's filters)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, TokenRedaction) for existing in logger.filters):
        logger.addFilter(TokenRedaction())
