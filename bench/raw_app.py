"""The physical limit: Starlette + asyncpg running the SQL of the GraphQL path, nothing else.

``POST /calendar`` runs the bearer-token lookup, then the calendar's statement 1
(``resolvers.calendar.calendar.load_context``) and statement 2 (``load_day_rows``) with the same
text and parameters as the product, and answers their rows as JSON (orjson): no French
wording, no GraphQL, no day evaluation but the product's own choice of the days whose
places statement 2 counts (``calendar_counted``: the open days a parent could book now),
which sets that statement's parameters. ``POST /book`` runs the token lookup and the
product's single ``INSERT … SELECT … FROM unnest(…) ON CONFLICT DO UPDATE`` of every row
(one array per column); for comparison, ``mode: "values"`` sends the same upsert as one
multi-row ``VALUES`` list (7 parameters a row), and ``mode: "executemany"`` the single-row
statement once per row (what ``Booking.bulk_create`` does through asyncpg).

The SQL texts below are copies: ``bench.inprocess`` compares them, whitespace aside, with
what the product sends, and the benchmark says so when they drift apart (the test suite
runs the same comparison: tests/calendar/test_bench_sql.py).

    uvicorn bench.raw_app:create_app --factory
"""

import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models.database import keep_session
from resolvers.calendar.calendar import calendar_counted, context_from_rows

# Tortoise's asyncpg pool defaults (minsize 1, maxsize 5) and, like the product's pool
# (models.database), no session reset when a connection goes back: same footing.
POOL_MIN, POOL_MAX = 1, 5

# resolvers.accounts.accounts.authenticate: the session's account, checks included.
TOKEN_SQL = """SELECT t.id AS session_id, a.*
            FROM account_token t JOIN account a ON a.id = t.account_id
            WHERE t.token_hash = $1
              AND t.purpose = $2
              AND t.consumed_at IS NULL AND t.expires_at > $3
              AND NOT a.is_disabled AND a.activated_at IS NOT NULL"""


def placeholders(first: int, count: int) -> str:
    return ", ".join(f"${n}" for n in range(first, first + count))


def context_sql(children: int) -> str:
    """Statement 1 of resolvers.calendar.calendar.load_context, a parent asking for some children
    (``$1…$children``; every child of the household when 0): the household, the account's
    access, the enrolments and their rules, the town's exceptional days and holidays."""
    n = children + 1
    child_filter = f"AND c.id IN ({placeholders(1, children)})" if children else ""
    household, account, first, last = n, n + 1, n + 2, n + 3
    access = (
        "EXISTS (SELECT 1 FROM guardian g WHERE g.household_id = h.id "
        f"AND g.account_id = ${account})"
    )
    return f"""SELECT 'enrollment' AS kind, h.tenant_id, t.timezone, t.name AS town_name,
                   h.name AS household_name, c.id AS child_id, c.birth_date, c.first_names,
                   c.last_name, e.id AS enrollment_id, e.status AS enrollment_status,
                   a.id AS activity_id, a.code, a.name AS activity_name,
                   a.kind AS activity_kind, a.holiday_policy, a.booking_rule, a.booking_value,
                   a.booking_cutoff_minutes, a.cancellation_rule, a.cancellation_value,
                   a.cancellation_cutoff_minutes, a.booking_opens_days_ahead,
                   s.id AS site_id, s.name AS site_name, p.starts_on, p.ends_on, o.weekdays,
                   o.capacity, CAST(NULL AS BOOLEAN) AS is_open,
                   CAST(NULL AS VARCHAR(150)) AS label
            FROM household h
            JOIN tenant t ON t.id = h.tenant_id
            LEFT JOIN child c ON c.household_id = h.id AND c.archived_at IS NULL {child_filter}
            LEFT JOIN enrollment e ON e.child_id = c.id AND h.archived_at IS NULL
            LEFT JOIN period p ON p.id = e.period_id
            LEFT JOIN activity a ON a.id = e.activity_id
            LEFT JOIN site s ON s.id = e.site_id
            LEFT JOIN opening o ON o.activity_id = e.activity_id AND o.site_id = e.site_id
                               AND o.period_id = e.period_id
            WHERE h.id = ${household} AND {access}
            UNION ALL
            SELECT 'exception', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   ce.activity_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, ce.site_id, NULL, ce.day, NULL, NULL, NULL, ce.is_open, ce.label
            FROM household h
            JOIN calendar_exception ce ON ce.tenant_id = h.tenant_id
            WHERE h.id = ${household} AND {access} AND ce.day >= ${first} AND ce.day <= ${last}
            UNION ALL
            SELECT 'holiday', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, sh.starts_on, sh.ends_on, NULL, NULL, NULL, sh.name
            FROM household h
            JOIN school_holiday sh ON sh.tenant_id = h.tenant_id
            WHERE h.id = ${household} AND {access}
              AND sh.starts_on <= ${last} AND sh.ends_on >= ${first}
            ORDER BY kind, birth_date, child_id, code, starts_on"""  # noqa: E501


def day_rows_sql(children: int) -> str:
    """Statement 2 of resolvers.calendar.calendar.load_day_rows, placeholders numbered as there (the
    days whose booked places are counted come as 5 arrays, see ``counted``)."""
    n = 1
    child_list = placeholders(n, children)
    n += children
    start1, end1, activities, sites, days, counted_children, places = range(n, n + 7)
    n += 7
    absent_children = placeholders(n, children)
    n += children
    start3, end3 = n, n + 1
    return f"""WITH mine AS (
              SELECT b.child_id, b.activity_id, b.site_id, b.day, b.status
              FROM booking b
              WHERE b.child_id IN ({child_list})
                AND b.day >= ${start1} AND b.day <= ${end1}
                AND b.status <> 'cancelled'),
            j AS (SELECT * FROM unnest(CAST(${activities} AS INTEGER[]), CAST(${sites} AS INTEGER[]), CAST(${days} AS DATE[]), CAST(${counted_children} AS INTEGER[]), CAST(${places} AS INTEGER[])) AS r(activity_id, site_id, day, child_id, capacity)),
            crowded AS (
              SELECT s.activity_id, s.site_id
              FROM (SELECT DISTINCT activity_id, site_id, capacity FROM j) s
              WHERE (SELECT COUNT(*)
                     FROM enrollment x JOIN period q ON q.id = x.period_id
                     WHERE x.activity_id = s.activity_id AND x.site_id = s.site_id
                       AND q.ends_on >= (SELECT MIN(day) FROM j)
                       AND q.starts_on <= (SELECT MAX(day) FROM j)) > s.capacity)
            SELECT 'booking' AS kind, m.child_id AS a, m.activity_id AS b, m.day AS day,
                   m.status AS status, CAST(NULL AS BIGINT) AS n
            FROM mine m
            UNION ALL
            SELECT 'count', b.activity_id, b.site_id, b.day, NULL, COUNT(*)
            FROM (SELECT DISTINCT j.activity_id, j.site_id, j.day
                  FROM j
                  JOIN crowded k ON k.activity_id = j.activity_id AND k.site_id = j.site_id
                  WHERE NOT EXISTS (
                    SELECT 1 FROM mine m
                    WHERE m.child_id = j.child_id AND m.activity_id = j.activity_id
                      AND m.day = j.day AND m.status IN ('booked', 'waiting'))) c
            JOIN booking b ON b.activity_id = c.activity_id AND b.site_id = c.site_id
                          AND b.day = c.day AND b.status = 'booked'
            GROUP BY b.activity_id, b.site_id, b.day
            UNION ALL
            SELECT 'absence', ad.child_id, ad.activity_id, ad.day, ad.outcome, NULL
            FROM absence_day ad
            WHERE ad.child_id IN ({absent_children})
              AND ad.day >= ${start3} AND ad.day <= ${end3}
              AND ad.outcome <> 'cancelled_in_time'"""  # noqa: E501


def counted(
    rows: Sequence[asyncpg.Record], household_id: int, start: date, end: date
) -> list[list[Any]]:
    """The days whose booked places statement 2 counts, as its 5 arrays: computed by the
    product's own ``calendar_counted`` (the open days a parent could book now), so that
    both endpoints send PostgreSQL the same parameters; the only evaluation done here."""
    context = context_from_rows(rows, household_id, start, end)
    columns: list[list[Any]] = [[], [], [], [], []]
    for row in calendar_counted(context, datetime.now(UTC), staff=False):
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


def upsert_values_sql(rows: int) -> str:
    """For comparison: the same upsert as one multi-row INSERT … VALUES, 7 parameters a row
    (child, activity, site, day, status, request, updated_at)."""
    values = ", ".join(
        "(" + ", ".join(f"${7 * n + k}" for k in range(1, 8)) + ")" for n in range(rows)
    )
    return f"INSERT INTO {_COLUMNS} VALUES {values}" + _ON_CONFLICT


_COLUMNS = "booking (child_id, activity_id, site_id, day, status, request_id, updated_at)"
_ON_CONFLICT = (
    " ON CONFLICT (child_id, activity_id, day) DO UPDATE SET status = excluded.status, "
    "site_id = excluded.site_id, request_id = excluded.request_id, "
    "updated_at = excluded.updated_at"
)
# resolvers.calendar.bookings._bookings_upsert: one array per column
# (resolvers.core.sql.rows_table), the request and the time as two more parameters,
# whatever the number of rows.
UPSERT_SQL = (
    f"INSERT INTO {_COLUMNS} SELECT r.child_id, r.activity_id, r.site_id, r.day, r.status, "
    "$6, $7 FROM unnest(CAST($1 AS INTEGER[]), CAST($2 AS INTEGER[]), CAST($3 AS INTEGER[]), "
    "CAST($4 AS DATE[]), CAST($5 AS VARCHAR(16)[])) AS r(child_id, activity_id, site_id, day, "
    "status) WHERE true" + _ON_CONFLICT
)
# … and the single-row statement once per row, as Booking.bulk_create sends it (executemany).
UPSERT_ROW_SQL = f"INSERT INTO {_COLUMNS} VALUES ($1, $2, $3, $4, $5, $6, $7)" + _ON_CONFLICT
BOOKING_MODES = ("unnest", "values", "executemany")


def json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


async def account_of(conn: asyncpg.Connection, request: Request) -> asyncpg.Record | None:
    """The bearer token's account row (same lookup and checks as the product)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    row: asyncpg.Record | None = await conn.fetchrow(
        TOKEN_SQL, digest, "session", datetime.now(UTC)
    )
    return row


def _sorted_ids(values: Sequence[Any]) -> list[Any]:
    return sorted(set(values)) or [0]


async def calendar(request: Request) -> Response:
    """Body: ``{"householdId": int, "childIds": [int], "from": "…", "to": "…"}``."""
    body = orjson.loads(await request.body())
    start, end = date.fromisoformat(body["from"]), date.fromisoformat(body["to"])
    child_ids: list[int] = body["childIds"]
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        account = await account_of(conn, request)
        if account is None:
            return json({"error": "NOT_AUTHENTICATED"}, 401)
        rows = await conn.fetch(
            context_sql(len(child_ids)),
            *child_ids,
            body["householdId"],
            account["id"],
            start,
            end,
        )
        if not rows or rows[0]["kind"] != "enrollment":
            return json({"error": "NOT_FOUND"}, 404)
        # What statement 2 needs: the children load_context keeps, the days to count.
        kept = [
            row
            for row in rows
            if row["kind"] == "enrollment"
            and row["enrollment_id"] is not None
            and row["weekdays"] is not None
            and row["ends_on"] >= start
            and row["starts_on"] <= end
        ]
        children = _sorted_ids([row["child_id"] for row in kept])
        days = await conn.fetch(
            day_rows_sql(len(children)),
            *children,
            start,
            end,
            *counted(rows, body["householdId"], start, end),
            *children,
            start,
            end,
        )
    return json({"enrollments": [dict(row) for row in rows], "days": [dict(row) for row in days]})


async def book(request: Request) -> Response:
    """Body: ``{"childId": int, "status": "booked"|"cancelled", "rows": [[activityId,
    siteId, "YYYY-MM-DD"], …], "mode": "unnest"|"values"|"executemany"}``."""
    body = orjson.loads(await request.body())
    child: int = body["childId"]
    status: str = body["status"]
    mode: str = body.get("mode", "unnest")
    now = datetime.now(UTC)
    rows = [
        (child, activity, site, date.fromisoformat(day), status, None, now)
        for activity, site, day in body["rows"]
    ]
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        if await account_of(conn, request) is None:
            return json({"error": "NOT_AUTHENTICATED"}, 401)
        if mode == "executemany":
            async with conn.transaction():
                await conn.executemany(UPSERT_ROW_SQL, rows)
        elif mode == "values":
            await conn.execute(
                upsert_values_sql(len(rows)), *(value for row in rows for value in row)
            )
        else:
            columns = [list(column) for column in zip(*rows, strict=True)]
            await conn.execute(UPSERT_SQL, *columns[:5], None, now)
    return json({"written": len(rows), "mode": mode})


async def healthz(request: Request) -> Response:
    pool: asyncpg.Pool = request.app.state.pool
    return json({"status": "ok", "database": await pool.fetchval("SELECT 1")})


def create_app() -> Starlette:
    url = os.environ.get("FAMILLE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/famille_bench")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            url, min_size=POOL_MIN, max_size=POOL_MAX, reset=keep_session
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(
        routes=[
            Route("/calendar", calendar, methods=["POST"]),
            Route("/book", book, methods=["POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
