"""GraphQL over HTTP as standard clients use it, the local GraphiQL, health and limits."""

import gzip
import re
from collections.abc import MutableMapping
from typing import Any

import brotli
import httpx
import orjson
import pytest
import zstandard
from graphql import GraphQLError

from gql.errors import ErrorPolicy
from tests.conftest import Backend, GraphQL
from tests.factories import make_town

TOWN = "query($slug: String!) { town(slug: $slug) { name passwordPolicy { description } } }"


async def test_get_and_post_queries_answer_the_same(http: httpx.AsyncClient) -> None:
    town = await make_town()
    variables = f'{{"slug": "{town.slug}"}}'
    by_get = await http.get("/graphql", params={"query": TOWN, "variables": variables})
    by_post = await http.post("/graphql", json={"query": TOWN, "variables": {"slug": town.slug}})
    assert by_get.status_code == by_post.status_code == 200
    assert by_get.json() == by_post.json()
    assert by_get.json()["data"]["town"]["passwordPolicy"]["description"] == (
        "Le mot de passe doit contenir au moins 8 caractères, une minuscule, un chiffre."
    )
    assert by_post.headers["x-request-id"]


async def test_mutations_are_refused_over_get(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "mutation { logout { ok } }"})
    assert response.status_code == 405


async def test_graphiql_is_served_from_local_assets(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "famille — GraphiQL" in page.text
    assert not re.search(r"""(src|href)=["']https?://""", page.text)
    assets = re.findall(r"""(?:src|href)=["'](/static/graphiql/[^"']+)["']""", page.text)
    assert {a.rsplit("/", 1)[1] for a in assets} >= {
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "graphiql.min.css",
    }
    for asset in assets:
        response = await http.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 500


async def test_health_reports_database_and_queue(http: httpx.AsyncClient, backend: Any) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["redis"] == ("ok" if backend.name == "postgres" else "embedded")


async def test_unknown_town_is_a_typed_error(api: GraphQL) -> None:
    result = await api(TOWN, {"slug": "atlantide"})
    [error] = result["errors"]
    assert error["extensions"]["code"] == "UNKNOWN_TOWN"
    assert error["message"] == "Aucune commune « atlantide » sur ce portail."


async def test_depth_limit(api: GraphQL) -> None:
    # The schema has no cycle deeper than 12 today; the limiter still guards the future ones.
    deepest_real = "{ me { households { requests { nodes { history { status } } } } } }"
    assert "errors" not in await api(deepest_real)
    too_deep = "{ " + " ".join(f"f{i} {{" for i in range(14)) + " x " + "} " * 14 + "}"
    for _ in range(2):  # the second answer comes from the cache of checked operations
        result = await api(too_deep)
        assert any("exceeds maximum operation depth" in e["message"] for e in result["errors"])
        assert "errors" not in await api(deepest_real)


async def test_alias_limit(api: GraphQL) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(31))
    for _ in range(2):  # checked once, refused every time
        result = await api(f"query {{ {aliases} }}")
        [error] = result["errors"]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "aliases" in error["message"]


async def test_token_limit(api: GraphQL) -> None:
    fields = " ".join(["__typename"] * 2001)
    for _ in range(2):
        result = await api(f"query {{ {fields} }}")
        [error] = result["errors"]
        assert "token" in error["message"].lower()


def test_unexpected_errors_are_masked_with_the_request_id() -> None:
    crash = GraphQLError("boom", original_error=RuntimeError("password=secret in a stack"))
    masked = ErrorPolicy._rewrite(crash, "req-42")
    assert masked.message == "Une erreur inattendue est survenue. Référence : req-42."
    assert masked.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}
    assert "secret" not in str(masked.formatted)


async def test_graphql_response_json_media_type(http: httpx.AsyncClient) -> None:
    # GraphQL over HTTP: clients accepting application/graphql-response+json get it, and a
    # document that fails before execution is a 400 without data; plain JSON clients get 200.
    accept = {"Accept": "application/graphql-response+json"}
    broken = await http.post("/graphql", json={"query": "{ me {"}, headers=accept)
    assert broken.status_code == 400
    assert broken.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in broken.json()
    legacy = await http.post("/graphql", json={"query": "{ me {"})
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")
    ok = await http.post("/graphql", json={"query": "{ me { email } }"}, headers=accept)
    assert ok.status_code == 200
    assert ok.json() == {"data": {"me": None}}


@pytest.mark.parametrize("accept_encoding", [b"", b"gzip", b"br", b"zstd"])
async def test_a_mutation_is_answered_before_its_jobs_are_handed_to_redis(
    backend: Backend, clock: Any, monkeypatch: pytest.MonkeyPatch, accept_encoding: bytes
) -> None:
    """The phone gets its answer first; the outbox relay runs once the body is sent, the
    body compressed or not (gql/compression.py; threshold 0 so that this small one is)."""
    import gql.outbox_relay
    from gql.app import create_app
    from jobs.outbox import relay_outbox
    from settings import get_settings

    monkeypatch.setattr(get_settings(), "compress_min_bytes", 0)

    town = await make_town()
    happened: list[str] = []

    async def watched_relay(*args: Any, **kwargs: Any) -> int:
        happened.append("relay")
        return await relay_outbox(*args, **kwargs)

    monkeypatch.setattr(gql.outbox_relay, "relay_outbox", watched_relay)
    body = orjson.dumps(
        {
            "query": "mutation($town: String!) { requestPasswordReset(town: $town, "
            'email: "personne@example.org") { ok } }',
            "variables": {"town": town.slug},
        }
    )
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"famille.test"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"accept-encoding", accept_encoding),
        ],
        "client": ("198.51.100.7", 40000),
        "server": ("famille.test", 80),
    }
    chunks: list[bytes] = []
    encodings: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            encodings.extend(v for k, v in message["headers"] if k == b"content-encoding")
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                happened.append("answer")

    await create_app(clock=clock, redis=backend.redis)(scope, receive, send)
    assert encodings == ([accept_encoding] if accept_encoding else [])
    decoded = {
        b"": bytes,
        b"gzip": gzip.decompress,
        b"br": brotli.decompress,
        b"zstd": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
    }[accept_encoding](b"".join(chunks))
    assert orjson.loads(decoded)["data"]["requestPasswordReset"]["ok"] is True
    assert happened == ["answer", "relay"]
