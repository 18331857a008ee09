"""A phone that hangs up before its request has arrived (its network lost, or tired of
waiting its turn in a busy API) costs one line of log and nothing else: no ERROR with a
traceback, and the server answers the next request as before. A real uvicorn server
serves the app; the clients are raw sockets that stop mid-body."""

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from gql.app import create_app
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests.conftest import Backend
from tests.served import served

pytestmark = pytest.mark.usefixtures("backend")

WAIT = 60.0
BODY = b'{"query": "mutation { submitBookingChanges(input: {}) { request { id } } }"}'


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]


@pytest.fixture
def logs() -> Iterator[Collect]:
    """uvicorn's error log (where an uncaught exception lands) and the app's."""
    collect = Collect()
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "famille.graphql")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(collect)
        logger.setLevel(logging.INFO)
    yield collect
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(collect)
        logger.setLevel(level)


@pytest.fixture
async def address(backend: Backend, clock: FrozenClock) -> AsyncIterator[tuple[str, int]]:
    async with served(create_app(clock=clock, redis=backend.redis), own_logging=True) as port:
        yield f"http://127.0.0.1:{port}", port


async def hang_up_mid_body(port: int) -> None:
    """Headers announcing the whole body, half of it, then the connection closed."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: famille.test\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY[: len(BODY) // 2]
    )
    await writer.drain()
    await asyncio.sleep(0.2)  # the app is reading the body when the client goes
    writer.close()
    await writer.wait_closed()


async def gone_logged(logs: Collect) -> None:
    """Until the server has logged the client's departure, one way or the other."""
    async with asyncio.timeout(WAIT):
        while not any("client gone" in line for line in logs.lines(logging.INFO)):
            if logs.lines(logging.WARNING):
                return
            await asyncio.sleep(0.02)


async def test_a_client_gone_mid_body_is_one_line_of_log_and_nothing_applied(
    address: tuple[str, int], logs: Collect
) -> None:
    url, port = address

    await hang_up_mid_body(port)
    await gone_logged(logs)

    assert logs.lines(logging.WARNING) == []  # no "Exception in ASGI application"
    assert [line for line in logs.lines(logging.INFO) if "client gone" in line] == [
        "POST /graphql: client gone before its request arrived"
    ]
    async with httpx.AsyncClient(base_url=url) as client:
        answer = await client.post("/graphql", json={"query": "{ __typename }"})
    assert answer.json() == {"data": {"__typename": "Query"}}


async def test_a_client_gone_while_waiting_its_turn_is_dropped_quietly(
    backend: Backend, clock: FrozenClock, logs: Collect, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a busy API: one request at work (its body still coming), room for more waiting
    monkeypatch.setattr(get_settings(), "api_concurrency", 1)
    monkeypatch.setattr(get_settings(), "api_queue", 4)
    typename = b'{"query": "{ __typename }"}'
    app = create_app(clock=clock, redis=backend.redis)  # with the settings above
    async with served(app, own_logging=True) as port:
        url = f"http://127.0.0.1:{port}"
        reader, at_work = await asyncio.open_connection("127.0.0.1", port)
        head = b"POST /graphql HTTP/1.1\r\nHost: famille.test\r\nConnection: close\r\n"
        at_work.write(
            head + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(typename)
        )
        at_work.write(typename[:10])
        await at_work.drain()
        await asyncio.sleep(0.2)

        # when a phone queued behind it gives up mid-body, then the first one's body ends
        await hang_up_mid_body(port)
        at_work.write(typename[10:])
        await at_work.drain()

        # then the first is answered, the phone's request dropped with one line of log
        async with asyncio.timeout(WAIT):
            first = await reader.read()
        assert first.startswith(b"HTTP/1.1 200 ")
        assert first.endswith(b'{"data":{"__typename":"Query"}}')
        at_work.close()
        await gone_logged(logs)
        assert logs.lines(logging.WARNING) == []
        async with httpx.AsyncClient(base_url=url) as client:
            answer = await client.post("/graphql", json={"query": "{ __typename }"})
        assert answer.json() == {"data": {"__typename": "Query"}}
