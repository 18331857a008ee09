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
