"""The relay publishes live events after commit: once, and later when Redis was down."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import orjson
import pytest
from arq import ArqRedis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from tortoise.transactions import in_transaction

from jobs.live import channel
from jobs.outbox import relay_outbox
from models.outbox import OutboxJob
from models.requests import RequestStatus
from resolvers.core.clock import FrozenClock
from resolvers.live.live import LIVE_EVENTS_FUNCTION, CalendarChangeKind, LiveEvent, Topic, record
from tests.conftest import Backend

# A household id no factory reaches: this file's events stay on channels of their own.
HOUSEHOLD = 900_000_001


def event(day: int) -> LiveEvent:
    return LiveEvent(
        topic=Topic.CALENDAR,
        kind=CalendarChangeKind.BOOKINGS_CHANGED.value,
        household_id=HOUSEHOLD,
        child_id=1,
        activity_id=2,
        dates=(date(2026, 12, day),),
    )


@pytest.fixture
async def listener(backend: Backend) -> AsyncIterator[PubSub]:
    async with backend.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(channel(Topic.CALENDAR, HOUSEHOLD))
        yield pubsub


async def next_event(pubsub: PubSub) -> dict[str, Any]:
    """The next message published (the subscription's own confirmation is skipped)."""
    async with asyncio.timeout(10):
        while (message := await pubsub.get_message(ignore_subscribe_messages=True)) is None:
            await asyncio.sleep(0.01)
    data: dict[str, Any] = orjson.loads(message["data"])
    return data


async def test_a_redis_outage_delays_the_events_and_a_double_relay_publishes_once(
    backend: Backend, clock: FrozenClock, listener: PubSub
) -> None:
    # given a change that recorded its event in its transaction (earlier rows relayed)
    await relay_outbox(backend.redis, clock=clock)
    async with in_transaction():
        await record([event(1)], clock=clock)
    [row] = await OutboxJob.filter(function=LIVE_EVENTS_FUNCTION).order_by("-id").limit(1)

    # when the API's relay cannot reach Redis, the row stays for the next relay
    dead_redis = ArqRedis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with pytest.raises(RedisConnectionError):
        await relay_outbox(dead_redis, clock=clock)
    await dead_redis.aclose()
    await row.refresh_from_db()
    assert (row.relayed_at, row.completed_at) == (None, None)
    assert row.last_error.startswith("ConnectionError")

    # then the next relay publishes it, and a relay running again publishes nothing more
    await relay_outbox(backend.redis, clock=clock)
    await relay_outbox(backend.redis, clock=clock)
    assert (await next_event(listener))["dates"] == ["2026-12-01"]
    async with in_transaction():
        await record([event(2)], clock=clock)
    await relay_outbox(backend.redis, clock=clock)
    assert (await next_event(listener))["dates"] == ["2026-12-02"]
    await row.refresh_from_db()
    assert row.completed_at is not None


def test_an_event_survives_its_json_round_trip() -> None:
    full = LiveEvent(
        topic=Topic.REQUESTS,
        kind="status_changed",
        household_id=HOUSEHOLD,
        child_id=3,
        activity_id=4,
        dates=(date(2026, 12, 1), date(2026, 12, 3)),
        request_id=5,
        status=RequestStatus.COMPLETED,
        by_staff=True,
    )
    for original in (full, event(1)):
        data = orjson.loads(orjson.dumps(original.to_json()))
        assert LiveEvent.from_json(data) == original
    assert full.to_json()["status"] == "completed" and full.to_json()["topic"] == "requests"
