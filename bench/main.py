"""The benchmark, end to end (``bench/run``): seed, start our app and the raw endpoint side by
side, measure, print the table against the targets, stop both servers whatever happens.

    bench/run [--no-seed] [--duration 10] [--concurrency 8] [--iterations 50] [--profile]

See bench/README.md for what is measured and how.
"""

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REDIS_URL = os.environ.get("FAMILLE_BENCH_REDIS", "redis://127.0.0.1:6379/14")
QUEUE_NAME = "famille:bench"  # arq queue of the bench's mails: no worker reads it
P50_LIMITS = {"month": 3.0, "year": 6.0}  # ms, ours, 1 connection
# Issue 17: the 180-day submit at most twice the raw single-statement upsert (was 3×).
BOOKING_RATIO = 2
# Issue 17: the registered mobile document's compiled path, at 8 connections.
COMPILED_RATIO = 0.60

# Set before any project import: settings are read once per process.
from bench.seed import DATABASE_URL, describe, seed, vacuum_written  # noqa: E402

os.environ["FAMILLE_DATABASE_URL"] = DATABASE_URL
os.environ["FAMILLE_REDIS_URL"] = REDIS_URL
os.environ["FAMILLE_QUEUE_NAME"] = QUEUE_NAME

from bench import inprocess, scenarios  # noqa: E402
from bench.client import Connection, Reply, encode_post  # noqa: E402
from bench.load import Result, client_gc_paused, run_load  # noqa: E402
from bench.scenarios import MONTH, YEAR, BookingLine, Target  # noqa: E402

# --- servers ----------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(name: str, app: str, logs: Path, root: Path = ROOT, *, workers: int = 1) -> Server:
    """uvicorn, one worker (``workers`` processes sharing the port: uvicorn's supervisor
    and its children), log level warning, on a free port, from the checkout ``root``
    (with its own ``.venv``)."""
    port, log = free_port(), logs / f"{name}.log"
    python = sys.executable if root == ROOT else str(root / ".venv" / "bin" / "python")
    command = [python, "-m", "uvicorn", app, "--factory", "--host", HOST, "--port", str(port),
               "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}  # leave the other checkout as it is
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, stdout=out, stderr=subprocess.STDOUT, env=env)
    return Server(name, port, process, log)


def _cpu_ticks(stat: Path, fields: slice) -> int:
    """The sum of ``fields`` of a ``/proc/<pid>/stat`` (counted after the command's closing
    parenthesis: the command itself may hold spaces and parentheses)."""
    return sum(int(value) for value in stat.read_text().rsplit(")", 1)[1].split()[fields])


# utime, stime; then the reaped children's cutime, cstime.
_OWN = slice(11, 13)
_OWN_AND_REAPED = slice(11, 15)


def process_cpu(server: Server) -> float:
    """CPU seconds (user + system) the server's processes have used so far: uvicorn's
    and, with ``--workers``, its worker processes'."""
    total, pending = 0, [server.process.pid]
    while pending:
        pid = pending.pop()
        try:
            ticks = _cpu_ticks(Path(f"/proc/{pid}/stat"), _OWN)
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:  # gone meanwhile
            continue
        total += ticks
        pending += [int(child) for child in children]
    return total / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds (user + system) every PostgreSQL process of this machine has used so
    far: its backends (one per connection) and its own processes (WAL writer,
    checkpointer), with those that have exited (the postmaster's children's time, counted
    once it reaps them). The servers and PostgreSQL share the machine's cores, so the
    statements a request sends cost CPU there as well as in the server."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            # With the reaped children's time (the postmaster's: backends that exited).
            total += _cpu_ticks(entry / "stat", _OWN_AND_REAPED)
        except (FileNotFoundError, ProcessLookupError):  # gone meanwhile
            continue
    return total / os.sysconf("SC_CLK_TCK")


async def wait_ready(server: Server, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        conn = Connection(HOST, server.port)
        try:
            if (await conn.get("/healthz")).status == 200:
                return
        except OSError:
            pass
        finally:
            await conn.close()
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{server.name} did not start:\n{server.log.read_text()[-3000:]}")


def stop(servers: list[Server]) -> None:
    for server in servers:
        if server.process.poll() is None:
            server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextmanager
def servers_running(
    logs: Path, versus: Path | None = None
) -> Iterator[tuple[Server, Server, Server | None]]:
    """Both servers (and ``versus``'s app, when given), stopped on the way out (errors,
    Ctrl-C and SIGTERM included)."""
    started: list[Server] = []

    def interrupted(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        started.append(start_server("ours", "gql.app:create_app", logs))
        started.append(start_server("raw", "bench.raw_app:create_app", logs))
        if versus is not None:
            started.append(start_server("versus", "gql.app:create_app", logs, versus))
        yield started[0], started[1], started[2] if versus is not None else None
    finally:
        stop(started)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- checks of the answers ----------------------------------------------------------------


def ours_calendar_ok(reply: Reply) -> bool:
    return reply.status == 200 and reply.body.startswith(b'{"data":{"calendar":[{')


def raw_calendar_ok(reply: Reply) -> bool:
    return reply.status == 200 and reply.body.startswith(b'{"enrollments":[{')


def ours_booking_ok(reply: Reply) -> bool:
    return (
        reply.status == 200
        and b'"errors":[]' in reply.body
        and b'"REJECTED"' not in reply.body
        and b'"UNCHANGED"' not in reply.body
    )


def raw_booking_ok(reply: Reply) -> bool:
    return reply.status == 200 and reply.body.startswith(b'{"written":')


# --- measurements -------------------------------------------------------------------------


@dataclass
class CalendarRun:
    """One calendar scenario on one server: loaded throughput, then unloaded latency."""

    loaded: Result
    single: Result
    # The server process's CPU seconds during the loaded run (PostgreSQL's not included):
    # on a shared machine throughputs follow the others' load, this much less.
    cpu_seconds: float = 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        requests = self.loaded.requests
        return self.cpu_seconds * 1000 / requests if requests else float("nan")

    def add(self, other: "CalendarRun") -> None:
        """Count ``other`` (another round on the same server) in."""
        self.cpu_seconds += other.cpu_seconds
        for mine, theirs in ((self.loaded, other.loaded), (self.single, other.single)):
            mine.latencies += theirs.latencies
            mine.seconds += theirs.seconds
            mine.errors += theirs.errors
            mine.first_error = mine.first_error or theirs.first_error


@dataclass
class BookingRun:
    lines: int
    ours: Result = field(default_factory=Result)  # bench's SUBMIT_MUTATION: general executor
    # The shipped gql/mobile/submit.graphql by its hash with a new idempotency key, as the
    # app sends it (compiled path); no latencies when the documents are not registered.
    compiled: Result = field(default_factory=Result)
    raw: Result = field(default_factory=Result)  # the product's statement (unnest)
    raw_values: Result = field(default_factory=Result)
    raw_many: Result = field(default_factory=Result)

    @property
    def raw_best(self) -> Result:
        """The faster raw single-statement upsert: the one the target compares with."""
        forms = [r for r in (self.raw, self.raw_values) if r.latencies]
        return min(forms, key=lambda r: r.p50) if forms else self.raw


@dataclass
class Report:
    targets: int = 0
    days_kind: str = ""
    versus: Path | None = None
    versus_days_kind: str = ""
    calendar: dict[str, dict[str, CalendarRun]] = field(default_factory=dict)
    booking: BookingRun | None = None
    sql: inprocess.SqlReport | None = None
    profile: str = ""


def encode_all(server: Server, payloads: list[tuple[Target, dict[str, object]]]) -> list[bytes]:
    host = f"{HOST}:{server.port}"
    path = "/calendar" if server.name == "raw" else "/graphql"
    return [encode_post(host, path, payload, target.token) for target, payload in payloads]


async def detect_days_kind(ours: Server) -> str:
    conn = Connection(HOST, ours.port)
    try:
        reply = await conn.post("/graphql", {"query": scenarios.DAY_KIND_QUERY})
    finally:
        await conn.close()
    data: Any = reply.json()
    kind = (data.get("data") or {}).get("__type") or {}
    return str(kind.get("kind") or "")


async def year_calendar(ours: Server, target: Target, days: str) -> list[dict[str, Any]]:
    conn = Connection(HOST, ours.port)
    try:
        reply = await conn.post(
            "/graphql", scenarios.ours_calendar(target, YEAR, days), target.token
        )
    finally:
        await conn.close()
    data: Any = reply.json()
    if not ours_calendar_ok(reply):
        raise RuntimeError(f"calendar of child {target.child_id}: {reply.body[:300]!r}")
    return list(data["data"]["calendar"])


async def booking_children(
    ours: Server, targets: list[Target], days: str
) -> list[tuple[Target, list[BookingLine]]]:
    """Five children of different households with 180 changeable days: ours through the
    general executor, ours as the app sends it (compiled path), and one for each raw form
    (unnest, VALUES, executemany), so that each flips its own rows."""
    chosen: list[tuple[Target, list[BookingLine]]] = []
    for target in targets:
        if any(target.household_id == other.household_id for other, _ in chosen):
            continue
        lines = scenarios.booking_lines(await year_calendar(ours, target, days))
        if len(lines) == scenarios.BOOKING_DAYS:
            chosen.append((target, lines))
            if len(chosen) == len(RAW_BOOKING_FORMS) + 2:
                return chosen
    raise RuntimeError(
        f"no {len(RAW_BOOKING_FORMS) + 2} children with {scenarios.BOOKING_DAYS} changeable "
        "days left this school year"
    )


async def measure_calendar(
    servers: list[tuple[Server, str]], targets: list[Target], args: argparse.Namespace
) -> dict[str, dict[str, CalendarRun]]:
    """Each scenario on each server in turn (``servers``: each with its `days` selection,
    ignored for the raw endpoint), ``args.rounds`` times: a shared machine's load drifts,
    and taking turns several times spreads the drift over every server alike. The rounds
    of a server add up (requests, seconds, latencies)."""
    results: dict[str, dict[str, CalendarRun]] = {}
    for name, span in (("month", MONTH), ("year", YEAR)):
        results[name] = {}
        requests: dict[str, list[bytes]] = {}
        for server, days in servers:
            if server.name.endswith("compiled"):
                payloads = [(t, scenarios.compiled_calendar(t, span)) for t in targets]
            elif server.name != "raw":
                payloads = [(t, scenarios.ours_calendar(t, span, days)) for t in targets]
            else:
                payloads = [(t, scenarios.raw_calendar(t, span)) for t in targets]
            requests[server.name] = encode_all(server, payloads)
        for round_ in range(args.rounds):
            for server, _ in servers:
                check = raw_calendar_ok if server.name == "raw" else ours_calendar_ok
                run = await measure_one(server, requests[server.name], check, name, args)
                if round_ == 0:
                    results[name][server.name] = run
                else:
                    results[name][server.name].add(run)
    return results


async def measure_one(
    server: Server, requests: list[bytes], check: Any, name: str, args: argparse.Namespace
) -> CalendarRun:
    """Warm-up, throughput at ``args.concurrency`` connections, latency at 1."""
    print(f"  {name:5} {server.name:6}: warm-up", end="", flush=True)
    await run_load(
        HOST,
        server.port,
        requests,
        check,
        concurrency=args.concurrency,
        duration=args.warmup,
        seed=99,
    )
    print(f", {args.concurrency} connections × {args.duration:g} s", end="", flush=True)
    cpu_before = process_cpu(server)
    loaded = await run_load(
        HOST,
        server.port,
        requests,
        check,
        concurrency=args.concurrency,
        duration=args.duration,
        seed=1,
    )
    cpu_seconds = process_cpu(server) - cpu_before
    print(
        f" → {loaded.throughput:,.0f} req/s; 1 connection × {args.latency_duration:g} s",
        end="",
        flush=True,
    )
    single = await run_load(
        HOST,
        server.port,
        requests,
        check,
        concurrency=1,
        duration=args.latency_duration,
        seed=2,
    )
    print(f" → p50 {single.p50:.2f} ms")
    return CalendarRun(loaded, single, cpu_seconds)


# The raw forms of the 180-row upsert: (connection name, raw_app mode).
RAW_BOOKING_FORMS = (("raw", "unnest"), ("raw_values", "values"), ("raw_many", "executemany"))


async def measure_booking(
    ours: Server,
    raw: Server,
    chosen: list[tuple[Target, list[BookingLine]]],
    iterations: int,
    *,
    compiled: bool,
) -> BookingRun:
    """Alternate CANCEL and BOOK of the same 180 days, so every iteration writes them all;
    our mutation (through the general executor, then, when ``compiled``, the mobile
    app's registered document by its hash) and the raw upserts (the product's unnest
    statement, then for comparison the VALUES and executemany forms) interleaved.

    Each raw form flips the days of its own child, as our submit flips ours: writing rows
    that another form has just written in the same iteration is cheaper (the first write
    after a flip pays for the page pruning and the new row versions' index entries), which
    made the second form look about 15 % faster than it is.
    """
    from gql.mobile.compiled import MAX_BODY_BYTES

    (mine, my_lines), (phone, phone_lines), *theirs = chosen
    run = BookingRun(lines=len(my_lines))
    results = {"raw": run.raw, "raw_values": run.raw_values, "raw_many": run.raw_many}
    conns = {"ours": Connection(HOST, ours.port)}
    if compiled:
        conns["compiled"] = Connection(HOST, ours.port)
    conns.update((name, Connection(HOST, raw.port)) for name, _ in RAW_BOOKING_FORMS)
    ours_host, raw_host = f"{HOST}:{ours.port}", f"{HOST}:{raw.port}"

    def ours_request(action: str) -> bytes:
        payload = scenarios.ours_booking(mine, my_lines, action)
        return encode_post(ours_host, "/graphql", payload, mine.token)

    def compiled_request(action: str) -> bytes:
        key = f"bench-{uuid.uuid4()}"  # a new submit, never a retry's replay
        payload = scenarios.compiled_booking(phone, phone_lines, action, key)
        if len(orjson.dumps(payload)) > MAX_BODY_BYTES:  # it would be the executor's answer
            raise RuntimeError("the app's submit is too long for the compiled path")
        return encode_post(ours_host, "/graphql", payload, phone.token)

    def raw_request(form: int, action: str) -> bytes:
        target, lines = theirs[form]
        payload = scenarios.raw_booking(target, lines, action, RAW_BOOKING_FORMS[form][1])
        return encode_post(raw_host, "/book", payload, target.token)

    async def timed(name: str, request: bytes, result: Result, ok: Any) -> None:
        began = time.perf_counter()
        reply = await conns[name].send(request)
        elapsed = time.perf_counter() - began
        if ok(reply):
            result.latencies.append(elapsed)
        else:
            result.errors += 1
            result.first_error = result.first_error or reply.body[:300].decode(errors="replace")

    try:
        # Known state first (every day booked), untimed: then each iteration flips them all,
        # so our submit really writes (a BOOK of a booked day is UNCHANGED, not written).
        await conns["ours"].send(ours_request("BOOK"))
        if compiled:
            await conns["compiled"].send(compiled_request("BOOK"))
        for form, (name, _) in enumerate(RAW_BOOKING_FORMS):
            await conns[name].send(raw_request(form, "BOOK"))
        started = time.perf_counter()
        with client_gc_paused():
            for n in range(iterations):
                action = "CANCEL" if n % 2 == 0 else "BOOK"
                await timed("ours", ours_request(action), run.ours, ours_booking_ok)
                if compiled:
                    request = compiled_request(action)
                    await timed("compiled", request, run.compiled, ours_booking_ok)
                for form, (name, _) in enumerate(RAW_BOOKING_FORMS):
                    await timed(name, raw_request(form, action), results[name], raw_booking_ok)
        elapsed = time.perf_counter() - started
        for result in (run.ours, run.compiled, run.raw, run.raw_values, run.raw_many):
            result.seconds = elapsed
    finally:
        await asyncio.gather(*(conn.close() for conn in conns.values()))
    return run


async def inprocess_checks(
    client: inprocess.AsgiClient,
    targets: list[Target],
    days: str,
    booking: tuple[Target, list[BookingLine]],
) -> inprocess.SqlReport:
    """Statements per calendar request (month, year, a whole household's year) and of one
    180-day submit, counted in process from Tortoise's statement log."""
    by_household: dict[int, list[Target]] = {}
    for target in targets:
        by_household.setdefault(target.household_id, []).append(target)
    family = next(children for children in by_household.values() if len(children) == 3)
    whole = scenarios.ours_calendar(family[0], YEAR, days, whole_household=True)
    cases = {
        "month, 1 child": (targets[0], scenarios.ours_calendar(targets[0], MONTH, days)),
        "year, 1 child": (targets[1], scenarios.ours_calendar(targets[1], YEAR, days)),
        "year, 3 children": (family[0], whole),
    }
    target, lines = booking
    return await inprocess.sql_report(client, cases, target, lines)


# --- the report ---------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_report(report: Report, args: argparse.Namespace) -> bool:
    rows: list[list[str]] = []
    passed = True
    targets = {name: f"≥ 15 % of raw, p50 ≤ {limit:g} ms" for name, limit in P50_LIMITS.items()}
    labels = {"month": "(a) month, 1 child", "year": "(b) school year, 1 child"}
    for name, runs in report.calendar.items():
        ours, raw = runs["ours"], runs["raw"]
        ratio = ours.loaded.throughput / raw.loaded.throughput if raw.loaded.throughput else 0
        text = targets[name]
        ok = ratio >= 0.15 and ours.single.p50 <= P50_LIMITS[name] and not ours.loaded.errors
        passed &= ok
        rows.append(
            [
                labels[name],
                f"{ours.loaded.throughput:,.0f}",
                f"{raw.loaded.throughput:,.0f}",
                f"{ratio:.1%}",
                f"{ours.single.p50:.2f} / {ours.single.p95:.2f}",
                f"{raw.single.p50:.2f} / {raw.single.p95:.2f}",
                text,
                verdict(ok),
            ]
        )
    compiled_labels = {"month": "(a) month, compiled", "year": "(b) year, compiled"}
    for name, runs in report.calendar.items():
        if "compiled" not in runs:
            continue
        mine, raw = runs["compiled"], runs["raw"]
        ratio = mine.loaded.throughput / raw.loaded.throughput if raw.loaded.throughput else 0
        ok = ratio >= COMPILED_RATIO and not mine.loaded.errors
        passed &= ok
        rows.append(
            [
                compiled_labels[name],
                f"{mine.loaded.throughput:,.0f}",
                f"{raw.loaded.throughput:,.0f}",
                f"{ratio:.1%}",
                f"{mine.single.p50:.2f} / {mine.single.p95:.2f}",
                f"{raw.single.p50:.2f} / {raw.single.p95:.2f}",
                f"≥ {COMPILED_RATIO:.0%} of raw",
                verdict(ok),
            ]
        )
    if report.booking:
        b = report.booking
        ratio = booking_ratio(report)
        writes = report.sql.booking_writes if report.sql else []
        one_write = len(writes) == 1 and not writes[0].executemany
        ok = ratio <= BOOKING_RATIO and one_write and not b.ours.errors
        passed &= ok
        rows.append(
            [
                f"(c) book {b.lines} days, 1 mutation",
                f"{1000 / b.ours.p50:,.1f}",
                f"{1000 / b.raw_best.p50:,.1f}",
                f"{ratio:.1f}×",
                f"{b.ours.p50:.1f} / {b.ours.p95:.1f}",
                f"{b.raw_best.p50:.1f} / {b.raw_best.p95:.1f}",
                f"≤ {BOOKING_RATIO}× raw upsert, 1 statement",
                verdict(ok),
            ]
        )
        if b.compiled.latencies:  # shown beside (c), not judged: (c) stays the target's row
            rows.append(
                [
                    "(c) the same, app's document (compiled)",
                    f"{1000 / b.compiled.p50:,.1f}",
                    f"{1000 / b.raw_best.p50:,.1f}",
                    f"{b.compiled.p50 / b.raw_best.p50:.1f}×",
                    f"{b.compiled.p50:.1f} / {b.compiled.p95:.1f}",
                    f"{b.raw_best.p50:.1f} / {b.raw_best.p95:.1f}",
                    "(not judged)",
                    "",
                ]
            )
    if report.sql:
        counts = report.sql.counts
        ok = report.sql.constant and report.sql.worst <= 3
        passed &= ok
        rows.append(
            [
                "(d) SQL statements / calendar",
                " / ".join(str(c) for c in counts.values()),
                "3",
                "",
                "",
                "",
                "constant, ≤ 3",
                verdict(ok),
            ]
        )
    header = [
        "scenario",
        "ours req/s",
        "raw req/s",
        "ratio",
        "ours p50/p95 ms",
        "raw p50/p95 ms",
        "target",
        "result",
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(line)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    print(line)
    print(
        f"Throughput: {args.concurrency} keep-alive connections for {args.duration:g} s; "
        f"p50/p95: 1 connection for {args.latency_duration:g} s (unloaded latency); "
        f"random children among {report.targets:,}. (c): {args.iterations} sequential "
        "submits alternating CANCEL/BOOK, medians compared; req/s = 1 / median."
    )
    print("(d): month 1 child / year 1 child / year whole 3-child household; raw = token + 2.")
    print()
    print("Details (ms)                         req/s  errors    p50     p95     p99")
    for name, runs in report.calendar.items():
        for server, run in runs.items():
            for mode, result in ((f"{args.concurrency} conn", run.loaded), ("1 conn", run.single)):
                label = f"{name} {server} {mode}"
                print(
                    f"  {label:32} {result.throughput:8,.0f} {result.errors:6} "
                    f"{result.p50:7.2f} {result.p95:7.2f} {result.p99:7.2f}"
                )
    print("Server process CPU per request at 8 connections (ms; PostgreSQL's not included):")
    for name, runs in report.calendar.items():
        print(
            f"  {name:5} "
            + ", ".join(f"{server} {run.cpu_ms_per_request:.2f}" for server, run in runs.items())
        )
    if report.booking:
        for label, result in (
            ("ours: submitBookingChanges", report.booking.ours),
            ("ours: the app's submit (compiled)", report.booking.compiled),
            ("raw: INSERT … SELECT unnest(…) ON CONFLICT", report.booking.raw),
            ("raw: INSERT … VALUES (…), (…) ON CONFLICT", report.booking.raw_values),
            ("raw: executemany (bulk_create)", report.booking.raw_many),
        ):
            if not result.latencies and not result.errors:  # not measured
                continue
            print(
                f"  {'book ' + label:50} {result.errors:6} {result.p50:7.2f} "
                f"{result.p95:7.2f} {result.p99:7.2f}"
            )
        b = report.booking
        errors = [
            r.first_error for r in (b.ours, b.compiled, b.raw, b.raw_values, b.raw_many) if r.errors
        ]
        for error in errors:
            print(f"  first booking error: {error}")
    for runs in report.calendar.values():
        for server, run in runs.items():
            if run.loaded.first_error or run.single.first_error:
                print(f"  first {server} error: {run.loaded.first_error or run.single.first_error}")
    if report.sql:
        sql = report.sql
        print()
        print(f"SQL per calendar request (in process): {sql.counts}")
        writes = sql.booking_writes
        print(
            f"SQL of one {report.booking.lines if report.booking else ''}-day submit: "
            f"{len(sql.booking_statements)} statements, {len(writes)} booking write(s): "
            + ", ".join(
                f"{w.rows} rows by "
                + ("executemany (one execution a row)" if w.executemany else "one statement")
                for w in writes
            )
        )
        if sql.drift:
            print("WARNING: the raw endpoint's SQL differs from the product's:")
            for item in sql.drift:
                print(f"  {item}")
        else:
            print("Raw endpoint SQL: identical to the product's statements 1 and 2 (checked).")
    print(f"CalendarDay in the schema: {report.days_kind or '?'}")
    if report.versus is not None:
        print()
        print(f"Versus {report.versus} (CalendarDay: {report.versus_days_kind or '?'}), same run:")
        for name, runs in report.calendar.items():
            raw_rate = runs["raw"].loaded.throughput or 1
            print(
                f"  {name:5} ours {runs['ours'].loaded.throughput / raw_rate:6.1%} of raw, "
                f"versus {runs['versus'].loaded.throughput / raw_rate:6.1%} of raw; p50 "
                f"{runs['ours'].single.p50:.2f} vs {runs['versus'].single.p50:.2f} ms"
            )
            if "compiled" in runs and "versus compiled" in runs:
                ours, versus = runs["compiled"], runs["versus compiled"]
                print(
                    f"  {name:5} compiled {ours.loaded.throughput / raw_rate:6.1%} of raw, "
                    f"versus compiled {versus.loaded.throughput / raw_rate:6.1%}; CPU per "
                    f"request {ours.cpu_ms_per_request:.2f} vs {versus.cpu_ms_per_request:.2f} "
                    f"ms (raw {runs['raw'].cpu_ms_per_request:.2f})"
                )
    if report.profile:
        print()
        print(report.profile.rstrip())
    return passed


def clean_queue() -> None:
    """Forget the bench's queued mails (queue famille:bench in the bench's Redis database)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(f"arq:*{QUEUE_NAME}:*")) + [QUEUE_NAME]
        client.delete(*keys)
    finally:
        client.close()


def profile_in_child(booking: Target) -> str:
    """bench.profile in a fresh interpreter: its heap, and so its garbage collections, are
    the app's as in the server, not this process's."""
    command = [sys.executable, "-m", "bench.profile", "--booking-child", str(booking.child_id)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        return f"(profile failed: {done.stderr[-2000:]})"
    return done.stdout


def booking_ratio(report: Report) -> float:
    b = report.booking
    return b.ours.p50 / b.raw_best.p50 if b and b.raw_best.p50 else float("inf")


def targets_met(report: Report) -> bool:
    """The timing targets (the table says which)."""
    return booking_ratio(report) <= BOOKING_RATIO and all(
        run["ours"].loaded.throughput >= 0.15 * run["raw"].loaded.throughput
        and run["ours"].single.p50 <= P50_LIMITS[name]
        and (
            "compiled" not in run
            or run["compiled"].loaded.throughput >= COMPILED_RATIO * run["raw"].loaded.throughput
        )
        for name, run in report.calendar.items()
    )


async def register_mobile_documents() -> None:
    """`famille register-documents gql/mobile/persisted-query-manifest.json` on the bench's
    database (idempotent), through the in-process app's connection."""
    from gql.mobile.compiled import register_shipped_documents

    await register_shipped_documents(now=datetime.now(UTC))


async def settle_outbox() -> None:
    """Mark the mails of earlier runs sent: no worker reads the bench's queue, and after 10
    minutes every unsent job would be relayed again after each mutation (up to 500 a
    time), which a rerun with --no-seed would measure as part of its submits."""
    import asyncpg

    conn = await asyncpg.connect(DATABASE_URL)
    try:
        await conn.execute("UPDATE outbox_job SET completed_at = now() WHERE completed_at IS NULL")
    finally:
        await conn.close()


async def bench(args: argparse.Namespace, logs: Path) -> bool:
    report = Report()
    await settle_outbox()
    all_targets = await scenarios.load_targets()
    report.targets = len(all_targets)
    # Our app in this process too (idle during the load), for the statement counts.
    async with inprocess.our_app() as client:
        with servers_running(logs, args.versus) as (ours, raw, versus):
            await asyncio.gather(*(wait_ready(s) for s in (ours, raw, versus) if s))
            print(f"servers: ours on :{ours.port}, raw on :{raw.port} (uvicorn, 1 worker each)")
            report.days_kind = await detect_days_kind(ours)
            days = scenarios.days_selection(report.days_kind)
            measured = [(ours, days)]
            if report.days_kind == "OBJECT":
                # Our app again, asked for the registered mobile document (gql/mobile/).
                await register_mobile_documents()
                measured.append((Server("compiled", ours.port, ours.process, ours.log), ""))
            if versus is not None:
                report.versus = args.versus
                report.versus_days_kind = await detect_days_kind(versus)
                measured.append((versus, scenarios.days_selection(report.versus_days_kind)))
                if report.versus_days_kind == "OBJECT":  # its compiled path too, if it has one
                    measured.append(
                        (Server("versus compiled", versus.port, versus.process, versus.log), "")
                    )
            measured.append((raw, ""))
            chosen = await booking_children(ours, all_targets, days)
            print("in process: SQL statements per request, raw SQL check")
            report.sql = await inprocess_checks(client, all_targets, days, chosen[0])
            print("calendar:")
            report.calendar = await measure_calendar(measured, all_targets, args)
            print(f"booking: {args.iterations} iterations")
            report.booking = await measure_booking(
                ours, raw, chosen, args.iterations, compiled=report.days_kind == "OBJECT"
            )
    if args.profile or (not targets_met(report) and not args.no_profile):
        print("profiling our requests in process (servers stopped)…")
        report.profile = profile_in_child(chosen[0][0])
    try:
        clean_queue()
    except Exception as error:  # noqa: BLE001 - cosmetic
        print(f"(could not clean the bench queue in Redis: {error})")
    return print_report(report, args)


def main() -> None:
    parser = argparse.ArgumentParser(description="famille benchmark: ours vs raw asyncpg")
    parser.add_argument("--no-seed", action="store_true", help="reuse famille_bench as it is")
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10, help="seconds per loaded run")
    parser.add_argument("--latency-duration", type=float, default=5, help="seconds at 1 conn")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each run")
    parser.add_argument("--iterations", type=int, default=50, help="booking submits (even)")
    parser.add_argument("--profile", action="store_true", help="always profile the calendar")
    parser.add_argument("--no-profile", action="store_true", help="never profile")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="calendar runs per server, taking turns (added up): for a shared machine",
    )
    parser.add_argument(
        "--versus",
        type=Path,
        help="another checkout (with its .venv) whose app is measured beside ours on the "
        "calendar scenarios, e.g. main before a change",
    )
    args = parser.parse_args()
    args.iterations += args.iterations % 2  # even: the days end up booked, as seeded
    print(
        f"famille benchmark, {os.cpu_count()} CPU(s) shared by the client, both servers and "
        "PostgreSQL"
    )
    if not args.no_seed:
        print(describe(asyncio.run(seed(args.households))))
    else:
        asyncio.run(vacuum_written())
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    with tempfile.TemporaryDirectory(prefix="famille-bench-") as logs:
        try:
            passed = runner(bench(args, Path(logs)))
        except KeyboardInterrupt as interruption:
            print(f"\ninterrupted ({interruption or 'SIGINT'}): both servers stopped")
            sys.exit(130)
    print("\nALL TARGETS MET" if passed else "\nSOME TARGETS MISSED")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
