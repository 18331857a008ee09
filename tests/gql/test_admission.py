"""A busy API refuses what it cannot take at once: 503 with Retry-After and a GraphQL error
OVERLOADED, nothing applied; the requests under the limit wait their turn, first come
first served; a refused submit retried with the same idempotency key books once."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gql.admission import Admission
from gql.app import create_app
from models.bookings import Booking
from models.requests import Request, RequestKind
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests.calendar.test_bookings import SUBMIT, day_change, setup
from tests.conftest import Backend

pytestmark = pytest.mark.usefixtures("backend")


class Held:
    """A request body sent in two parts, the second one when the test says: the request
    holds its place in the API meanwhile."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def stream(self) -> AsyncIterator[bytes]:
        self.started.set()
        yield self.body[:10]
        await self.release.wait()
        yield self.body[10:]


def post_held(client: httpx.AsyncClient, held: Held) -> "asyncio.Task[httpx.Response]":
    headers = {"Content-Type": "application/json"}
    return asyncio.create_task(client.post("/graphql", content=held.stream(), headers=headers))


async def settled() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.fixture
async def busy(
    backend: Backend, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """The API with room for one request at work and one waiting."""
    monkeypatch.setattr(get_settings(), "api_concurrency", 1)
    monkeypatch.setattr(get_settings(), "api_queue", 1)
    monkeypatch.setattr(get_settings(), "api_retry_after_seconds", 7)
    transport = httpx.ASGITransport(app=create_app(clock=clock, redis=backend.redis))
    async with httpx.AsyncClient(transport=transport, base_url="http://famille.test") as client:
        yield client


async def test_a_full_api_refuses_with_503_retry_after_and_a_graphql_error(
    busy: httpx.AsyncClient,
) -> None:
    # Given one request at work (its body still coming) and one waiting its turn
    first, second = Held(b'{"query": "{ __typename }"}'), Held(b'{"query": "{ __typename }"}')
    at_work = post_held(busy, first)
    await first.started.wait()
    waiting = post_held(busy, second)
    await settled()
    assert not second.started.is_set()  # its body is not even read: it waits its turn

    # When a third one comes
    refused = await busy.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Accept": "application/graphql-response+json"},
    )

    # Then it is refused at once, as a GraphQL error a client can act on
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "7"
    assert refused.headers["content-type"].startswith("application/graphql-response+json")
    assert refused.headers["cache-control"] == "private, no-store"
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "OVERLOADED"
    assert "Réessayez" in error["message"]
    # … while the two others are answered in turn
    first.release.set()
    assert (await at_work).json() == {"data": {"__typename": "Query"}}
    await second.started.wait()
    second.release.set()
    assert (await waiting).json() == {"data": {"__typename": "Query"}}
    # … and once they are done, the API takes requests again
    again = await busy.post("/graphql", json={"query": "{ __typename }"})
    assert again.status_code == 200


async def test_health_is_answered_even_when_the_api_is_full(busy: httpx.AsyncClient) -> None:
    # Given a full API (one at work, one waiting)
    held = [Held(b'{"query": "{ __typename }"}') for _ in range(2)]
    tasks = [post_held(busy, h) for h in held]
    await held[0].started.wait()
    await settled()
    # Then a load balancer still sees it alive, and a GraphQL request is refused
    assert (await busy.get("/healthz")).status_code == 200
    assert (await busy.post("/graphql", json={"query": "{ __typename }"})).status_code == 503
    for item in held:
        item.release.set()
    await asyncio.gather(*tasks)


async def test_a_refused_submit_retried_with_its_key_books_once(
    busy: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # Given a parent whose submit comes while the API is full
    f = await setup(clock, capacity=1)
    headers = {"Authorization": f"Bearer {f['token']}"}
    variables: dict[str, Any] = {
        "householdId": f["household_id"],
        "input": {"changes": [day_change(f, "2026-12-07")]},
        "key": "phone-7f3c",
    }
    held = [Held(b'{"query": "{ __typename }"}') for _ in range(2)]
    tasks = [post_held(busy, h) for h in held]
    await held[0].started.wait()
    await settled()
    submit = {"query": SUBMIT, "variables": variables}
    refused = await busy.post("/graphql", json=submit, headers=headers)
    assert refused.status_code == 503
    assert refused.json()["errors"][0]["extensions"]["code"] == "OVERLOADED"
    # … nothing of it was applied
    changes = Request.filter(household_id=f["household"].id, kind=RequestKind.BOOKING_CHANGE)
    assert not await changes.exists()
    assert not await Booking.filter(child_id=f["child_ids"][0]).exists()
    for item in held:
        item.release.set()
    await asyncio.gather(*tasks)

    # When the phone retries after Retry-After with the same key, then once more (it lost
    # the answer)
    booked = (await busy.post("/graphql", json=submit, headers=headers)).json()
    replayed = (await busy.post("/graphql", json=submit, headers=headers)).json()

    # Then the day is booked once, by one request; the second retry answers the first
    first = booked["data"]["submitBookingChanges"]
    assert [line["outcome"] for line in first["lines"]] == ["BOOKED"]
    assert first["replayed"] is False
    again = replayed["data"]["submitBookingChanges"]
    assert again["replayed"] is True and again["requestId"] == first["requestId"]
    assert await changes.count() == 1
    assert await Booking.filter(child_id=f["child_ids"][0], status="booked").count() == 1


async def test_waiting_requests_are_served_first_come_first_served() -> None:
    # Given an admission with room for one at work and three waiting
    order: list[int] = []
    gates = {n: asyncio.Event() for n in range(4)}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        order.append(scope["n"])
        await gates[scope["n"]].wait()

    admission = Admission(app, concurrency=1, queue=3, retry_after=5)
    scope = {"type": "http", "path": "/graphql", "headers": []}
    tasks = []
    for n in range(4):
        tasks.append(asyncio.create_task(admission({**scope, "n": n}, None, None)))  # type: ignore[arg-type]
        await settled()
    # When each one finishes in turn, and a waiting client goes away
    tasks[2].cancel()
    for n in (0, 1, 3):
        await settled()
        gates[n].set()
    await asyncio.gather(*tasks, return_exceptions=True)
    # Then they ran in their order of arrival, the one gone never, and every place is back
    assert order == [0, 1, 3]
    assert admission.running == 0 and not admission.waiting
