"""uvicorn's access log names the route, never the token of a mailed or signed link: a real
uvicorn server, set up as ``famille serve`` sets it up, answers real requests and its
access records are read back."""

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from gql import access_log

TOKEN = "Zm9vYmFyLnNlY3JldC10b2tlbg"


async def tiny_app(scope: Scope, receive: Receive, send: Send) -> None:
    """What answers does not matter here: uvicorn logs every request the same way."""
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, Collect]]:
    config = uvicorn.Config(tiny_app, host="127.0.0.1", port=0, lifespan="off", log_level="info")
    access_log.install()  # as cli.py does, once uvicorn's logging is set up
    access_log.install()  # idempotent
    server = uvicorn.Server(config)
    collect = Collect()
    logger = logging.getLogger(access_log.ACCESS_LOGGER)
    logger.addHandler(collect)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}", collect
    finally:
        server.should_exit = True
        await task
        logger.removeHandler(collect)


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/activation/{TOKEN}", "/activation/…"),
        (f"/mot-de-passe/{TOKEN}", "/mot-de-passe/…"),
        (f"/files/{TOKEN}.abc", "/files/…"),
        (f"/factures/{TOKEN}.abc", "/factures/…"),
        (f"/prelevements/{TOKEN}.abc", "/prelevements/…"),
        (f"/attestations/{TOKEN}.abc", "/attestations/…"),
        (f"/export/{TOKEN}.abc", "/export/…"),
        (f"/ics/{TOKEN}.ics", "/ics/….ics"),
        (f"/paiement/retour/{TOKEN}", "/paiement/retour/…"),
        (
            f"/exports/kitchen-forecast.csv?token={TOKEN}.abc",
            "/exports/kitchen-forecast.csv?token=…",
        ),
        (
            f'/graphql?query={{x(token:"{TOKEN}")}}&variables={{}}',
            "/graphql?query=…&variables=…",
        ),
        ("/graphql", "/graphql"),
        ("/healthz", "/healthz"),
    ],
)
async def test_the_access_log_shows_the_route_without_its_token(
    served: tuple[str, Collect], path: str, logged: str
) -> None:
    base, collect = served
    async with httpx.AsyncClient(base_url=base) as client:
        await client.get(path)
        await client.post(path)

    assert len(collect.lines) == 2
    for line, method in zip(collect.lines, ("GET", "POST"), strict=True):
        assert line.startswith("127.0.0.1:")
        assert line.endswith(f' - "{method} {logged} HTTP/1.1" 404')
    assert not any(TOKEN in line for line in collect.lines)
