"""Family import benchmark: a town's 10,000 families (about 25,000 people) from one CSV.

    bench/import [--families 10000]

Creates its own database ``famille_bench_import`` (dropped first), applies the migrations
and creates a town, writes a CSV of the documented layout (docs/import.md: 1 or 2
guardians and 1 or 2 children per family, a contact for one family in five), then runs
what ``famille import-families`` runs (``import_into_town``, access keys mailed through
the outbox) and times: a dry run, the first import, the same file again (nothing to
write) and a file where one family in ten changed. For each: seconds, rows per second
and the SQL statements sent (set-based: they grow with the chunks of 1,000 families, not
with the rows). Exit 0 when the first import takes at most 60 s.
"""

import argparse
import asyncio
import csv
import io
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

SERVER = os.environ.get("FAMILLE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("FAMILLE_BENCH_IMPORT_DATABASE", "famille_bench_import")
DATABASE_URL = f"{SERVER}/{DB_NAME}"
TARGET_SECONDS = 60.0
TOWN = "banc-import"
EXAMPLE = Path(__file__).parent.parent / "docs" / "import-familles-exemple.csv"
HEADER = EXAMPLE.read_text(encoding="utf-8").splitlines()[0].split(";")


class StatementCounter(logging.Handler):
    """Counts the statements tortoise's client logs, without formatting their (large)
    parameter arrays."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if not str(record.msg).startswith(("Created connection", "Closed connection")):
            self.count += 1


def families_csv(families: int, *, changed_every: int = 0) -> tuple[bytes, int]:
    """The file, and its number of rows. ``changed_every``: one family in that many has
    moved and its first child changed class."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    rows = 0
    for n in range(families):
        reference = f"ARP-{n:06d}"
        last = f"Nom{n}"
        moved = changed_every and n % changed_every == 0
        family = {
            "reference": reference,
            "adresse": f"{n % 200 + 1} rue {'Neuve' if moved else 'des Écoles'}",
            "code_postal": "81100",
            "ville": "Castres",
            "quotient": str(300 + n % 1500),
            "quotient_validite": "31/12/2026",
            "facture_en_ligne": "oui" if n % 3 == 0 else "non",
        }
        writer.writerow(
            {
                **family,
                "type": "responsable",
                "civilite": "Mme",
                "nom": last,
                "prenoms": "Claire",
                "lien": "Mère",
                "email": f"claire.{n}@exemple.fr",
                "telephone": "06 12 34 56 78",
                "payeur": "oui",
            }
        )
        rows += 1
        if n % 2:
            writer.writerow(
                {
                    "reference": reference,
                    "type": "responsable",
                    "civilite": "M",
                    "nom": last,
                    "prenoms": "Paul",
                    "lien": "Père",
                    "telephone": "06 98 76 54 32",
                    "payeur": "non",
                }
            )
            rows += 1
        for child in range(1 + (n % 4 == 0)):
            writer.writerow(
                {
                    "reference": reference,
                    "type": "enfant",
                    "nom": last,
                    "prenoms": ["Léa", "Hugo"][child],
                    "date_naissance": f"{1 + n % 28:02d}/{1 + n % 12:02d}/{2013 + n % 8}",
                    "ecole": f"École {n % 10}",
                    "classe": "CM1" if moved and child == 0 else "CE2",
                    "sante": "Allergie aux arachides" if n % 20 == 0 else "",
                    "pai": "oui" if n % 20 == 0 else "non",
                    "regime": "sans porc" if n % 7 == 0 else "",
                }
            )
            rows += 1
        if n % 5 == 0:
            writer.writerow(
                {
                    "reference": reference,
                    "type": "contact",
                    "nom": "Durand",
                    "prenoms": "Mireille",
                    "lien": "Grand-mère",
                    "telephone": "06 11 22 33 44",
                    "type_contact": "autorisé",
                }
            )
            rows += 1
    return out.getvalue().encode("utf-8"), rows


async def recreate_database() -> None:
    admin = await asyncpg.connect(f"{SERVER}/test")
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DB_NAME}")
    finally:
        await admin.close()


@dataclass
class Run:
    label: str
    seconds: float
    cpu_seconds: float
    statements: int
    summary: str


async def measure(families: int) -> tuple[list[Run], int]:
    from models.database import close_db, init_db, migrate
    from models.tenants import Tenant
    from resolvers.core.clock import SystemClock
    from resolvers.households.imports import ImportReport, import_into_town
    from settings import get_settings

    await recreate_database()
    await migrate(get_settings())
    await init_db()
    runs: list[Run] = []
    try:
        town = await Tenant.create(slug=TOWN, name="Ville du banc d'essai")
        first, rows = families_csv(families)
        changed, _ = families_csv(families, changed_every=10)
        logger = logging.getLogger("tortoise.db_client")
        counter = StatementCounter()
        logger.setLevel(logging.DEBUG)
        logger.addHandler(counter)

        def describe(report: ImportReport) -> str:
            return (
                f"families {report.families_created} created, {report.families_updated} "
                f"updated, {report.families_unchanged} unchanged, {report.families_refused} "
                f"refused; people created {report.guardians.created + report.children.created}"
                f" + {report.contacts.created} contacts, updated "
                f"{report.guardians.updated + report.children.updated}; keys mailed "
                f"{report.keys_mailed}"
            )

        for label, data, dry_run in (
            ("dry run", first, True),
            ("first import", first, False),
            ("same file again", first, False),
            ("1 family in 10 changed", changed, False),
        ):
            counter.count = 0
            cpu = time.process_time()
            started = time.perf_counter()
            report = await import_into_town(
                town, data, actor=None, clock=SystemClock(), dry_run=dry_run, send_keys=True
            )
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
            runs.append(Run(label, seconds, cpu, counter.count, describe(report)))
        logger.removeHandler(counter)
        logger.setLevel(logging.WARNING)
    finally:
        await close_db()
    return runs, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["FAMILLE_DATABASE_URL"] = DATABASE_URL
    os.environ.pop("FAMILLE_REDIS_URL", None)
    load_before = os.getloadavg()
    runs, rows = asyncio.run(measure(args.families))
    load_after = os.getloadavg()
    print(
        f"family import: {args.families:,} families, {rows:,} rows "
        f"(load average before {load_before[0]:.2f}, after {load_after[0]:.2f})"
    )
    for run in runs:
        print(
            f"  {run.label:<24} {run.seconds:6.1f} s  {rows / run.seconds:8,.0f} rows/s  "
            f"{run.statements:4d} SQL statements  (this process's CPU {run.cpu_seconds:.1f} s)"
            f"\n    {run.summary}"
        )
    first = runs[1].seconds
    ok = first <= TARGET_SECONDS
    print(
        f"first import {first:.1f} s (target ≤ {TARGET_SECONDS:.0f} s: {'OK' if ok else 'MISSED'})"
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
