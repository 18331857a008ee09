"""Raw SQL for the few hot or set-based queries the ORM cannot express (window functions,
bulk upserts), portable between PostgreSQL (``$1``) and SQLite (``?``) placeholders."""

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from tortoise import connections


def connection() -> Any:
    return connections.get("default")


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
    by column name only: for the hot reads, where copying each row into a dict costs as
    much as decoding it."""
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
    pass); SQLite: one JSON parameter, ``json_each`` (dates stay ISO text, as SQLite keeps
    them).
    """
    if params.postgres:
        arrays = ", ".join(
            f"CAST({params([row[n] for row in rows])} AS {sql_type}[])"
            for n, (_, sql_type) in enumerate(columns)
        )
        names = ", ".join(name for name, _ in columns)
        return f"unnest({arrays}) AS {alias}({names})"
    placeholder = params(orjson.dumps(rows).decode())
    selected = ", ".join(
        f"json_extract(r.value, '$[{n}]') AS {name}" for n, (name, _) in enumerate(columns)
    )
    return f"(SELECT {selected} FROM json_each({placeholder}) AS r) AS {alias}"
