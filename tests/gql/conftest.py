"""Fixtures of the GraphQL layer's tests."""

from collections.abc import Iterator
from typing import Any

import pytest

from gql.app import FamilleGraphQL


@pytest.fixture
def compiled_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many answers the compiled path gave (one entry each)."""
    answered: list[int] = []
    original = FamilleGraphQL._compiled_response

    async def counted(self: FamilleGraphQL, request: Any) -> Any:
        response = await original(self, request)
        if response is not None:
            answered.append(response.status_code)
        return response

    monkeypatch.setattr(FamilleGraphQL, "_compiled_response", counted)
    yield answered
