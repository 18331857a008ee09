"""Opening, migrating and closing the database, shared by the API, the worker and the CLI."""

from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate

from settings import Settings, get_settings


async def keep_session(connection: object) -> None:
    """What a pooled connection needs undone before its next user: nothing. The app leaves
    no session state behind (no LISTEN, no session advisory lock or SET, no cursor outside a
    transaction), and asyncpg still rolls back a transaction left open. Its default reset
    (``RESET ALL``, ``UNLISTEN *``…) would cost a round trip each time a connection goes back
    to the pool, which Tortoise does after every statement outside a transaction."""


def _connections(settings: Settings) -> dict[str, Any]:
    """Tortoise's config, with PostgreSQL's pool told to skip the session reset."""
    config = settings.tortoise_config()
    url = config["connections"]["default"]
    if isinstance(url, str) and url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        expanded = expand_db_url(url)
        expanded["credentials"]["reset"] = keep_session
        config["connections"]["default"] = expanded
    return config


def _ensure_sqlite_dir(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite://"):
        path = settings.database_url.removeprefix("sqlite://").split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


async def init_db(settings: Settings | None = None) -> None:
    """Connect once per process; a second call (API and worker in one process) is a no-op."""
    if Tortoise.is_inited():
        return
    settings = settings or get_settings()
    _ensure_sqlite_dir(settings)
    await Tortoise.init(config=_connections(settings), _enable_global_fallback=True)


async def migrate(settings: Settings | None = None) -> None:
    """Apply Tortoise's migrations up to the latest; safe to run on every start."""
    settings = settings or get_settings()
    _ensure_sqlite_dir(settings)
    # Its own context: the migration executor loads historical model states, which must
    # not leak into the process's ORM registry.
    async with TortoiseContext():
        await tortoise_migrate(config=settings.tortoise_config())


async def close_db() -> None:
    await Tortoise.close_connections()
