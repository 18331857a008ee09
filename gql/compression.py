"""Compressed answers for phones on slow links (an ASGI middleware).

A household's school-year calendar is about 300 KB of JSON; compressed it is 5 to 16 KB.
Each HTTP answer of at least ``FAMILLE_COMPRESS_MIN_BYTES`` is compressed with the best
encoding the client accepts (``Accept-Encoding``, q-values honoured, ``q=0`` refuses), in
this order when the client has no preference: zstd (level 3), br (quality 4), gzip
(level 6). For the year calendar, zstd and br are three times smaller than gzip and cost
a twentieth to a fifth of its CPU (0.1 and 0.4 ms against 1.9 ms), because gzip's 32 KB
window cannot see that each child's year repeats the previous one (``bench/wire``).
Browsers send ``br`` (and, for recent ones, ``zstd``); Android's OkHttp and iOS's
URLSession send ``gzip`` at least.

Never compressed: websockets (the middleware sees only HTTP), answers that already have a
``Content-Encoding``, partial answers (206), answers below the threshold, and the media
types that are already compressed: PDF, ZIP, images (the documents' JPEG and PNG), audio,
video. Answers that can be compressed say ``Vary: Accept-Encoding``, compressed or not.

The work is Starlette's ``GZipMiddleware``'s responders (headers, ``Content-Length``,
streamed bodies flushed chunk by chunk, background tasks run after the last byte is sent,
as before); this module adds the negotiation and the two other encodings.
"""

from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any

import anyio.to_thread
import brotli
import zstandard
from starlette.middleware.gzip import (
    DEFAULT_EXCLUDED_CONTENT_TYPES,
    GZipResponder,
    IdentityResponder,
)
from starlette.types import ASGIApp, Receive, Scope, Send

ENCODINGS = ("zstd", "br", "gzip")  # the server's preference, smallest and cheapest first
EXCLUDED_CONTENT_TYPES = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf")
GZIP_LEVEL = 6
BROTLI_QUALITY = 4
ZSTD_LEVEL = 3
# Bodies compressed in a thread rather than on the event loop (a large CSV export): below
# it, zstd and br take well under a millisecond and a thread hop would cost more.
THREAD_MINIMUM_SIZE = 1024 * 1024


@lru_cache(maxsize=64)
def chosen_encoding(accept_encoding: str) -> str | None:
    """The encoding the client prefers (highest q) among ``ENCODINGS``, ours breaking ties;
    None when it accepts none of them (absent, or ``q=0``). Kept for the few values clients
    send (each browser and app sends one and the same on every request)."""
    accepted: dict[str, float] = {}
    for item in accept_encoding.lower().split(","):
        name, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name:
            accepted[name] = quality
    wildcard = accepted.get("*", 0.0)
    quality, _, best = max(
        (accepted.get(encoding, wildcard), -rank, encoding)
        for rank, encoding in enumerate(ENCODINGS)
    )
    return best if quality > 0 else None


class _LibraryResponder(IdentityResponder, ABC):
    """Starlette's responder logic, with a compressor of a library: zstd or br."""

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        super().__init__(app, minimum_size, exclude_content_types=EXCLUDED_CONTENT_TYPES)
        self._compressor: Any = None

    async def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        if len(body) >= THREAD_MINIMUM_SIZE:
            return await anyio.to_thread.run_sync(self._compress, body, more_body)
        return self._compress(body, more_body)

    @abstractmethod
    def _compress(self, body: bytes, more_body: bool) -> bytes:
        """The next compressed bytes of the answer; the end of the stream when nothing more
        follows."""


class BrotliResponder(_LibraryResponder):
    content_encoding = "br"

    def _compress(self, body: bytes, more_body: bool) -> bytes:
        if self._compressor is None:
            self._compressor = brotli.Compressor(quality=BROTLI_QUALITY)
        out: bytes = self._compressor.process(body)
        tail: bytes = self._compressor.flush() if more_body else self._compressor.finish()
        return out + tail


class ZstdResponder(_LibraryResponder):
    content_encoding = "zstd"

    def _compress(self, body: bytes, more_body: bool) -> bytes:
        if self._compressor is None:
            # RFC 9659: a window of at most 8 MB, which level 3 stays well under.
            self._compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compressobj()
        out: bytes = self._compressor.compress(body)
        mode = (
            zstandard.COMPRESSOBJ_FLUSH_BLOCK if more_body else zstandard.COMPRESSOBJ_FLUSH_FINISH
        )
        tail: bytes = self._compressor.flush(mode)
        return out + tail


def _accept_encoding(scope: Scope) -> str:
    """The request's first ``Accept-Encoding`` header, as Starlette's ``Headers.get`` reads
    it, or "": found without building the headers' object, nor raising and catching a
    KeyError when it is missing."""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            accept_encoding: str = value.decode("latin-1")
            return accept_encoding
    return ""


class Compression:
    """Compresses HTTP answers of at least ``minimum_size`` bytes (see the module)."""

    def __init__(self, app: ASGIApp, minimum_size: int) -> None:
        self.app = app
        self.minimum_size = minimum_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        encoding = chosen_encoding(_accept_encoding(scope))
        responder: ASGIApp
        if encoding == "zstd":
            responder = ZstdResponder(self.app, self.minimum_size)
        elif encoding == "br":
            responder = BrotliResponder(self.app, self.minimum_size)
        elif encoding == "gzip":
            responder = GZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=GZIP_LEVEL,
                exclude_content_types=EXCLUDED_CONTENT_TYPES,
            )
        else:  # still says Vary: Accept-Encoding on what could have been compressed
            responder = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=EXCLUDED_CONTENT_TYPES
            )
        await responder(scope, receive, send)
