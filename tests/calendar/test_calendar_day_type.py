"""Codegen reads `CalendarDay` as Apollo Kotlin/iOS and graphql-codegen do: the standard
introspection query over HTTP, then the client schema built from it."""

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    build_client_schema,
    get_introspection_query,
)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_calendar_days_are_a_typed_object_for_codegen(http: httpx.AsyncClient) -> None:
    # Given the introspection query codegen tools send, with descriptions
    response = await http.post(
        "/graphql", json={"query": get_introspection_query(descriptions=True)}
    )
    assert response.status_code == 200
    schema = build_client_schema(response.json()["data"])

    # then a calendar line's days are a non-null list of non-null CalendarDay objects
    day = schema.get_type("CalendarDay")
    assert isinstance(day, GraphQLObjectType) and day.description
    line = schema.get_type("CalendarLine")
    assert isinstance(line, GraphQLObjectType)
    assert str(line.fields["days"].type) == "[CalendarDay!]!"
    days = line.fields["days"].type
    assert isinstance(days, GraphQLNonNull) and isinstance(days.of_type, GraphQLList)

    # with these fields, each described, null only for changeableUntil
    assert {name: str(field.type) for name, field in day.fields.items()} == {
        "date": "Date!",
        "status": "DayStatus!",
        "canChange": "Boolean!",
        "changeableUntil": "DateTime",
        "reason": "DayReason!",
        "message": "String!",
    }
    assert all(field.description for field in day.fields.values())

    # and the two enums list every value a day can take, described
    for name, sample in (("DayStatus", "BOOKED"), ("DayReason", "DEADLINE_PASSED")):
        enum = schema.get_type(name)
        assert isinstance(enum, GraphQLEnumType) and sample in enum.values
        assert all(value.description for value in enum.values.values())
