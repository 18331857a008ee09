"""Persisted documents: Apollo's automatic persisted queries over POST and GET, and the
trusted-documents mode with its `famille register-documents` command."""

import asyncio
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry.schema.schema as strawberry_schema
from graphql import DocumentNode, parse

from gql.manifests import ManifestError, read_manifest, register_documents
from gql.persisted import _Known
from models.persisted import PersistedDocument
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests.calendar.test_bookings import setup
from tests.conftest import Backend
from tests.live.test_live_subscriptions import CALENDAR_CHANGES, phone
from tests.live.test_live_subscriptions import ws_url as ws_url  # the fixture

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def fresh_query() -> str:
    """A document no test has sent yet (its hash is unknown everywhere)."""
    return f"query Fresh {{ t{uuid.uuid4().hex}: __typename }}"


def alias_of(text: str) -> str:
    return text.split()[3].rstrip(":")


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}


def get_params(text: str) -> dict[str, str]:
    return {"extensions": json.dumps(persisted(text)), "variables": "{}"}


def data_of(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def assert_miss(response: httpx.Response) -> None:
    assert response.status_code == 200  # as Apollo Server: every Apollo client retries
    assert response.json()["errors"] == [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]


async def test_automatic_persisted_query_round_trip_over_post_and_get(
    http: httpx.AsyncClient, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = fresh_query()
    alias = alias_of(text)
    miss = await http.post("/graphql", json={"extensions": persisted(text)})
    assert_miss(miss)
    get_miss = await http.get("/graphql", params=get_params(text), headers={"Accept": "*/*"})
    assert_miss(get_miss)  # a query, not GraphiQL's page, although */* is accepted
    assert get_miss.headers["cache-control"] == "private, no-store"

    registered = await http.post("/graphql", json={"query": text, "extensions": persisted(text)})
    assert data_of(registered) == {alias: "Query"}
    key = f"{get_settings().queue_name}:apq:{sha256(text)}"
    assert await backend.redis.get(key) == text.encode()
    ttl = await backend.redis.ttl(key)
    assert 0 < ttl <= get_settings().persisted_query_ttl_hours * 3600

    parses: list[str] = []

    def counted_parse(source: str, **options: Any) -> DocumentNode:
        parses.append(source)
        return parse(source, **options)

    monkeypatch.setattr(strawberry_schema, "parse", counted_parse)  # what Strawberry calls
    by_post = await http.post("/graphql", json={"extensions": persisted(text)})
    assert data_of(by_post) == {alias: "Query"}
    by_get = await http.get("/graphql", params=get_params(text))
    assert data_of(by_get) == {alias: "Query"}
    assert by_get.headers["cache-control"].startswith("public, max-age=")  # CDN-cacheable
    assert parses == []  # the hash's text comes from the operation cache, parsed once
    other = fresh_query()
    await http.post("/graphql", json={"query": other})
    assert parses == [other]  # (the count sees what Strawberry parses)

    _Known.texts.clear()  # another API process: the text comes from Redis
    assert data_of(await http.get("/graphql", params=get_params(text))) == {alias: "Query"}


async def test_a_hash_that_is_not_the_documents_is_refused_and_not_kept(
    http: httpx.AsyncClient,
) -> None:
    text, other = fresh_query(), fresh_query()
    response = await http.post("/graphql", json={"query": other, "extensions": persisted(text)})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INVALID"}
    assert "provided sha does not match query" in error["message"]
    assert_miss(await http.post("/graphql", json={"extensions": persisted(text)}))
    malformed = await http.post(
        "/graphql", json={"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "x"}}}
    )
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["extensions"] == {"code": "INVALID"}


async def test_a_document_that_fails_validation_is_not_kept(http: httpx.AsyncClient) -> None:
    text = f"query {{ t{uuid.uuid4().hex}: shoeSize }}"
    refused = await http.post("/graphql", json={"query": text, "extensions": persisted(text)})
    assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert_miss(await http.post("/graphql", json={"extensions": persisted(text)}))


async def test_a_persisted_mutation_is_refused_over_get(http: httpx.AsyncClient) -> None:
    text = f"mutation M{uuid.uuid4().hex} {{ logout {{ ok }} }}"
    await http.post("/graphql", json={"query": text, "extensions": persisted(text)})
    response = await http.get("/graphql", params=get_params(text))
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FAMILLE_PERSISTED_ONLY", "true")
    get_settings.cache_clear()
    # This process's registered texts: the other backend's run registered them in its own
    # database (a real process has one).
    _Known.texts.clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_trusted_documents_run_only_registered_documents(
    http: httpx.AsyncClient, backend: Backend, trusted: None
) -> None:
    allowed, other = fresh_query(), fresh_query()
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": sha256(allowed), "name": "Fresh", "type": "query", "body": allowed}],
    }
    relay_text = fresh_query()
    await register_documents(read_manifest(manifest), now=NOW)
    await register_documents(read_manifest({"relay-id-1" + relay_text[-12:]: relay_text}), now=NOW)
    _Known.texts.clear()  # as after a restart: the table knows it (Redis is not asked)
    expected = {alias_of(allowed): "Query"}
    assert data_of(await http.post("/graphql", json={"extensions": persisted(allowed)})) == expected
    assert data_of(await http.get("/graphql", params=get_params(allowed))) == expected
    assert data_of(await http.post("/graphql", json={"query": allowed})) == expected
    relay_id = {"persistedQuery": {"version": 1, "sha256Hash": "relay-id-1" + relay_text[-12:]}}
    relay = await http.post("/graphql", json={"extensions": relay_id})  # by the client's own id
    assert data_of(relay) == {alias_of(relay_text): "Query"}

    for body in (
        {"query": other},  # any other document…
        {"extensions": persisted(other)},  # …its hash…
        {"query": other, "extensions": persisted(other)},  # …or registering it as APQ
        {"query": "{ __schema { types { name } } }"},  # introspection too
    ):
        response = await http.post("/graphql", json=body)
        assert response.status_code == 400, body
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "PERSISTED_QUERY_NOT_ALLOWED"}
        assert error["message"].startswith("Ce portail n'exécute que les documents GraphQL")
    assert await backend.redis.get(f"{get_settings().queue_name}:apq:{sha256(other)}") is None


def test_manifests_are_checked_before_anything_is_written() -> None:
    body = "query A { __typename }"
    with pytest.raises(ManifestError, match="SHA-256"):
        read_manifest(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "0" * 64, "name": "A", "type": "query", "body": body}],
            }
        )
    with pytest.raises(ManifestError, match="non reconnu"):
        read_manifest([body])
    with pytest.raises(ManifestError, match="illisible"):
        read_manifest({"abc": "query {"})
    [relay] = read_manifest({"abc": body})
    assert (relay.document_id, relay.name, relay.operation_type) == ("abc", "A", "query")


async def famille(*args: str) -> tuple[int, str, str]:
    """The command as an operator runs it, on this test's database: exit code, stdout and
    stderr (where its error messages go, with the logs)."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "famille"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(os.environ),
    )
    output, errors = await process.communicate()
    return process.returncode or 0, output.decode(), errors.decode()


async def test_register_documents_reads_apollo_and_relay_manifests(
    backend: Backend, tmp_path: Path
) -> None:
    query, mutation, relay_text = (
        fresh_query(),
        f"mutation M{uuid.uuid4().hex} {{ logout {{ ok }} }}",
        fresh_query(),
    )
    apollo = tmp_path / "persisted-query-manifest.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": sha256(query), "name": "Fresh", "type": "query", "body": query},
                    {"id": sha256(mutation), "name": "M", "type": "mutation", "body": mutation},
                ],
            }
        )
    )
    relay_id = hashlib.md5(relay_text.encode()).hexdigest()  # Relay's default ids
    relay = tmp_path / "persisted_queries.json"
    relay.write_text(json.dumps({relay_id: relay_text}))

    code, output, _ = await famille("register-documents", str(apollo))
    assert (code, output) == (
        0,
        f"2 document(s) enregistré(s), 0 déjà connu(s) (2 lu(s) dans {apollo}).\n",
    )
    code, output, _ = await famille("register-documents", str(apollo), str(relay))
    assert code == 0
    assert output.startswith("1 document(s) enregistré(s), 2 déjà connu(s)")  # idempotent
    rows = {row.document_id: row for row in await PersistedDocument.all()}
    assert rows[sha256(query)].operation_type == "query"
    assert rows[sha256(mutation)].name == "M"
    assert (rows[relay_id].sha256, rows[relay_id].body) == (sha256(relay_text), relay_text)
    assert rows[relay_id].operation_type == "query"

    relay.write_text(json.dumps({relay_id: fresh_query(), "new": fresh_query()}))
    code, _, errors = await famille("register-documents", str(relay))
    assert code == 1
    assert "déjà enregistré pour un autre document : rien n'a été enregistré." in errors
    assert not await PersistedDocument.filter(document_id="new").exists()


async def test_trusted_documents_apply_to_subscriptions_on_the_websocket(
    backend: Backend, clock: FrozenClock, ws_url: str, trusted: None
) -> None:
    f = await setup(clock)
    async with phone(ws_url, backend, clock, f["token"]) as client:
        operation = await client.subscribe(CALENDAR_CHANGES, f["household_id"])
        # Refused at execution, where Strawberry answers with a `next` carrying the error,
        # then completes the operation.
        refusal, done = await client.receive(), await client.receive()
        assert (refusal["id"], refusal["type"]) == (operation, "next")
        assert refusal["payload"]["data"] is None
        assert [e["extensions"]["code"] for e in refusal["payload"]["errors"]] == [
            "PERSISTED_QUERY_NOT_ALLOWED"
        ]
        assert done == {"id": operation, "type": "complete"}
        await register_documents(read_manifest({"calendar": CALENDAR_CHANGES}), now=NOW)
        await client.subscribed(CALENDAR_CHANGES, f["household_id"])  # now it runs
