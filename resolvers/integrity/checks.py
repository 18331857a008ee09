"""The invariants ``famille check`` verifies after a restore (docs/backups.md).

A backup restored from the wrong moment, a document directory copied before the database
(or not at all), a dump taken table by table, sequences copied by hand: each leaves data
the application cannot see is wrong until a family or the Trésor does. Each check names
every broken row in French, for the person who restored the backup, and costs a few
aggregate statements, so that it runs on a large database in minutes.

Failures are problems (the command exits non-zero); notes say what is normal but worth
knowing after a restore (jobs waiting for the relay).
"""

import hashlib
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tortoise import Tortoise

import models
from models.documents import DocumentFile
from resolvers.billing.invoicing import invoice_number
from resolvers.core.french import format_euros
from resolvers.core.sql import Params, fetch, is_postgres
from resolvers.documents.storage import store_for
from resolvers.payments.numbering import PREFIXES, Series
from settings import get_settings

MIGRATIONS_DIR = Path(models.__file__).resolve().parent / "migrations"
# Missing numbers listed in one message; the count says how many more.
SHOWN = 10
# Invoices named one by one in the ledger check (the rest are counted).
MAX_NAMED = 500
# Document files read per statement: their bytes are in the rows with the database backend.
FILE_BATCH = 100


@dataclass
class CheckResult:
    """One invariant: what was looked at, what is broken, what is worth knowing."""

    title: str
    checked: str = ""
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _day(value: Any) -> date:
    """A DATE column as PostgreSQL (date) or SQLite (ISO text) returns it."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _listed(values: Sequence[str]) -> str:
    shown = ", ".join(values[:SHOWN])
    more = len(values) - SHOWN
    return f"{shown} et {more} autre(s)" if more > 0 else shown


def _missing(present: Collection[int], upto: int) -> list[int]:
    return [n for n in range(1, upto + 1) if n not in present]


def migration_files() -> list[str]:
    return sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py"))


async def check_migrations() -> CheckResult:
    """A dump of an older release restored under this one needs ``famille migrate`` before
    anything else reads it; the other checks assume the current tables."""
    result = CheckResult("Migrations")
    expected = migration_files()
    try:
        rows = await fetch("SELECT name FROM tortoise_migrations WHERE app = 'models'", Params())
    except Exception:
        result.problems.append(
            "aucune migration enregistrée (table tortoise_migrations absente) : "
            "ce n'est pas une base de famille, ou la restauration a échoué"
        )
        return result
    applied = {str(row["name"]) for row in rows}
    pending = [name for name in expected if name not in applied]
    unknown = sorted(applied - set(expected))
    if pending:
        result.problems.append(
            f"{len(pending)} migration(s) non appliquée(s) ({_listed(pending)}) : "
            "lancez `famille migrate` puis relancez `famille check`"
        )
    if unknown:
        result.problems.append(
            f"migration(s) inconnue(s) de cette version ({_listed(unknown)}) : la sauvegarde "
            "vient d'une version plus récente de famille"
        )
    result.checked = f"{len(applied & set(expected))}/{len(expected)} appliquées"
    return result


async def _authority_names() -> dict[int, str]:
    rows = await fetch("SELECT id, name FROM billing_authority", Params())
    return {int(row["id"]): str(row["name"]) for row in rows}


def _regie(names: dict[int, str], authority_id: int) -> str:
    return f"régie « {names.get(authority_id, '?')} » ({authority_id})"


async def check_invoice_numbers() -> CheckResult:
    """Per régie and month, the invoices (and their corrections) are numbered 1…N without a
    gap, N being the counter: a missing number is an invoice the Trésor may hold and the
    database lost; a counter behind its numbers would hand out a duplicate."""
    result = CheckResult("Numéros de facture")
    wellformed = (
        "number ~ '^[0-9]{10}$'"
        if is_postgres()
        else ("(LENGTH(number) = 10 AND number NOT GLOB '*[^0-9]*')")
    )
    groups = await fetch(
        "SELECT authority_id, month, "
        f"SUM(CASE WHEN {wellformed} THEN 0 ELSE 1 END) AS malformed, COUNT(*) AS n, "
        f"MIN(CASE WHEN {wellformed} THEN CAST(SUBSTR(number, 5) AS INTEGER) END) AS first, "
        f"MAX(CASE WHEN {wellformed} THEN CAST(SUBSTR(number, 5) AS INTEGER) END) AS last "
        "FROM invoice GROUP BY authority_id, month",
        Params(),
    )
    counters = {
        (int(row["authority_id"]), _day(row["month"])): int(row["last_sequence"])
        for row in await fetch(
            "SELECT authority_id, month, last_sequence FROM invoice_counter", Params()
        )
    }
    names = await _authority_names()
    seen: dict[tuple[int, date], dict[str, Any]] = {
        (int(row["authority_id"]), _day(row["month"])): row for row in groups
    }
    for key in sorted(set(seen) | set(counters)):
        authority_id, month = key
        row = seen.get(key, {"malformed": 0, "n": 0, "first": None, "last": None})
        counter = counters.get(key, 0)
        count, last = int(row["n"]), int(row["last"] or 0)
        where = f"{_regie(names, authority_id)}, {month:%Y-%m}"
        if int(row["malformed"] or 0) == 0 and count == counter == last:
            if count == 0 or int(row["first"]) == 1:
                continue
        params = Params()
        numbers = [
            str(r["number"])
            for r in await fetch(
                f"SELECT number FROM invoice WHERE authority_id = {params(authority_id)} "
                f"AND month = {params(month)}",
                params,
            )
        ]
        prefix = invoice_number(month, 0)[:4]
        foreign = [n for n in numbers if not re.fullmatch(rf"{prefix}\d{{6}}", n)]
        present = {int(n[4:]) for n in numbers if n not in foreign}
        if foreign:
            result.problems.append(
                f"{where} : numéro(s) hors de la série du mois : {_listed(sorted(foreign))}"
            )
        gaps = [invoice_number(month, n) for n in _missing(present, max(counter, last))]
        if gaps:
            result.problems.append(
                f"{where} : {len(gaps)} numéro(s) de facture manquant(s) : {_listed(gaps)}"
            )
        if last > counter:
            result.problems.append(
                f"{where} : le compteur ({counter}) est en retard sur le dernier numéro "
                f"({invoice_number(month, last)}) : la prochaine facture aurait un numéro déjà pris"
            )
    result.checked = f"{len(set(seen) | set(counters))} série(s) régie-mois"
    return result


# The till's numbered documents: the table, its series (numbering.PREFIXES) and what the
# message calls it.
TILL_SERIES = (
    ("desk_payment", Series.RECEIPT, "reçu"),
    ("deposit_slip", Series.DEPOSIT, "bordereau de remise"),
    ("credit_refund", Series.REFUND, "remboursement"),
)


async def check_till_numbers() -> CheckResult:
    """Receipts, deposit slips and refunds: gap-free per régie, series and year, as the
    public accountant checks them (resolvers/payments/numbering.py)."""
    result = CheckResult("Numéros de reçu, de bordereau et de remboursement")
    counters: dict[tuple[int, str, int], int] = {
        (int(row["authority_id"]), str(row["series"]), int(row["year"])): int(row["last_sequence"])
        for row in await fetch(
            "SELECT authority_id, series, year, last_sequence FROM document_counter", Params()
        )
    }
    names = await _authority_names()
    present: dict[tuple[int, str, int], set[int]] = defaultdict(set)
    labels: dict[str, str] = {}
    for table, series, label in TILL_SERIES:
        labels[series.value] = label
        pattern = re.compile(rf"{PREFIXES[series]}(\d+)-(\d{{4}})-(\d{{6}})")
        for row in await fetch(f"SELECT authority_id, number FROM {table}", Params()):
            match = pattern.fullmatch(str(row["number"]))
            if match is None or int(match.group(1)) != int(row["authority_id"]):
                result.problems.append(
                    f"{_regie(names, int(row['authority_id']))} : {label} au numéro "
                    f"inattendu « {row['number']} »"
                )
                continue
            key = (int(row["authority_id"]), series.value, int(match.group(2)))
            present[key].add(int(match.group(3)))
    for key in sorted(set(present) | set(counters)):
        authority_id, series_value, year = key
        numbers, counter = present.get(key, set()), counters.get(key, 0)
        last = max(numbers, default=0)
        prefix = f"{PREFIXES[Series(series_value)]}{authority_id}-{year}-"
        where = f"{_regie(names, authority_id)}, {labels[series_value]}s de {year}"
        gaps = [f"{prefix}{n:06d}" for n in _missing(numbers, max(counter, last))]
        if gaps:
            result.problems.append(f"{where} : {len(gaps)} numéro(s) manquant(s) : {_listed(gaps)}")
        if last > counter:
            result.problems.append(
                f"{where} : le compteur ({counter}) est en retard sur le dernier numéro "
                f"({prefix}{last:06d}) : le prochain numéro serait déjà pris"
            )
    result.checked = f"{len(set(present) | set(counters))} série(s)"
    return result


async def check_document_files() -> CheckResult:
    """Every document file row has its bytes, of the recorded size and SHA-256: in the row
    (database storage) or under FAMILLE_DOCUMENT_STORAGE_DIR (filesystem storage), which a
    backup of the database alone does not bring back."""
    result = CheckResult("Fichiers des documents")
    columns = ("id", "document_id", "position", "filename", "size", "sha256", "backend")
    after, count = 0, 0
    while True:
        rows = (
            await DocumentFile.filter(id__gt=after)
            .order_by("id")
            .limit(FILE_BATCH)
            .values(*columns, "storage_key", "content")
        )
        if not rows:
            break
        for row in rows:
            count += 1
            after = row["id"]
            what = (
                f"document {row['document_id']}, fichier {row['position'] + 1} "
                f"« {row['filename']} » ({row['backend']})"
            )
            store = store_for(row["backend"])
            try:
                data = await store.get(row["storage_key"], row["content"])
            except (AssertionError, OSError):
                where = (
                    f"absent de {store.root}"
                    if hasattr(store, "root")
                    else "contenu absent de la base"
                )
                result.problems.append(f"{what} : {where}")
                continue
            if len(data) != row["size"] or hashlib.sha256(data).hexdigest() != row["sha256"]:
                result.problems.append(
                    f"{what} : contenu différent de celui enregistré ({len(data)} octets au "
                    f"lieu de {row['size']}, ou empreinte SHA-256 différente)"
                )
    result.checked = f"{count} fichier(s) relu(s)"
    return result


async def check_outbox(known_functions: Collection[str]) -> CheckResult:
    """Outbox rows are new (relayed_at null), handed to the queue, or done (completed_at
    set, always after a relay). A job done but never relayed, or a pending job of a
    function this version does not know, will never run as intended."""
    result = CheckResult("File de travaux (outbox)")
    [counts] = await fetch(
        "SELECT COUNT(*) AS n, "
        "SUM(CASE WHEN relayed_at IS NULL THEN 1 ELSE 0 END) AS fresh, "
        "SUM(CASE WHEN relayed_at IS NOT NULL AND completed_at IS NULL THEN 1 ELSE 0 END) "
        "AS waiting, "
        "SUM(CASE WHEN completed_at IS NOT NULL AND relayed_at IS NULL THEN 1 ELSE 0 END) "
        "AS done_unrelayed, "
        "SUM(CASE WHEN attempts < 0 THEN 1 ELSE 0 END) AS negative, "
        "MIN(CASE WHEN completed_at IS NULL THEN created_at END) AS oldest "
        "FROM outbox_job",
        Params(),
    )
    if int(counts["done_unrelayed"] or 0):
        result.problems.append(
            f"{counts['done_unrelayed']} travail(aux) marqué(s) terminé(s) sans avoir été "
            "remis à la file (completed_at sans relayed_at)"
        )
    if int(counts["negative"] or 0):
        result.problems.append(f"{counts['negative']} travail(aux) au nombre d'essais négatif")
    pending = await fetch(
        "SELECT function, COUNT(*) AS n FROM outbox_job WHERE completed_at IS NULL "
        "GROUP BY function ORDER BY function",
        Params(),
    )
    for row in pending:
        if row["function"] not in known_functions:
            result.problems.append(
                f"{row['n']} travail(aux) en attente pour la fonction inconnue "
                f"« {row['function']} » : aucun worker de cette version ne l'exécutera"
            )
    max_tries = get_settings().job_max_tries
    [given_up] = await fetch(
        "SELECT COUNT(*) AS n FROM outbox_job WHERE completed_at IS NULL "
        f"AND attempts >= {int(max_tries)}",
        Params(),
    )
    fresh, waiting = int(counts["fresh"] or 0), int(counts["waiting"] or 0)
    if fresh or waiting:
        result.notes.append(
            f"{fresh} travail(aux) pas encore remis et {waiting} remis mais non terminés "
            f"(le plus ancien créé le {counts['oldest']}) : le worker les (re)met en file "
            "au démarrage, sans doublon"
        )
    if int(given_up["n"] or 0):
        result.notes.append(
            f"{given_up['n']} travail(aux) abandonné(s) après {max_tries} essais "
            "(voir last_error dans outbox_job)"
        )
    result.checked = f"{counts['n']} ligne(s)"
    return result


async def check_ledger() -> CheckResult:
    """``settled_cents`` of each invoice is its payment allocations plus what credit notes
    cleared from it (models/billing.py): for an invoice, what its allocations do not
    explain is exactly what the credit notes that correct it took off themselves; a credit
    note takes off at most its amount, and one that corrects nothing takes off nothing."""
    result = CheckResult("Montants réglés et grand livre des paiements")
    # Only the documents whose settled amount is not just their allocations: credit notes
    # applied, and the invoices they were applied to (and anything broken).
    rows = await fetch(
        "SELECT i.id, i.number, i.authority_id, i.kind, i.corrects_id, i.total_cents, "
        "i.settled_cents - COALESCE(a.cents, 0) AS rest "
        "FROM invoice i LEFT JOIN (SELECT invoice_id, SUM(amount_cents) AS cents "
        "FROM payment_allocation GROUP BY invoice_id) a ON a.invoice_id = i.id "
        "WHERE i.settled_cents <> COALESCE(a.cents, 0)",
        Params(),
    )
    [total] = await fetch("SELECT COUNT(*) AS n FROM invoice", Params())
    names = await _authority_names()
    balance: dict[int, int] = defaultdict(int)
    for row in rows:
        rest = int(row["rest"])
        where = f"{_regie(names, int(row['authority_id']))}, facture {row['number']}"
        if row["kind"] != "credit_note":
            balance[int(row["id"])] += rest
        elif row["corrects_id"] is None:
            result.problems.append(
                f"{where} (avoir) : réglé de {format_euros(rest)} sans paiement ni facture corrigée"
            )
        elif not int(row["total_cents"]) <= rest <= 0:
            result.problems.append(
                f"{where} (avoir) : a soldé {format_euros(-rest)} pour un montant de "
                f"{format_euros(-int(row['total_cents']))}"
            )
        else:
            balance[int(row["corrects_id"])] += rest
    unbalanced = sorted(invoice_id for invoice_id, cents in balance.items() if cents)
    # Named one by one up to a bound (one IN list); past it, counted.
    broken = unbalanced[:MAX_NAMED]
    if len(unbalanced) > MAX_NAMED:
        result.problems.append(
            f"et {len(unbalanced) - MAX_NAMED} autre(s) facture(s) dont le montant réglé "
            "diffère du grand livre"
        )
    if broken:
        params = Params()
        numbers = {
            int(row["id"]): row
            for row in await fetch(
                "SELECT id, number, authority_id, settled_cents FROM invoice "
                f"WHERE id IN ({params.many(broken)})",
                params,
            )
        }
        for invoice_id in broken:
            row = numbers[invoice_id]
            explained = int(row["settled_cents"]) - balance[invoice_id]
            result.problems.append(
                f"{_regie(names, int(row['authority_id']))}, facture {row['number']} : réglée "
                f"de {format_euros(int(row['settled_cents']))}, le grand livre (paiements et "
                f"avoirs) en explique {format_euros(explained)}"
            )
    result.checked = f"{total['n']} facture(s) et avoir(s)"
    return result


async def check_sequences() -> CheckResult:
    """PostgreSQL: each table's id sequence is past its largest id. pg_restore sets them;
    a copy made another way (data-only, table by table, logical replication) may not, and
    the next row added to that table fails on a duplicate key."""
    result = CheckResult("Séquences des identifiants")
    if not is_postgres():
        result.checked = "sans objet sous SQLite"
        return result
    tables = sorted(
        (model._meta.db_table, model._meta.db_pk_column)
        for model in Tortoise.apps["models"].values()
        if model._meta.pk.generated
    )
    for table, column in tables:
        params = Params()
        [found] = await fetch(
            f"SELECT pg_get_serial_sequence({params(table)}, {params(column)}) AS seq", params
        )
        if found["seq"] is None:
            continue
        [row] = await fetch(
            f'SELECT (SELECT MAX("{column}") FROM "{table}") AS max_id, last_value, is_called '
            f"FROM {found['seq']}",
            Params(),
        )
        highest = int(row["last_value"]) if row["is_called"] else int(row["last_value"]) - 1
        if row["max_id"] is not None and int(row["max_id"]) > highest:
            result.problems.append(
                f"{table} : la séquence en est à {highest}, le plus grand id à {row['max_id']} ; "
                f"corrigez par SELECT setval('{found['seq']}', {row['max_id']})"
            )
    result.checked = f"{len(tables)} table(s)"
    return result


async def run_checks(known_functions: Collection[str]) -> list[CheckResult]:
    """Every check, migrations first: on a database a migration behind, the others would
    fail on missing columns rather than say what is wrong."""
    migrations = await check_migrations()
    if not migrations.ok:
        return [migrations]
    checks: list[Callable[[], Awaitable[CheckResult]]] = [
        check_invoice_numbers,
        check_till_numbers,
        check_ledger,
        check_document_files,
        lambda: check_outbox(known_functions),
        check_sequences,
    ]
    return [migrations, *[await check() for check in checks]]
