"""The backup procedure of docs/backups.md, end to end: a town's database is dumped
(``pg_dump -Fc``; SQLite's online backup), its document directory copied, both restored
elsewhere (``pg_restore`` into a new database), and ``famille check`` run on the copy as an
operator would: it passes, then names what a damaged restore lost (an invoice's number, a
document's file) and exits 1."""

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import POSTGRES_ADMIN_URL, Backend

ROOT = Path(__file__).resolve().parent.parent.parent
FAMILLE = Path(sys.executable).parent / "famille"
SERVER = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]


def run(
    *command: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def done(*command: str | Path, env: dict[str, str] | None = None) -> str:
    result = run(*command, env=env)
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


class Databases:
    """The PostgreSQL databases or SQLite files of one test, dropped at its end."""

    def __init__(self, backend: Backend, folder: Path) -> None:
        self.backend = backend
        self.folder = folder
        self.names: list[str] = []

    def url(self, name: str) -> str:
        if self.backend.name == "postgres":
            return f"{SERVER}/{name}"
        return f"sqlite://{self.folder / name}.sqlite3"

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.sqlite3"

    async def create(self, name: str) -> str:
        if self.backend.name == "postgres":
            await admin(f"CREATE DATABASE {name}")
            self.names.append(name)
        return self.url(name)

    async def empty_copy_of_the_suites(self, name: str) -> str:
        """A database migrated like the suite's, without its rows: migrating one from zero
        takes half a minute, copying the schema a second."""
        url = await self.create(name)
        if self.backend.name == "postgres":
            schema, history = self.folder / "schema.dump", self.folder / "history.dump"
            suite = self.backend.settings.database_url
            done("pg_dump", "-Fc", "--schema-only", "-f", schema, suite)
            done("pg_dump", "-Fc", "--data-only", "-t", "tortoise_migrations", "-f", history, suite)
            done("pg_restore", "--no-owner", "--exit-on-error", "-d", url, schema)
            done("pg_restore", "--no-owner", "--exit-on-error", "-d", url, history)
            return url
        suite_file = self.backend.settings.database_url.removeprefix("sqlite://")
        with sqlite3.connect(suite_file) as source, sqlite3.connect(self.path(name)) as copy:
            source.backup(copy)
            copy.execute("PRAGMA foreign_keys = OFF")
            tables = [
                row[0]
                for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if row[0] not in ("tortoise_migrations", "sqlite_sequence")
            ]
            for table in tables:
                copy.execute(f'DELETE FROM "{table}"')
        return url

    async def execute(self, name: str, *statements: str) -> None:
        if self.backend.name == "postgres":
            connection = await asyncpg.connect(self.url(name))
            try:
                for statement in statements:
                    await connection.execute(statement)
            finally:
                await connection.close()
            return
        with sqlite3.connect(self.path(name)) as connection:
            for statement in statements:
                connection.execute(statement)

    async def drop(self) -> None:
        for name in self.names:
            await admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)


def environment(database_url: str, documents: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("FAMILLE_REDIS_URL", "FAMILLE_SMTP_HOST")
    }
    return env | {
        "FAMILLE_DATABASE_URL": database_url,
        "FAMILLE_DOCUMENT_STORAGE": "filesystem",
        "FAMILLE_DOCUMENT_STORAGE_DIR": str(documents),
    }


async def test_a_backup_restored_elsewhere_passes_the_check_and_damage_is_named(
    backend: Backend, folder: Path
) -> None:
    databases = Databases(backend, folder)
    suffix = uuid.uuid4().hex[:8]
    source, restored = f"famille_backup_source_{suffix}", f"famille_backup_restored_{suffix}"
    try:
        # Given a town's database and document directory, written by the application.
        source_url = await databases.empty_copy_of_the_suites(source)
        source_documents = folder / "documents"
        done(
            sys.executable,
            "-m",
            "tests.integrity.seeding",
            env=environment(source_url, source_documents),
        )

        # When it is backed up (the database, then the documents) and restored elsewhere.
        backup, backup_documents = folder / "famille.dump", folder / "backup-documents"
        restored_documents = folder / "restored-documents"
        restored_url = await databases.create(restored)
        if backend.name == "postgres":
            done("pg_dump", "-Fc", "-f", backup, source_url)
            shutil.copytree(source_documents, backup_documents)
            done("pg_restore", "--no-owner", "--exit-on-error", "-d", restored_url, backup)
        else:
            with sqlite3.connect(databases.path(source)) as live, sqlite3.connect(backup) as copy:
                live.backup(copy)
            shutil.copytree(source_documents, backup_documents)
            shutil.copyfile(backup, databases.path(restored))
        shutil.copytree(backup_documents, restored_documents)
        env = environment(restored_url, restored_documents)

        # Then the check passes on the copy.
        checked = run(FAMILLE, "check", env=env)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "OK     Numéros de facture : 1 série(s) régie-mois" in checked.stdout
        assert "OK     Fichiers des documents : 1 fichier(s) relu(s)" in checked.stdout
        assert checked.stdout.endswith("Tout est cohérent.\n")

        # And a restore that lost an invoice and a document's file is refused, by name.
        for path in restored_documents.glob("??/*"):
            path.unlink()
        await databases.execute(
            restored,
            "DELETE FROM invoice_line WHERE invoice_id = "
            "(SELECT id FROM invoice WHERE number = '2610000003')",
            "DELETE FROM invoice WHERE number = '2610000003'",
        )
        damaged = run(FAMILLE, "check", env=env)
        assert damaged.returncode == 1, damaged.stdout + damaged.stderr
        lines = damaged.stdout.splitlines()
        assert "ERREUR Numéros de facture : 1 série(s) régie-mois" in lines
        assert any(
            line.endswith("2026-10 : 1 numéro(s) de facture manquant(s) : 2610000003")
            for line in lines
        )
        assert any(
            "fichier 1 « attestation.pdf » (filesystem) : absent de " + str(restored_documents)
            in line
            for line in lines
        )
        assert lines[-1] == "2 problème(s) : les données ne sont pas cohérentes."
    finally:
        await databases.drop()
