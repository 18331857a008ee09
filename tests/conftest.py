"""Test harness: the whole suite runs twice, on PostgreSQL + Redis + SMTP and on SQLite +
embedded fakeredis + .eml files, the two ways the service is deployed.

The real servers must be up (see docs/development.md); a missing one is an error, never a skip.
"""

import email
import logging
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from arq import ArqRedis
from tortoise import Tortoise

from resolvers.core import logs
from settings import Settings, get_settings

POSTGRES_ADMIN_URL = os.environ.get(
    "FAMILLE_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("FAMILLE_TEST_REDIS", "redis://127.0.0.1:6379/15")
# Names of this run only, so that several runs (developers, CI) never disturb each other.
RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
TEST_DATABASE = f"famille_test_{RUN_ID}"

_TMP = Path(tempfile.mkdtemp(prefix="famille-tests-"))

# Every log record of the session, at DEBUG, through the production redaction and JSON
# format (resolvers/core/logs.py): tests/test_log_secrets.py, run last, reads it back
# for the secrets the suite used.
SUITE_LOG = _TMP / "suite.log"
SECRETS_USED: set[str] = set()
logging.getLogger().addHandler(
    logs.make_handler(logging.FileHandler(SUITE_LOG, encoding="utf-8"), json_lines=True)
)
logging.getLogger().setLevel(logging.DEBUG)
os.environ.update(
    {
        "FAMILLE_PUBLIC_URL": "http://famille.test",
        "FAMILLE_QUEUE_NAME": f"famille-test-{RUN_ID}:queue",
        "FAMILLE_MAIL_FROM": "Portail Famille <ne-pas-repondre@famille.test>",
    }
)


class _Collector:
    """aiosmtpd handler keeping every received message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@dataclass
class Backend:
    """One deployment shape under test."""

    name: str
    settings: Settings
    redis: ArqRedis
    smtp: _Collector | None
    outbox_dir: Path


@dataclass
class Mailbox:
    """What the service mailed, from the SMTP server or from the .eml outbox."""

    backend: Backend
    seen: set[str] = field(default_factory=set)

    def all(self) -> list[EmailMessage]:
        if self.backend.smtp is not None:
            return list(self.backend.smtp.messages)
        messages = []
        for path in sorted(self.backend.outbox_dir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
            assert isinstance(message, EmailMessage)
            messages.append(message)
        return messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.all() if m["To"] == address]

    @staticmethod
    def text(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())


@pytest.fixture(scope="session")
def smtp_server() -> Any:
    handler = _Collector()
    with socket.socket() as probe:  # aiosmtpd cannot take port 0: ask the OS for a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, handler
    controller.stop()


async def _admin(statement: str) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@pytest.fixture(scope="session", params=["postgres", "sqlite"])
async def backend(request: pytest.FixtureRequest, smtp_server: Any) -> AsyncIterator[Backend]:
    """Migrate a brand-new database from zero, then point the ORM and the queue at it."""
    from jobs.queue import open_pool
    from models.database import migrate

    outbox_dir = _TMP / request.param / "outbox"
    env: dict[str, str] = {"FAMILLE_OUTBOX_DIR": str(outbox_dir)}
    if request.param == "postgres":
        await _admin(f"CREATE DATABASE {TEST_DATABASE}")
        controller, handler = smtp_server
        env |= {
            "FAMILLE_DATABASE_URL": POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{TEST_DATABASE}",
            "FAMILLE_REDIS_URL": REDIS_URL,
            "FAMILLE_SMTP_HOST": "127.0.0.1",
            "FAMILLE_SMTP_PORT": str(controller.port),
            "FAMILLE_SMTP_SECURITY": "none",
        }
        smtp = handler
    else:
        database = _TMP / "sqlite" / "famille.sqlite3"
        database.parent.mkdir(parents=True, exist_ok=True)
        env["FAMILLE_DATABASE_URL"] = f"sqlite://{database}"
        for name in ("FAMILLE_REDIS_URL", "FAMILLE_SMTP_HOST"):
            os.environ.pop(name, None)
        smtp = None
    os.environ.update(env)
    get_settings.cache_clear()
    settings = get_settings()
    await migrate(settings)
    await Tortoise.init(config=settings.tortoise_config(), _enable_global_fallback=True)
    redis = await open_pool(settings)
    yield Backend(request.param, settings, redis, smtp, outbox_dir)
    await redis.aclose()
    await Tortoise.close_connections()
    shutil.rmtree(outbox_dir, ignore_errors=True)
    if request.param == "postgres":
        await _admin(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)")


@pytest.fixture
def clock() -> Any:
    from resolvers.core.clock import FrozenClock

    return FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def mailbox(backend: Backend) -> Mailbox:
    return Mailbox(backend)


@pytest.fixture
async def http(backend: Backend, clock: Any) -> AsyncIterator[httpx.AsyncClient]:
    from gql.app import create_app

    app = create_app(clock=clock, redis=backend.redis)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://famille.test",
        event_hooks={"request": [_remember_bearer_token]},
    ) as client:
        yield client


async def _remember_bearer_token(request: httpx.Request) -> None:
    """Each session token a test sends is a secret the logs must never show."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and len(token) >= 16:
        SECRETS_USED.add(token.strip())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The scan of the session's logs runs after every other test."""
    last = [item for item in items if "test_log_secrets.py::" in item.nodeid]
    others = [item for item in items if item not in last]
    items[:] = others + last


class GraphQL:
    """Posts GraphQL documents as a client app would; returns the decoded JSON body."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def api(http: httpx.AsyncClient) -> GraphQL:
    return GraphQL(http)


@pytest.fixture
def run_jobs(backend: Backend, clock: Any) -> Callable[[], Awaitable[None]]:
    """Run the real arq worker until the queue is empty (burst mode): the jobs the test
    queued, and of the crons only the outbox relay at start; the others follow the wall
    clock, not the test's (``build_worker``)."""
    from jobs.outbox import relay_outbox
    from jobs.worker import build_worker

    async def run() -> None:
        await relay_outbox(backend.redis, clock=clock)
        worker = build_worker(
            backend.settings,
            backend.redis,
            burst=True,
            close_db_on_exit=False,
            crons=False,
            ctx={"clock": clock},
        )
        await worker.main()

    return run


@pytest.fixture
def compiled_answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The statuses of the answers the mobile app's compiled path gave (gql/mobile), one
    entry each."""
    from gql.app import FamilleGraphQL

    answered: list[int] = []
    original = FamilleGraphQL._compiled_response

    async def counted(self: Any, request: Any) -> Any:
        response = await original(self, request)
        if response is not None:
            answered.append(response.status_code)
        return response

    monkeypatch.setattr(FamilleGraphQL, "_compiled_response", counted)
    yield answered
