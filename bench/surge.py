"""The opening-day surge (``bench/surge``): every family submits at once, one day each, on an
activity with fewer places than children; our one-day submit against the same transaction
in raw asyncpg (``bench/raw_app.py``, ``POST /submit``), side by side, with wrk.

    bench/surge [--households 2000,10000] [--clients 16,64,256,1024] [--duration 10]
                [--rounds 1] [--no-seed] [--servers ours,raw]

For each number of households: seed ``famille_bench_surge`` (bench/seed.py), add a
Wednesday leisure centre at one school whose opening has half as many places as there are
families, each family's first child enrolled in it; start our app and the raw endpoint
(uvicorn, 1 worker each); then for each number of clients, ours and raw taking turns (the
order flips from one count to the next): empty the surge's bookings, requests and outbox,
``VACUUM (ANALYZE)`` the written tables (the bench's PostgreSQL runs without autovacuum),
run wrk (``bench/surge.lua``) for ``--duration`` seconds, wait for the requests still in
flight, and check in the database what was sold and in which order; with ``--rounds N``,
N times in turn at each number of clients, the targets judged on the medians. Each run's
CPU per submit is the server's and PostgreSQL's (all its processes: on this machine they
share the cores with the server). See bench/README.md.
"""

import argparse
import asyncio
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

# Its own database and queue: bench/run may be running on famille_bench at the same time.
os.environ.setdefault("FAMILLE_BENCH_DATABASE", "famille_bench_surge")

import asyncpg  # noqa: E402
import orjson  # noqa: E402

from bench.main import (  # noqa: E402
    HOST,
    ROOT,
    Server,
    postgres_cpu,
    process_cpu,
    start_server,
    stop,
    wait_ready,
)
from bench.seed import (  # noqa: E402
    CLOSURE,
    DATABASE_URL,
    PERIOD_END,
    SCHOOL_HOLIDAYS,
    describe,
    seed,
)

QUEUE_NAME = "famille:bench-surge"
os.environ["FAMILLE_QUEUE_NAME"] = QUEUE_NAME

from bench.scenarios import MOBILE_SUBMIT  # noqa: E402
from gql.ids import encode_id  # noqa: E402

SURGE_CODE = "ALSH-MERCREDI"
WEDNESDAY = 2
LUA = ROOT / "bench" / "surge.lua"
WRK_THREADS = 2


@dataclass
class Surge:
    activity_id: int
    site_id: int
    capacity: int
    days: list[date]
    families: list[tuple[int, int, int]]  # (account, household, child)


async def prepare(households: int) -> Surge:
    """The surge's activity, opening (half as many places as families) and enrolments."""
    from tortoise import Tortoise

    from models.accounts import Account
    from models.catalogue import Activity, ActivityKind, Period, Site
    from models.database import close_db
    from resolvers.calendar.catalogue import ActivityForm, save_activity, set_opening
    from resolvers.core.clock import SystemClock
    from settings import Settings

    clock = SystemClock()
    capacity = households // 2
    # Not init_db: the seed, in this same process, left Tortoise marked as initialised.
    await Tortoise.init(
        config=Settings(database_url=DATABASE_URL).tortoise_config(), _enable_global_fallback=True
    )
    try:
        staff = await Account.get(email="agent@banc.famille.test")
        activity = await Activity.get_or_none(code=SURGE_CODE)
        if activity is None:
            form = ActivityForm(
                SURGE_CODE, "Accueil de loisirs du mercredi", ActivityKind.LEISURE_CENTRE
            )
            activity = await save_activity(staff, form, clock=clock)
        site = await Site.all().order_by("id").first()
        period = await Period.all().order_by("id").first()
        assert site is not None and period is not None
        await set_opening(
            staff, activity.id, site.id, period.id, [WEDNESDAY], capacity, clock=clock
        )
        activity_id, site_id, period_id, staff_id = activity.id, site.id, period.id, staff.id
    finally:
        await close_db()
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        if not await conn.fetchval(
            "SELECT COUNT(*) FROM enrollment WHERE activity_id = $1", activity_id
        ):
            await conn.execute(
                """INSERT INTO enrollment (child_id, activity_id, site_id, period_id, status,
                       requested_by_id, decided_by_id, decided_at, comment, request_id, created_at)
                   SELECT DISTINCT ON (c.household_id) c.id, $1, $2, $3, 'active', NULL, $4,
                          now(), '', NULL, now()
                   FROM child c ORDER BY c.household_id, c.id""",
                activity_id,
                site_id,
                period_id,
                staff_id,
            )
            # As autovacuum would have done in production: statistics, and the visibility
            # map, without which counting the slot's enrolments (is it crowded?) reads
            # every row's heap page under the places' lock.
            await conn.execute("VACUUM (ANALYZE) enrollment")
    finally:
        await conn.close()
    return await load_surge()


async def load_surge() -> Surge:
    """The surge ``prepare`` made (asyncpg only: no Tortoise in the caller's process)."""
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        opening = await conn.fetchrow(
            """SELECT o.activity_id, o.site_id, o.capacity FROM opening o
               JOIN activity a ON a.id = o.activity_id WHERE a.code = $1""",
            SURGE_CODE,
        )
        rows = await conn.fetch(
            """SELECT g.account_id, c.household_id, c.id AS child_id
               FROM enrollment e JOIN child c ON c.id = e.child_id
               JOIN guardian g ON g.household_id = c.household_id AND g.account_id IS NOT NULL
               WHERE e.activity_id = $1 ORDER BY c.household_id""",
            opening["activity_id"],
        )
    finally:
        await conn.close()
    return Surge(
        opening["activity_id"],
        opening["site_id"],
        opening["capacity"],
        surge_days(),
        [(r["account_id"], r["household_id"], r["child_id"]) for r in rows],
    )


def surge_days() -> list[date]:
    """The Wednesdays still bookable (7 days' notice, two weeks to be safe), school holidays
    and the bridge-day closure aside."""
    day = datetime.now(UTC).date() + timedelta(days=14)
    day += timedelta(days=(WEDNESDAY - day.weekday()) % 7)
    days = []
    while day <= PERIOD_END:
        if day != CLOSURE[0] and not any(s <= day <= e for _, s, e in SCHOOL_HOLIDAYS):
            days.append(day)
        day += timedelta(days=7)
    return days


def ours_submit(surge: Surge, household: int, child: int, day: str, key: str) -> dict[str, Any]:
    """Our ``submitBookingChanges`` of one family's day, as a phone sends it."""
    return {
        # The app's shipped submit, sent by its text as the phone sends it: our app answers
        # it by its compiled path, a checkout without it (``--versus``) by its executor.
        "query": MOBILE_SUBMIT,
        "operationName": "SubmitBookingChanges",
        "variables": {
            "householdId": encode_id("Household", household),
            "idempotencyKey": key,
            "input": {
                "changes": [
                    {
                        "childId": encode_id("Child", child),
                        "activityId": encode_id("Activity", surge.activity_id),
                        "date": day,
                        "action": "BOOK",
                    }
                ]
            },
        },
    }


def write_plan(path: Path, server: str, surge: Surge, run: str) -> None:
    """The wrk script's plan: each family's request, the day left as a gap (twice)."""
    lines = ["/submit" if server == "raw" else "/graphql", " ".join(map(str, surge.days))]
    for account, household, child in surge.families:
        key = f"surge-{run}-@DAY@-{household}"
        body: dict[str, Any]
        if server in ("ours", "versus"):
            body = ours_submit(surge, household, child, "@DAY@", key)
        else:
            body = {
                "householdId": household,
                "childId": child,
                "activityId": surge.activity_id,
                "day": "@DAY@",
                "key": key,
            }
        parts = orjson.dumps(body).decode().split("@DAY@")
        assert len(parts) == 3
        lines.append("\t".join([f"bench-session-{account}", *parts]))
    path.write_text("\n".join(lines) + "\n")


async def reset(surge: Surge) -> None:
    """No surge booking, request or outbox row left; the written tables vacuumed."""
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        # Without the foreign keys' triggers: booking.request_id has no index, and each
        # deleted request would scan the million bookings (none points to them any more).
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("DELETE FROM booking WHERE activity_id = $1", surge.activity_id)
            await conn.execute(
                "DELETE FROM request_event WHERE request_id IN "
                "(SELECT id FROM request WHERE idempotency_key LIKE 'surge-%')"
            )
            await conn.execute("DELETE FROM request WHERE idempotency_key LIKE 'surge-%'")
            await conn.execute("DELETE FROM outbox_job")
        await conn.execute("VACUUM (ANALYZE) booking, request, request_event, outbox_job")
    finally:
        await conn.close()


@dataclass
class Check:
    """What the database holds after a run."""

    requests: int = 0
    days: int = 0
    full_days: int = 0
    oversold_days: int = 0
    unsold_while_waiting: int = 0  # places left on a day somebody waits for
    served_out_of_order: int = 0  # a booked request served after a waiting one
    waiting_inversions: int = 0  # waiting list (oldest first) against the serving order
    booked: int = 0
    waiting: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.oversold_days
            or self.unsold_while_waiting
            or self.served_out_of_order
            or self.waiting_inversions
        )


async def settle_and_check(surge: Surge) -> Check:
    """Wait for the requests still in flight when wrk stopped, then check each day: never
    more booked than places, no place left while somebody waits, the places given to the
    first served (the request's id is drawn under the opening's lock: serving order), and
    the waiting list, as the product promotes it (oldest ``updated_at`` first), in that
    same order."""
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        # Wait for the requests wrk left in flight.
        count, stable = -1, 0
        while stable < 3:
            now = await conn.fetchval(
                "SELECT COUNT(*) FROM request WHERE idempotency_key LIKE 'surge-%'"
            )
            stable = stable + 1 if now == count else 0
            count = now
            await asyncio.sleep(0.3)
        rows = await conn.fetch(
            """SELECT day, status, request_id, updated_at, id FROM booking
               WHERE activity_id = $1 AND status IN ('booked', 'waiting')""",
            surge.activity_id,
        )
    finally:
        await conn.close()
    check = Check(requests=count)
    by_day: dict[date, list[asyncpg.Record]] = {}
    for row in rows:
        by_day.setdefault(row["day"], []).append(row)
    for rows_of_day in by_day.values():
        check.days += 1
        booked = [r for r in rows_of_day if r["status"] == "booked"]
        waiting = [r for r in rows_of_day if r["status"] == "waiting"]
        check.booked += len(booked)
        check.waiting += len(waiting)
        check.full_days += len(booked) == surge.capacity
        check.oversold_days += len(booked) > surge.capacity
        if waiting and len(booked) < surge.capacity:
            check.unsold_while_waiting += 1
        if booked and waiting:
            first_waiting = min(r["request_id"] for r in waiting)
            check.served_out_of_order += sum(r["request_id"] > first_waiting for r in booked)
        served = [r["request_id"] for r in sorted(waiting, key=lambda r: r["request_id"])]
        promoted = [
            r["request_id"] for r in sorted(waiting, key=lambda r: (r["updated_at"], r["id"]))
        ]
        check.waiting_inversions += sum(a != b for a, b in zip(served, promoted, strict=True))
    return check


@dataclass
class Run:
    server: str
    clients: int
    load: tuple[float, float, float]
    round: int = 0  # of --rounds: ours and raw measured in turn, once per round
    wrk: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    duration: float = 0.0
    wrk_cpu: float = 0.0
    server_cpu: float = 0.0  # CPU seconds of the server's process during the run
    postgres_cpu: float = 0.0  # CPU seconds of PostgreSQL's processes during wrk's run
    backends: Counter[str] = field(default_factory=Counter)  # sampled states, see below
    check: Check = field(default_factory=Check)

    @property
    def throughput(self) -> float:
        return float(self.wrk["requests"]) / float(self.wrk["seconds"])

    @property
    def errors(self) -> int:
        return int(self.wrk["bad"] + self.wrk["socket_errors"] + self.wrk["timeouts"])


def run_wrk(
    server: Server, plan: Path, clients: int, duration: float
) -> tuple[dict[str, Any], str, float]:
    """wrk for ``duration`` seconds; its summary, first error, and CPU seconds it used."""
    threads = min(WRK_THREADS, clients)
    command = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{duration:g}s",
               "--timeout", "120s", "-s", str(LUA), f"http://{HOST}:{server.port}", "--",
               str(plan), str(threads)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    summary, error = {}, ""
    for line in output.splitlines():
        if line.startswith("SURGE "):
            summary = orjson.loads(line[6:])
        elif line.startswith("SURGE_ERROR "):
            error = line[12:]
    if not summary:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output[-3000:]}")
    return summary, error, usage.ru_utime + usage.ru_stime


async def sample_backends(run: "Run") -> None:
    """Every 50 ms, what the server's PostgreSQL connections are doing: waiting for a lock
    (the openings' row lock: submits queued behind the one holding it), running a
    statement, idle in a transaction (the statement answered, the app has not sent the
    next one yet: its event loop is busy elsewhere, while the lock may be held), or idle
    (back in the pool)."""
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        while True:
            for row in await conn.fetch(
                """SELECT CASE WHEN state = 'active' AND wait_event_type = 'Lock' THEN 'lock wait'
                               WHEN state = 'active' THEN 'running'
                               WHEN state = 'idle in transaction' THEN 'idle in transaction'
                               ELSE 'idle' END AS what
                   FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid()
                     AND backend_type = 'client backend'"""
            ):
                run.backends[row["what"]] += 1
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


def run_duration(runs: list["Run"], server: str, clients: int, duration: float) -> float:
    """At least ``duration``, and long enough for every client to be answered about three
    times at the server's best throughput so far (at most 60 s): wrk counts the answered
    requests only, and a run shorter than one round at 1,024 clients would leave out the
    slowest ones."""
    best = max((r.throughput for r in runs if r.server == server), default=0.0)
    if not best:
        return duration
    return max(duration, min(60.0, round(3 * clients / best)))


async def measure(
    servers: dict[str, Server], surge: Surge, args: argparse.Namespace, plans: Path
) -> list[Run]:
    runs: list[Run] = []
    turns = [
        (clients, round_, name)
        for n, clients in enumerate(args.clients)
        for round_ in range(args.rounds)
        # The order alternates from one run to the next (ours, raw, raw, ours…): a machine
        # whose speed drifts during a cell favours neither server.
        for name in (list(servers) if (n + round_) % 2 == 0 else list(reversed(servers)))
    ]
    for clients, round_, name in turns:
        duration = run_duration(runs, name, clients, args.duration)
        await reset(surge)
        plan = plans / f"{name}-{clients}.plan"
        write_plan(plan, name, surge, uuid.uuid4().hex[:8])
        run = Run(name, clients, os.getloadavg(), round=round_, duration=duration)
        print(
            f"  {clients:5} clients, {name:4}, {duration:g} s: load {run.load[0]:.2f}",
            end="",
            flush=True,
        )
        cpu, database_cpu = process_cpu(servers[name]), postgres_cpu()
        sampling = asyncio.create_task(sample_backends(run))
        try:
            run.wrk, run.error, run.wrk_cpu = await asyncio.to_thread(
                run_wrk, servers[name], plan, clients, duration
            )
        finally:
            sampling.cancel()
        run.postgres_cpu = postgres_cpu() - database_cpu
        run.check = await settle_and_check(surge)
        run.server_cpu = process_cpu(servers[name]) - cpu
        print(
            f" → {run.throughput:,.0f}/s, p50 {run.wrk['p50']:,.0f} ms, "
            f"p99 {run.wrk['p99']:,.0f} ms, {run.errors} errors, {run.wrk['shed']} shed, "
            f"checks {'ok' if run.check.ok else 'FAILED'}"
        )
        runs.append(run)
    return runs


async def warm_up(servers: dict[str, Server], surge: Surge, plans: Path) -> None:
    """A few seconds of submits on each server (operation caches, pools), then forgotten."""
    for name, server in servers.items():
        plan = plans / f"{name}-warm.plan"
        write_plan(plan, name, surge, "warm")
        await asyncio.to_thread(run_wrk, server, plan, 16, 3)
        await settle_and_check(surge)


def report(households: int, surge: Surge, runs: list[Run], seconds: float) -> bool:
    print()
    print(
        f"{households:,} households ({len(surge.families):,} families submitting, "
        f"{surge.capacity:,} places a day, {len(surge.days)} surge days), "
        f"wrk {WRK_THREADS} threads; ratios = ours / raw at the same clients"
    )
    header = ("clients", "server", "submits/s", "ratio", "p50 ms", "p99 ms", "p99 limit",
              "errors", "shed", "booked/waiting", "full days", "checks", "CPU ms/submit",
              "PG CPU ms/submit", "load avg", "wrk CPU")  # fmt: skip
    table = [header]
    cells = Cells(runs)
    passed = cells.passed()
    rounds = max((run.round for run in runs), default=0) + 1
    for run in runs:
        raw = cells.raw_of(run)
        ratio = f"{run.throughput / raw.throughput:.0%}" if raw and run.server != "raw" else ""
        limit = p99_limit(run.clients, run.throughput)
        check = run.check
        checks = "ok" if check.ok else (
            f"oversold {check.oversold_days}, unsold {check.unsold_while_waiting}, "
            f"order {check.served_out_of_order}, waiting order {check.waiting_inversions}"
        )  # fmt: skip
        table.append(
            (
                str(run.clients) + (f" #{run.round + 1}" if rounds > 1 else ""),
                run.server,
                f"{run.throughput:,.0f}",
                ratio,
                f"{run.wrk['p50']:,.0f}",
                f"{run.wrk['p99']:,.0f}",
                f"{limit:,.0f}",
                str(run.errors),
                str(run.wrk["shed"]),
                f"{check.booked:,}/{check.waiting:,}",
                f"{check.full_days}/{check.days}",
                checks,
                f"{run.server_cpu * 1000 / max(run.check.requests, 1):.1f}",
                f"{run.postgres_cpu * 1000 / max(run.check.requests, 1):.1f}",
                " ".join(f"{x:.1f}" for x in run.load),
                f"{run.wrk_cpu:.1f} s",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * width for width in widths))
    print()
    print(
        "PostgreSQL connections of the server during each run (sampled every 50 ms, % of samples):"
    )
    states = ("lock wait", "running", "idle in transaction", "idle")
    print(f"  {'clients':>7} {'server':6} " + " ".join(f"{state:>19}" for state in states))
    for run in runs:
        total = sum(run.backends.values()) or 1
        print(
            f"  {run.clients:>7} {run.server:6} "
            + " ".join(f"{run.backends[state] / total:>19.0%}" for state in states)
        )
    for run in runs:
        if run.error:
            print(f"  first error, {run.server} at {run.clients}: {run.error[:300]}")
    if rounds > 1:
        cells.print_medians(rounds)
    print(f"(measured in {seconds:.0f} s; p99 limit = clients ÷ throughput × 1.5)")
    return passed


def p99_limit(clients: int, throughput: float) -> float:
    """The queueing floor's p99 (ms): every client waits its turn, × 1.5."""
    return clients / throughput * 1.5 * 1000 if throughput else float("inf")


class Cells:
    """The runs by number of clients, and the targets judged on them: on the medians of
    the rounds (``--rounds``), since this machine's speed drifts by up to 2× within
    minutes (raw's CPU per submit 0.8 to 1.9 ms in one session) and a single run of
    either server can land in a slow minute; with one round, on the runs themselves."""

    def __init__(self, runs: list[Run]) -> None:
        self.runs = runs
        self.clients = sorted({run.clients for run in runs})

    def raw_of(self, run: Run) -> Run | None:
        """Raw's run at the same clients and round: measured next to ``run``."""
        return next(
            (
                r
                for r in self.runs
                if r.server == "raw" and r.clients == run.clients and r.round == run.round
            ),
            None,
        )

    def median(self, server: str, clients: int, value: Callable[[Run], float]) -> float | None:
        values = [value(r) for r in self.runs if r.server == server and r.clients == clients]
        return statistics.median(values) if values else None

    def throughput(self, server: str, clients: int) -> float | None:
        return self.median(server, clients, lambda run: run.throughput)

    def p99(self, clients: int) -> float | None:
        """Ours' p99 (ms), the median of the rounds."""
        return self.median("ours", clients, lambda run: float(run.wrk["p99"]))

    def passed(self) -> bool:
        """Every run of ours without error and with the database's checks; at each number
        of clients ours ≥ 50 % of raw; at 256 clients and more ≥ 90 % of ours' best and p99
        within the queueing floor's limit."""
        ours = [run for run in self.runs if run.server == "ours"]
        passed = all(run.check.ok and run.errors == 0 for run in ours)
        best = max((self.throughput("ours", c) or 0.0 for c in self.clients), default=0.0)
        for clients in self.clients:
            throughput, raw = self.throughput("ours", clients), self.throughput("raw", clients)
            if throughput is None:
                continue
            if raw is not None:
                passed &= throughput >= 0.5 * raw
            if clients >= 256:
                p99 = self.p99(clients)
                passed &= throughput >= 0.9 * best
                passed &= p99 is not None and p99 <= p99_limit(clients, throughput)
        return passed

    def print_medians(self, rounds: int) -> None:
        print(f"Medians of {rounds} rounds (the targets are judged on these):")
        print(f"  {'clients':>7} {'ours/s':>7} {'raw/s':>7} {'ratio':>6} {'p99 ms':>7} "
              f"{'limit':>7}  ratio of each round")  # fmt: skip
        for clients in self.clients:
            ours, raw = self.throughput("ours", clients), self.throughput("raw", clients)
            if ours is None:
                continue
            p99 = self.p99(clients) or 0.0
            pairs = [
                f"{run.throughput / other.throughput:.0%}"
                for run in self.runs
                if run.server == "ours" and run.clients == clients
                for other in [self.raw_of(run)]
                if other is not None and other.throughput
            ]
            ratio = f"{ours / raw:.0%}" if raw else ""
            print(
                f"  {clients:>7} {ours:>7,.0f} {(raw or 0):>7,.0f} {ratio:>6} {p99:>7,.0f} "
                f"{p99_limit(clients, ours):>7,.0f}  {' '.join(pairs)}"
            )


async def bench_size(households: int, args: argparse.Namespace, logs: Path) -> bool:
    if not args.no_seed:
        started = time.perf_counter()
        stats = await seed(households)
        print(describe(stats) + f" ({time.perf_counter() - started:.0f} s)")
    surge = await prepare(households)
    if args.profile:  # a fresh interpreter: the profile's heap is the app's alone
        command = [sys.executable, "-m", "bench.surge_profile"]
        await asyncio.to_thread(subprocess.run, command, cwd=ROOT, check=True)
    started_at = time.perf_counter()
    servers: dict[str, Server] = {}
    try:
        for name in args.servers:
            app = "bench.raw_app:create_app" if name == "raw" else "gql.app:create_app"
            root = args.versus if name == "versus" else ROOT
            workers = {"raw": 1, "versus": args.versus_workers or args.workers}.get(
                name, args.workers
            )
            servers[name] = start_server(name, app, logs, root, workers=workers)
        await asyncio.gather(*(wait_ready(server) for server in servers.values()))
        await reset(surge)
        await warm_up(servers, surge, logs)
        runs = await measure(servers, surge, args, logs)
    finally:
        stop(list(servers.values()))
        clean_queue()
    return report(households, surge, runs, time.perf_counter() - started_at)


def clean_queue() -> None:
    import redis

    from bench.main import REDIS_URL

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(f"arq:*{QUEUE_NAME}:*")) + [QUEUE_NAME]
        client.delete(*keys)
    finally:
        client.close()


def numbers(text: str) -> list[int]:
    return [int(item) for item in text.split(",") if item]


def main() -> None:
    parser = argparse.ArgumentParser(description="famille opening-day surge: ours vs raw asyncpg")
    parser.add_argument("--households", type=numbers, default=[2000, 10000])
    parser.add_argument("--clients", type=numbers, default=[16, 64, 256, 1024])
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="runs of each server at each number of clients, in turn; targets on the medians",
    )
    parser.add_argument("--no-seed", action="store_true", help="reuse famille_bench_surge")
    parser.add_argument("--servers", type=lambda s: s.split(","), default=["ours", "raw"])
    parser.add_argument(
        "--versus",
        type=Path,
        default=None,
        help="another checkout (with its .venv) whose app is measured too, in the same run",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes of our app (and versus)"
    )
    parser.add_argument(
        "--versus-workers",
        type=int,
        default=0,
        help="uvicorn processes of the versus app (default --workers): --versus . "
        "--versus-workers 2 measures 1 and 2 processes of this checkout in one run",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile our one-day submit in process first"
    )
    args = parser.parse_args()
    if args.versus is not None and "versus" not in args.servers:
        args.servers.append("versus")
    if "versus" in args.servers and args.versus is None:
        parser.error("the versus server needs --versus PATH")
    if args.no_seed and len(args.households) > 1:
        parser.error("--no-seed reuses one database: give one --households")
    # wrk and the servers each hold a socket per client.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    print(
        f"famille surge, {os.cpu_count()} CPU(s) shared by wrk, both servers and PostgreSQL; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )

    def interrupted(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    passed = True
    with tempfile.TemporaryDirectory(prefix="famille-surge-") as logs:
        try:
            for households in args.households:
                passed &= asyncio.run(bench_size(households, args, Path(logs)))
        except KeyboardInterrupt:
            print("\ninterrupted: servers stopped")
            sys.exit(130)
    print("\nALL TARGETS MET" if passed else "\nSOME TARGETS MISSED")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
