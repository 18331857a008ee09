"""Bytes on the wire (``bench/wire``): a household's month and school-year calendars,
uncompressed and in gzip, br and zstd, through a link emulated like a phone's (1.6 Mbit/s
each way, 150 ms round trip), plus the server's CPU per compressed answer.

    bench/wire [--no-seed] [--requests 5] [--rate-kbit 1600] [--rtt-ms 150]

1. Seeds ``famille_bench_wire`` (60 households, a few seconds; ``FAMILLE_BENCH_DATABASE``
   names another) with ``bench/seed.py``, and starts our app (uvicorn, 1 worker).
2. **Throttled**: a TCP proxy in this process stands for the phone's link: each direction
   sends 1,448-byte segments at the link's rate, one after the other, and delivers each
   half a round trip after it left (``tc netem`` needs privileges this benchmark should
   not). One keep-alive connection per encoding, opened before timing (no handshake
   counted); requests one at a time, the encodings taking turns. Bytes are what the proxy
   carried from the server for the answer (headers included); time is from the first
   byte of the request written to the last byte of the answer read. TCP's slow start is
   not emulated: on a real link the uncompressed year, many round trips long, loses more.
3. **Unthrottled**: the same requests straight to the server, 30 per encoding taking turns:
   what compression adds to the server's answer time on this machine.
4. **CPU per answer**: the real middleware (``gql/compression.py``) around an app that
   answers the captured calendar bodies, called in this process: CPU time per answer
   minus the uncompressed pass-through.
"""

import argparse
import asyncio
import gzip
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

os.environ.setdefault("FAMILLE_BENCH_DATABASE", "famille_bench_wire")

from bench.client import Connection, Reply  # noqa: E402
from bench.main import HOST, Server, start_server, stop, wait_ready  # noqa: E402
from bench.scenarios import MONTH, YEAR, Target, load_targets, ours_calendar  # noqa: E402
from bench.seed import DB_NAME, describe, seed  # noqa: E402

ENCODINGS = ("identity", "gzip", "br", "zstd")
SEGMENT = 1448  # bytes of payload in one TCP segment over Ethernet


def decoders() -> dict[str, Callable[[bytes], bytes]]:
    import brotli
    import zstandard

    return {
        "identity": lambda data: data,
        "gzip": gzip.decompress,
        "br": brotli.decompress,
        "zstd": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
    }


# --- the emulated link ----------------------------------------------------------------------


class Direction:
    """One way of the link: segments serialised at ``rate`` bits/s, each delivered
    ``delay`` seconds after its last bit left."""

    def __init__(self, rate: float, delay: float) -> None:
        self.rate, self.delay = rate, delay
        self.free_at = 0.0
        self.bytes = 0

    async def pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

        async def deliver() -> None:
            while (item := await queue.get()) is not None:
                at, data = item
                if (wait := at - loop.time()) > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()

        delivering = asyncio.create_task(deliver())
        try:
            while data := await reader.read(65536):
                self.bytes += len(data)
                for start in range(0, len(data), SEGMENT):
                    segment = data[start : start + SEGMENT]
                    self.free_at = max(loop.time(), self.free_at) + len(segment) * 8 / self.rate
                    queue.put_nowait((self.free_at + self.delay, segment))
        except ConnectionError:
            pass
        finally:
            queue.put_nowait(None)
            await delivering
            writer.close()


@dataclass
class Link:
    """A TCP proxy to the server with a phone's link in between."""

    target_port: int
    rate: float
    delay: float
    down: list[Direction] = field(default_factory=list)
    server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection(HOST, self.target_port)
            down = Direction(self.rate, self.delay)
            self.down.append(down)
            await asyncio.gather(
                Direction(self.rate, self.delay).pump(reader, up_writer),
                down.pump(up_reader, writer),
            )

        self.server = await asyncio.start_server(connected, HOST, 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


# --- requests ---------------------------------------------------------------------------


def request(port: int, payload: dict[str, object], token: str, encoding: str) -> bytes:
    import orjson

    body = orjson.dumps(payload)
    head = [
        "POST /graphql HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Content-Type: application/json",
        "Accept: application/json",
        f"Accept-Encoding: {encoding}",
        f"Authorization: Bearer {token}",
        f"Content-Length: {len(body)}",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def timed(conn: Connection, data: bytes) -> tuple[Reply, float]:
    started = time.perf_counter()
    reply = await conn.send(data)
    return reply, time.perf_counter() - started


@dataclass
class Row:
    size: int = 0
    times: list[float] = field(default_factory=list)
    body: bytes = b""


async def throttled(
    server: Server, household: Target, spans: dict[str, Any], args: argparse.Namespace
) -> dict[str, dict[str, Row]]:
    rate, delay = args.rate_kbit * 1000, args.rtt_ms / 2000
    results: dict[str, dict[str, Row]] = {}
    for name, span in spans.items():
        payload = ours_calendar(household, span, "", whole_household=True)
        rows = {encoding: Row() for encoding in ENCODINGS}
        for encoding in ENCODINGS:
            link = Link(server.port, rate, delay)
            port = await link.start()
            conn = Connection(HOST, port)
            data = request(port, payload, household.token, encoding)
            await conn.send(data)  # opens the connection (the handshake is not timed)
            for turn in range(args.requests):
                down = link.down[0]
                before = down.bytes
                reply, seconds = await timed(conn, data)
                if reply.status != 200:
                    raise RuntimeError(f"{name} {encoding}: {reply.status} {reply.body[:200]!r}")
                rows[encoding].times.append(seconds)
                rows[encoding].size = down.bytes - before
                rows[encoding].body = reply.body
                print(f"  {name} {encoding} #{turn + 1}: {seconds * 1000:.0f} ms", flush=True)
            await conn.close()
            await link.close()
        results[name] = rows
    return results


async def unthrottled(
    server: Server, household: Target, spans: dict[str, Any], count: int
) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    for name, span in spans.items():
        payload = ours_calendar(household, span, "", whole_household=True)
        conns = {encoding: Connection(HOST, server.port) for encoding in ENCODINGS}
        data = {e: request(server.port, payload, household.token, e) for e in ENCODINGS}
        times: dict[str, list[float]] = {encoding: [] for encoding in ENCODINGS}
        for encoding in ENCODINGS:  # warm-up
            await conns[encoding].send(data[encoding])
        for turn in range(count):
            order = ENCODINGS[turn % 4 :] + ENCODINGS[: turn % 4]
            for encoding in order:
                _, seconds = await timed(conns[encoding], data[encoding])
                times[encoding].append(seconds)
        for conn in conns.values():
            await conn.close()
        results[name] = times
    return results


async def cpu_per_answer(body: bytes, repeat: int) -> dict[str, tuple[float, int]]:
    """CPU seconds per answer of gql/compression.py's middleware around an app answering
    ``body``, and the bytes it sent, per encoding."""
    from gql.compression import Compression

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    middleware = Compression(app, minimum_size=1024)
    results: dict[str, tuple[float, int]] = {}

    async def run(encoding: str) -> tuple[float, int]:
        scope = {"type": "http", "headers": [(b"accept-encoding", encoding.encode())]}
        sent = 0

        async def send(message: Any) -> None:
            nonlocal sent
            if message["type"] == "http.response.body":
                sent = len(message["body"])

        async def receive() -> Any:
            return {"type": "http.request", "body": b""}

        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            for _ in range(repeat):
                await middleware(scope, receive, send)
            best = min(best, (time.process_time() - started) / repeat)
        return best, sent

    for encoding in ENCODINGS:
        results[encoding] = await run(encoding)
    return results


# --- report ------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


async def measure(args: argparse.Namespace, logs: Path) -> None:
    targets = await load_targets()
    households: dict[int, list[Target]] = {}
    for target in targets:
        households.setdefault(target.household_id, []).append(target)
    household = max(households.values(), key=len)[0]
    children = len(households[household.household_id])
    spans = {"month": MONTH, "year": YEAR}
    server = start_server("ours", "gql.app:create_app", logs)
    try:
        await wait_ready(server)
        print(f"server on :{server.port} (uvicorn, 1 worker); household of {children} children")
        print(
            f"throttled: {args.rate_kbit / 1000:g} Mbit/s each way, {args.rtt_ms:g} ms round "
            f"trip, {args.requests} requests per encoding"
        )
        slow = await throttled(server, household, spans, args)
        print("unthrottled: 30 requests per encoding, taking turns")
        fast = await unthrottled(server, household, spans, 30)
    finally:
        stop([server])
    decode = decoders()
    print(f"\nload average at the end: {load_average()}")
    print(
        f"\n{'calendar':8} {'encoding':8} {'bytes':>9} {'ratio':>6} "
        f"{'throttled p50 ms':>17} {'min–max':>13} {'unthrottled p50 ms':>19}"
    )
    for name in spans:
        plain = slow[name]["identity"]
        for encoding in ENCODINGS:
            row = slow[name][encoding]
            assert decode[encoding](row.body) == plain.body, f"{name} {encoding} differs"
            p50 = statistics.median(row.times)
            spread = f"{ms(min(row.times))}–{ms(max(row.times))}"
            print(
                f"{name:8} {encoding:8} {row.size:>9,} {plain.size / row.size:>6.1f} "
                f"{ms(p50):>17} {spread:>13} {ms(statistics.median(fast[name][encoding])):>19}"
            )
    print("\nserver CPU per answer in gql/compression.py (best of 3 runs, minus identity):")
    for name in spans:
        body = slow[name]["identity"].body
        cpu = await cpu_per_answer(body, 200 if len(body) < 50_000 else 40)
        base = cpu["identity"][0]
        cells = ", ".join(
            f"{encoding} {ms(max(cpu[encoding][0] - base, 0))} ms → {cpu[encoding][1]:,} B"
            for encoding in ENCODINGS[1:]
        )
        print(f"  {name} ({len(body):,} B of JSON): {cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-seed", action="store_true", help=f"reuse {DB_NAME} as it is")
    parser.add_argument("--households", type=int, default=60)
    parser.add_argument("--requests", type=int, default=5, help="throttled, per encoding")
    parser.add_argument("--rate-kbit", type=float, default=1600)
    parser.add_argument("--rtt-ms", type=float, default=150)
    args = parser.parse_args()
    print(f"famille wire benchmark, {os.cpu_count()} CPU(s), load average {load_average()}")
    if not args.no_seed:
        print(describe(asyncio.run(seed(args.households))))

    def interrupted(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    with tempfile.TemporaryDirectory(prefix="famille-wire-") as logs:
        try:
            asyncio.run(measure(args, Path(logs)))
        except KeyboardInterrupt:
            print("\ninterrupted: server stopped")
            sys.exit(130)


if __name__ == "__main__":
    main()
