"""Lists completed at once answer exactly what graphql-core answers item by item: values,
nulls, errors with their paths, awaitables, aliases, fragments, directives."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql import Undefined, execute
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.execution import MAX_SHARED_SELECTIONS, FamilleExecutionContext, Shared


async def _later(value: int) -> int:
    return value


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Inner:
    name: str


@strawberry.type
class Line:
    number: int
    label: str | None
    colour: Colour
    inner: Inner
    tags: list[str]
    maybe_inner: Inner | None = None
    inners: list[Inner] = strawberry.field(default_factory=list)

    @strawberry.field
    def shout(self) -> str:
        return self.label.upper() if self.label else "!"


@dataclass
class Impostor:
    number: int


def lines() -> list[Line]:
    return [
        Line(
            number=n,
            label=None if n == 2 else f"l{n}",
            colour=Colour.RED,
            inner=Inner(name=f"i{n}"),
            tags=[f"t{n}", "x"],
            maybe_inner=Inner(name="m") if n == 1 else None,
            inners=[Inner(name=f"a{n}"), Inner(name=f"b{n}")],
        )
        for n in range(3)
    ]


@strawberry.type
class Lists:
    @strawberry.field
    def lines(self) -> list[Line]:
        return lines()

    @strawberry.field
    def broken_lines(self) -> list[Line] | None:
        items = lines()
        items[1].colour = None  # type: ignore[assignment]
        return items

    @strawberry.field
    def broken_inner(self) -> list[Line] | None:
        items = lines()
        items[2].inner = None  # type: ignore[assignment]
        return items

    @strawberry.field
    def broken_tags(self) -> list[Line] | None:
        items = lines()
        items[1].tags = ["a", None]  # type: ignore[list-item]
        return items

    @strawberry.field
    def odd_inner(self) -> list[Line] | None:
        items = lines()
        items[0].inner = Impostor(1)  # type: ignore[assignment]
        return items

    @strawberry.field
    def strangers(self) -> list[Line] | None:
        return [*lines(), Impostor(9)]  # type: ignore[list-item]

    @strawberry.field
    def numbers(self) -> list[int]:
        return [1, 2, 3]

    @strawberry.field
    def gaps(self) -> list[int | None]:
        return [1, None, 3]

    @strawberry.field
    def broken(self) -> list[int] | None:
        return [1, None, 3]  # type: ignore[list-item]

    @strawberry.field
    def not_numbers(self) -> list[int | None]:
        return [1, "deux", 3]  # type: ignore[list-item]

    @strawberry.field
    def awaited(self) -> list[int]:
        return [_later(1), _later(2)]  # type: ignore[list-item]

    @strawberry.field
    def empty(self) -> list[str]:
        return []


QUERY = "{ numbers gaps broken notNumbers awaited empty }"
OBJECT_QUERIES = [
    "{ lines { number label colour } }",
    "{ lines { n: number __typename label @skip(if: true) ...L } } fragment L on Line { colour }",
    "{ lines { number shout } }",
    "{ lines { number inner { name } } }",
    "{ lines { inner { name __typename } tags maybeInner { name } } }",
    "{ lines { tags @include(if: false) number inner { n: name } } }",
    "{ brokenInner { number inner { name } } }",
    "{ brokenTags { number tags } }",
    "{ oddInner { inner { name } } }",
    "{ brokenLines { number colour } }",
    "{ strangers { number } }",
    "{ lines { number inners { name __typename } } }",
]


async def run(context_class: Any, query: str) -> dict[str, Any]:
    schema = strawberry.Schema(query=Lists, execution_context_class=context_class)
    result = await schema.execute(query)
    return {
        "data": result.data,
        "errors": sorted(
            (error.message, tuple(error.path or ())) for error in (result.errors or [])
        ),
    }


async def test_the_same_answers_as_graphql_core() -> None:
    ours = await run(FamilleExecutionContext, QUERY)
    assert ours == await run(StrawberryGraphQLCoreExecutionContext, QUERY)
    assert ours["data"] == {
        "numbers": [1, 2, 3],
        "gaps": [1, None, 3],
        "broken": None,
        "notNumbers": [1, None, 3],
        "awaited": [1, 2],
        "empty": [],
    }
    assert [path for _, path in ours["errors"]] == [("broken", 1), ("notNumbers", 1)]


@pytest.mark.parametrize("query", OBJECT_QUERIES)
async def test_lists_of_objects_as_graphql_core(query: str) -> None:
    ours = await run(FamilleExecutionContext, query)
    assert ours == await run(StrawberryGraphQLCoreExecutionContext, query)
    assert ours["data"] is not None


async def test_flat_objects_in_their_own_order() -> None:
    ours = await run(FamilleExecutionContext, OBJECT_QUERIES[1])
    assert ours["data"]["lines"][0] == {"n": 0, "__typename": "Line", "colour": "RED"}
    assert list(ours["data"]["lines"][0]) == ["n", "__typename", "colour"]


async def test_nested_flat_objects_are_built_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    by_core = _spy_on_graphql_core(monkeypatch)
    ours = await run(FamilleExecutionContext, OBJECT_QUERIES[4])
    assert ours["data"]["lines"][1] == {
        "inner": {"name": "i1", "__typename": "Inner"},
        "tags": ["t1", "x"],
        "maybeInner": {"name": "m"},
    }
    assert by_core == []


def _spy_on_graphql_core(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The lists and objects that graphql-core completes itself (not the shortcut)."""
    by_core: list[str] = []
    base = StrawberryGraphQLCoreExecutionContext
    complete_list, complete_object = base.complete_iterable_value, base.complete_object_value

    def spy_list(self: Any, item_type: Any, *args: Any) -> Any:
        by_core.append(f"[{item_type}]")
        return complete_list(self, item_type, *args)

    def spy_object(self: Any, return_type: Any, *args: Any) -> Any:
        by_core.append(str(return_type))
        return complete_object(self, return_type, *args)

    monkeypatch.setattr(base, "complete_iterable_value", spy_list)
    monkeypatch.setattr(base, "complete_object_value", spy_object)
    return by_core


class Plain(Enum):
    ONE = 1
    TRUE = True


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Tagged(Named):
    pass


@strawberry.type
class Cell:
    """Every builtin scalar and an enum, and nested objects, with awkward values."""

    text: str | None = "t"
    ident: strawberry.ID | None = strawberry.ID("i")
    count: int | None = 1
    ratio: float | None = 0.5
    flag: bool | None = True
    colour: Colour | None = Colour.RED
    plain: Plain | None = Plain.ONE
    inner: Inner | None = None
    tagged: Tagged | None = None
    numbers: list[int | None] | None = None


async def _later_text() -> str:
    return "later"


def _cells(**values: list[Any]) -> list[Cell]:
    """Three cells, the given field set to each of its three values in turn."""
    cells = [Cell() for _ in range(3)]
    for name, column in values.items():
        for cell, value in zip(cells, column, strict=True):
            setattr(cell, name, value)
    return cells


CELLS = {
    "nulls": _cells(text=[None, Undefined, "x"], count=[Undefined, 2, None]),
    "bools_for_ints": _cells(count=[True, False, True]),
    "bools_and_ints": _cells(count=[1, True, 2], ratio=[True, 1, 2.5]),
    "ints_for_strings": _cells(text=[1, 2, 3], ident=[4, 5, 6]),
    "mixed_strings": _cells(text=["a", 1, False], ident=["a", 1, 2.0]),
    "large_int": _cells(count=[1, 2**31, 3]),
    "small_int": _cells(count=[1, -(2**31) - 1, 3]),
    "int_limits": _cells(count=[2**31 - 1, -(2**31), 0]),
    "float_for_int": _cells(count=[1, 2.0, 3]),
    "fraction_for_int": _cells(count=[1, 2.5, 3]),
    "ints_for_floats": _cells(ratio=[1, 2, 3]),
    "nan": _cells(ratio=[1.0, float("nan"), 2.0]),
    "infinity": _cells(ratio=[1.0, float("inf"), 2.0]),
    "ints_for_bools": _cells(flag=[1, 0, 1]),
    "strings_for_bools": _cells(flag=["yes", True, False]),
    "enum_values": _cells(colour=["red", "blue", Colour.RED]),
    "enum_names": _cells(colour=["RED", Colour.BLUE, Colour.RED]),
    "bad_enum": _cells(colour=[Colour.RED, "green", Colour.BLUE]),
    "one_and_true": _cells(plain=[1, True, Plain.TRUE]),
    "exception": _cells(text=["a", ValueError("boom"), "c"]),
    "exception_enum": _cells(colour=[Colour.RED, ValueError("boom"), Colour.RED]),
    "awaitable": _cells(text=["a", "b", "c"]),
    "wrong_object": _cells(inner=[Inner(name="a"), Impostor(1), None]),
    "interface_object": _cells(tagged=[Tagged(name="a"), None, Tagged(name="b")]),
    "numbers": _cells(numbers=[[1, None], [], None]),
    "bad_numbers": _cells(numbers=[[1, None], ["x"], None]),
    "not_a_list": _cells(numbers=[[1], (2, 3), None]),
}


@strawberry.type
class Cells:
    @strawberry.field
    def cells(self, case: str) -> list[Cell | None] | None:
        if case == "awaitable":
            cells = _cells()
            cells[1].text = _later_text()  # type: ignore[assignment]
            return [*cells, None]
        return [*CELLS[case], None]

    @strawberry.field
    def exact(self) -> list[Cell]:
        return _cells(
            text=["a", "b", "c"],
            ident=["1", "2", "3"],
            count=[1, 2**31 - 1, -(2**31)],
            ratio=[0.5, -1e300, 0.0],
            flag=[True, False, True],
            colour=[Colour.RED, Colour.BLUE, Colour.RED],
            plain=[Plain.ONE, Plain.TRUE, Plain.ONE],
            inner=[Inner(name="a"), None, Inner(name="c")],
            numbers=[[1, None, 3], [], None],
        )

    @strawberry.field
    def texts(self) -> list[str | None]:
        return ["a", None, Undefined, "d"]  # type: ignore[list-item]

    @strawberry.field
    def colours(self) -> list[Colour]:
        return [Colour.RED, Colour.BLUE, Colour.RED]

    @strawberry.field
    def days(self) -> list[date]:
        return [date.min, date(2026, 12, 10), date(987, 6, 5), date.max]


CELL_FIELDS = "text ident count ratio flag colour plain inner { name } numbers"


async def _answer(context_class: Any, query: str, **config: Any) -> dict[str, Any]:
    schema = strawberry.Schema(
        query=Cells,
        types=[Tagged],
        execution_context_class=context_class,
        config=StrawberryConfig(**config),
    )
    result = await schema.execute(query)
    errors = sorted((error.message, tuple(error.path or ())) for error in result.errors or [])
    return {"data": result.data, "errors": errors}


async def _both(query: str, **config: Any) -> dict[str, Any]:
    """Our answer, asserted to be graphql-core's."""
    ours = await _answer(FamilleExecutionContext, query, **config)
    assert ours == await _answer(StrawberryGraphQLCoreExecutionContext, query, **config)
    return ours


@pytest.mark.parametrize("case", sorted(CELLS))
async def test_awkward_values_as_graphql_core(case: str) -> None:
    fields = CELL_FIELDS + " tagged { name }" if case == "interface_object" else CELL_FIELDS
    ours = await _both(f'{{ cells(case: "{case}") {{ {fields} }} }}')
    assert ours["data"] is not None


async def test_values_taken_as_they_are_or_coerced_once(monkeypatch: pytest.MonkeyPatch) -> None:
    query = f"{{ exact {{ {CELL_FIELDS} }} texts colours days }}"
    ours = await _both(query)
    assert ours["errors"] == []
    assert ours["data"]["exact"][1] == {
        "text": "b",
        "ident": "2",
        "count": 2**31 - 1,
        "ratio": -1e300,
        "flag": False,
        "colour": "BLUE",
        "plain": "ONE",  # TRUE = True is an alias of ONE = 1
        "inner": None,
        "numbers": [],
    }
    assert ours["data"]["texts"] == ["a", None, None, "d"]
    assert ours["data"]["days"] == ["0001-01-01", "2026-12-10", "0987-06-05", "9999-12-31"]
    by_core = _spy_on_graphql_core(monkeypatch)
    assert await _answer(FamilleExecutionContext, query) == ours
    assert by_core == []


@pytest.mark.parametrize("case", ["nulls", "bools_for_ints", "ints_for_strings", "one_and_true"])
async def test_coerced_values_without_graphql_core(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = f'{{ cells(case: "{case}") {{ {CELL_FIELDS} }} }}'
    ours = await _both(query)
    by_core = _spy_on_graphql_core(monkeypatch)
    assert await _answer(FamilleExecutionContext, query) == ours
    assert by_core == [] and ours["errors"] == []


def _reading(source: Any, name: str) -> Any:
    """A default resolver that refuses one attribute of one item."""
    if name == "count" and getattr(source, "text", None) == "refused":
        raise LookupError("not this one")
    return getattr(source, name)


async def test_a_custom_default_resolver_as_graphql_core() -> None:
    CELLS["refused"] = _cells(text=["a", "refused", "c"])
    try:
        ours = await _both('{ cells(case: "refused") { text count } }', default_resolver=_reading)
        assert ours["errors"] == [("not this one", ("cells", 1, "count"))]
        ours = await _both('{ cells(case: "nulls") { text count } }', default_resolver=_reading)
        assert ours["errors"] == []
    finally:
        del CELLS["refused"]


@strawberry.type
class Day(Shared):
    """Instances built once and shared by the answers, as the calendar's days."""

    day: date
    colour: Colour
    flag: bool
    until: datetime | None
    note: str


def _days() -> list[Day]:
    return [
        Day(
            day=date(2026, 12, n),
            colour=Colour.RED if n % 2 else Colour.BLUE,
            flag=n % 3 == 0,
            until=datetime(2026, 11, n, 22, 59, tzinfo=UTC) if n % 4 else None,
            note=f"jour {n}",
        )
        for n in range(1, 11)
    ]


SHARED_DAYS = _days()


@strawberry.type
class Days:
    @strawberry.field
    def days(self) -> list[Day]:
        return SHARED_DAYS

    @strawberry.field
    def fresh_days(self) -> list[Day]:
        return _days()

    @strawberry.field
    def broken_days(self) -> list[Day] | None:
        days = _days()
        days[3].note = None  # type: ignore[assignment]
        return days


async def _days_answer(context_class: Any, query: str) -> dict[str, Any]:
    schema = strawberry.Schema(query=Days, execution_context_class=context_class)
    result = await schema.execute(query)
    errors = sorted((error.message, tuple(error.path or ())) for error in result.errors or [])
    return {"data": result.data, "errors": errors}


DAY_QUERIES = [
    "{ days { day colour flag until note } }",
    "{ days { __typename n: note d: day ...F } } fragment F on Day { until colour }",
    "{ days { day note @skip(if: true) flag } freshDays { day note } }",
    "{ brokenDays { day note } }",
]


@pytest.mark.parametrize("query", DAY_QUERIES)
async def test_shared_objects_as_graphql_core(query: str) -> None:
    for _ in range(2):  # completed, then kept
        ours = await _days_answer(FamilleExecutionContext, query)
        assert ours == await _days_answer(StrawberryGraphQLCoreExecutionContext, query)


async def test_shared_objects_are_completed_once_per_selection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    query = "{ days { day colour until } }"
    first = await _days_answer(FamilleExecutionContext, query)
    assert first["data"]["days"][3] == {"day": "2026-12-04", "colour": "BLUE", "until": None}
    assert first["data"]["days"][0]["until"] == "2026-11-01T22:59:00+00:00"
    by_core = _spy_on_graphql_core(monkeypatch)
    read: list[str] = []

    def reading(self: Day, name: str) -> Any:
        read.append(name)
        return object.__getattribute__(self, name)

    monkeypatch.setattr(Day, "__getattribute__", reading)
    second = await _days_answer(FamilleExecutionContext, query)
    assert second == first
    assert by_core == [] and set(read) == {"_completions"}  # looked up, not read again


async def test_a_client_cannot_grow_the_kept_selections_without_end() -> None:
    days = _days()
    for n in range(MAX_SHARED_SELECTIONS + 3):
        schema = strawberry.Schema(query=Days, execution_context_class=FamilleExecutionContext)
        SHARED_DAYS[:] = days
        result = await schema.execute(f"{{ days {{ alias{n}: note }} }}")
        assert result.data == {"days": [{f"alias{n}": f"jour {d}"} for d in range(1, 11)]}
    assert {len(day._completions) for day in days} == {MAX_SHARED_SELECTIONS}
    SHARED_DAYS[:] = _days()


async def test_a_document_s_plan_follows_its_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plans are kept across requests only for selections no variable changes: the same
    parsed document answers each request's @include as graphql-core does."""
    from graphql import parse
    from strawberry.schema._graphql_core import execution_context_class_kwargs

    schema = strawberry.Schema(query=Lists)
    document = parse(
        "query($tags: Boolean!) { lines { number ...T @include(if: $tags) inners { name } } }"
        " fragment T on Line { tags }"
    )

    async def answer(context_class: Any, tags: bool) -> Any:
        result = execute(
            schema._schema,
            document,
            root_value=Lists(),
            variable_values={"tags": tags},
            **execution_context_class_kwargs(context_class),
        )
        return (await result if hasattr(result, "__await__") else result).data

    for tags in (True, False, True):
        ours = await answer(FamilleExecutionContext, tags)
        assert ours == await answer(StrawberryGraphQLCoreExecutionContext, tags)
        assert ("tags" in ours["lines"][0]) is tags
