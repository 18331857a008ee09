"""Multipart uploads (GraphQL multipart request spec) with bounded memory and disk.

Three guards, outermost first:
- ``BodySizeLimit`` answers 413 to any request whose body exceeds ``FAMILLE_REQUEST_MAX_MB``,
  from its Content-Length or while it streams;
- multipart requests must carry a header a cross-site HTML form cannot set
  (``Apollo-Require-Preflight``, ``GraphQL-Require-Preflight`` or ``X-Apollo-Operation-Name``),
  so another site cannot post files on behalf of a parent's browser (CSRF);
- ``BoundedMultiPartParser`` keeps at most one byte more than ``FAMILLE_UPLOAD_MAX_FILE_KB``
  (or ``FAMILLE_IMPORT_MAX_FILE_KB``, the larger) of each file (spooled to a temporary file
  past 1 MB), so an oversized file is known to be too large without being kept; the
  resolver then refuses it with FILE_TOO_LARGE (documents and imports check their own).
"""

from contextlib import aclosing
from typing import Any

import orjson
from cross_web import HTTPException, StarletteRequestAdapter
from cross_web.request._base import FormData
from starlette.datastructures import FormData as StarletteFormData
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settings import get_settings

PREFLIGHT_HEADERS = (
    "apollo-require-preflight",
    "graphql-require-preflight",
    "x-apollo-operation-name",
)


class BoundedMultiPartParser(MultiPartParser):
    """Starlette's parser, keeping at most ``max_file_size + 1`` bytes of each file."""

    def __init__(self, *args: Any, max_file_size: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_file_size = max_file_size
        self._file_bytes = 0

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self._file_bytes = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_part.file is None:
            super().on_part_data(data, start, end)
            return
        room = self.max_file_size + 1 - self._file_bytes
        if room <= 0:
            return  # already known to be too large: the rest is read and dropped
        end = min(end, start + room)
        self._file_bytes += end - start
        super().on_part_data(data, start, end)


class BoundedRequestAdapter(StarletteRequestAdapter):
    """Strawberry's Starlette adapter, parsing multipart bodies with the bounded parser."""

    async def get_form_data(self) -> FormData:
        request = self._request
        if not any(request.headers.get(name) for name in PREFLIGHT_HEADERS):
            raise HTTPException(
                400,
                "Envoi de fichiers refusé : ajoutez l'en-tête Apollo-Require-Preflight: true "
                "(protection contre les envois d'un autre site).",
            )
        settings = get_settings()
        async with aclosing(request.stream()) as stream:
            parser = BoundedMultiPartParser(
                request.headers,
                stream,
                max_files=settings.upload_max_files_per_request,
                max_fields=8,
                max_part_size=1024 * 1024,
                # The larger limit: each resolver refuses what passes its own (documents,
                # family imports).
                max_file_size=max(settings.upload_max_file_kb, settings.import_max_file_kb) * 1024,
            )
            try:
                form = await parser.parse()
            except MultiPartException as exc:
                raise ValueError(exc.message) from exc
        request.state.upload_form = form
        return FormData(files=form, form=form)


async def close_uploads(request: Any) -> None:
    """Close the request's temporary files once the operation is done."""
    form: StarletteFormData | None = getattr(request.state, "upload_form", None)
    if form is not None:
        await form.close()


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """ASGI middleware: 413 for bodies over the limit, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        megabytes = self.max_bytes // (1024 * 1024)
        body = orjson.dumps(
            {
                "errors": [
                    {
                        "message": f"Requête trop volumineuse : {megabytes} Mo au plus.",
                        "extensions": {"code": "REQUEST_TOO_LARGE"},
                    }
                ]
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
