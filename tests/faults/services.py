"""Services the fault tests own: a redis-server on a port of their own, `famille serve` and
`famille worker` as real processes, an SMTP collector. Never the machine's shared ones."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.conftest import _Collector

ROOT = Path(__file__).resolve().parents[2]
FAMILLE = Path(sys.executable).parent / "famille"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """redis-server on its own port, without persistence: a restart comes back empty, the
    worst case for the jobs it held."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="famille-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        """SIGKILL: no goodbye to the clients, data gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(5)
            self.process = None


class Famille:
    """One `famille <command>` process with its log file."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [str(FAMILLE), *command],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 20) -> int:
        if self.running():
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(5)
        self._log_file.close()
        return code


async def wait_until_answering(base_url: str, process: Famille, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            assert process.running(), process.text()
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"the API did not answer:\n{process.text()}")


async def wait_for_log(process: Famille, text: str, count: int = 1, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while process.text().count(text) < count:
        assert time.monotonic() < deadline, f"waited for {text!r}:\n{process.text()}"
        await asyncio.sleep(0.2)


class Collector(_Collector):
    """The suite's aiosmtpd handler, counted by recipient and by Message-ID."""

    def count_by_recipient(self) -> Counter[str]:
        return Counter(str(message["To"]) for message in self.messages)

    def duplicated_ids(self) -> list[str]:
        ids = Counter(str(message["Message-ID"]) for message in self.messages)
        return [message_id for message_id, n in ids.items() if n > 1]


def service_env(**overrides: str) -> dict[str, str]:
    """The test run's environment (its database, queue name, public URL) plus overrides."""
    return {**os.environ, **overrides, "PYTHONUNBUFFERED": "1"}
