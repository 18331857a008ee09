"""The whole schema fuzzed (hypothesis-graphql, fixed seed): whatever a client sends, as
anybody, parent or staff, the answer is never a 5xx nor an INTERNAL_SERVER_ERROR.

Each generated operation (queries and mutations, NUL bytes allowed in its strings) is sent
three ways: as generated (literals), with its root arguments as variables and the first
list among them blown up past every maximum, and as a body with a byte that is not UTF-8.
"""

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import httpx
import orjson
import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    NameNode,
    OperationDefinitionNode,
    VariableDefinitionNode,
    VariableNode,
    parse_type,
    print_ast,
    value_from_ast_untyped,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema, nodes

from gql.ids import encode_id
from gql.schema import schema
from models.accounts import AccountRole
from models.households import Guardian
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)

pytestmark = pytest.mark.usefixtures("backend")

# Ids a client could know, by the type they name; replaced by the fixture's real ones.
KNOWN = ("Household", "Child", "Activity", "Site", "Period", "Guardian", "Account")
# Root fields that would end the session the next examples use.
SESSION_ENDERS = {"logout", "changePassword"}
EXAMPLES = 150
HUGE = 40_000  # past every list maximum, and past PostgreSQL's 32,767 parameters

_ID = st.one_of(
    st.sampled_from([f"@{name}" for name in KNOWN]),
    # a known type with a number past its column's range (PostgreSQL's integer, bigint)
    st.sampled_from([encode_id(name, pk) for name in KNOWN for pk in (2**31, 2**63)]),
    st.text(max_size=24),
).map(nodes.String)
_DATE = st.one_of(
    st.dates(min_value=date(2026, 8, 1), max_value=date(2027, 8, 31)), st.dates()
).map(lambda day: nodes.String(day.isoformat()))
_DATETIME = st.datetimes(timezones=st.just(UTC)).map(lambda at: nodes.String(at.isoformat()))
ROOT_FIELDS = [
    name
    for root in (schema._schema.query_type, schema._schema.mutation_type)
    if root is not None
    for name in root.fields
    if name not in SESSION_ENDERS
]
OPERATIONS = from_schema(
    schema._schema,
    fields=ROOT_FIELDS,
    custom_scalars={
        "ID": _ID,
        "Date": _DATE,
        "DateTime": _DATETIME,
        "Upload": st.just(nodes.String("certificat.pdf")),
    },
    print_ast=lambda document: document,
)


async def world(clock: FrozenClock) -> dict[str, Any]:
    """A town with its canteen, a family of two children enrolled, its parent and staff."""
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock, capacity=10)
    household = await make_household(staff, clock, children=2, guardians=2)
    child_ids = await enroll_all(staff, household, catalogue, clock)
    parent = await make_account(town, clock)
    guardian = await Guardian.filter(household=household).order_by("id").first()
    assert guardian is not None
    await Guardian.filter(id=guardian.id).update(account_id=parent.id)
    ids = {
        "Household": household.id,
        "Child": child_ids[0],
        "Activity": catalogue.canteen.id,
        "Site": catalogue.site.id,
        "Period": catalogue.period.id,
        "Guardian": guardian.id,
        "Account": parent.id,
    }
    return {
        "town": town.slug,
        "ids": {f'"@{name}"': f'"{encode_id(name, id)}"' for name, id in ids.items()},
        "tokens": {
            "anonymous": None,
            "parent": await token_for(parent, clock),
            "staff": await token_for(staff, clock),
        },
    }


def with_known_ids(text: str, known: dict[str, str]) -> str:
    for placeholder, real in known.items():
        text = text.replace(placeholder, real)
    return text


def as_variables(document: DocumentNode) -> tuple[DocumentNode, dict[str, Any]] | None:
    """The operation with each root argument as a variable, and the first list among the
    values repeated past ``HUGE`` items; None when it passes no list."""
    [operation] = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    root = schema._schema.get_root_type(operation.operation)
    assert root is not None
    definitions: list[VariableDefinitionNode] = []
    variables: dict[str, Any] = {}
    selections: list[FieldNode] = []
    for selection in operation.selection_set.selections:
        assert isinstance(selection, FieldNode)
        field = root.fields[selection.name.value]
        arguments = []
        for argument in selection.arguments or ():
            name = f"v{len(variables)}"
            variables[name] = value_from_ast_untyped(argument.value)
            definitions.append(
                VariableDefinitionNode(
                    variable=VariableNode(name=NameNode(value=name)),
                    type=parse_type(str(field.args[argument.name.value].type)),
                    directives=(),
                )
            )
            arguments.append(replace(argument, value=VariableNode(name=NameNode(value=name))))
        selections.append(replace(selection, arguments=tuple(arguments)))
    if not _blow_up_first_list(variables):
        return None
    operation = replace(
        operation,
        variable_definitions=tuple(definitions),
        selection_set=replace(operation.selection_set, selections=tuple(selections)),
    )
    return DocumentNode(definitions=(operation,)), variables


def _blow_up_first_list(value: Any) -> bool:
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    if isinstance(value, list) and value:
        value.extend(value[i % len(value)] for i in range(HUGE))
        return True
    if isinstance(value, dict):
        for key, item in list(value.items()):
            if isinstance(item, list) and item:
                value[key] = item * (HUGE // len(item) + 1)
                return True
    return any(_blow_up_first_list(item) for item in items)


async def send(http: httpx.AsyncClient, body: bytes, token: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post("/graphql", content=body, headers=headers)


def assert_handled(response: httpx.Response, sent: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text, sent)
    body = response.json()
    codes = [(error.get("extensions") or {}).get("code") for error in body.get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes, (body, sent)


@pytest.fixture
async def fuzzed_world(clock: FrozenClock) -> dict[str, Any]:
    clock.current = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    return await world(clock)


@pytest.mark.parametrize("identity", ["anonymous", "parent", "staff"])
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(document=OPERATIONS)
async def test_no_operation_makes_the_server_fail(
    http: httpx.AsyncClient, fuzzed_world: dict[str, Any], identity: str, document: DocumentNode
) -> None:
    token = fuzzed_world["tokens"][identity]
    known = fuzzed_world["ids"]
    query = with_known_ids(print_ast(document), known)

    # As generated: literals, NUL bytes and all.
    body = orjson.dumps({"query": query})
    assert_handled(await send(http, body, token), query)

    # Its arguments as variables, with a huge list.
    blown_up = as_variables(document)
    if blown_up is not None:
        variables_document, variables = blown_up
        text = with_known_ids(print_ast(variables_document), known)
        body = orjson.dumps({"query": text, "variables": variables})
        assert_handled(await send(http, body, token), text)

    # With a byte that is not UTF-8 in the middle of its JSON (a body blown up past the
    # server's cap is refused before it is read: 413).
    broken = body[:-2] + b"\xff" + body[-2:]
    response = await send(http, broken, token)
    too_large = len(broken) > get_settings().request_max_mb * 1024 * 1024
    assert response.status_code == (413 if too_large else 400), response.text
    code = "REQUEST_TOO_LARGE" if too_large else "BAD_REQUEST"
    assert response.json()["errors"][0]["extensions"]["code"] == code
