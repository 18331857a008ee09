"""``rows_table``: rows sent as one parameter per column come back from the database as
they were sent, whatever the values (bounds, NULLs, text that an array literal would have
to quote), on both databases; on PostgreSQL integers and days travel as array literals."""

from datetime import date, datetime
from typing import Any

import pytest

from resolvers.core.sql import Params, array_literal, fetch, rows_table
from tests.conftest import Backend

pytestmark = pytest.mark.usefixtures("backend")

COLUMNS = [("n", "INTEGER"), ("day", "DATE"), ("label", "TEXT"), ("code", "VARCHAR(16)")]
ROWS: list[tuple[Any, ...]] = [
    (0, date(2026, 12, 9), "", "booked"),
    (-1, date(1, 1, 1), 'un "guillemet", une virgule', "waiting"),
    (2**31 - 1, date(9999, 12, 31), "{accolades} \\ barre oblique", "NULL"),
    (-(2**31), date(2024, 2, 29), "NULL", ""),
    (None, None, None, None),
    (42, date(999, 3, 4), "été ☀️ 🎒", "cancelled"),
]


async def _round_trip(rows: list[tuple[Any, ...]]) -> tuple[str, list[tuple[Any, ...]]]:
    params = Params()
    source = rows_table(params, "r", rows, COLUMNS)
    found = await fetch(f"SELECT r.n, r.day, r.label, r.code FROM {source}", params)
    days = [
        (row["n"], row["day"], row["label"], row["code"])
        if isinstance(row["day"], date | None)
        else (row["n"], date.fromisoformat(row["day"]), row["label"], row["code"])
        for row in found
    ]
    return source, days


async def test_rows_come_back_as_they_were_sent(backend: Backend) -> None:
    # when rows with every kind of awkward value go through rows_table
    source, found = await _round_trip(ROWS)
    # then the database reads the same values, in the same order
    assert found == ROWS
    if backend.name == "postgres":  # integers and days as literals, text as lists
        assert source.count("AS TEXT) AS INTEGER[])") == 1
        assert source.count("AS TEXT) AS DATE[])") == 1
        assert "CAST($3 AS TEXT[])" in source


async def test_no_rows_make_an_empty_table(backend: Backend) -> None:
    assert (await _round_trip([]))[1] == []


def test_literals_of_integers_and_days_only() -> None:
    assert array_literal([1, None, -3], "INTEGER") == "{1,NULL,-3}"
    assert array_literal([date(2026, 12, 9)], "DATE") == "{2026-12-09}"
    assert array_literal([], "INTEGER") == "{}"
    assert array_literal(["a"], "TEXT") is None
    assert array_literal([True, False], "INTEGER") == "{1,0}"


def test_values_are_written_as_their_type_writes_them() -> None:
    days = [date(1, 1, 1), date(999, 2, 3), date(2026, 12, 9), date(9999, 12, 31)]
    assert array_literal(days, "DATE") == "{" + ",".join(map(date.isoformat, days)) + "}"
    numbers = [0, -1, 7, 2**31 - 1, -(2**31)]
    assert array_literal(numbers, "INTEGER") == "{" + ",".join(map(str, numbers)) + "}"
    # a time among days is written as its day, and NULL as NULL, as before
    moment = datetime(2026, 12, 10, 8, 30)
    assert array_literal([days[2], moment, None], "DATE") == "{2026-12-09,2026-12-10,NULL}"


@pytest.mark.parametrize(
    ("values", "sql_type"),
    [([1, "1,2"], "INTEGER"), ([date(2026, 12, 9), "2026-12-10,2026-12-11"], "DATE")],
)
def test_a_value_of_another_type_is_refused(values: list[Any], sql_type: str) -> None:
    # a text among integers would otherwise add elements to its column, out of step
    with pytest.raises(TypeError):
        array_literal(values, sql_type)
