"""Live events on Redis pub/sub: published by the outbox relay, read by subscriptions.

Every API process subscribes to the channels of the households its websocket clients
follow, so an event recorded by any process, or by the worker, reaches every phone. Each
channel carries one household's events of one topic: an event of household A is never
delivered on household B's channel. The queue name prefixes the channels, as it prefixes
arq's job ids, because pub/sub channels are shared by every database of a Redis server.

Pub/sub keeps nothing: a subscriber that was not listening when an event went out does not
get it, so a client refetches what it shows whenever it (re)subscribes.
"""

from collections.abc import AsyncGenerator
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from resolvers.live.live import LiveEvent, Topic
from settings import get_settings


def channel(topic: Topic, household_id: int) -> str:
    return f"{get_settings().queue_name}:live:{topic.value}:{household_id}"


def publish(pipe: Pipeline, events: list[dict[str, Any]]) -> None:
    """Queue serialised events on the relay's pipeline, each for its household's channel."""
    for data in events:
        pipe.publish(channel(Topic(data["topic"]), int(data["household_id"])), orjson.dumps(data))


async def listen(redis: Redis, topic: Topic, household_id: int) -> AsyncGenerator[LiveEvent, None]:
    """The household's events of one topic, from the moment Redis registers the subscription.

    Each subscription holds one Redis connection while it lasts (Redis serves 10,000 clients
    by default); the channel is unsubscribed and the connection closed when the client
    completes the subscription or disconnects.
    """
    async with redis.pubsub(ignore_subscribe_messages=True) as pubsub:
        await pubsub.subscribe(channel(topic, household_id))
        async for message in pubsub.listen():
            if message is None or message.get("type") != "message":
                continue
            event = LiveEvent.from_json(orjson.loads(message["data"]))
            if event.household_id == household_id and event.topic == topic:
                yield event
