"""Cache-Control of GraphQL answers to GET, so a CDN or a browser may keep public ones.

Only GET answers are cacheable (POST ones never are). An answer is public — the same for
everyone, such as ``catalogue(town)`` — when no ``Authorization`` header was sent: the
resolvers then see no account, so the answer cannot depend on one. It is kept
``FAMILLE_PUBLIC_CACHE_MAX_AGE_SECONDS``. Authenticated answers and answers with errors
(a refusal, a persisted-query miss, a bug) are ``private, no-store``. ``Vary`` names the
request headers a public answer depends on: a cache must not hand an anonymous answer to a
request that carries a token, and the media type follows ``Accept``.
"""

from collections.abc import Mapping
from typing import Any

PRIVATE = "private, no-store"
VARY = "Accept, Authorization"


def cache_headers(
    *, method: str, request_headers: Mapping[str, str], body: Any, max_age: int
) -> dict[str, str]:
    """The caching headers of a GraphQL answer (none for POST)."""
    if method != "GET":
        return {}
    failed = not isinstance(body, dict) or bool(body.get("errors"))
    if failed or "authorization" in request_headers:
        return {"Cache-Control": PRIVATE}
    return {"Cache-Control": f"public, max-age={max_age}", "Vary": VARY}
