"""Raw SQL for the few hot or set-based queries the ORM cannot express (window functions,
bulk upserts), portable between PostgreSQL (``$1``) and SQLite (``?``) placeholders; and
``one_connection()``, for a read of a few statements that should not go back to the pool
between them."""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import date
from typing import Any

import asyncpg
import orjson
from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.backends.base.client import ConnectionWrapper, TransactionContext
from tortoise.context import require_context


def connection() -> Any:
    """Tortoise's client of the ``default`` connection in this context (a transaction's, or
    ``one_connection``'s, inside one). What ``tortoise.connections.get`` returns, without
    its proxy, which runs an import statement on each call (a calendar asks several times)."""
    return require_context().connections.get("default")


class OneConnectionTransaction(RuntimeError):
    """A transaction asked for inside ``one_connection()`` (a read's block)."""


class _OneConnection(AsyncpgDBClient):
    """Tortoise's client inside ``one_connection()``: every statement of the block, raw or
    through the ORM, on the one pooled connection it holds (as Tortoise's transaction
    wrapper holds its own, without the transaction). Not a ``TransactionalDBClient``:
    ``atomic()`` does not take it for a transaction."""

    def __init__(self, parent: AsyncpgDBClient, pinned: asyncpg.Connection) -> None:
        # As tortoise's TransactionWrapper: the parent's settings, one connection, a lock
        # for statements sent together (asyncio.gather) on it.
        self._connection = pinned
        self._lock = asyncio.Lock()
        self.log = parent.log
        self.connection_name = parent.connection_name
        self.fetch_inserted = parent.fetch_inserted
        self._parent = parent

    def acquire_connection(self) -> ConnectionWrapper[asyncpg.Connection]:
        return ConnectionWrapper(self._lock, self)

    def _in_transaction(self) -> TransactionContext:
        # A transaction would take a second connection of the pool while this one is held
        # (with every connection held so, none would come back): refused. The compiled
        # queries that use the block answer through the general executor instead.
        raise OneConnectionTransaction("no transaction inside one_connection()")


def one_connection() -> AbstractAsyncContextManager[None]:
    """The block's statements (raw and ORM) on one connection of the pool, acquired once
    and given back at the end, where each statement outside a transaction otherwise takes
    one from the pool and gives it back (about 20 µs of CPU each, a task included: a
    calendar sends three). For reads only: a transaction inside raises
    ``OneConnectionTransaction``. Elsewhere (SQLite, one connection; inside a transaction,
    which holds its own) the block runs as it is."""
    client = connection()
    if type(client) is not AsyncpgDBClient:  # SQLite, a transaction, or already pinned
        return nullcontext()
    return _Pinned(client)


class _Pinned:
    """``one_connection()``'s block on PostgreSQL: a class rather than a generator-based
    context manager, which costs a few microseconds more on each compiled request."""

    __slots__ = ("_client", "_acquired", "_handler", "_token")

    def __init__(self, client: AsyncpgDBClient) -> None:
        self._client = client

    async def __aenter__(self) -> None:
        self._acquired = self._client.acquire_connection()
        pinned = await self._acquired.__aenter__()
        self._handler = require_context().connections
        self._token = self._handler.set("default", _OneConnection(self._client, pinned))

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            self._handler.reset(self._token)
        finally:
            await self._acquired.__aexit__(*exc_info)


def is_postgres() -> bool:
    return bool(connection().capabilities.dialect == "postgres")


class Params:
    """Collects values and hands out the dialect's numbered placeholder for each
    (``$3`` on PostgreSQL, ``?3`` on SQLite), so the order of calls does not matter."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.postgres = is_postgres()

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else f"?{len(self.values)}"

    def many(self, values: Sequence[Any]) -> str:
        """``$1, $2, …`` for an ``IN (…)`` list."""
        return ", ".join(self(value) for value in values)


async def fetch(sql: str, params: Params) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connection().execute_query_dict(sql, params.values)
    return rows


async def fetch_rows(sql: str, params: Params) -> Sequence[Mapping[str, Any]]:
    """A SELECT's rows as the driver gives them (asyncpg ``Record``, ``sqlite3.Row``), read
    by column name, or unpacked in the SELECT's order (both are sequences of their values):
    for the hot reads, where copying each row into a dict costs as much as decoding it."""
    rows: Sequence[Mapping[str, Any]]
    _, rows = await connection().execute_query(sql, params.values)
    return rows


def rows_table(
    params: Params, alias: str, rows: Sequence[Sequence[Any]], columns: Sequence[tuple[str, str]]
) -> str:
    """A derived table of ``rows`` named ``alias``, for ``FROM {rows_table(...)}``, sent as
    parameters whose number does not grow with the rows: so the statement keeps the same
    text (prepared once) for any number of rows. ``columns`` are (name, SQL type).

    PostgreSQL: one typed array per column, ``unnest``-ed (decoded by the server in one
    pass; integers and days as array literals, see ``array_literal``); SQLite: one JSON
    parameter, ``json_each`` (dates stay ISO text, as SQLite keeps them).
    """
    if params.postgres:
        arrays = ", ".join(
            _array(params, [row[n] for row in rows], sql_type)
            for n, (_, sql_type) in enumerate(columns)
        )
        names = ", ".join(name for name, _ in columns)
        return f"unnest({arrays}) AS {alias}({names})"
    placeholder = params(orjson.dumps(rows).decode())
    selected = ", ".join(
        f"json_extract(r.value, '$[{n}]') AS {name}" for n, (name, _) in enumerate(columns)
    )
    return f"(SELECT {selected} FROM json_each({placeholder}) AS r) AS {alias}"


# The element types whose array PostgreSQL reads from the text of each value: digits, and
# ISO days (``YYYY-MM-DD``), which need no quoting in an array literal. The methods of the
# types themselves, not ``str``: a value of another type (a text "1,2" would read as two
# elements) raises TypeError, as asyncpg refuses it; a bool reads as 1 or 0, as there.
_LITERAL_ELEMENTS: dict[str, tuple[type, Callable[[Any], str]]] = {
    "INTEGER": (int, int.__repr__),
    "DATE": (date, date.isoformat),
}


def array_literal(values: Sequence[Any], sql_type: str) -> str | None:
    """``values`` as the text of a PostgreSQL array literal (``{1,2,NULL}``) when their SQL
    type is one whose values need no quoting (integers, days), else None.

    Sent as text and cast by the server (``CAST(CAST($1 AS TEXT) AS INTEGER[])``), such an
    array costs the client almost nothing, where asyncpg's binary array encoder checks each
    element against three abstract base classes first, about 0.5 µs an element: a 180-day
    submit sends nine columns of 180 (about a tenth of its CPU). Text goes as a list,
    encoded by asyncpg, rather than quoted here.

    Values all of the type itself (no None, bool or datetime) are written by orjson in C,
    the same text as the type's method (``date.isoformat`` formats each day through
    PyUnicode_FromFormat; the Date scalar's rule in gql/execution.py)."""
    element = _LITERAL_ELEMENTS.get(sql_type)
    if element is None:
        return None
    value_type, text_of = element
    if set(map(type, values)) == {value_type}:
        return "{" + orjson.dumps(values)[1:-1].decode().replace('"', "") + "}"
    if None in values:
        return "{" + ",".join("NULL" if value is None else text_of(value) for value in values) + "}"
    return "{" + ",".join(map(text_of, values)) + "}"


def _array(params: Params, values: list[Any], sql_type: str) -> str:
    """One column of ``rows_table``: a typed array parameter (see ``array_literal``)."""
    literal = array_literal(values, sql_type)
    if literal is None:
        return f"CAST({params(values)} AS {sql_type}[])"
    return f"CAST(CAST({params(literal)} AS TEXT) AS {sql_type}[])"
