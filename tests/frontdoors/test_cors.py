"""CORS for the browser front ends of FAMILLE_CORS_ORIGINS, and none for anyone else."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from settings import get_settings
from tests.conftest import Backend

FRONT_END = "https://famille.ville.example"
OTHER_SITE = "https://ailleurs.example"
QUERY = {"query": "{ __typename }"}
PREFLIGHT_HEADERS = (
    "content-type, authorization, apollo-require-preflight, graphql-require-preflight, "
    "x-apollo-operation-name"
)


@pytest.fixture
def cors_origins(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FAMILLE_CORS_ORIGINS", f"{FRONT_END}, http://localhost:5173")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
async def cors_http(
    cors_origins: None, backend: Backend, clock: Any
) -> AsyncIterator[httpx.AsyncClient]:
    from gql.app import create_app

    app = create_app(clock=clock, redis=backend.redis)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://famille.test") as client:
        yield client


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": PREFLIGHT_HEADERS,
    }


async def test_an_allowed_front_end_gets_its_preflight(cors_http: httpx.AsyncClient) -> None:
    # when the front end's browser asks before posting JSON with a token and an upload header
    response = await cors_http.options("/graphql", headers=preflight(FRONT_END))

    # then it may
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONT_END
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert allowed >= {h.strip() for h in PREFLIGHT_HEADERS.split(",")}
    assert "access-control-allow-credentials" not in response.headers
    # and its request itself is answered with the grant
    answer = await cors_http.post("/graphql", json=QUERY, headers={"Origin": FRONT_END})
    assert answer.json() == {"data": {"__typename": "Query"}}
    assert answer.headers["access-control-allow-origin"] == FRONT_END


async def test_another_origin_gets_no_grant(cors_http: httpx.AsyncClient) -> None:
    response = await cors_http.options("/graphql", headers=preflight(OTHER_SITE))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    answer = await cors_http.post("/graphql", json=QUERY, headers={"Origin": OTHER_SITE})
    assert "access-control-allow-origin" not in answer.headers


async def test_same_origin_requests_are_unaffected(cors_http: httpx.AsyncClient) -> None:
    answer = await cors_http.post("/graphql", json=QUERY)
    assert answer.status_code == 200
    assert answer.json() == {"data": {"__typename": "Query"}}
    assert not [name for name in answer.headers if name.startswith("access-control-")]


async def test_without_the_setting_no_cors_header_at_all(http: httpx.AsyncClient) -> None:
    assert get_settings().cors_origins == []
    response = await http.options("/graphql", headers=preflight(FRONT_END))
    assert not [name for name in response.headers if name.startswith("access-control-")]
    answer = await http.post("/graphql", json=QUERY, headers={"Origin": FRONT_END})
    assert answer.json() == {"data": {"__typename": "Query"}}
    assert not [name for name in answer.headers if name.startswith("access-control-")]


async def test_the_upload_csrf_guard_still_holds_for_an_allowed_origin(
    cors_http: httpx.AsyncClient,
) -> None:
    # a multipart request without a preflight header (what a cross-site form sends) is refused
    operations = '{"query": "{ __typename }", "variables": {}}'
    response = await cors_http.post(
        "/graphql",
        headers={"Origin": FRONT_END},
        files={"operations": (None, operations), "map": (None, "{}")},
    )
    assert response.status_code == 400
    assert "Apollo-Require-Preflight" in response.text


@pytest.mark.parametrize(
    "origin", ["*", "https://ville.example/", "https://ville.example/app", "ville.example"]
)
def test_an_inexact_origin_is_refused_at_start_up(
    origin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import ValidationError

    from settings import Settings

    monkeypatch.setenv("FAMILLE_CORS_ORIGINS", origin)
    with pytest.raises(ValidationError, match="origine exacte"):
        Settings()
