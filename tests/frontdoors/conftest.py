"""Front doors from the outside: the real app served by uvicorn on a free port, driven by the
ecosystem's own clients (GraphiQL in Chromium, Apollo Client, graphql-ws) from Node scripts
in tests/clients/.

Node, the clients' node_modules (``npm ci`` in tests/clients) and Chromium are installed by
scripts/test; a missing one fails these tests, it never skips them.
"""

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from gql.app import create_app
from jobs.outbox import relay_outbox
from resolvers.core.clock import FrozenClock
from tests.conftest import Backend
from tests.served import served

CLIENTS_DIR = Path(__file__).parent.parent / "clients"
CHROMIUM = os.environ.get("FAMILLE_TEST_CHROMIUM", "/usr/bin/chromium")

# Generous bounds for a loaded CI machine; a passing test never waits for them.
WAIT = 60.0


@pytest.fixture
async def live_url(backend: Backend, clock: FrozenClock) -> AsyncIterator[str]:
    """The API served by uvicorn on a free port, in the tests' event loop and database."""
    async with served(create_app(clock=clock, redis=backend.redis)) as port:
        # The factories wrote their rows without an API around them: publish their events
        # now, so that the clients hear only of what the test does next.
        await relay_outbox(backend.redis, clock=clock)
        yield f"http://127.0.0.1:{port}"


def node_executable() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (scripts/test needs Node.js 18 or later)")
    if not (CLIENTS_DIR / "node_modules" / ".package-lock.json").exists():
        pytest.fail("tests/clients/node_modules is missing: run `npm ci` in tests/clients")
    return node


class NodeScript:
    """A Node script of tests/clients/ in a subprocess: JSON lines out, "go" lines in."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name

    async def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), WAIT)
        if not line:
            await self.finish()
            pytest.fail(f"{self.name} ended without answering")
        message: dict[str, Any] = json.loads(line)
        return message

    async def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        await self.process.stdin.drain()

    async def finish(self) -> None:
        """Wait for the exit; a non-zero exit fails the test with the script's stderr."""
        assert self.process.stderr is not None
        stderr = await asyncio.wait_for(self.process.stderr.read(), WAIT)
        code = await asyncio.wait_for(self.process.wait(), WAIT)
        assert code == 0, f"{self.name} exited with {code}:\n{stderr.decode()}"


NodeStarter = Callable[[str, dict[str, str]], Awaitable[NodeScript]]


@pytest.fixture
async def node() -> AsyncIterator[NodeStarter]:
    """Starts a script of tests/clients/ with the given environment; any still running when
    the test ends is killed."""
    started: list[NodeScript] = []

    async def start(script: str, env: dict[str, str]) -> NodeScript:
        process = await asyncio.create_subprocess_exec(
            node_executable(),
            str(CLIENTS_DIR / script),
            cwd=CLIENTS_DIR,
            env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"), **env},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024,
        )
        started.append(NodeScript(process, script))
        return started[-1]

    yield start
    for script in started:
        if script.process.returncode is None:
            script.process.kill()
            await script.process.wait()
