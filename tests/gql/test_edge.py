"""Input from outside refused at the edge, once: NUL bytes, unreadable bodies, long lists."""

from typing import Any

import httpx
import orjson
import pytest
from graphql import GraphQLList, GraphQLNonNull

from gql.edge import LIST_LIMITS, _list_positions
from gql.ids import encode_id
from gql.schema import schema
from models.accounts import AccountRole, LoginAttempt
from models.households import Household
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests import samples
from tests.conftest import GraphQL
from tests.documents.test_documents import UPLOAD, family, stored_count
from tests.factories import make_account, make_household, make_town, token_for

pytestmark = pytest.mark.usefixtures("backend")

CATALOGUE = 'query { catalogue(town: "a\\u0000") { activities { code } } }'
LOGIN = """
mutation($input: LoginInput!) { login(input: $input) { token errors { code message } } }
"""
HOUSEHOLDS = "query($search: String!) { households(search: $search) { totalCount } }"
CREATE_HOUSEHOLD = """
mutation($input: CreateHouseholdInput!) {
  createHousehold(input: $input) { household { id } errors { code field message } }
}
"""
CALENDAR = """
query($householdId: ID!, $childIds: [ID!]) {
  calendar(householdId: $householdId, from: "2026-12-01", to: "2026-12-31",
           childIds: $childIds) { days { date status } }
}
"""


def refused(body: dict[str, Any], field: str) -> str:
    """The single INVALID error of an operation refused before it ran; its message."""
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INVALID", "field": field}, error
    message: str = error["message"]
    return message


async def test_nul_bytes_in_literals_and_variables_are_refused_before_anything_runs(
    api: GraphQL, clock: FrozenClock
) -> None:
    # Given a town, its staff, and a parent's e-mail
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    staff_token = await token_for(staff, clock)
    attempts = await LoginAttempt.filter(tenant_id=town.id).count()
    households = await Household.filter(tenant_id=town.id).count()

    # When strings with a NUL come as a literal, a variable, or nested in lists of inputs
    catalogue = await api(CATALOGUE)
    login = await api(
        LOGIN, {"input": {"town": town.slug, "email": "a\u0000@x.fr", "password": "x"}}
    )
    search = await api(HOUSEHOLDS, {"search": "a\u0000"}, token=staff_token)
    created = await api(
        CREATE_HOUSEHOLD,
        {
            "input": {
                "name": "Famille Nul",
                "addressLine": "1 rue",
                "postalCode": "81100",
                "city": "Castres",
                "guardians": [{"civility": "MADAME", "lastName": "Nul\u0000", "firstNames": "Ana"}],
            }
        },
        token=staff_token,
    )

    # Then each is INVALID, naming the field, in French, and nothing was written
    assert "caractère interdit" in refused(catalogue, "town")
    assert refused(login, "email") == (
        "« email » contient un caractère interdit (caractère nul ou caractère Unicode invalide)."
    )
    refused(search, "search")
    refused(created, "guardians.lastName")
    assert await LoginAttempt.filter(tenant_id=town.id).count() == attempts
    assert await Household.filter(tenant_id=town.id).count() == households


async def test_a_lone_surrogate_is_refused_like_a_nul(api: GraphQL) -> None:
    body = await api('query { catalogue(town: "a\\uD800") { activities { code } } }')
    # graphql-core refuses a lone surrogate in a literal as it parses; in a variable, the
    # JSON decoder refuses it (see the body tests below): either way nothing runs.
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] in ("INVALID", "GRAPHQL_PARSE_FAILED")


async def test_an_uploaded_file_name_with_a_nul_is_refused(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # Given a family; httpx would percent-encode a NUL in a file name: the body is written
    # by hand, as a hostile client would.
    f = await family(clock)
    operations = {
        "query": UPLOAD,
        "variables": {
            "householdId": f["household_id"],
            "input": {"kind": "OTHER", "title": "Certificat"},
            "files": [None],
        },
    }
    parts = [
        b'Content-Disposition: form-data; name="operations"\r\n\r\n' + orjson.dumps(operations),
        b'Content-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.files.0"]}',
        b'Content-Disposition: form-data; name="0"; filename="certif\x00.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + samples.pdf(),
    ]
    body = b"".join(b"--b0undary\r\n" + part + b"\r\n" for part in parts) + b"--b0undary--\r\n"

    # When it is uploaded
    response = await http.post(
        "/graphql",
        content=body,
        headers={
            "Content-Type": "multipart/form-data; boundary=b0undary",
            "Apollo-Require-Preflight": "true",
            "Authorization": f"Bearer {f['token']}",
        },
    )

    # Then it is refused, and nothing is stored
    assert response.status_code == 200, response.text
    refused(response.json(), "files")
    assert await stored_count(f["household"].id) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ me { email } }", "variables": {"x": "\xff\xfe"}}',  # not UTF-8
        b'"{ me { email } }"',  # a JSON string
        b"42",
        b"null",
        b"[1, 2]",  # an array of non-objects
        b'[{"query": "{ me { email } }"}]',  # a batch: not accepted
        b'{"query": "{ me { email } }", "variables": {"x": "\\ud800"}}',  # lone surrogate
        b'{"query": ',  # cut short
    ],
)
async def test_an_unreadable_body_is_a_400_with_a_graphql_error(
    http: httpx.AsyncClient, body: bytes
) -> None:
    # ASGITransport raises whatever the app raises: an answer here is an answer on the wire
    # too (no 500 that resets the keep-alive connection).
    response = await http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert "JSON" in error["message"]


async def test_other_refusals_of_the_http_view_are_graphql_errors_too(
    http: httpx.AsyncClient,
) -> None:
    by_get = await http.get("/graphql", params={"query": "mutation { logout { ok } }"})
    assert by_get.status_code == 405
    assert by_get.json()["errors"][0]["extensions"] == {"code": "METHOD_NOT_ALLOWED"}
    bad_variables = await http.get(
        "/graphql", params={"query": "{ me { email } }", "variables": "[1]"}
    )
    assert bad_variables.status_code == 400
    assert bad_variables.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


async def test_a_list_longer_than_its_maximum_is_refused_before_any_sql(
    api: GraphQL, clock: FrozenClock
) -> None:
    # Given a family and its parent
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    household = await make_household(staff, clock, children=1, guardians=1)
    limit = get_settings().input_max_ids
    household_id = encode_id("Household", household.id)
    staff_token = await token_for(staff, clock)

    # When the calendar is asked for 100,000 children (PostgreSQL takes 32,767 parameters)
    many = [encode_id("Child", n) for n in range(1, 100_001)]
    body = await api(CALENDAR, {"householdId": household_id, "childIds": many}, token=staff_token)

    # Then it is INVALID, naming the argument and its maximum
    assert refused(body, "childIds") == f"« childIds » : {limit} éléments au plus (100000 reçus)."
    # and the maximum itself passes the edge (ids of nobody: the calendar says NOT_FOUND)
    at_most = await api(
        CALENDAR, {"householdId": household_id, "childIds": many[:limit]}, token=staff_token
    )
    assert [e["extensions"]["code"] for e in at_most["errors"]] == ["NOT_FOUND"]


async def test_a_long_literal_list_is_refused_too(api: GraphQL) -> None:
    ids = ", ".join(f'"{encode_id("Invoice", n)}"' for n in range(get_settings().input_max_ids + 1))
    body = await api(f"mutation {{ startPayment(invoiceIds: [{ids}]) {{ errors {{ code }} }} }}")
    refused(body, "invoiceIds")


async def test_each_forbidden_string_of_a_list_is_reported(api: GraphQL) -> None:
    # When a list of ids (whose strings are searched at once) holds two with a NUL
    ids = [encode_id("Child", 1), "a\u0000", encode_id("Child", 2), "b\u0000"]
    body = await api(CALENDAR, {"householdId": encode_id("Household", 1), "childIds": ids})

    # Then each is reported, as when they were searched one by one, and nothing ran
    assert body["data"] is None
    assert [error["extensions"] for error in body["errors"]] == [
        {"code": "INVALID", "field": "childIds"}
    ] * 2


def test_every_list_argument_has_a_documented_maximum() -> None:
    positions = dict(_list_positions(schema._schema))
    assert set(positions) == set(LIST_LIMITS)
    for coordinate, position in positions.items():
        assert "At most " in (position.description or ""), coordinate
        assert isinstance(position.type, GraphQLList | GraphQLNonNull)


async def test_an_upload_that_is_not_a_file_is_refused(api: GraphQL, clock: FrozenClock) -> None:
    # Found by tests/gql/test_fuzz.py: a string where a file goes reached the resolver.
    f = await family(clock)
    variables = {"householdId": f["household_id"], "input": {"kind": "OTHER", "title": "t"}}
    literal = UPLOAD.replace("$files: [Upload!]!", "").replace("files: $files", 'files: ["x.pdf"]')
    by_literal = await api(literal, variables, token=f["token"])
    by_variable = await api(UPLOAD, {**variables, "files": ["x.pdf"]}, token=f["token"])
    for body in (by_literal, by_variable):
        assert refused(body, "files") == (
            "« files » attend un fichier, envoyé en multipart (GraphQL multipart request)."
        )
    assert await stored_count(f["household"].id) == (0, 0)
