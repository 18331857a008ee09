"""Raw SQL for the few hot or set-based queries the ORM cannot express (window functions,
bulk upserts), portable between PostgreSQL (``$1``) and SQLite (``?``) placeholders."""

from collections.abc import Sequence
from typing import Any

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
        self._postgres = is_postgres()

    def __call__(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self._postgres else f"?{len(self.values)}"

    def many(self, values: Sequence[Any]) -> str:
        """``$1, $2, …`` for an ``IN (…)`` list."""
        return ", ".join(self(value) for value in values)


async def fetch(sql: str, params: Params) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connection().execute_query_dict(sql, params.values)
    return rows
