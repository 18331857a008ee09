"""The API's Redis pool sends what redis-py's own asyncio connection would send."""

import pickle

import pytest
from redis.asyncio import Connection
from redis.exceptions import DataError

from jobs.queue import HiredisPackingConnection

# What the relay and the live events send (a job, its queue entry, an event), and the
# values a command may carry: text with accents, floats, large integers, a large value,
# a command name of two words.
COMMANDS = [
    ("SET", "arq:job:famille:queue:outbox-7", pickle.dumps({"outbox_id": 7}), "PX", 86400000, "NX"),
    ("ZADD", "famille:queue", "NX", 1765000000123, "famille:queue:outbox-7"),
    ("PUBLISH", "famille:queue:live:bookings:12", b'{"day":"2026-12-09"}'),
    ("SET", "clé d'été", "réservé €"),
    ("ZADD", "q", 0.1, "m", 1e20, "n", float("inf"), "o"),
    ("SET", "k", -5, "EX", 2**70),
    ("SET", "k", memoryview(b"abc")),
    ("SET", "k", b"x" * 100_000),
    ("CONFIG GET", "maxmemory"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: str(command[0]))
def test_commands_are_packed_as_redis_py_packs_them(command: tuple[object, ...]) -> None:
    ours = b"".join(HiredisPackingConnection().pack_command(*command))  # type: ignore[arg-type]
    assert ours == b"".join(bytes(part) for part in Connection().pack_command(*command))  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [True, None, [1]])
def test_a_value_redis_cannot_take_is_refused_alike(value: object) -> None:
    for connection in (HiredisPackingConnection(), Connection()):
        with pytest.raises(DataError):
            connection.pack_command("SET", "k", value)  # type: ignore[arg-type]
