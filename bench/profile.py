"""Where our requests spend their time: the month calendar, the year calendar (through the
general executor, and as the mobile app's compiled document asks them) and the 180-day
submit, run in process under pyinstrument, in a fresh interpreter so that its heap (and so
its garbage collections) is the app's, as in the server.

    .venv/bin/python -m bench.profile [--booking-child ID] [--only compiled]

``--only`` keeps the runs whose name contains the word (``compiled``: the two compiled
calendars). Each run also prints the process's CPU time per request (unprofiled): on a
shared machine it moves much less than the wall time.

pyinstrument is a sampling profiler (graphql-core's many small calls are not inflated as
under cProfile); it is not a project dependency: ``.venv/bin/pip install pyinstrument``.
Sampling the whole thread: while a request awaits PostgreSQL or Redis, the stack is only
the event loop's, counted as idle. uvicorn's HTTP parsing is not in these profiles.
"""

import argparse
import gc
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.client import Reply
from bench.inprocess import AsgiClient, our_app
from bench.scenarios import MONTH, YEAR, BookingLine, Target

# A sample's time goes to the innermost of these frames on its stack (function, or any
# function when None; part of the file path).
PHASES: list[tuple[str | None, str, str]] = [
    ("on_parse", "strawberry/extensions/parser_cache.py", "parser cache lookup"),
    ("on_validate", "strawberry/extensions/validation_cache.py", "validation cache lookup"),
    ("validate_document", "strawberry/schema/schema.py", "GraphQL validation (graphql-core)"),
    (None, "graphql/execution/", "graphql-core execution (fields, result completion)"),
    ("convert_arguments", "strawberry/", "strawberry: arguments → input objects"),
    ("get_context", "gql/app.py", "ours: context (request id, DataLoaders)"),
    ("_compiled_response", "gql/app.py", "ours: compiled view (headers, metrics, log)"),
    ("answer", "gql/mobile/compiled.py", "ours: compiled (recognise, variables, edge rules)"),
    ("persisted_text", "gql/persisted.py", "ours: persisted query lookup"),
    ("_complete", "gql/mobile/compiled.py", "ours: compiled: objects → JSON"),
    (
        "authenticate",
        "resolvers/accounts/accounts.py",
        "ours: token lookup (one statement, Account)",
    ),
    (
        "household_calendar",
        "resolvers/calendar/calendar.py",
        "ours: rows → context, day evaluation",
    ),
    ("submit_changes", "resolvers/calendar/bookings.py", "ours: booking resolver (other)"),
    ("at_once", "resolvers/calendar/bookings.py", "ours: the submit's writes (one statement)"),
    ("_serialise", "resolvers/calendar/bookings.py", "ours: request payload (replay copy)"),
    ("fetch", "resolvers/core/sql.py", "ours: raw SQL through Tortoise (asyncpg, dict rows)"),
    ("from_row", "gql/calendar/types.py", "ours: GraphQL calendar types and day dicts"),
    ("from_result", "gql/calendar/types.py", "ours: GraphQL booking payload types"),
    ("_change_set", "gql/calendar/mutations.py", "ours: input → change set (decode ids)"),
    ("relay_outbox", "jobs/outbox.py", "ours: outbox relay to Redis after commit"),
    ("encode_json", "gql/app.py", "JSON encoding (orjson)"),
]
OUTSIDE = "HTTP view, context, extensions (starlette, strawberry)"
IDLE = "idle: awaiting PostgreSQL / Redis"
PACKAGES = [
    ("/graphql/", "graphql-core"),
    ("/strawberry/", "strawberry"),
    ("/tortoise/", "tortoise"),
    ("/pypika", "tortoise"),
    ("/asyncpg/", "asyncpg"),
    ("/starlette/", "starlette"),
    ("/resolvers/", "ours: resolvers/"),
    ("/gql/", "ours: gql/"),
    ("/jobs/", "ours: jobs/"),
    ("/arq/", "arq + redis"),
    ("/redis/", "arq + redis"),
    ("/bench/", "bench driver"),
]


def package(path: str) -> str:
    for needle, name in PACKAGES:
        if needle in path:
            return name
    return "stdlib" if "/lib/python3" in path else "other"


class GcWatch:
    """Pauses of the garbage collector per generation (a profiler charges a collection to
    whatever line allocated when it started)."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = defaultdict(list)
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._started)

    def __enter__(self) -> "GcWatch":
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


@dataclass
class Profile:
    """Shares of the profiled wall time, by phase and by package (self time)."""

    requests: int
    per_request_ms: float  # in process, unprofiled
    cpu_per_request_ms: float  # this process's CPU time (PostgreSQL's not included)
    phases: list[tuple[str, float]]
    packages: list[tuple[str, float]]
    top: list[tuple[str, float]]  # functions by self time
    gc_pauses: dict[int, list[float]]  # generation: pauses (s), unprofiled run


def _ranked(times: dict[str, float], total: float) -> list[tuple[str, float]]:
    return sorted(((name, t / total) for name, t in times.items()), key=lambda x: -x[1])


async def profile(run: Callable[[], Awaitable[None]], requests: int) -> Profile:
    """Run `run` (which sends `requests` requests) once for the wall time and the garbage
    collections, then once under pyinstrument."""
    from pyinstrument import Profiler

    with GcWatch() as collections:
        started, cpu_started = time.perf_counter(), time.process_time()
        await run()
        per_request = (time.perf_counter() - started) / requests * 1000
        cpu_per_request = (time.process_time() - cpu_started) / requests * 1000
    profiler = Profiler(interval=0.0002, async_mode="disabled")
    profiler.start()
    await run()
    profiler.stop()
    session = profiler.last_session
    root = session.root_frame() if session else None
    phases: dict[str, float] = defaultdict(float)
    packages: dict[str, float] = defaultdict(float)
    functions: dict[str, float] = defaultdict(float)

    def walk(frame: Any, phase: str, owner: str, name: str) -> None:
        path = frame.file_path or ""
        if frame.is_synthetic:  # [self] or [await]: time of the frame above
            own = frame.time
            if phase == OUTSIDE and ("asyncio/runners.py" in owner or "uvloop" in owner):
                phase = IDLE
        else:
            for function, needle, label in PHASES:
                if needle in path and function in (None, frame.function):
                    phase = label
            if path and not path.startswith("<"):  # builtins count for their caller
                owner = path
                name = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
            own = frame.time - sum(child.time for child in frame.children)
        if own > 0:
            phases[phase] += own
            packages[IDLE if phase == IDLE else package(owner)] += own
            if phase != IDLE:
                functions[name] += own
        for child in frame.children:
            walk(child, phase, owner, name)

    if root is not None:
        walk(root, OUTSIDE, "", "")
    total = sum(phases.values()) or 1.0
    return Profile(
        requests=requests,
        per_request_ms=per_request,
        cpu_per_request_ms=cpu_per_request,
        phases=_ranked(phases, total),
        packages=_ranked(packages, total),
        top=_ranked(functions, total)[:15],
        gc_pauses=dict(collections.pauses),
    )


def describe(name: str, prof: Profile) -> str:
    width = 58
    lines = [
        f"Profile of our {name}, in process (pyinstrument, {prof.requests} requests; "
        f"{prof.per_request_ms:.2f} ms per request unprofiled, "
        f"{prof.cpu_per_request_ms:.2f} ms of CPU, without uvicorn and HTTP):",
        f"  {'by phase (innermost)':{width}}   by package (self time)",
    ]
    for n in range(max(len(prof.phases), len(prof.packages))):
        left = prof.phases[n] if n < len(prof.phases) else None
        right = prof.packages[n] if n < len(prof.packages) else None
        text = f"{left[1]:6.1%}  {left[0]}" if left and left[1] >= 0.005 else ""
        other = f"{right[1]:6.1%}  {right[0]}" if right and right[1] >= 0.005 else ""
        if text or other:
            lines.append(f"  {text:{width}}   {other}")
    pauses = prof.gc_pauses
    per_request = sum(map(sum, pauses.values())) * 1000 / prof.requests
    lines.append(
        "  garbage collector (unprofiled run): "
        + ", ".join(
            f"gen{gen} {len(p)}× {sum(p) * 1000:.0f} ms (max {max(p) * 1000:.0f})"
            for gen, p in sorted(pauses.items())
        )
        + f"; {per_request:.2f} ms per request"
    )
    lines.append("  top functions (self time; a collection counts for the line that allocated):")
    lines += [f"  {share:6.1%}  {function}" for function, share in prof.top[:12]]
    return "\n".join(lines)


async def profile_ours(booking_child: int | None, only: str = "") -> list[str]:
    from bench import scenarios

    def calendar_ok(reply: Reply) -> bool:
        return reply.status == 200 and reply.body.startswith(b'{"data":{"calendar":[{')

    def booking_ok(reply: Reply) -> bool:
        return reply.status == 200 and b'"errors":[]' in reply.body

    targets = await scenarios.load_targets()
    reports = []
    async with our_app() as client:
        answer: Any = (await client.post("/graphql", {"query": scenarios.DAY_KIND_QUERY})).json()
        days = scenarios.days_selection(
            ((answer.get("data") or {}).get("__type") or {}).get("kind")
        )
        runs: dict[str, tuple[list[tuple[Target, dict[str, object]]], Callable[[Reply], bool]]] = {}
        for name, span, count in (("month calendar", MONTH, 400), ("year calendar", YEAR, 150)):
            sample = scenarios.pick(targets, count, seed=7)
            runs[name] = (
                [(t, scenarios.ours_calendar(t, span, days)) for t in sample],
                calendar_ok,
            )
            if days:  # the mobile document (gql/mobile/), by its hash as a phone sends it
                runs[f"compiled {name}"] = (
                    [(t, scenarios.compiled_calendar(t, span)) for t in sample],
                    calendar_ok,
                )
        if booking_child is not None:
            target = next(t for t in targets if t.child_id == booking_child)
            lines = await booking_lines(client, target, days)
            submits = [
                (target, scenarios.ours_booking(target, lines, "CANCEL" if n % 2 == 0 else "BOOK"))
                for n in range(20)  # even: the days end up booked
            ]
            await client.post(
                "/graphql", scenarios.ours_booking(target, lines, "BOOK"), target.token
            )
            runs[f"{len(lines)}-day submit"] = (submits, booking_ok)
            if days:  # the app's document by its hash; each post gets a new key (see run)
                runs[f"compiled {len(lines)}-day submit"] = (
                    [
                        (target, scenarios.compiled_booking(target, lines, action, ""))
                        for action in ("CANCEL", "BOOK") * 10
                    ],
                    booking_ok,
                )
        if any("compiled" in name for name in runs):
            from gql.mobile.compiled import register_shipped_documents

            await register_shipped_documents(now=datetime.now(UTC))
        for name, (payloads, ok) in runs.items():
            if only not in name:
                continue

            async def run(
                payloads: list[tuple[Target, dict[str, object]]] = payloads,
                ok: Callable[[Reply], bool] = ok,
            ) -> None:
                for target, payload in payloads:
                    reply = await client.post("/graphql", with_new_key(payload), target.token)
                    assert ok(reply), reply.body[:300]

            await run()  # warm
            reports.append(describe(name, await profile(run, len(payloads))))
    return reports


def with_new_key(payload: dict[str, object]) -> dict[str, object]:
    """The app's submit with a new idempotency key: each post is a new submit, never the
    replay of an earlier run's."""
    variables = payload.get("variables")
    if isinstance(variables, dict) and "idempotencyKey" in variables:
        return {**payload, "variables": {**variables, "idempotencyKey": f"bench-{uuid.uuid4()}"}}
    return payload


async def booking_lines(client: AsgiClient, target: Target, days: str) -> list[BookingLine]:
    from bench import scenarios

    reply = await client.post("/graphql", scenarios.ours_calendar(target, YEAR, days), target.token)
    data: Any = reply.json()
    return scenarios.booking_lines(data["data"]["calendar"])


def main() -> None:
    from bench.seed import DATABASE_URL

    parser = argparse.ArgumentParser(description="profile our requests in process")
    parser.add_argument("--booking-child", type=int, default=None)
    parser.add_argument("--only", default="", help="the runs whose name contains this")
    args = parser.parse_args()
    os.environ.setdefault("FAMILLE_DATABASE_URL", DATABASE_URL)
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        print("(no profile: pyinstrument is not installed: .venv/bin/pip install pyinstrument)")
        return
    import uvloop

    print("\n\n".join(uvloop.run(profile_ours(args.booking_child, args.only))))


if __name__ == "__main__":
    main()
