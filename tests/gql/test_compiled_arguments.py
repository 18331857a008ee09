"""A compiled document's variables and arguments (gql/mobile/arguments.py) are what the
general executor makes of them: graphql-core's ``get_variable_values``, then
``get_argument_values`` and Strawberry's ``convert_arguments``. On random variables,
valid and not, for each shipped document: the compiled path refuses (None, the executor
then reports the errors) exactly the variables graphql-core refuses, and otherwise hands
the resolver the same keyword arguments."""

from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse
from graphql.execution.values import get_argument_values, get_variable_values
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.types.arguments import convert_arguments

from gql.ids import encode_id
from gql.mobile import compiled
from gql.mobile.arguments import Arguments
from gql.schema import schema

# A valid set of variables for each shipped document, which the strategy then alters.
VALID: dict[str, dict[str, Any]] = {
    "Calendar": {
        "householdId": encode_id("Household", 1),
        "from": "2026-12-01",
        "to": "2026-12-31",
        "childIds": [encode_id("Child", 1)],
    },
    "Home": {"householdId": encode_id("Household", 1)},
    "SubmitBookingChanges": {
        "householdId": encode_id("Household", 1),
        "idempotencyKey": "clé",
        "input": {
            "days": [
                {
                    "childId": encode_id("Child", 1),
                    "activityId": encode_id("Activity", 3),
                    "action": "BOOK",
                    "dates": ["2026-12-10", "2026-12-11"],
                }
            ],
            "changes": [
                {
                    "childId": encode_id("Child", 2),
                    "activityId": encode_id("Activity", 3),
                    "date": "2026-12-14",
                    "action": "CANCEL",
                }
            ],
        },
    },
}
KEYS = sorted({"householdId", "from", "to", "childIds", "input", "idempotencyKey", "days",
               "changes", "dates", "date", "action", "childId", "activityId", "recurrences",
               "sameForChildIds", "weekdays", "extra"})  # fmt: skip
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["2026-12-01", "2026-02-30", "BOOK", "CANCEL", encode_id("Child", 1)])
    | st.dates().map(lambda day: day.isoformat()),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=12,
)


def the_executors(document: compiled.CompiledDocument, variables: dict[str, Any]) -> Any:
    """What the general executor makes of the variables: graphql-core's errors (a list),
    or the resolver's keyword arguments."""
    arguments = document.arguments
    coerced = get_variable_values(
        schema._schema, document.arguments_only.variable_definitions or (), variables
    )
    if isinstance(coerced, list):
        return coerced
    values = get_argument_values(arguments.field_def, arguments.root, coerced)
    kwargs = convert_arguments(
        values,
        arguments.field.arguments,
        scalar_registry=schema.schema_converter.scalar_registry,
        config=schema.config,
    )
    for extension in arguments.field.extensions:
        kwargs = extension.map_arguments(kwargs)
    return kwargs


def altered(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``valid`` as sent, or with a key removed, replaced or added, at the top or in
    ``input`` (or ``input`` its first ``days`` entry)."""

    def change(target: dict[str, Any], draw: Any) -> None:
        key = draw(st.sampled_from(sorted(target) + ["extra"]))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(VALUES)

    @st.composite
    def strategy(draw: Any) -> dict[str, Any]:
        variables = {**valid}
        where = draw(st.sampled_from(["none", "top", "input", "days"]))
        if where == "top":
            change(variables, draw)
        elif "input" in valid and where in ("input", "days"):
            variables["input"] = {**valid["input"]}
            if where == "input":
                change(variables["input"], draw)
            else:
                variables["input"]["days"] = [{**valid["input"]["days"][0]}]
                change(variables["input"]["days"][0], draw)
        return variables

    return strategy()


def shipped(name: str) -> compiled.CompiledDocument:
    return next(d for d in compiled.COMPILED.values() if d.name == name)


def test_every_shipped_document_has_a_valid_example() -> None:
    assert sorted(d.name for d in compiled.COMPILED.values()) == sorted(VALID)


@pytest.mark.parametrize("name", sorted(VALID))
@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(data=st.data())
def test_compiled_arguments_are_the_executors(name: str, data: st.DataObject) -> None:
    document = shipped(name)
    variables = data.draw(altered(VALID[name]))
    expected = the_executors(document, variables)
    coerced = document.arguments.coerce(variables)
    if isinstance(expected, list):
        assert coerced is None, (variables, expected)
        return
    assert coerced is not None, variables
    assert document.arguments.kwargs(coerced) == expected


def test_a_valid_example_is_converted_not_refused() -> None:
    # The strategy's base cases reach the resolver: the comparison above is not only
    # of refusals.
    for name, variables in VALID.items():
        document = shipped(name)
        coerced = document.arguments.coerce(variables)
        assert coerced is not None, name
        assert document.arguments.kwargs(coerced) == the_executors(document, variables)


def test_a_variable_with_a_default_is_not_compiled() -> None:
    # graphql-core applies the default; the compiled path does not, so it refuses it.
    document = parse(
        'query Home($householdId: ID! = "SG91c2Vob2xkOjE") { home(householdId: $householdId) '
        "{ household { id } } }"
    )
    [operation] = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    home = shipped("Home")
    with pytest.raises(ValueError, match="default"):
        Arguments.compile(operation, home.arguments.field_def, home.root, home.arguments.field)
