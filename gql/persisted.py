"""Persisted documents: Apollo's automatic persisted queries, and trusted documents.

Automatic persisted queries (APQ, the protocol of ``@apollo/client/link/persisted-queries``,
Apollo Kotlin and Apollo iOS): a client sends ``extensions.persistedQuery = {version: 1,
sha256Hash}`` without the document. A known hash runs its document; an unknown one answers
``PersistedQueryNotFound`` (code ``PERSISTED_QUERY_NOT_FOUND``, HTTP 200 as Apollo Server
answers it, so that every Apollo client retries) and the client sends the hash again with
the document: its SHA-256 must be the hash (else ``INVALID``, 400), and once it parsed and
validated it is kept in Redis for ``FAMILLE_PERSISTED_QUERY_TTL_HOURS``. A hash-only query
works over ``GET /graphql?extensions=…&variables=…``, an URL a CDN can cache.

Trusted documents (``FAMILLE_PERSISTED_ONLY=true``, for a town's production app): only the
documents registered with ``famille register-documents`` run (table ``persisted_document``,
see gql/manifests.py), by hash (or the client's id) or by their exact text; anything else
answers ``PERSISTED_QUERY_NOT_ALLOWED`` (400) before being parsed.

A hash resolves to its text before parsing: the operation cache (gql/operation_cache.py),
keyed by the text, then parses and validates a persisted document once per process. A
hash's text never changes (it is checked), so this process also keeps the last texts it
met by hash, and the registered ones, without asking Redis or the database again.
"""

import hashlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import GraphQLError
from redis.exceptions import RedisError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from tortoise.expressions import Q

from models.persisted import PersistedDocument
from settings import get_settings

logger = logging.getLogger("famille.persisted")

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
INVALID = "INVALID"
# Larger texts are run but not kept in Redis (the token limit bounds tokens, not bytes).
MAX_KEPT_CHARS = 100_000
MAX_ID_CHARS = 128


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Known:
    """Texts this process met by hash, most recent last (``registered``: the text is in
    ``persisted_document``, which trusted mode requires)."""

    maxsize = 2048
    texts: "OrderedDict[str, tuple[str, bool]]" = OrderedDict()

    @classmethod
    def get(cls, key: str, *, registered_only: bool) -> str | None:
        found = cls.texts.get(key)
        if found is None or (registered_only and not found[1]):
            return None
        cls.texts.move_to_end(key)
        return found[0]

    @classmethod
    def put(cls, key: str, text: str, *, registered: bool) -> None:
        previous = cls.texts.get(key)
        cls.texts[key] = (text, registered or (previous is not None and previous[1]))
        cls.texts.move_to_end(key)
        while len(cls.texts) > cls.maxsize:
            cls.texts.popitem(last=False)


def _redis_key(sha256: str) -> str:
    return f"{get_settings().queue_name}:apq:{sha256}"


async def registered_text(key: str) -> str | None:
    """The registered document of a hash or client id, from this process or the table."""
    text = _Known.get(key, registered_only=True)
    if text is not None:
        return text
    row = await PersistedDocument.filter(Q(sha256=key) | Q(document_id=key)).first()
    if row is None:
        return None
    _Known.put(row.sha256, row.body, registered=True)
    if row.document_id != row.sha256:
        _Known.put(row.document_id, row.body, registered=True)
    return row.body


async def _apq_text(redis: Any, sha256: str) -> str | None:
    """A text sent earlier with this hash (this process, then Redis), or a registered one."""
    text = _Known.get(sha256, registered_only=False)
    if text is not None:
        return text
    if redis is not None:
        try:
            stored = await redis.get(_redis_key(sha256))
        except (RedisError, OSError):  # Redis down: as a miss, the client sends the text
            logger.warning("persisted query lookup failed", exc_info=True)
            stored = None
        if stored is not None:
            text = stored.decode() if isinstance(stored, bytes) else str(stored)
            _Known.put(sha256, text, registered=False)
            return text
    return await registered_text(sha256)


async def persisted_text(key: str, redis: Any) -> str | None:
    """The text a hash-only request runs: in trusted mode a registered one only, else one
    sent earlier with this hash (this process, Redis) or a registered one; None: unknown."""
    if get_settings().persisted_only:
        return await registered_text(key)
    return await _apq_text(redis, key)


async def _keep(redis: Any, sha256: str, text: str) -> None:
    _Known.put(sha256, text, registered=False)
    if redis is None or len(text) > MAX_KEPT_CHARS:
        return
    ttl = get_settings().persisted_query_ttl_hours * 3600
    try:
        await redis.set(_redis_key(sha256), text, ex=ttl)
    except (RedisError, OSError):  # not kept: the next miss makes the client resend it
        logger.warning("persisted query not stored", exc_info=True)


class PersistedQueries(SchemaExtension):
    """Resolves ``extensions.persistedQuery`` to its document before anything parses it,
    keeps new ones, and in trusted mode refuses unregistered documents.

    Refusals over HTTP are raised before parsing (Strawberry answers them as the result's
    only error) with their status set on the response; over the websocket (subscriptions,
    whose subscribe message always carries the text) at execution, where Strawberry turns
    a raised error into the protocol's ``error`` message.
    """

    def __init__(self) -> None:
        self._keep: str | None = None
        self._refusal: GraphQLError | None = None

    async def on_operation(self) -> AsyncIterator[None]:
        refusal = await self._resolve()
        if refusal is not None:
            error, status = refusal
            context = self.execution_context.context
            if isinstance(getattr(context, "request", None), WebSocket):
                self._refusal = error
            else:
                response = getattr(context, "response", None)
                if response is not None:
                    response.status_code = status
                raise error
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        yield
        execution = self.execution_context
        valid = execution.graphql_document is not None and not execution.pre_execution_errors
        if self._keep is not None and execution.query and valid:
            await _keep(getattr(execution.context, "redis", None), self._keep, execution.query)

    def on_execute(self) -> Iterator[None]:
        if self._refusal is not None:
            raise self._refusal
        yield

    async def _resolve(self) -> tuple[GraphQLError, int] | None:
        """Sets the operation's text from its hash; returns a refusal and its HTTP status."""
        execution = self.execution_context
        trusted = get_settings().persisted_only
        persisted = (execution.operation_extensions or {}).get("persistedQuery")
        query = execution.query
        if persisted is None:
            if trusted and query and await registered_text(sha256_hex(query)) is None:
                return _not_allowed(), 400
            return None
        key = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if (
            not isinstance(persisted, dict)
            or persisted.get("version") != 1
            or not isinstance(key, str)
            or not 0 < len(key) <= MAX_ID_CHARS
        ):
            return _error(
                "`extensions.persistedQuery` attend {version: 1, sha256Hash: "
                '"<SHA-256 du document en hexadécimal>"}.',
                INVALID,
            ), 400
        redis = getattr(execution.context, "redis", None)
        if not query:
            text = await persisted_text(key, redis)
            if text is None:
                if trusted:
                    return _not_allowed(), 400
                # Apollo's clients match this exact message (or the code) to resend the text.
                return _error("PersistedQueryNotFound", NOT_FOUND), 200
            execution.query = text
            return None
        if sha256_hex(query) != key.lower():
            return _error(
                "Le hachage `sha256Hash` n'est pas le SHA-256 du document envoyé "
                "(provided sha does not match query).",
                INVALID,
            ), 400
        if trusted:
            return None if await registered_text(key.lower()) is not None else (_not_allowed(), 400)
        if _Known.get(key.lower(), registered_only=False) is None:
            self._keep = key.lower()
        return None


def _error(message: str, code: str) -> GraphQLError:
    # Raised before the ErrorPolicy pass: the code is set here.
    return GraphQLError(message, extensions={"code": code})


def _not_allowed() -> GraphQLError:
    return _error(
        "Ce portail n'exécute que les documents GraphQL enregistrés de ses applications ; "
        "celui-ci ne l'est pas.",
        NOT_ALLOWED,
    )
