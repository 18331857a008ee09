"""Lists completed at once answer exactly what graphql-core answers item by item: values,
nulls, errors with their paths, awaitables, aliases, fragments, directives."""

from dataclasses import dataclass
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.execution import FamilleExecutionContext


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
    built: list[str] = []
    complete_flat = FamilleExecutionContext._complete_flat

    def spy(self: FamilleExecutionContext, object_type: Any, *args: Any) -> Any:
        built.append(object_type.name)
        return complete_flat(self, object_type, *args)

    monkeypatch.setattr(FamilleExecutionContext, "_complete_flat", spy)
    ours = await run(FamilleExecutionContext, OBJECT_QUERIES[4])
    assert ours["data"]["lines"][1] == {
        "inner": {"name": "i1", "__typename": "Inner"},
        "tags": ["t1", "x"],
        "maybeInner": {"name": "m"},
    }
    assert built.count("Line") == 3 and built.count("Inner") == 4
