"""Security headers on every HTTP answer, in one place (an ASGI middleware).

Every answer says: never framed (``X-Frame-Options: DENY`` and CSP ``frame-ancestors
'none'``: GraphiQL and the mailed pages cannot be clickjacked), never sniffed
(``X-Content-Type-Options: nosniff``: a CSV or a file is never run as HTML), never a
``Referer`` (the reset and activation pages carry their token in the URL), and never stored
(``Cache-Control: no-store``: pages with a token, files, GraphQL answers). A route that sets
one of these itself keeps its own value (the ICS feed's ``private, max-age=300``, the
files' ``private, no-store``). The static GraphiQL assets are the exception to ``no-store``:
they are the same for everyone.

The CSP is only ``frame-ancestors``: GraphiQL's page runs an inline script, which a
``script-src`` would have to allow anyway.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
NO_STORE = (b"cache-control", b"no-store")
CACHEABLE_PREFIXES = ("/static/",)


class SecurityHeaders:
    """Adds ``HEADERS`` (and ``Cache-Control: no-store`` outside ``/static/``) to every HTTP
    response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = HEADERS
        if not scope["path"].startswith(CACHEABLE_PREFIXES):
            defaults = (*HEADERS, NO_STORE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in defaults if name not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
