"""Logs (resolvers/core/logs.py): plain text by default, one JSON object a line with
FAMILLE_LOG_FORMAT=json carrying the request's context, and secrets masked either way."""

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from resolvers.core import logs
from tests.factories import make_account, make_town, token_for
from tests.samples import IBANS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What a JSON handler on the root logger writes during the test."""
    stream = io.StringIO()
    handler = logs.make_handler(logging.StreamHandler(stream), json_lines=True)
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def run_cli_logging(fmt: str | None) -> str:
    """stderr of a process that sets logging up as the CLI does and logs one line."""
    code = (
        "import cli, logging; cli.configure_logging('serve'); "
        "logging.getLogger('famille.test').warning("
        f"'mandat %s : token=abc123 /activation/xyz789?x=1', {IBANS[0]!r})"
    )
    env = {k: v for k, v in os.environ.items() if k != "FAMILLE_LOG_FORMAT"}
    if fmt:
        env["FAMILLE_LOG_FORMAT"] = fmt
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_plain_text_is_the_default_and_masks_secrets() -> None:
    text = run_cli_logging(None)
    assert " WARNING famille.test mandat … : token=… /activation/…?x=1" in text
    assert not text.startswith("{")
    assert IBANS[0] not in text and "abc123" not in text and "xyz789" not in text


def test_json_lines_with_the_log_format_setting() -> None:
    [line] = run_cli_logging("json").splitlines()
    record = json.loads(line)
    assert record["level"] == "warning" and record["logger"] == "famille.test"
    assert record["message"] == "mandat … : token=… /activation/…?x=1"
    assert record["time"].endswith("+00:00")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("GET /files/AbC-123_x.pdf", "GET /files/…"),
        (
            "lien http://famille.test/mot-de-passe/tok3n?x=1",
            "lien http://famille.test/mot-de-passe/…?x=1",
        ),
        ("Authorization: Bearer eyJhbGciOi.x-y", "Authorization: Bearer …"),
        ("{'password': 'soleil2026', 'email': 'a@b.fr'}", "{'password': '…', 'email': 'a@b.fr'}"),
        ("iban=FR7630006000011234567890189&x=1", "iban=…&x=1"),
        ("compte FR14 2004 1010 0505 0001 3M02 606 fin", "compte … fin"),
        ("rien à masquer : 12 jours", "rien à masquer : 12 jours"),
    ],
)
def test_redaction(text: str, masked: str) -> None:
    assert logs.redact(text) == masked


def test_sql_parameters_are_never_logged() -> None:
    record = logging.LogRecord(
        "tortoise.db_client",
        logging.DEBUG,
        __file__,
        1,
        "%s: %s",
        ('INSERT INTO "child" ("health_notes") VALUES ($1)', ["Asthme : Ventoline"]),
        None,
    )
    assert logs.SecretRedaction().filter(record)
    assert record.getMessage() == (
        'INSERT INTO "child" ("health_notes") VALUES ($1) [paramètres masqués]'
    )


async def test_a_request_logs_its_context_as_json(
    http: httpx.AsyncClient, clock: Any, json_lines: io.StringIO
) -> None:
    # given a parent signed in
    town = await make_town()
    parent = await make_account(town, clock)
    token = await token_for(parent, clock)

    # when the app asks who is signed in, with its request id
    response = await http.post(
        "/graphql",
        json={"query": "query Moi { me { email } }"},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-journal-1"},
    )
    assert response.json() == {"data": {"me": {"email": parent.email}}}

    # then one JSON line says which request, operation and town, and how long it took
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    [line] = [line for line in lines if line["logger"] == "famille.graphql.operations"]
    assert line["request_id"] == "req-journal-1"
    assert line["operation"] == "me"
    assert line["town"] == str(town.id)
    assert line["message"] == "query me: ok"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "info" and "time" in line
    assert token not in json_lines.getvalue()
