"""Hand-written INSERTs checked against the Tortoise models they write.

The fast paths (the submit's one statement, the invoicing run, attendance, the outbox) and
the benchmark's copies write rows with SQL of their own, which no migration and no ORM
call checks: a renamed field, or a new NOT NULL one, would only fail there, at run time,
on the path least covered by hand. So every ``INSERT INTO <table> (<columns>)`` found in
the code must name a model's table, only columns of that model, and every column the
database needs a value for (NOT NULL, not generated, no database default: a Python
``default=`` is Tortoise's, which raw SQL never goes through).

Statements come from two places: the source, read as Python (string literals, f-strings
and ``+`` of them, module-level string constants substituted), and the builders that
assemble a statement at run time (``_Written``'s, ``jobs_insert``), called for real. A
statement whose table or columns the source cannot show must be reached by a builder.
"""

import ast
import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from tortoise import Tortoise
from tortoise.models import Model

from tests.conftest import Backend

ROOT = Path(__file__).parent.parent
# Where hand-written SQL lives (bench/'s other modules read the product, never write).
SCANNED = ["resolvers", "jobs", "gql", "bench/raw_app.py", "bench/invoicing.py"]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

_INSERT = re.compile(r"\bINSERT\s+INTO\s+", re.IGNORECASE)
_TABLE = re.compile(r'"?(?P<table>\w+)"?\s*(?P<rest>.*)', re.DOTALL)
_UNKNOWN = "{"  # a value the source alone cannot give (rendered as ``{expression}``)


@dataclass(frozen=True)
class Insert:
    """One INSERT as found: where, the table, and its columns (None: built at run time)."""

    origin: str
    path: str
    table: str
    columns: tuple[str, ...] | None


class Unreadable(AssertionError):
    """An INSERT whose table or column list cannot be read: it cannot be checked."""


def parse(sql: str, origin: str, path: str = "") -> list[Insert]:
    """Every ``INSERT INTO`` of ``sql`` (a CTE statement holds several)."""
    inserts = []
    for match in _INSERT.finditer(sql):
        target = _TABLE.match(sql, match.end())
        if target is None or target["table"].startswith(_UNKNOWN):
            raise Unreadable(f"{origin}: INSERT INTO a table the code does not spell out")
        table, rest = target["table"], target["rest"]
        if not rest.startswith("("):
            raise Unreadable(
                f"{origin}: INSERT INTO {table} without a column list (its values would "
                "depend on the order of the table's columns)"
            )
        listed = rest[1 : rest.index(")")]
        columns = None
        if _UNKNOWN not in listed:
            columns = tuple(column.strip().strip('"') for column in listed.split(","))
        inserts.append(Insert(origin, path, table, columns))
    return inserts


def models_by_table() -> dict[str, type[Model]]:
    return {model._meta.db_table: model for model in Tortoise.apps["models"].values()}


def required_columns(model: type[Model]) -> set[str]:
    """The columns an INSERT must give: NOT NULL, neither generated nor defaulted by the
    database."""
    meta = model._meta
    return {
        column
        for name, column in meta.fields_db_projection.items()
        if not (field := meta.fields_map[name]).null
        and not field.generated
        and not field.has_db_default()
    }


def problems(insert: Insert, models: dict[str, type[Model]]) -> list[str]:
    """What is wrong with one INSERT, each naming the table and the column at fault."""
    model = models.get(insert.table)
    if model is None:
        return [f"{insert.origin}: table {insert.table!r} is no model's Meta.table"]
    assert insert.columns is not None
    found: list[str] = []
    known = set(model._meta.fields_db_projection.values())
    for column in insert.columns:
        if column not in known:
            found.append(
                f"{insert.origin}: {insert.table}.{column} is not a column of "
                f"{model.__name__} (its columns: {', '.join(sorted(known))})"
            )
    for column in sorted(required_columns(model) - set(insert.columns)):
        found.append(
            f"{insert.origin}: {insert.table}.{column} is NOT NULL without a database "
            f"default, and the INSERT does not list it"
        )
    duplicated = {column for column in insert.columns if insert.columns.count(column) > 1}
    found += [f"{insert.origin}: {insert.table}.{c} listed twice" for c in sorted(duplicated)]
    return found


# --- the INSERTs of the source -------------------------------------------------------------


class _Renderer:
    """A string expression's text: literals as they are, module-level string constants
    substituted, anything else as ``{expression}``."""

    def __init__(self, tree: ast.Module) -> None:
        self.constants: dict[str, str] = {}
        for statement in tree.body:
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and self.is_text(statement.value)
            ):
                self.constants[statement.targets[0].id] = self.render(statement.value)

    def is_text(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.is_text(node.left) or self.is_text(node.right)
        return False

    def render(self, node: ast.AST) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(self.render(part) for part in node.values)
        if isinstance(node, ast.FormattedValue):
            return self.render(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.render(node.left) + self.render(node.right)
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        return "{" + ast.unparse(node) + "}"


def _python_files() -> Iterator[Path]:
    for scanned in SCANNED:
        path = ROOT / scanned
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _texts(node: ast.AST, renderer: _Renderer) -> Iterator[tuple[int, str]]:
    """(line, text) of each string expression under ``node``, whole (not its parts)."""
    if isinstance(node, ast.expr) and renderer.is_text(node):
        yield node.lineno, renderer.render(node)
        return
    for child in ast.iter_child_nodes(node):
        yield from _texts(child, renderer)


def source_inserts() -> list[Insert]:
    """Every INSERT written in the scanned source, as literal text."""
    inserts: list[Insert] = []
    for file in _python_files():
        path = file.relative_to(ROOT).as_posix()
        tree = ast.parse(file.read_text(), str(file))
        for line, text in _texts(tree, _Renderer(tree)):
            if _INSERT.search(text):
                inserts += parse(text, f"{path}:{line}", path)
    return inserts


# --- the INSERTs built at run time ---------------------------------------------------------


def _built(builder: Callable[..., str], *args: Any) -> list[Insert]:
    source = inspect.getsourcefile(builder)
    assert source is not None
    path = Path(source).resolve().relative_to(ROOT).as_posix()
    return parse(builder(*args), f"{path}: {builder.__qualname__}()", path)


def built_inserts() -> list[Insert]:
    """The statements the submit sends (its data-modifying CTEs on PostgreSQL, one by one
    on SQLite) and the outbox's, from the builders themselves."""
    from resolvers.calendar.bookings import (
        BookingAction,
        ChangeResult,
        LineOutcome,
        LineResult,
        _bookings_upsert,
        _Written,
    )
    from resolvers.core.outbox import jobs_insert, mail_job
    from resolvers.core.sql import Params

    line = LineResult(
        1, "Léa", 2, "Cantine", date(2026, 12, 1), BookingAction.BOOK, LineOutcome.BOOKED, "", ""
    )
    result = ChangeResult([line], 0, request_id=7)
    context = SimpleNamespace(tenant_id=1, household_id=2)
    written = _Written(cast(Any, context), cast(Any, SimpleNamespace(id=3)), result, NOW, "k", "f")
    return [
        *_built(written._request, Params(), None),
        *_built(written._request, Params(), 7),
        *_built(written._history, Params(), 7),
        *_built(_bookings_upsert, Params(), result, 7, NOW),
        *_built(jobs_insert, Params(), [mail_job("a@exemple.fr", "t", {})], NOW),
    ]


# --- the fences ----------------------------------------------------------------------------


async def test_every_hand_written_insert_matches_its_model(backend: Backend) -> None:
    models = models_by_table()
    found, built = source_inserts(), built_inserts()
    # The scan must see the known writers, or it would pass by seeing nothing.
    seen = {(insert.path, insert.table) for insert in found}
    assert {
        ("resolvers/billing/invoicing.py", "invoice"),
        ("resolvers/operations/attendance_records.py", "attendance"),
        ("resolvers/core/outbox.py", "outbox_job"),
        ("resolvers/calendar/bookings.py", "booking"),
        ("bench/raw_app.py", "booking"),
        ("resolvers/households/imports.py", "household"),
        ("resolvers/households/imports.py", "guardian"),
        ("resolvers/households/imports.py", "child"),
        ("resolvers/households/imports.py", "contact"),
        ("resolvers/households/imports.py", "access_key"),
    } <= seen, seen
    reached = {(insert.path, insert.table) for insert in built if insert.columns is not None}
    unchecked = [
        f"{insert.origin}: the columns of this INSERT INTO {insert.table} are built at run "
        "time: call its builder in built_inserts()"
        for insert in found
        if insert.columns is None and (insert.path, insert.table) not in reached
    ]
    assert not unchecked, "\n".join(unchecked)
    wrong = [
        problem
        for insert in [*found, *built]
        if insert.columns is not None
        for problem in problems(insert, models)
    ]
    assert not wrong, "\n".join(wrong)


# --- the fences catch what they are for ----------------------------------------------------

GOOD = (
    "INSERT INTO outbox_job (function, kwargs, created_at, attempts, last_error) "
    "VALUES ($1, $2, $3, 0, '')"
)


async def test_the_fence_passes_a_right_statement(backend: Backend) -> None:
    [insert] = parse(GOOD, "fake")
    assert problems(insert, models_by_table()) == []


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            GOOD.replace("last_error", "error"),
            [
                "fake: outbox_job.error is not a column of OutboxJob",
                "fake: outbox_job.last_error is NOT NULL without a database default",
            ],
        ),
        (
            GOOD.replace("attempts, ", ""),
            ["fake: outbox_job.attempts is NOT NULL without a database default"],
        ),
        (GOOD.replace("outbox_job", "outbox_jobs"), ["'outbox_jobs' is no model's Meta.table"]),
        (
            GOOD.replace("function, kwargs", "function, function, kwargs"),
            ["fake: outbox_job.function listed twice"],
        ),
    ],
    ids=["wrong column", "missing column", "unknown table", "twice"],
)
async def test_the_fence_names_the_table_and_column_at_fault(
    backend: Backend, sql: str, expected: list[str]
) -> None:
    [insert] = parse(sql, "fake")
    found = problems(insert, models_by_table())
    assert len(found) == len(expected), found
    for problem, start in zip(found, expected, strict=True):
        assert start in problem


def test_an_insert_without_a_column_list_is_refused() -> None:
    with pytest.raises(Unreadable, match="fake: INSERT INTO booking without a column list"):
        parse("INSERT INTO booking SELECT * FROM booking", "fake")


def test_the_source_scan_reads_f_strings_and_constants() -> None:
    """As bench/raw_app.py writes it (the table and columns in a module constant), and as
    ``_Written._request`` does (columns from a variable: left to its builder)."""
    tree = ast.parse(
        'COLUMNS = "booking (child_id, dy)"\n'
        'SQL = f"INSERT INTO {COLUMNS} VALUES ($1, $2)" + " ON CONFLICT DO NOTHING"\n'
        'DYNAMIC = f"INSERT INTO request ({columns}) VALUES (1)"\n'
    )
    renderer = _Renderer(tree)
    [constant] = parse(renderer.constants["SQL"], "fake")
    assert constant == Insert("fake", "", "booking", ("child_id", "dy"))
    [dynamic] = parse(renderer.constants["DYNAMIC"], "fake")
    assert dynamic == Insert("fake", "", "request", None)
