"""Our app driven in-process (no server, no socket): SQL statements per request, and the
raw endpoint's SQL checked against the product's.

Statements are counted from Tortoise's ``tortoise.db_client`` debug log, as
``tests/sql_count.py`` does (one log record per ``execute_*`` call; ``execute_many``, used
by ``bulk_create``, logs once with the list of its rows).
"""

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench import raw_app, scenarios
from bench.client import Reply
from bench.scenarios import BookingLine, Target

ASGIApp = Callable[..., Any]


class AsgiClient:
    """Calls the ASGI app directly: the cost of our code without uvicorn and HTTP parsing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def post(self, path: str, payload: object, token: str | None = None) -> Reply:
        body = orjson.dumps(payload)
        headers = [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if token:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        sent = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return Reply(status, b"".join(chunks))


@contextlib.asynccontextmanager
async def our_app() -> AsyncIterator[AsgiClient]:
    """`create_app()` on the bench database and Redis (FAMILLE_* set by the caller), as
    uvicorn would run it, lifespan aside."""
    from gql.app import create_app
    from jobs.queue import open_pool
    from models.database import close_db, init_db
    from settings import get_settings

    await init_db()
    redis = await open_pool(get_settings())
    try:
        yield AsgiClient(create_app(redis=redis))
    finally:
        await redis.aclose()
        await close_db()


# An array literal of integers or days (resolvers.core.sql.array_literal), not empty.
_LITERAL = re.compile(r"\{[-0-9NUL]+(,[-0-9NUL]+)*\}")


@dataclass
class Statement:
    sql: str
    values: Any

    @property
    def executemany(self) -> bool:
        """An ``execute_many`` (one log record, its rows as a list of lists, each with a
        value per placeholder; an array-parameter statement has lists among scalars)."""
        values = self.values
        placeholders = len(set(re.findall(r"\$(\d+)", self.sql)))
        return (
            isinstance(values, list)
            and bool(values)
            and all(isinstance(row, list) and len(row) == placeholders for row in values)
        )

    @property
    def rows(self) -> int:
        """Rows written: one per ``execute_many`` tuple, per element of the longest array
        parameter (a list, or the literal of integers or days that ``rows_table`` sends), or
        per ``VALUES`` group."""
        if self.executemany:
            return len(self.values)
        arrays = [
            len(value) if isinstance(value, list) else len(value[1:-1].split(","))
            for value in self.values or []
            if isinstance(value, list) or (isinstance(value, str) and _LITERAL.fullmatch(value))
        ]
        if arrays:
            return max(arrays)
        _, _, values = normalise(self.sql).upper().partition(" VALUES ")
        return values.split(" ON CONFLICT")[0].count("), (") + 1 if values else 1


class StatementRecorder(logging.Handler):
    """Tortoise's clients log ``"%s: %s", query, values`` before executing a statement."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[Statement] = []

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and isinstance(args[0], str):
            self.statements.append(Statement(args[0], args[1]))
        elif not record.getMessage().startswith(("Created connection", "Closed connection")):
            self.statements.append(Statement(record.getMessage(), None))


@contextlib.contextmanager
def recording() -> Iterator[StatementRecorder]:
    logger = logging.getLogger("tortoise.db_client")
    handler, level, propagate = StatementRecorder(), logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    logger.propagate = False  # recorded, not printed by the app's log handler too
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def normalise(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


@dataclass
class SqlReport:
    """Statements per calendar request, and whether the raw endpoint runs the same SQL."""

    counts: dict[str, int] = field(default_factory=dict)
    drift: list[str] = field(default_factory=list)
    booking_statements: list[Statement] = field(default_factory=list)

    @property
    def constant(self) -> bool:
        return len(set(self.counts.values())) == 1

    @property
    def worst(self) -> int:
        return max(self.counts.values(), default=0)

    @property
    def booking_writes(self) -> list[Statement]:
        """The statements that write bookings (on PostgreSQL the submit's one statement
        writes them with the request, its history and the outbox rows)."""
        return [
            s
            for s in self.booking_statements
            if re.search(r'INSERT INTO "?booking"? ', normalise(s.sql), re.IGNORECASE)
        ]


def _check_sql(name: str, ours: Statement, candidates: list[str], drift: list[str]) -> None:
    if normalise(ours.sql) not in {normalise(sql) for sql in candidates}:
        drift.append(f"{name}: the product now sends {normalise(ours.sql)[:300]}…")


async def calendar_statements(
    client: AsgiClient, cases: dict[str, tuple[Target, dict[str, Any]]]
) -> SqlReport:
    """Run each calendar request once, count its statements, compare with the raw SQL."""
    report = SqlReport()
    for name, (target, payload) in cases.items():
        with recording() as log:
            reply = await client.post("/graphql", payload, target.token)
        if reply.status != 200 or not reply.body.startswith(b'{"data":{"calendar":['):
            raise RuntimeError(f"{name}: {reply.status} {reply.body[:300]!r}")
        report.counts[name] = len(log.statements)
        if len(log.statements) < 3:
            continue
        token, context, days = log.statements[:3]
        _check_sql(f"{name}, token lookup", token, [raw_app.TOKEN_SQL], report.drift)
        children = len(payload["variables"]["childIds"] or [])
        _check_sql(f"{name}, statement 1", context, [raw_app.context_sql(children)], report.drift)
        # Values: children, start, end, the 4 arrays of the counted days, children, 8 more.
        values = list(days.values or [])
        n_children = next(i for i, v in enumerate(values) if not isinstance(v, int))
        candidates = [raw_app.day_rows_sql(n_children)]
        _check_sql(f"{name}, statement 2", days, candidates, report.drift)
    return report


async def booking_statements(
    client: AsgiClient, target: Target, cancel: dict[str, object], book: dict[str, object]
) -> list[Statement]:
    """The statements of one submit cancelling every day (booked first, so that each line
    is written), then the days booked back."""
    await client.post("/graphql", book, target.token)
    with recording() as log:
        reply = await client.post("/graphql", cancel, target.token)
    if reply.status != 200 or b'"errors":[{' in reply.body or b'"UNCHANGED"' in reply.body:
        raise RuntimeError(f"submit: {reply.status} {reply.body[:300]!r}")
    await client.post("/graphql", book, target.token)
    return log.statements


async def sql_report(
    client: AsgiClient,
    cases: dict[str, tuple[Target, dict[str, Any]]],
    target: Target,
    lines: list[BookingLine],
) -> SqlReport:
    """The calendar ``cases``' statements, then one submit's (``target``'s ``lines`` all
    cancelled, then booked back), compared with the raw endpoint's copies (also run by
    tests/calendar/test_bench_sql.py, so that a drift fails the suite)."""
    report = await calendar_statements(client, cases)
    report.booking_statements = await booking_statements(
        client,
        target,
        scenarios.ours_booking(target, lines, "CANCEL"),
        scenarios.ours_booking(target, lines, "BOOK"),
    )
    check_booking_sql(report)
    return report


def check_booking_sql(report: SqlReport) -> None:
    """The raw endpoint's upsert is the product's: the statement itself, or the part of
    the product's statement that writes the bookings (placeholders aside, and its
    condition that the request was written, ``WRITTEN``, read as ``true``: the raw
    endpoint writes no request beside it)."""
    from resolvers.calendar.bookings import WRITTEN

    raw = _placeholders(normalise(raw_app.UPSERT_SQL))
    for write in report.booking_writes:
        product = _placeholders(normalise(write.sql)).replace(f"WHERE {WRITTEN} ", "WHERE true ")
        if not write.executemany and raw not in product:
            report.drift.append(f"booking write: the product now sends {write.sql[:300]}…")


def _placeholders(sql: str) -> str:
    return re.sub(r"\$\d+", "$n", sql)
