"""Do the migrations build what the models describe? Two views, both used by
tests/test_model_migrations.py:

- Tortoise's own autodetector (what ``tortoise makemigrations`` would write): the model
  state the migrations replay must equal the models'. A field added, renamed or changed
  without its migration shows up here first.
- The database itself: the catalog of a database built by the migrations (tables, columns,
  types, nullability, defaults, indexes, uniques, foreign keys) against one built from the
  models by ``generate_schemas``. Hand-written SQL in a migration (``RunSQL`` next to a
  state-only operation) is checked only here.

Run as ``python -m tests.schema_drift [Model.field …]`` it adds each named field (a
``CharField``) to its model first, as a change without its migration, and prints what both
views find, as JSON.
"""

import asyncio
import importlib
import json
import sqlite3
import sys
from typing import Any

import asyncpg
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from settings import Settings

# Differences between the migrated database and the models' schema that are intended. Each
# key is a difference as ``differences`` names it; the value says why it stays.
ALLOWED: dict[str, str] = {
    # The migrations' own bookkeeping table, not a model.
    "table tortoise_migrations: migrations only": "Tortoise's record of applied migrations",
    # 0019, 0020, 0021 and 0023 added NOT NULL columns to tables with rows: the server
    # default fills the existing rows and lets a server still running the previous release
    # insert during the upgrade (expand, docs/upgrades.md). Tortoise's CREATE TABLE puts no
    # server default.
    "column billing_authority.dunning_days: default": "0020_regie_ledger, expand",
    "column guardian.receives_mail: default": "0019_family_files, expand",
    "column payment_attempt.credit_cents: default": "0021_credit_and_quotient_source, expand",
    "column account.birth_city: default": "0023_franceconnect, expand",
    "column account.birth_country: default": "0023_franceconnect, expand",
    "column account.birth_department: default": "0023_franceconnect, expand",
    "column account.birth_place_code: default": "0023_franceconnect, expand",
    "column account.preferred_contact: default": "0023_franceconnect, expand",
}
# SQLite keeps a column's type as written: 0019's RunSQL says BOOLEAN where Tortoise writes
# INT for a BooleanField. Both store 0 and 1 (PostgreSQL has boolean either way).
SQLITE_ALLOWED: dict[str, str] = {
    "column guardian.receives_mail: type": "0019_family_files, SQLite's type as written",
}

PG_COLUMNS = """
SELECT c.table_name, c.column_name, c.data_type, c.character_maximum_length,
       c.numeric_precision, c.is_nullable, c.column_default
FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"""
# Constraints (primary keys, uniques, foreign keys with their ON DELETE, checks) and
# indexes by definition: their names differ between the two ways of creating them.
PG_CONSTRAINTS = """
SELECT conrelid::regclass::text AS table_name, pg_get_constraintdef(oid) AS definition
FROM pg_constraint WHERE connamespace = 'public'::regnamespace"""
PG_INDEXES = """
SELECT tablename AS table_name,
       regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') AS definition
FROM pg_indexes WHERE schemaname = 'public'"""

Catalog = dict[str, dict[str, Any]]


async def postgres_catalog(url: str) -> Catalog:
    """Per table: its columns' (type, length, precision, nullable, default) and the set of
    its constraints' and indexes' definitions."""
    connection = await asyncpg.connect(url)
    try:
        catalog: Catalog = {}
        for row in await connection.fetch(PG_COLUMNS):
            table = catalog.setdefault(row["table_name"], {"columns": {}, "rules": set()})
            table["columns"][row["column_name"]] = {
                "type": (
                    row["data_type"],
                    row["character_maximum_length"],
                    row["numeric_precision"],
                ),
                "nullable": row["is_nullable"],
                "default": row["column_default"],
            }
        for query in (PG_CONSTRAINTS, PG_INDEXES):
            for row in await connection.fetch(query):
                catalog[row["table_name"]]["rules"].add(row["definition"])
        return catalog
    finally:
        await connection.close()


def sqlite_catalog(path: str) -> Catalog:
    """The same from SQLite's pragmas: columns, indexes (unique or not, by their columns)
    and foreign keys (with their ON DELETE)."""
    catalog: Catalog = {}
    with sqlite3.connect(path) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            columns = {
                name: {"type": kind.upper(), "nullable": not notnull, "default": default, "pk": pk}
                for _cid, name, kind, notnull, default, pk in connection.execute(
                    f'PRAGMA table_info("{table}")'
                )
            }
            rules = set()
            for _seq, name, unique, _origin, partial in connection.execute(
                f'PRAGMA index_list("{table}")'
            ):
                indexed = [row[2] for row in connection.execute(f'PRAGMA index_info("{name}")')]
                rules.add(
                    f"{'UNIQUE ' if unique else ''}INDEX ({', '.join(indexed)})"
                    f"{' WHERE …' if partial else ''}"
                )
            for row in connection.execute(f'PRAGMA foreign_key_list("{table}")'):
                rules.add(
                    f"FOREIGN KEY ({row[3]}) REFERENCES {row[2]}({row[4]}) ON DELETE {row[6]}"
                )
            catalog[table] = {"columns": columns, "rules": rules}
    return catalog


def differences(migrated: Catalog, generated: Catalog) -> list[str]:
    """What differs, one line each, keyed as ALLOWED names them (``table T: …``,
    ``column T.C: aspect``, ``rule T: …``)."""
    found: list[str] = []
    for table in sorted(set(migrated) | set(generated)):
        if table not in generated:
            found.append(f"table {table}: migrations only")
            continue
        if table not in migrated:
            found.append(f"table {table}: models only (no migration creates it)")
            continue
        mine, theirs = migrated[table]["columns"], generated[table]["columns"]
        for column in sorted(set(mine) | set(theirs)):
            if column not in theirs:
                found.append(f"column {table}.{column}: migrations only")
            elif column not in mine:
                found.append(f"column {table}.{column}: models only (no migration adds it)")
            else:
                for aspect in mine[column]:
                    if mine[column][aspect] != theirs[column][aspect]:
                        found.append(f"column {table}.{column}: {aspect}")
        for rule in sorted(migrated[table]["rules"] - generated[table]["rules"]):
            found.append(f"rule {table}: migrations only: {rule}")
        for rule in sorted(generated[table]["rules"] - migrated[table]["rules"]):
            found.append(f"rule {table}: models only: {rule}")
    return found


def allowed(database_url: str) -> dict[str, str]:
    if database_url.startswith("sqlite://"):
        return ALLOWED | SQLITE_ALLOWED
    return ALLOWED


def unexpected(migrated: Catalog, generated: Catalog, database_url: str) -> list[str]:
    return [line for line in differences(migrated, generated) if line not in allowed(database_url)]


async def generate(database_url: str) -> None:
    """Create the models' tables as Tortoise would without migrations, in a context of its
    own (the process's ORM may point at another database)."""
    async with TortoiseContext() as context:
        await context.init(config=Settings(database_url=database_url).tortoise_config())
        await context.generate_schemas()


async def catalog_of(database_url: str) -> Catalog:
    if database_url.startswith("sqlite://"):
        return sqlite_catalog(database_url.removeprefix("sqlite://"))
    return await postgres_catalog(database_url)


async def pending_operations() -> list[str]:
    """What ``tortoise makemigrations`` would write now, one line per operation."""
    config = Settings(database_url="sqlite://:memory:").tortoise_config()
    async with TortoiseContext() as context:
        await context.init(config=config)
        assert context.apps is not None
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    return [
        " ".join(
            str(part)
            for part in (
                type(operation).__name__,
                getattr(operation, "model_name", getattr(operation, "name", "")),
                getattr(operation, "name", "") if hasattr(operation, "model_name") else "",
            )
            if part
        )
        for writer in writers
        for operation in writer.operations
    ]


def add_fields(names: list[str]) -> None:
    """``Tenant.fax`` …: a CharField on a model, as a developer would add one to its class."""
    from tortoise import fields

    from settings import MODEL_MODULES

    for name in names:
        model_name, field_name = name.split(".")
        for module_name in MODEL_MODULES:
            model = getattr(importlib.import_module(module_name), model_name, None)
            if model is not None:
                model._meta.add_field(field_name, fields.CharField(max_length=20, default=""))
                break


async def _main(argv: list[str]) -> None:
    migrated_url, generated_url, *extra = argv
    add_fields(extra)
    await generate(generated_url)
    report = {
        "catalog": unexpected(
            await catalog_of(migrated_url), await catalog_of(generated_url), migrated_url
        ),
        "operations": await pending_operations(),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
