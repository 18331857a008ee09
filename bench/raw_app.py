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
from resolvers.calendar.bookings import WRITTEN_COLUMNS
from resolvers.calendar.calendar import COUNTED_COLUMNS, calendar_counted, context_from_rows
from resolvers.core.sql import array_literal

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
                   CAST(NULL AS VARCHAR(150)) AS label, t.unpaid_block_days,
                   CASE WHEN t.unpaid_block_days IS NULL THEN NULL ELSE
                     (SELECT MIN(i.due_on) FROM invoice i
                      WHERE i.household_id = h.id AND i.total_cents > i.settled_cents)
                   END AS oldest_unpaid_due
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
                   NULL, ce.site_id, NULL, ce.day, NULL, NULL, NULL, ce.is_open, ce.label,
                   NULL, NULL
            FROM household h
            JOIN calendar_exception ce ON ce.tenant_id = h.tenant_id
            WHERE h.id = ${household} AND {access} AND ce.day >= ${first} AND ce.day <= ${last}
            UNION ALL
            SELECT 'holiday', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, NULL, NULL, sh.starts_on, sh.ends_on, NULL, NULL, NULL, sh.name,
                   NULL, NULL
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
            j AS (SELECT * FROM unnest(CAST(CAST(${activities} AS TEXT) AS INTEGER[]), CAST(CAST(${sites} AS TEXT) AS INTEGER[]), CAST(CAST(${days} AS TEXT) AS DATE[]), CAST(CAST(${counted_children} AS TEXT) AS INTEGER[]), CAST(CAST(${places} AS TEXT) AS INTEGER[])) AS r(activity_id, site_id, day, child_id, capacity)),
            crowded AS (
              SELECT s.activity_id, s.site_id
              FROM (SELECT DISTINCT activity_id, site_id, capacity FROM j) s
              WHERE EXISTS (SELECT 1 FROM enrollment x JOIN period q ON q.id = x.period_id
                     WHERE x.activity_id = s.activity_id AND x.site_id = s.site_id
                       AND q.ends_on >= (SELECT MIN(day) FROM j)
                       AND q.starts_on <= (SELECT MAX(day) FROM j) LIMIT 1 OFFSET s.capacity))
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
) -> list[str | None]:
    """The days whose booked places statement 2 counts, as its 5 arrays (their literals,
    as ``rows_table`` sends them): computed by the product's own ``calendar_counted`` (the
    open days a parent could book now), so that both endpoints send PostgreSQL the same
    parameters; the only evaluation done here."""
    context = context_from_rows(rows, household_id, start, end)
    columns: list[list[Any]] = [[], [], [], [], []]
    for row in calendar_counted(context, datetime.now(UTC), staff=False):
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return [
        array_literal(column, sql_type)
        for column, (_, sql_type) in zip(columns, COUNTED_COLUMNS, strict=True)
    ]


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
    "$6, $7 FROM unnest(CAST(CAST($1 AS TEXT) AS INTEGER[]), CAST(CAST($2 AS TEXT) AS "
    "INTEGER[]), CAST(CAST($3 AS TEXT) AS INTEGER[]), CAST(CAST($4 AS TEXT) AS DATE[]), "
    "CAST($5 AS VARCHAR(16)[])) AS r(child_id, activity_id, site_id, day, "
    "status) WHERE true" + _ON_CONFLICT
)
# … and the single-row statement once per row, as Booking.bulk_create sends it (executemany).
UPSERT_ROW_SQL = f"INSERT INTO {_COLUMNS} VALUES ($1, $2, $3, $4, $5, $6, $7)" + _ON_CONFLICT
BOOKING_MODES = ("unnest", "values", "executemany")


# The one-day submit (``POST /submit``), as resolvers.calendar.bookings does it for one line:
# the idempotency key looked up, then one transaction: the child's enrolment with its
# opening's capacity (the product's context statement reads more: every rule of the day),
# the opening locked with the request's id drawn under the lock (and, as the product does,
# the statements that follow planned once per connection: SET LOCAL plan_cache_mode), the
# day's booked places counted, and one statement writing the request, its history
# (submitted, completed), its outbox rows (the confirmation mail and the live events) and
# the booking.
SUBMIT_KEY_SQL = "SELECT id FROM request WHERE household_id = $1 AND idempotency_key = $2"
SUBMIT_CONTEXT_SQL = """SELECT h.tenant_id, h.name AS household_name, t.name AS town_name,
           c.first_names, a.name AS activity_name, e.site_id, o.capacity
    FROM child c
    JOIN household h ON h.id = c.household_id
    JOIN tenant t ON t.id = h.tenant_id
    JOIN enrollment e ON e.child_id = c.id AND e.activity_id = $2 AND e.status = 'active'
    JOIN period p ON p.id = e.period_id AND p.starts_on <= $3 AND p.ends_on >= $3
    JOIN opening o ON o.activity_id = e.activity_id AND o.site_id = e.site_id
                  AND o.period_id = e.period_id
    JOIN activity a ON a.id = e.activity_id
    WHERE c.id = $1 AND h.id = $4
      AND EXISTS (SELECT 1 FROM guardian g WHERE g.household_id = h.id AND g.account_id = $5)"""
SUBMIT_LOCK_SQL = """SELECT nextval(pg_get_serial_sequence('request', 'id')) AS request_id,
           l.locked, set_config('plan_cache_mode', 'force_generic_plan', true) AS generic_plans
    FROM (SELECT ARRAY(SELECT id FROM opening WHERE activity_id = $1 AND site_id = $2
                       ORDER BY id FOR UPDATE) AS locked OFFSET 0) l"""
SUBMIT_COUNT_SQL = """SELECT COUNT(*) FILTER (WHERE status = 'booked') AS booked,
           MAX(status) FILTER (WHERE child_id = $4) AS mine
    FROM booking WHERE activity_id = $1 AND site_id = $2 AND day = $3
      AND (status = 'booked' OR child_id = $4)"""
SUBMIT_WRITE_SQL = """WITH r AS (
        INSERT INTO request (id, tenant_id, household_id, submitted_by_id, kind, status,
                             summary, payload, idempotency_key, created_at, updated_at)
        VALUES ($1, $2, $3, $4, 'booking_change', 'completed', $5, $6, $7, $8, $8)),
    h AS (
        INSERT INTO request_event (request_id, status, comment, actor_id, created_at)
        VALUES ($1, 'submitted', '', $4, $8), ($1, 'completed', $5, $4, $8)),
    j AS (
        INSERT INTO outbox_job (function, kwargs, created_at, attempts, last_error)
        VALUES ('send_mail', $9, $8, 0, ''), ('publish_live_events', $10, $8, 0, ''))
    INSERT INTO booking (child_id, activity_id, site_id, day, status, request_id, updated_at)
    VALUES ($11, $12, $13, $14, $15, $1, $8)
    ON CONFLICT (child_id, activity_id, day) DO UPDATE SET status = excluded.status,
        site_id = excluded.site_id, request_id = excluded.request_id,
        updated_at = excluded.updated_at"""


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
            arrays = [
                array_literal(column, sql_type) or column
                for column, (_, sql_type) in zip(columns[:5], WRITTEN_COLUMNS, strict=True)
            ]
            await conn.execute(UPSERT_SQL, *arrays, None, now)
    return json({"written": len(rows), "mode": mode})


async def submit(request: Request) -> Response:
    """Body: ``{"householdId": int, "childId": int, "activityId": int, "day": "YYYY-MM-DD",
    "key": str}``: book one day (or put it on the waiting list when the day is full)."""
    body = orjson.loads(await request.body())
    household, child, activity = body["householdId"], body["childId"], body["activityId"]
    day, key = date.fromisoformat(body["day"]), body["key"]
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        account = await account_of(conn, request)
        if account is None:
            return json({"error": "NOT_AUTHENTICATED"}, 401)
        if await conn.fetchval(SUBMIT_KEY_SQL, household, key) is not None:
            return json({"replayed": True})
        async with conn.transaction():
            context = await conn.fetchrow(
                SUBMIT_CONTEXT_SQL, child, activity, day, household, account["id"]
            )
            if context is None:
                return json({"error": "NOT_FOUND"}, 404)
            site = context["site_id"]
            request_id = (await conn.fetchrow(SUBMIT_LOCK_SQL, activity, site))["request_id"]
            # Decided under the lock: the time too, so the waiting list (oldest first)
            # is in the order the locks were granted.
            now = datetime.now(UTC)
            counted = await conn.fetchrow(SUBMIT_COUNT_SQL, activity, site, day, child)
            if counted["mine"] in ("booked", "waiting"):
                return json({"outcome": "unchanged"})
            status = "booked" if counted["booked"] < context["capacity"] else "waiting"
            summary = "1 jour réservé" if status == "booked" else "1 jour en liste d'attente"
            payload = {"version": 2, "groups": [{"child_id": child, "day": day, "outcome": status}]}
            mail = {"to": account["email"], "template": "booking_confirmation",
                    "context": {"town": context["town_name"], "summary": summary,
                                "household": context["household_name"],
                                "request_id": request_id}}  # fmt: skip
            events = {"events": [{"household": household, "child": child, "day": day}]}
            await conn.execute(
                SUBMIT_WRITE_SQL,
                request_id,
                context["tenant_id"],
                household,
                account["id"],
                summary,
                orjson.dumps(payload).decode(),
                key,
                now,
                orjson.dumps(mail).decode(),
                orjson.dumps(events).decode(),
                child,
                activity,
                site,
                day,
                status,
            )
    return json({"requestId": request_id, "outcome": status})


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
            Route("/submit", submit, methods=["POST"]),
            Route("/healthz", healthz),
        ],
        lifespan=lifespan,
    )
