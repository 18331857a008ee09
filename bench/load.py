"""Closed-loop load: a fixed number of keep-alive connections, each sending its next request
as soon as the previous answer is read, for a fixed time."""

import asyncio
import gc
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from bench.client import Connection, Reply

Check = Callable[[Reply], bool]


@dataclass
class Result:
    """Latencies in seconds, over `seconds` of wall time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    first_error: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    @property
    def p99(self) -> float:
        return self.percentile(99)


@contextmanager
def client_gc_paused() -> Iterator[None]:
    """No collection in the load client while it measures: this process also holds our
    app (for the in-process checks), and a full collection would add tens of ms to
    whichever request is in flight, on either server."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def record_error(result: Result, reply: Reply | None, error: Exception | None = None) -> None:
    result.errors += 1
    if not result.first_error:
        if error is not None:
            result.first_error = f"{type(error).__name__}: {error}"
        elif reply is not None:
            result.first_error = f"HTTP {reply.status}: {reply.body[:300]!r}"


async def run_load(
    host: str,
    port: int,
    requests: Sequence[bytes],
    check: Check,
    *,
    concurrency: int,
    duration: float,
    seed: int = 0,
) -> Result:
    """`concurrency` workers send random requests from `requests` for `duration` seconds."""
    result = Result()
    connections = [Connection(host, port) for _ in range(concurrency)]
    deadline = 0.0

    async def worker(conn: Connection, rng: random.Random) -> None:
        while True:
            request = rng.choice(requests)
            started = time.perf_counter()
            if started >= deadline:
                return
            try:
                reply = await conn.send(request)
            except (OSError, asyncio.IncompleteReadError) as error:
                record_error(result, None, error)
                await conn.close()
                continue
            ended = time.perf_counter()
            if check(reply):
                result.latencies.append(ended - started)
            else:
                record_error(result, reply)

    try:
        # Open every connection before the clock starts.
        await asyncio.gather(*(conn._open() for conn in connections))
        with client_gc_paused():
            started = time.perf_counter()
            deadline = started + duration
            await asyncio.gather(
                *(
                    worker(conn, random.Random(seed * 1000 + n))
                    for n, conn in enumerate(connections)
                )
            )
            result.seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(conn.close() for conn in connections))
    return result
