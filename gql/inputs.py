"""Copying GraphQL inputs into the resolvers' form dataclasses, which share their fields."""

from typing import Any, TypeVar

import strawberry

T = TypeVar("T")


def to_form(form_type: type[T], data: object) -> T:
    """``form_type(**input)``: the input's fields are the form's, by design."""
    values: dict[str, Any] = strawberry.asdict(data)
    return form_type(**values)
