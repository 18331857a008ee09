"""Lists of scalars completed at once answer exactly what graphql-core answers item by item:
values, nulls, errors with their paths, awaitables."""

from typing import Any

import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.execution import FamilleExecutionContext


async def _later(value: int) -> int:
    return value


@strawberry.type
class Lists:
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
