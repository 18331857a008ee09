"""A model changed without its migration fails CI (issue 18, upgrades): Tortoise's
autodetector finds nothing left to write, and a database built by the migrations has the
catalog the models describe, but for the differences tests/schema_drift.py allows and says
why. Shown to fail: a field added to a model class, in a process of its own."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

from tests.conftest import POSTGRES_ADMIN_URL, Backend, _admin
from tests.schema_drift import allowed, catalog_of, differences, generate, pending_operations

ROOT = Path(__file__).resolve().parent.parent


async def models_database(backend: Backend, tmp_path: Path) -> str:
    """An empty database for ``generate_schemas`` (the caller drops it)."""
    if backend.name == "postgres":
        name = f"famille_models_{uuid.uuid4().hex[:8]}"
        await _admin(f"CREATE DATABASE {name}")
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    return f"sqlite://{tmp_path / 'models.sqlite3'}"


async def drop(url: str) -> None:
    if url.startswith("postgres"):
        await _admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


async def test_the_models_need_no_migration_the_repository_lacks() -> None:
    assert await pending_operations() == []


async def test_the_migrated_database_is_the_one_the_models_describe(
    backend: Backend, tmp_path: Path
) -> None:
    generated = await models_database(backend, tmp_path)
    try:
        await generate(generated)
        found = differences(
            await catalog_of(backend.settings.database_url), await catalog_of(generated)
        )
    finally:
        await drop(generated)

    # Every difference is allowed, and every allowed one is still there (else remove it).
    assert sorted(found) == sorted(allowed(backend.settings.database_url))


async def test_a_field_added_without_its_migration_is_caught(
    backend: Backend, tmp_path: Path
) -> None:
    generated = await models_database(backend, tmp_path)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.schema_drift",
                backend.settings.database_url,
                generated,
                "Tenant.fax",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        await drop(generated)

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report == {
        "catalog": ["column tenant.fax: models only (no migration adds it)"],
        "operations": ["AddField Tenant fax"],
    }
