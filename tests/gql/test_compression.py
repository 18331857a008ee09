"""Compressed answers (gql/compression.py): a household's year calendar is sent compressed
to a client that asks, byte for byte the same JSON once decoded; never when not asked,
below FAMILLE_COMPRESS_MIN_BYTES, for a PDF, or on a websocket; streamed bodies stay
streamed and background tasks still run after the last byte."""

import gzip
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import brotli
import httpx
import orjson
import pytest
import zstandard
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from gql.compression import Compression, chosen_encoding
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests.calendar.test_bookings import CALENDAR, setup
from tests.conftest import Backend
from tests.factories import token_for
from tests.gql.test_security_headers import SECURITY, booked

DECODE = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
}
FRONT_END = "https://famille.ville.example"


async def raw_post(
    http: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str]
) -> tuple[httpx.Response, bytes]:
    """The answer and its body as sent on the wire (httpx would decode it otherwise)."""
    async with http.stream("POST", "/graphql", json=body, headers=headers) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, raw


async def year_calendar(clock: FrozenClock) -> tuple[dict[str, Any], dict[str, str]]:
    f = await setup(clock, children=3)
    body = {
        "query": CALENDAR,
        "variables": {"householdId": f["household_id"], "from": "2026-09-01", "to": "2027-07-03"},
    }
    return body, {"Authorization": f"Bearer {f['token']}"}


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
async def test_the_year_calendar_is_compressed_when_asked(
    http: httpx.AsyncClient, clock: FrozenClock, encoding: str
) -> None:
    # given a household of three children and its school year
    body, auth = await year_calendar(clock)

    # when a phone asks for it compressed, and a client that does not
    plain, plain_raw = await raw_post(http, body, {**auth, "Accept-Encoding": "identity"})
    packed, packed_raw = await raw_post(http, body, {**auth, "Accept-Encoding": encoding})

    # then the phone gets far fewer bytes that decode to the same JSON
    assert packed.headers["content-encoding"] == encoding
    assert int(packed.headers["content-length"]) == len(packed_raw)
    assert "content-encoding" not in plain.headers
    assert len(plain_raw) > 20_000 and len(packed_raw) < len(plain_raw) / 8
    assert DECODE[encoding](packed_raw) == plain_raw
    assert "errors" not in orjson.loads(plain_raw)
    # and caches know the answer depends on Accept-Encoding, compressed or not
    for response in (plain, packed):
        assert "accept-encoding" in response.headers["vary"].lower()
        assert response.headers["content-type"].startswith("application/json")
        for name, value in SECURITY.items():
            assert response.headers[name] == value


async def test_the_clients_preference_is_honoured(http: httpx.AsyncClient, clock: Any) -> None:
    body, auth = await year_calendar(clock)
    asked = {
        "gzip, deflate, br, zstd": "zstd",  # a recent browser: ours, the smallest
        "gzip, deflate, br": "br",  # Safari
        "gzip": "gzip",  # OkHttp, URLSession
        "zstd;q=0.5, gzip": "gzip",  # the client's q-values first
        "br;q=0, gzip;q=0": None,  # refused
    }
    for accept, expected in asked.items():
        response, _ = await raw_post(http, body, {**auth, "Accept-Encoding": accept})
        assert response.headers.get("content-encoding") == expected, accept


async def test_small_answers_are_not_compressed(http: httpx.AsyncClient) -> None:
    response, raw = await raw_post(
        http, {"query": "{ __typename }"}, {"Accept-Encoding": "gzip, br, zstd"}
    )
    assert get_settings().compress_min_bytes == 1024
    assert raw == b'{"data":{"__typename":"Query"}}'
    assert "content-encoding" not in response.headers


async def test_the_threshold_is_a_setting(
    backend: Backend, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gql.app import create_app

    monkeypatch.setattr(get_settings(), "compress_min_bytes", 10)
    transport = httpx.ASGITransport(app=create_app(clock=clock, redis=backend.redis))
    async with httpx.AsyncClient(transport=transport, base_url="http://famille.test") as client:
        response, raw = await raw_post(
            client, {"query": "{ __typename }"}, {"Accept-Encoding": "gzip"}
        )
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == b'{"data":{"__typename":"Query"}}'


@pytest.fixture
def cors_origins(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FAMILLE_CORS_ORIGINS", FRONT_END)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
async def cors_http(
    cors_origins: None, backend: Backend, clock: Any
) -> AsyncIterator[httpx.AsyncClient]:
    from gql.app import create_app

    transport = httpx.ASGITransport(app=create_app(clock=clock, redis=backend.redis))
    async with httpx.AsyncClient(transport=transport, base_url="http://famille.test") as client:
        yield client


async def test_a_front_end_on_another_origin_keeps_its_cors_headers(
    cors_http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    body, auth = await year_calendar(clock)
    response, raw = await raw_post(
        cors_http, body, {**auth, "Origin": FRONT_END, "Accept-Encoding": "br"}
    )
    assert response.headers["content-encoding"] == "br"
    assert response.headers["access-control-allow-origin"] == FRONT_END
    assert response.headers["access-control-expose-headers"] == "X-Request-ID"
    assert orjson.loads(brotli.decompress(raw))["data"]["calendar"]


async def test_pdfs_are_sent_as_they_are(
    http: httpx.AsyncClient, clock: FrozenClock, api: Any
) -> None:
    from gql.ids import encode_id

    town = await booked(clock)
    token = await token_for(town.staff, clock)
    sheets = await api(
        'query($siteId: ID!) { attendanceSheetsPdf(siteId: $siteId, date: "2026-12-03") { url } }',
        {"siteId": encode_id("Site", town.catalogue.site.id)},
        token=token,
    )
    url = sheets["data"]["attendanceSheetsPdf"]["url"].removeprefix("http://famille.test")
    async with http.stream("GET", url, headers={"Accept-Encoding": "gzip, br, zstd"}) as pdf:
        raw = b"".join([chunk async for chunk in pdf.aiter_raw()])
    assert pdf.headers["content-type"] == "application/pdf"
    assert len(raw) > 1024 and raw.startswith(b"%PDF")
    assert "content-encoding" not in pdf.headers


def test_accept_encoding_is_read_with_its_q_values() -> None:
    assert chosen_encoding("") is None
    assert chosen_encoding("identity") is None
    assert chosen_encoding("gzip;q=0") is None
    assert chosen_encoding("GZIP") == "gzip"
    assert chosen_encoding("br;q=nonsense, gzip") == "gzip"
    assert chosen_encoding("*") == "zstd"
    assert chosen_encoding("*, zstd;q=0") == "br"
    assert chosen_encoding("gzip;q=1, br;q=0.9") == "gzip"


# --- the middleware alone: streaming, background tasks, websockets ----------------------


def small_app(happened: list[str]) -> Starlette:
    async def stream(request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for i in range(3):
                happened.append(f"chunk {i}")
                yield orjson.dumps({"line": i, "padding": "x" * 2000}) + b"\n"

        return StreamingResponse(
            chunks(),
            media_type="application/x-ndjson",
            background=BackgroundTask(happened.append, "background"),
        )

    async def zipped(request: Request) -> Response:
        return Response(b"PK\x03\x04" + bytes(5000), media_type="application/zip")

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("x" * 5000)
        await websocket.close()

    return Starlette(
        routes=[Route("/stream", stream), Route("/zip", zipped), WebSocketRoute("/ws", echo)],
        middleware=[(Compression, (), {"minimum_size": 1024})],  # type: ignore[list-item]
    )


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
async def test_streamed_bodies_stay_streamed_and_background_tasks_run_last(
    encoding: str,
) -> None:
    happened: list[str] = []
    sent: list[bytes] = []
    app = small_app(happened)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/stream",
        "raw_path": b"/stream",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"famille.test"), (b"accept-encoding", encoding.encode())],
        "client": ("198.51.100.7", 40000),
        "server": ("famille.test", 80),
    }
    start: dict[str, Any] = {}
    requested = False
    done = anyio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays until the last byte (Starlette listens for it)
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            sent.append(message.get("body", b""))
            happened.append("sent" if message.get("more_body") else "last byte")
            if not message.get("more_body"):
                done.set()

    await app(scope, receive, send)
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    assert headers["content-encoding"] == encoding
    assert "content-length" not in headers
    # each chunk went out compressed as soon as it was made, readable up to there
    assert happened == [
        "chunk 0",
        "sent",
        "chunk 1",
        "sent",
        "chunk 2",
        "sent",
        "last byte",
        "background",
    ]
    lines = DECODE[encoding](b"".join(sent)).splitlines()
    assert [orjson.loads(line)["line"] for line in lines] == [0, 1, 2]


async def test_zip_files_and_websockets_are_left_alone() -> None:
    app = small_app([])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://famille.test") as client:
        headers = {"Accept-Encoding": "gzip, br, zstd"}
        async with client.stream("GET", "/zip", headers=headers) as zipped:
            raw = b"".join([chunk async for chunk in zipped.aiter_raw()])
    assert "content-encoding" not in zipped.headers
    assert raw == b"PK\x03\x04" + bytes(5000)

    # a websocket (the subscriptions' transport) goes through untouched
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/ws",
        "raw_path": b"/ws",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"famille.test"), (b"accept-encoding", b"gzip")],
        "client": ("198.51.100.7", 40000),
        "server": ("famille.test", 80),
        "subprotocols": [],
    }
    incoming = [{"type": "websocket.connect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[1]["text"] == "x" * 5000
