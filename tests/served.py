"""The real app served by uvicorn on a free port, in the tests' event loop and database, for
the tests that meet it as clients do: over a socket."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

# Generous bound for a loaded CI machine; a passing test never waits for it.
START_WAIT = 60.0


@asynccontextmanager
async def served(app: ASGIApp, *, own_logging: bool = False) -> AsyncIterator[int]:
    """The port ``app`` is served on while the block runs. ``own_logging``: leave logging as
    the test set it (uvicorn otherwise installs its own handlers, at level error)."""
    if own_logging:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    else:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="error")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(START_WAIT):
            while not server.started:
                await asyncio.sleep(0.01)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task
