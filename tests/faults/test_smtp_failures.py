"""SMTP refusing (421 greeting, 451 to MAIL FROM), then hanging (accepts, never answers),
then working: every mail is retried — the hang cut by FAMILLE_SMTP_TIMEOUT_SECONDS — and
delivered once; none lost, none sent twice.

The real arq worker runs in-process, in burst mode, on a queue of its own.
"""

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller

from jobs.outbox import relay_outbox
from jobs.queue import open_pool
from jobs.worker import build_worker
from models.outbox import OutboxJob
from resolvers.core.clock import SystemClock
from resolvers.core.outbox import queue_mail
from settings import get_settings
from tests.conftest import Backend
from tests.faults.services import Collector, free_port

MAILS = 4
# One entry per connection, in order; then every connection reaches the real server.
SCRIPT = ["421", "421", "451", "451", "hang", "hang"]


class FlakySmtp:
    """An SMTP front door that plays ``script`` (one behaviour per connection), then
    forwards to a working aiosmtpd."""

    def __init__(self, upstream_port: int, script: list[str]) -> None:
        self.upstream_port = upstream_port
        self.script = list(script)
        self.connections: list[str] = []
        self.hangs_given_up: list[float] = []  # seconds a client waited on a silent server
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self.script.pop(0) if self.script else "ok"
        self.connections.append(mode)
        with contextlib.suppress(OSError):
            if mode == "421":
                writer.write(b"421 4.3.2 Service indisponible, reessayez plus tard\r\n")
                await writer.drain()
            elif mode == "451":
                await self._refuse_sender(reader, writer)
            elif mode == "hang":
                started = time.monotonic()
                while await reader.read(1024):  # silent until the client gives up
                    pass
                self.hangs_given_up.append(time.monotonic() - started)
            else:
                await self._forward(reader, writer)
        writer.transport.abort()

    @staticmethod
    async def _refuse_sender(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 flaky ESMTP\r\n")
        await writer.drain()
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                return
            answer = {b"EHLO": b"250 flaky\r\n", b"HELO": b"250 flaky\r\n", b"RSET": b"250 ok\r\n"}
            writer.write(answer.get(verb, b"451 4.3.0 Surcharge temporaire\r\n"))
            await writer.drain()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings from variables set by the test, restored (and re-read) afterwards."""
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_smtp_refusing_then_hanging_then_working_delivers_each_mail_once(
    backend: Backend, env: pytest.MonkeyPatch
) -> None:
    collector = Collector()
    upstream = Controller(collector, hostname="127.0.0.1", port=free_port())
    upstream.start()
    flaky = FlakySmtp(upstream.port, SCRIPT)
    await flaky.start()
    for name, value in {
        "FAMILLE_SMTP_HOST": "127.0.0.1",
        "FAMILLE_SMTP_PORT": str(flaky.port),
        "FAMILLE_SMTP_SECURITY": "none",
        "FAMILLE_SMTP_TIMEOUT_SECONDS": "1",
        "FAMILLE_JOB_RETRY_SECONDS": "1",
        # A queue of its own (and job ids of its own): no earlier test's job, result or
        # retry may take the flaky server's failures.
        "FAMILLE_QUEUE_NAME": f"smtp-faults-{os.getpid()}-{time.time_ns()}:queue",
    }.items():
        env.setenv(name, value)
    get_settings.cache_clear()
    clock = SystemClock()
    # No earlier test's unsent mail either: the flaky server's failures must all fall on
    # this test's mails for the counts below to mean anything.
    await OutboxJob.filter(completed_at=None).update(completed_at=clock.now())
    redis = await open_pool(get_settings())
    try:
        jobs = [
            await queue_mail(
                f"smtp-{i}-{os.getpid()}-{time.time_ns()}@exemple.fr",
                "password_changed",
                {"town": "Ville de Test", "first_names": "Anne"},
                clock=clock,
            )
            for i in range(MAILS)
        ]
        await relay_outbox(redis, clock=clock)
        # No cron (crons=False, as the tests' run_jobs): an overdue one (a reminder on the
        # earlier tests' families) would send mails that take the flaky server's failures.
        worker = build_worker(
            get_settings(), redis, burst=True, close_db_on_exit=False, crons=False
        )
        # Burst mode returns once the queue is empty: every retry done.
        await asyncio.wait_for(worker.main(), 120)
    finally:
        await flaky.stop()
        upstream.stop()
        await redis.aclose()

    ours = {job.id for job in jobs}
    rows = await OutboxJob.filter(id__in=ours)
    delivered = [m for m in collector.messages if m["To"] in {job.kwargs["to"] for job in jobs}]
    received_ids = [str(m["Message-ID"]) for m in delivered]
    lost = [job.id for job in jobs if not any(f"outbox-{job.id}@" in i for i in received_ids)]
    duplicated = len(received_ids) - len(set(received_ids))
    failed_attempts = sum(mode != "ok" for mode in flaky.connections)
    print(
        f"\nsmtp: mails={MAILS} connections={flaky.connections} "
        f"attempts={sum(row.attempts for row in rows)} delivered={len(delivered)} "
        f"lost={len(lost)} duplicated={duplicated} hangs_cut_after={flaky.hangs_given_up}"
    )
    # Every refusal and every hang was one failed attempt, then one success per mail.
    assert failed_attempts == len(SCRIPT)
    assert sum(row.attempts for row in rows) == len(SCRIPT) + MAILS
    assert all(row.completed_at is not None and row.last_error == "" for row in rows)
    assert lost == [] and duplicated == 0 and len(delivered) == MAILS
    # The silent server was given up after the timeout (1 s), not waited on forever.
    assert len(flaky.hangs_given_up) == 2
    assert all(0.5 < waited < 5 for waited in flaky.hangs_given_up), flaky.hangs_given_up
