"""Importing a town's families from its previous software: set-based, idempotent, all or
nothing per family.

The file is read whole (import_file.py), then written by chunks of families: each chunk
reads what the town already has for its references (4 statements), matches people in
Python (guardians by names, children by names and birth date, contacts by kind and
names), and writes the differences in one statement per table and kind of change
(upsert of households, INSERT and UPDATE … FROM of people, keys and their mails), so the
statements sent grow with the chunks, not with the rows. A chunk runs in a savepoint: if
the database refuses it, each of its families is tried alone, so one family's fault
refuses that family only. Nothing stored is deleted: a person missing from the file
stays in the family file.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from tortoise.exceptions import BaseORMException

from models.accounts import Account
from models.households import AccessKey, Child, Contact, FamilyQuotientSource, Guardian, Household
from models.tenants import Tenant
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import DomainError, HouseholdErrorCode, NotFound
from resolvers.core.french import format_date
from resolvers.core.outbox import jobs_insert, mail_job
from resolvers.core.security import digest, new_access_key
from resolvers.core.sql import Params, connection, fetch, is_postgres, rows_table
from resolvers.core.transactions import atomic, savepoint
from resolvers.households.households import require_staff
from resolvers.households.import_file import (
    GENERATED_REFERENCE,
    ChildRow,
    ContactRow,
    Family,
    FileRefused,
    GuardianRow,
    PersonKind,
    Refusal,
    parse,
    person_key,
)
from settings import get_settings

logger = logging.getLogger(__name__)
# Families written per chunk: each chunk is about 15 statements, and its largest one
# (children) stays far below PostgreSQL's and SQLite's limits on parameters and size.
CHUNK_FAMILIES = 1000
# pg_advisory_xact_lock namespace: two imports into one town take turns chunk by chunk,
# so both cannot plan the same new reference.
_LOCK_NAMESPACE = 0x1A9_0000

HOUSEHOLD_FIELDS = (
    "name",
    "address_line",
    "address_complement",
    "postal_code",
    "city",
    "phone",
    "email",
    "family_quotient",
    "family_quotient_valid_until",
    "family_quotient_source",
    "family_quotient_set_on",
    "paperless",
)
# Each person kind: the model fields written, with the file column each comes from.
GUARDIAN_COLUMNS = {
    "civility": "civilite",
    "last_name": "nom",
    "first_names": "prenoms",
    "relationship": "lien",
    "email": "email",
    "phone_mobile": "telephone",
    "phone_work": "telephone_travail",
    "is_payer": "payeur",
}
CHILD_COLUMNS = {
    "last_name": "nom",
    "first_names": "prenoms",
    "birth_date": "date_naissance",
    "school": "ecole",
    "school_class": "classe",
    "health_notes": "sante",
    "has_pai": "pai",
    "pai_details": "pai_details",
    "diet": "regime",
}
CONTACT_COLUMNS = {
    "kind": "type_contact",
    "last_name": "nom",
    "first_names": "prenoms",
    "relationship": "lien",
    "phone": "telephone",
}
# SQL types of the columns sent as arrays (rows_table).
_TYPES = {
    "id": "INTEGER",
    "household_id": "INTEGER",
    "guardian_id": "INTEGER",
    "family_quotient": "INTEGER",
    "family_quotient_valid_until": "DATE",
    "family_quotient_set_on": "DATE",
    "birth_date": "DATE",
    "paperless": "BOOLEAN",
    "is_payer": "BOOLEAN",
    "has_pai": "BOOLEAN",
}


@dataclass
class Counts:
    created: int = 0
    updated: int = 0


@dataclass
class ImportReport:
    """What the import did (or, in a dry run, would do), and every row it refused."""

    dry_run: bool
    rows: int = 0
    families_created: int = 0
    families_updated: int = 0
    families_unchanged: int = 0
    families_refused: int = 0
    guardians: Counts = field(default_factory=Counts)
    children: Counts = field(default_factory=Counts)
    contacts: Counts = field(default_factory=Counts)
    keys_mailed: int = 0
    refusals: list[Refusal] = field(default_factory=list)


@dataclass
class _Kind:
    """One person kind's table, fields and the family's rows of it."""

    kind: str
    table: str
    model: type[Any]
    columns: dict[str, str]
    rows: Callable[[Family], Sequence[GuardianRow | ChildRow | ContactRow]]
    counts: Callable[[ImportReport], Counts]


_KINDS = [
    _Kind(
        PersonKind.GUARDIAN,
        "guardian",
        Guardian,
        GUARDIAN_COLUMNS,
        lambda f: f.guardians,
        lambda r: r.guardians,
    ),
    _Kind(
        PersonKind.CHILD, "child", Child, CHILD_COLUMNS, lambda f: f.children, lambda r: r.children
    ),
    _Kind(
        PersonKind.CONTACT,
        "contact",
        Contact,
        CONTACT_COLUMNS,
        lambda f: f.contacts,
        lambda r: r.contacts,
    ),
]


@dataclass
class _Plan:
    """A chunk's writes, as rows of values in the order of the fields above."""

    households: list[tuple[Any, ...]] = field(default_factory=list)
    # Per kind: new people (reference first, household id unknown until the upsert) and
    # changed people (id first).
    inserts: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    updates: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    written: list[Family] = field(default_factory=list)
    # The ids of the households the town already has, by reference.
    ids: dict[str, int] = field(default_factory=dict)
    # The import's day: a quotient it brings is set on it.
    today: date = date.min


def _stored(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


async def read_upload(read: Callable[[int], Awaitable[bytes]]) -> bytes:
    """An uploaded import file, refused past FAMILLE_IMPORT_MAX_FILE_KB (the multipart
    parser keeps one byte more than the limit, so reading that much tells)."""
    limit = get_settings().import_max_file_kb * 1024
    data = await read(limit + 1)
    if len(data) > limit:
        raise DomainError(
            HouseholdErrorCode.FILE_TOO_LARGE,
            f"Le fichier dépasse la taille maximale de {limit // 1024} Ko : découpez-le en "
            "plusieurs fichiers (une famille ne doit pas être coupée en deux).",
            "file",
        )
    return data


async def import_families(
    actor: Account | None,
    read: Callable[[int], Awaitable[bytes]],
    *,
    clock: Clock,
    dry_run: bool = False,
    send_keys: bool = False,
) -> ImportReport:
    """Import a CSV of families (``read``: the upload's reader) into the agent's town
    (docs/import.md).

    Roles: AGENT
    """
    staff = require_staff(actor)
    data = await read_upload(read)
    tenant = await Tenant.get(id=staff.tenant_id)
    return await import_into_town(
        tenant, data, actor=staff, clock=clock, dry_run=dry_run, send_keys=send_keys
    )


async def town_by_slug(slug: str) -> Tenant:
    tenant = await Tenant.get_or_none(slug=slug)
    if tenant is None:
        raise NotFound(f"Commune « {slug} »", "town")
    return tenant


async def import_into_town(
    tenant: Tenant,
    data: bytes,
    *,
    actor: Account | None,
    clock: Clock,
    dry_run: bool = False,
    send_keys: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """The import itself, for the mutation (inside its transaction: chunks are savepoints)
    and for the CLI (each chunk commits: an interrupted import is resumed by running it
    again)."""
    try:
        parsed = parse(data, today=clock.now().date())
    except FileRefused as refused:
        raise DomainError(HouseholdErrorCode.INVALID, refused.message, "file") from None
    report = ImportReport(dry_run=dry_run, rows=parsed.rows)
    families = parsed.families
    for start in range(0, len(families), CHUNK_FAMILIES):
        chunk = families[start : start + CHUNK_FAMILIES]
        await _import_chunk(tenant, chunk, report, clock=clock, dry_run=dry_run, keys=send_keys)
        if progress is not None:
            progress(start + len(chunk), len(families))
    if progress is not None and not families:
        progress(0, 0)
    refusals = list(parsed.orphans)
    for family in families:
        if family.refused:
            report.families_refused += 1
            refusals += _refused_rows(family)
    report.refusals = sorted(refusals, key=lambda refusal: refusal.line)
    if not dry_run:
        async with atomic():
            await audit.record(
                "household.import",
                tenant_id=tenant.id,
                actor=actor,
                target_type="tenant",
                target_id=tenant.id,
                clock=clock,
                details={
                    "rows": report.rows,
                    "created": report.families_created,
                    "updated": report.families_updated,
                    "refused": report.families_refused,
                    "keys_mailed": report.keys_mailed,
                },
            )
    return report


def _refused_rows(family: Family) -> list[Refusal]:
    """Every row of a refused family: its own reasons, or the line that refused it."""
    at_fault = {refusal.line for refusal in family.refusals}
    first = min(at_fault)
    others = [
        Refusal(line, family.reference, f"famille {family.reference} refusée (voir ligne {first}).")
        for line in sorted(set(family.lines) - at_fault)
    ]
    return [*family.refusals, *others]


async def _import_chunk(
    tenant: Tenant,
    families: list[Family],
    report: ImportReport,
    *,
    clock: Clock,
    dry_run: bool,
    keys: bool,
) -> None:
    candidates = [family for family in families if not family.refused]
    if not candidates:
        return
    if dry_run:
        await _plan(
            tenant,
            candidates,
            report,
            keys_at=clock.now() if keys else None,
            today=clock.now().date(),
        )
        return
    try:
        async with savepoint():
            await _write(tenant, candidates, report, clock=clock, keys=keys)
        return
    except BaseORMException:
        if len(candidates) == 1:
            logger.exception("Import: family %s refused by the database", candidates[0].reference)
            candidates[0].refuse(
                candidates[0].lines[0],
                "la base de données a refusé cette famille ; rien n'en a été enregistré.",
            )
            return
    # Someone's row broke the chunk: alone, each family stands or falls by itself.
    for family in candidates:
        await _import_chunk(tenant, [family], report, clock=clock, dry_run=False, keys=keys)


async def _write(
    tenant: Tenant, families: list[Family], report: ImportReport, *, clock: Clock, keys: bool
) -> None:
    """Plan and write one chunk; the counts reach the report only once it is written."""
    if is_postgres():
        await connection().execute_query(
            "SELECT pg_advisory_xact_lock($1, $2)", [_LOCK_NAMESPACE, tenant.id]
        )
    draft = ImportReport(dry_run=False)
    plan = await _plan(tenant, families, draft, keys_at=None, today=clock.now().date())
    now = clock.now()
    ids = plan.ids | await _upsert_households(tenant.id, plan.households, now)
    for kind in _KINDS:
        await _insert_people(kind, plan.inserts.get(kind.kind, []), ids, now)
        await _update_people(kind, plan.updates.get(kind.kind, []))
    if keys:
        draft.keys_mailed = await _issue_keys(tenant, plan.written, ids, clock)
    _add(report, draft)


def _add(report: ImportReport, draft: ImportReport) -> None:
    for name in ("families_created", "families_updated", "families_unchanged", "keys_mailed"):
        setattr(report, name, getattr(report, name) + getattr(draft, name))
    for kind in _KINDS:
        total, part = kind.counts(report), kind.counts(draft)
        total.created += part.created
        total.updated += part.updated


async def _plan(
    tenant: Tenant,
    families: list[Family],
    report: ImportReport,
    *,
    keys_at: datetime | None,
    today: date,
) -> _Plan:
    """What to write for these families, counted into ``report``; refuses in place the
    families the database makes impossible. With ``keys_at`` (a dry run asked to send
    keys), counts the keys that would be mailed at that time."""
    references = [family.reference for family in families]
    stored = {
        row["reference"]: row
        for row in await Household.filter(tenant_id=tenant.id, reference__in=references).values(
            "id", "reference", *HOUSEHOLD_FIELDS
        )
    }
    household_ids = [row["id"] for row in stored.values()]
    people: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for kind in _KINDS:
        by_household: dict[int, list[dict[str, Any]]] = {}
        rows = (
            await kind.model.filter(household_id__in=household_ids)
            .order_by("id")
            .values("id", "household_id", *kind.columns)
            if household_ids
            else []
        )
        for row in rows:
            by_household.setdefault(row["household_id"], []).append(
                {name: _stored(value) for name, value in row.items()}
            )
        people[kind.kind] = by_household
    plan = _Plan(ids={reference: row["id"] for reference, row in stored.items()}, today=today)
    for family in families:
        household = stored.get(family.reference)
        if household is None and GENERATED_REFERENCE.match(family.reference):
            family.refuse(
                family.lines[0],
                f"aucune famille n'a la référence {family.reference} : les références de la "
                "forme F000123 sont attribuées par le portail.",
            )
            continue
        _plan_family(plan, family, household, people, report)
    if keys_at is not None:
        report.keys_mailed += await _keys_to_mail(plan.written, plan.ids, keys_at)
    return plan


def _plan_family(
    plan: _Plan,
    family: Family,
    household: dict[str, Any] | None,
    people: dict[str, dict[int, list[dict[str, Any]]]],
    report: ImportReport,
) -> None:
    changed = False
    if household is None:
        values: dict[str, Any] = {
            "name": family.default_name(),
            "address_line": "",
            "address_complement": "",
            "postal_code": "",
            "city": "",
            "phone": "",
            "email": "",
            "family_quotient": None,
            "family_quotient_valid_until": None,
            "family_quotient_source": None,
            "family_quotient_set_on": None,
            "paperless": False,
        }
        values.update(family.household)
        _stamp_quotient(values, family, None, plan.today)
        plan.households.append((family.reference, *(values[f] for f in HOUSEHOLD_FIELDS)))
    else:
        values = {name: household[name] for name in HOUSEHOLD_FIELDS}
        values.update(family.household)
        _stamp_quotient(values, family, household, plan.today)
        if any(values[name] != household[name] for name in HOUSEHOLD_FIELDS):
            plan.households.append((family.reference, *(values[f] for f in HOUSEHOLD_FIELDS)))
            changed = True
    for kind in _KINDS:
        stored_people: dict[tuple[str, ...], dict[str, Any]] = {}
        for row in people[kind.kind].get(household["id"], []) if household else []:
            stored_people.setdefault(person_key(row, kind.kind), row)
        counts = kind.counts(report)
        for person in kind.rows(family):
            fields = {name: _stored(value) for name, value in asdict(person).items()}
            match = stored_people.get(person.key())
            if match is None:
                plan.inserts.setdefault(kind.kind, []).append(
                    (family.reference, *(fields[name] for name in kind.columns))
                )
                counts.created += 1
                changed = True
                continue
            merged = dict(match)
            for name, column in kind.columns.items():
                if column in family.columns:
                    merged[name] = fields[name]
            if merged != match:
                plan.updates.setdefault(kind.kind, []).append(
                    (match["id"], *(merged[name] for name in kind.columns))
                )
                counts.updated += 1
                changed = True
    plan.written.append(family)
    if household is None:
        report.families_created += 1
    elif changed:
        report.families_updated += 1
    else:
        report.families_unchanged += 1


def _stamp_quotient(
    values: dict[str, Any], family: Family, stored: dict[str, Any] | None, today: date
) -> None:
    """The quotient's source and day, as ``setFamilyQuotient`` records them: a quotient the
    file brings (new, changed, or with another source) is the file's source (the town's
    entry without the column) set today; one the file leaves as it was keeps its own."""
    quotient = values["family_quotient"]
    before = stored["family_quotient"] if stored else None
    if quotient is None:
        values["family_quotient_source"] = None
        values["family_quotient_set_on"] = (
            today if before is not None else (stored or {}).get("family_quotient_set_on")
        )
        return
    source = family.household.get("family_quotient_source") or (
        stored["family_quotient_source"]
        if stored and before == quotient and stored["family_quotient_source"]
        else FamilyQuotientSource.MANUAL
    )
    values["family_quotient_source"] = str(FamilyQuotientSource(source).value)
    unchanged = (
        stored is not None
        and before == quotient
        and stored["family_quotient_source"] == values["family_quotient_source"]
    )
    values["family_quotient_set_on"] = (
        stored["family_quotient_set_on"] if stored is not None and unchanged else today
    )


def _columns(names: Sequence[str]) -> list[tuple[str, str]]:
    return [(name, _TYPES.get(name, "TEXT")) for name in names]


async def _upsert_households(
    tenant_id: int, rows: list[tuple[Any, ...]], now: datetime
) -> dict[str, int]:
    """New and changed households in one statement, with their ids by reference."""
    if not rows:
        return {}
    p = Params()
    source = rows_table(p, "r", rows, _columns(["reference", *HOUSEHOLD_FIELDS]))
    at = p(now)
    inserted = await fetch(
        "INSERT INTO household (tenant_id, reference, name, address_line, address_complement, "
        "postal_code, city, phone, email, family_quotient, family_quotient_valid_until, "
        "family_quotient_source, family_quotient_set_on, "
        f"paperless, created_at, updated_at) SELECT {p(tenant_id)}, r.reference, r.name, "
        "r.address_line, r.address_complement, r.postal_code, r.city, r.phone, r.email, "
        "r.family_quotient, r.family_quotient_valid_until, r.family_quotient_source, "
        "r.family_quotient_set_on, r.paperless, "
        f"{at}, {at} FROM {source} WHERE true "
        "ON CONFLICT (tenant_id, reference) DO UPDATE SET name = excluded.name, "
        "address_line = excluded.address_line, address_complement = excluded.address_complement, "
        "postal_code = excluded.postal_code, city = excluded.city, phone = excluded.phone, "
        "email = excluded.email, family_quotient = excluded.family_quotient, "
        "family_quotient_valid_until = excluded.family_quotient_valid_until, "
        "family_quotient_source = excluded.family_quotient_source, "
        "family_quotient_set_on = excluded.family_quotient_set_on, "
        "paperless = excluded.paperless, updated_at = excluded.updated_at "
        "RETURNING id, reference",
        p,
    )
    return {row["reference"]: row["id"] for row in inserted}


# The INSERT of each kind's new people, before its ``SELECT``: the fence test
# (tests/test_sql_fences.py) reads these column lists; they follow each kind's columns.
GUARDIAN_INSERT = (
    "INSERT INTO guardian (household_id, civility, last_name, first_names, relationship, "
    "email, phone_mobile, phone_work, is_payer, receives_mail, created_at)"
)
CHILD_INSERT = (
    "INSERT INTO child (household_id, last_name, first_names, birth_date, school, "
    "school_class, health_notes, has_pai, pai_details, diet, created_at)"
)
CONTACT_INSERT = (
    "INSERT INTO contact (household_id, kind, last_name, first_names, relationship, phone, "
    "notes, created_at)"
)
_PEOPLE_INSERTS = {
    # An imported guardian gets the town's mails, as one created in the portal.
    "guardian": (GUARDIAN_INSERT, "TRUE, "),
    "child": (CHILD_INSERT, ""),
    # An imported contact has no notes: agents add them in the portal.
    "contact": (CONTACT_INSERT, "'', "),
}


async def _insert_people(
    kind: _Kind, rows: list[tuple[Any, ...]], ids: dict[str, int], now: datetime
) -> None:
    """New people of the chunk, in one statement; each row starts with its family's
    reference, replaced here by its household's id."""
    if not rows:
        return
    p = Params()
    names = list(kind.columns)
    resolved = [(ids[row[0]], *row[1:]) for row in rows]
    source = rows_table(p, "r", resolved, _columns(["household_id", *names]))
    insert, extra = _PEOPLE_INSERTS[kind.table]
    selected = ", ".join(f"r.{name}" for name in ["household_id", *names])
    await connection().execute_query(
        f"{insert} SELECT {selected}, {extra}{p(now)} FROM {source}", p.values
    )


async def _update_people(kind: _Kind, rows: list[tuple[Any, ...]]) -> None:
    """Changed people of the chunk, in one ``UPDATE … FROM`` (every written field set)."""
    if not rows:
        return
    p = Params()
    names = list(kind.columns)
    source = rows_table(p, "r", rows, _columns(["id", *names]))
    assignments = ", ".join(f"{name} = r.{name}" for name in names)
    await connection().execute_query(
        f"UPDATE {kind.table} SET {assignments} FROM {source} WHERE {kind.table}.id = r.id",
        p.values,
    )


async def _key_candidates(household_ids: list[int], now: datetime) -> set[int]:
    """Guardians of these households who could receive a key: not linked to an account,
    and holding no key still valid (an import run again does not mail a second one)."""
    if not household_ids:
        return set()
    unlinked: list[int] = await Guardian.filter(
        household_id__in=household_ids, account_id__isnull=True
    ).values_list("id", flat=True)  # type: ignore[assignment]
    holding: list[int] = await AccessKey.filter(
        guardian_id__in=unlinked, used_at__isnull=True, expires_at__gt=now
    ).values_list("guardian_id", flat=True)  # type: ignore[assignment]
    return set(unlinked) - set(holding)


async def _keys_to_mail(families: list[Family], ids: dict[str, int], now: datetime) -> int:
    """A dry run's count of the keys the import would mail: to the file's guardians with
    an e-mail, new or stored and still able to receive one."""
    existing_ids = [ids[family.reference] for family in families if family.reference in ids]
    eligible = await _key_candidates(existing_ids, now)
    stored_guardians: dict[tuple[int, tuple[str, ...]], int] = {}
    if existing_ids:
        for row in await Guardian.filter(household_id__in=existing_ids).values(
            "id", "household_id", "last_name", "first_names"
        ):
            key = person_key(row, PersonKind.GUARDIAN)
            stored_guardians.setdefault((row["household_id"], key), row["id"])
    count = 0
    for family in families:
        household_id = ids.get(family.reference)
        for guardian in family.guardians:
            known = stored_guardians.get((household_id, guardian.key())) if household_id else None
            if guardian.email and (known is None or known in eligible):
                count += 1
    return count


async def _issue_keys(
    tenant: Tenant, families: list[Family], ids: dict[str, int], clock: Clock
) -> int:
    """A key for every guardian of these families who has an e-mail and could use one,
    mailed through the outbox in the chunk's transaction: 3 statements for the chunk."""
    now = clock.now()
    household_ids = [ids[family.reference] for family in families]
    eligible = await _key_candidates(household_ids, now)
    if not eligible:
        return 0
    guardians = (
        await Guardian.filter(id__in=list(eligible))
        .exclude(email="")
        .order_by("id")
        .values("id", "first_names", "email", "household__name")
    )
    if not guardians:
        return 0
    expires_at = now + timedelta(days=get_settings().access_key_ttl_days)
    link = f"{get_settings().public_url}/graphql"
    keys = [(row["id"], new_access_key()) for row in guardians]
    p = Params()
    source = rows_table(
        p, "r", [(i, digest(key)) for i, key in keys], _columns(["guardian_id", "key_hash"])
    )
    await connection().execute_query(
        "INSERT INTO access_key (guardian_id, key_hash, created_at, expires_at) "
        f"SELECT r.guardian_id, r.key_hash, {p(now)}, {p(expires_at)} FROM {source}",
        p.values,
    )
    valid_until = format_date(expires_at.date())
    mails = [
        mail_job(
            row["email"],
            "access_key",
            {
                "town": tenant.name,
                "first_names": row["first_names"],
                "household": row["household__name"],
                "key": key,
                "valid_until": valid_until,
                "link": link,
            },
        )
        for row, (_, key) in zip(guardians, keys, strict=True)
    ]
    p = Params()
    await connection().execute_query(jobs_insert(p, mails, now), p.values)
    return len(mails)
