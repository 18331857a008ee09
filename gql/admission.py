"""Admission: a bounded number of HTTP requests at work in the process, a bounded queue of
the others, and an explicit refusal beyond it.

On the opening day of holiday bookings every family clicks in the same minute. Each submit
holds the places' lock for a few round trips to PostgreSQL, and each round trip's answer
waits its turn on the event loop behind the CPU work of every other request in progress:
with hundreds of requests at work at once, the lock is held longer and the whole town's
submits slow down together. So at most ``FAMILLE_API_CONCURRENCY`` requests run at once;
the next ones wait their turn, first come first served (they cost nothing meanwhile), up
to ``FAMILLE_API_QUEUE`` of them; beyond, the request is refused at once with ``503``,
``Retry-After`` and a GraphQL error body (code ``OVERLOADED``) rather than slowing
everybody down. A mobile client retries a refused submit with the same idempotency key:
nothing was applied, and a submit that did go through is answered again, never applied
twice.

Websockets (their own long-lived connections), the health routes (a load balancer must
see a busy server as alive) and the payment providers' callbacks (a provider does not
retry a 503 promptly; they are a few a second) are never queued.
"""

import asyncio
import contextlib
from collections import deque

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from gql.http_errors import GRAPHQL_RESPONSE_JSON, error_body

OVERLOADED = "OVERLOADED"
OVERLOADED_MESSAGE = (
    "Le service est très sollicité en ce moment : votre demande n'a pas été traitée. "
    "Réessayez dans quelques secondes."
)
EXEMPT_PREFIXES = ("/healthz", "/readyz", "/payments/")


class Admission:
    """At most ``concurrency`` HTTP requests at work at once, ``queue`` more waiting (oldest
    first), the others answered ``503`` with ``Retry-After: retry_after`` seconds.
    ``concurrency`` 0: no limit."""

    def __init__(self, app: ASGIApp, *, concurrency: int, queue: int, retry_after: int) -> None:
        self.app = app
        self.concurrency = concurrency
        self.queue = queue
        self.retry_after = retry_after
        self.running = 0
        self.waiting: deque[asyncio.Future[None]] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not self.concurrency
            or scope["path"].startswith(EXEMPT_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        if self.running >= self.concurrency or self.waiting:
            if len(self.waiting) >= self.queue:
                await self._refuse(scope, send)
                return
            turn = asyncio.get_running_loop().create_future()
            self.waiting.append(turn)
            try:
                await turn  # the finishing request hands its place over (_release)
            except BaseException:  # the client went away, or the server stops
                if turn.done() and not turn.cancelled():
                    self._release()  # the place was just handed over: pass it on
                else:
                    with contextlib.suppress(ValueError):
                        self.waiting.remove(turn)
                raise
        else:
            self.running += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self._release()

    def _release(self) -> None:
        """The place goes to the oldest waiting request, or is given back."""
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.running -= 1

    async def _refuse(self, scope: Scope, send: Send) -> None:
        accept = b""
        for name, value in scope.get("headers", ()):
            if name == b"accept":
                accept = value
        media_type = "application/json"
        if GRAPHQL_RESPONSE_JSON.encode() in accept:
            media_type = GRAPHQL_RESPONSE_JSON
        body = orjson.dumps(error_body(OVERLOADED_MESSAGE, OVERLOADED))
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", f"{media_type}; charset=utf-8".encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(self.retry_after).encode()),
                    (b"cache-control", b"private, no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
