"""What a client reads when a request fails: Apollo's codes, GraphQL error bodies for HTTP
refusals, variables' context, the argument at fault; and the caching headers of GET."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from models.accounts import AccountRole
from settings import get_settings
from tests.factories import make_account, make_household, make_town, token_for

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
CATALOGUE = "query($town: String!) { catalogue(town: $town) { activities { code } } }"
CALENDAR = (
    "query($household: ID!, $from: Date!) {\n"
    "  calendar(householdId: $household, from: $from, to: $from) {\n"
    "    days { date status }\n"
    "  }\n"
    "}"
)


async def test_a_syntax_error_is_a_parse_failure(http: httpx.AsyncClient) -> None:
    for _ in range(2):  # syntax errors are never cached: the second one is parsed again
        response = await http.post("/graphql", json={"query": "{ me {"})
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
        assert error["message"] == "Syntax Error: Expected Name, found <EOF>."
        assert error["locations"] == [{"line": 1, "column": 7}]
    unknown_field = await http.post("/graphql", json={"query": "{ me { shoeSize } }"})
    [error] = unknown_field.json()["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2027-02-30", "day is out of range for month"),
        ("hier", "Invalid isoformat string: 'hier'"),
    ],
)
async def test_a_variable_that_fails_coercion_is_bad_user_input(
    http: httpx.AsyncClient, value: str, reason: str
) -> None:
    variables = {"household": "SG91c2Vob2xkOjE", "from": value}
    for _ in range(2):  # the document is checked once, its variables every time
        response = await http.post("/graphql", json={"query": CALENDAR, "variables": variables})
        assert response.status_code == 200
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}
        # graphql-core 3.3's context (3.2 said "got invalid value '…'; …").
        assert error["message"] == (
            f"Variable '$from' has invalid value: Value cannot represent a Date: \"{value}\". "
            f"{reason}"
        )
        assert error["locations"] == [{"line": 1, "column": 24}]  # `$from: Date!`
    missing = await http.post("/graphql", json={"query": CALENDAR, "variables": {"household": "x"}})
    [error] = missing.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"] == (
        "Variable '$from' has invalid value: "
        "Expected a value of non-null type 'Date!' to be provided."
    )


async def test_household_ids_at_fault_name_the_id_argument(
    http: httpx.AsyncClient, clock: Any
) -> None:
    town, elsewhere = await make_town(), await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    foreign = await make_household(
        await make_account(elsewhere, clock, role=AccountRole.AGENT), clock
    )
    headers = {"Authorization": f"Bearer {await token_for(staff, clock)}"}
    from gql.ids import encode_id

    expected = {
        "!!!": "INVALID",  # not an id at all
        encode_id("Child", 1): "INVALID",  # the id of something else
        encode_id("Household", foreign.id): "NOT_FOUND",  # another town's file
        encode_id("Household", 10**9): "NOT_FOUND",  # no such file
    }
    for household_id, code in expected.items():
        response = await http.post(
            "/graphql",
            json={
                "query": "query($id: ID!) { household(id: $id) { name } }",
                "variables": {"id": household_id},
            },
            headers=headers,
        )
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": code, "field": "id"}, household_id


def _assert_graphql_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": code}
    assert set(response.json()) == {"errors"}
    message: str = error["message"]
    return message


async def test_http_refusals_are_graphql_error_bodies(http: httpx.AsyncClient) -> None:
    missing = await http.post("/graphql", json={"variables": {}})
    assert _assert_graphql_error(missing, 400, "BAD_REQUEST").startswith("Aucune requête GraphQL")
    missing_get = await http.get("/graphql", headers={"Accept": "application/json"})
    assert _assert_graphql_error(missing_get, 400, "BAD_REQUEST").startswith(
        "Aucune requête GraphQL"
    )
    assert missing_get.headers["cache-control"] == "private, no-store"
    undecodable = await http.post(
        "/graphql", content=b'{"query": "{ me', headers={"Content-Type": "application/json"}
    )
    assert "JSON" in _assert_graphql_error(undecodable, 400, "BAD_REQUEST")
    bad_variables = await http.get("/graphql", params={"query": CALENDAR, "variables": "{nope"})
    assert "JSON" in _assert_graphql_error(bad_variables, 400, "BAD_REQUEST")
    form = await http.post(
        "/graphql",
        data={"operations": '{"query": "{ me { email } }"}', "map": "{}"},
        files={"0": ("a.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert "Apollo-Require-Preflight" in _assert_graphql_error(form, 400, "BAD_REQUEST")
    text = await http.post("/graphql", content=b"{ me { email } }")
    assert "Type de contenu" in _assert_graphql_error(text, 400, "BAD_REQUEST")
    mutation = await http.get("/graphql", params={"query": "mutation { logout { ok } }"})
    assert _assert_graphql_error(mutation, 405, "METHOD_NOT_ALLOWED") == (
        "Les mutations s'envoient en POST, pas en GET."
    )
    assert mutation.headers["allow"] == "POST"


async def test_http_refusals_follow_the_accepted_media_type(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={}, headers={"Accept": f"{GRAPHQL_RESPONSE_JSON}, application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.fixture
def max_age(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("FAMILLE_PUBLIC_CACHE_MAX_AGE_SECONDS", "90")
    get_settings.cache_clear()
    yield 90
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_get_answers_say_whether_a_cache_may_keep_them(
    http: httpx.AsyncClient, clock: Any, max_age: int
) -> None:
    town = await make_town()
    params = {"query": CATALOGUE, "variables": f'{{"town": "{town.slug}"}}'}
    public = await http.get("/graphql", params=params)
    assert public.json() == {"data": {"catalogue": {"activities": []}}}
    assert public.headers["cache-control"] == f"public, max-age={max_age}"
    assert public.headers["vary"] == "Accept, Authorization"

    parent = await make_account(town, clock)
    token = await token_for(parent, clock)
    for authorization in (f"Bearer {token}", "Bearer expired-or-forged"):
        private = await http.get(
            "/graphql", params=params, headers={"Authorization": authorization}
        )
        assert private.json() == public.json()
        assert private.headers["cache-control"] == "private, no-store"

    unknown_town = await http.get(
        "/graphql", params={"query": CATALOGUE, "variables": '{"town": "atlantide"}'}
    )
    assert unknown_town.json()["errors"][0]["extensions"]["code"] == "UNKNOWN_TOWN"
    assert unknown_town.headers["cache-control"] == "private, no-store"
    broken = await http.get("/graphql", params={"query": "{ catalogue {"})
    assert broken.headers["cache-control"] == "private, no-store"

    by_post = await http.post(
        "/graphql", json={"query": CATALOGUE, "variables": {"town": town.slug}}
    )
    assert by_post.json() == public.json()
    assert by_post.headers["cache-control"] == "no-store"  # never cached (gql/security_headers.py)
