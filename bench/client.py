"""A minimal HTTP/1.1 keep-alive client on asyncio streams.

httpx costs a few hundred microseconds of client CPU per request; on a 2-core machine the
load client shares the cores with both servers and PostgreSQL, so it must stay cheap:
requests are pre-encoded bytes, responses are read by Content-Length (or chunked).
"""

import asyncio
from dataclasses import dataclass

import orjson


class HTTPError(Exception):
    pass


@dataclass
class Reply:
    status: int
    body: bytes

    def json(self) -> object:
        return orjson.loads(self.body)


def encode_post(host: str, path: str, payload: object, token: str | None = None) -> bytes:
    """A complete POST request, ready to be written again and again on a connection."""
    body = orjson.dumps(payload)
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        "Accept: application/json",
        f"Content-Length: {len(body)}",
    ]
    if token:
        head.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def send(self, request: bytes) -> Reply:
        reader, writer = await self._open()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *lines = head[:-4].split(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = None, False, False
        for line in lines:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = value.strip().lower() == b"close"
        if length is not None:
            body = await reader.readexactly(length)
        elif chunked:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        else:
            raise HTTPError(f"response without length: {head!r}")
        if close:
            await self.close()
        return Reply(status, body)

    async def get(self, path: str) -> Reply:
        host = f"{self.host}:{self.port}"
        return await self.send(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())

    async def post(self, path: str, payload: object, token: str | None = None) -> Reply:
        return await self.send(encode_post(f"{self.host}:{self.port}", path, payload, token))

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except ConnectionError:
                pass
        self._reader = self._writer = None
