"""Opening, migrating and closing the database, shared by the API, the worker and the CLI."""

from pathlib import Path

from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate

from settings import Settings, get_settings


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
    await Tortoise.init(config=settings.tortoise_config(), _enable_global_fallback=True)


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
