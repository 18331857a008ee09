"""Migrations run on a live database (docs/upgrades.md): while one runs, the previous
release still serves families, so a migration must neither hold a long lock on a table in
use (``booking`` above all on an opening day) nor remove what the previous release reads.
This lint reads each migration's operations and SQL and names what would: a plain
``CREATE INDEX``, a NOT NULL column without a default, a volatile default, ``SET NOT NULL``
or a constraint validated under lock, a column's type changed, and the contract steps
(drop, rename) shipped with the code that stops using them.

Migrations already released ran before this lint, on small or empty tables: their findings
are listed in RELEASED, and a new migration must have none (or say why in RELEASED)."""

import ast
import re
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "models" / "migrations"

SAFE_OPERATIONS = {"CreateModel", "AlterModelOptions", "RunPython", "RemoveIndex"}
CONTRACT_OPERATIONS = {"RemoveField", "DeleteModel", "RenameField", "RenameModel"}
VOLATILE = re.compile(
    r"\bDEFAULT\s+\(?\s*(now|random|clock_timestamp|gen_random_uuid|uuid_generate_v4|"
    r"current_timestamp|statement_timestamp|timeofday)\b",
    re.IGNORECASE,
)
SQL_RULES: list[tuple[str, re.Pattern[str], str]] = [
    (
        "index-without-concurrently",
        re.compile(r"\bCREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)", re.IGNORECASE),
        "CREATE INDEX blocks writes to the table while it builds: CREATE INDEX CONCURRENTLY "
        "in a migration with atomic = False",
    ),
    (
        "not-null-without-default",
        re.compile(
            r"\bADD\s+COLUMN\b(?:(?!\bDEFAULT\b)[^,;])*\bNOT\s+NULL\b(?![^,;]*\bDEFAULT\b)",
            re.IGNORECASE,
        ),
        "a NOT NULL column without a default fails on a table with rows, and the previous "
        "release's INSERTs do not name it: give it a constant DEFAULT",
    ),
    (
        "set-not-null",
        re.compile(r"\bSET\s+NOT\s+NULL\b", re.IGNORECASE),
        "SET NOT NULL scans the table under an exclusive lock: ADD CONSTRAINT … CHECK (col IS "
        "NOT NULL) NOT VALID, VALIDATE CONSTRAINT in another statement, then SET NOT NULL",
    ),
    (
        "column-type-changed",
        re.compile(r"\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b", re.IGNORECASE),
        "changing a column's type rewrites the table under an exclusive lock: add a new "
        "column, backfill in batches, switch the code, drop the old one in a later release",
    ),
    (
        "constraint-validated-under-lock",
        re.compile(
            r"\bADD\s+CONSTRAINT\b(?![^;]*\bNOT\s+VALID\b)[^;]*\b(FOREIGN\s+KEY|CHECK)\b",
            re.IGNORECASE,
        ),
        "a FOREIGN KEY or CHECK is validated under lock: add it NOT VALID, then VALIDATE "
        "CONSTRAINT in another statement",
    ),
    (
        "contract",
        re.compile(r"\b(DROP\s+(COLUMN|TABLE)|RENAME\s+(COLUMN|TO))\b", re.IGNORECASE),
        "the previous release still reads it during the upgrade: drop or rename in a later "
        "release than the code that stops using it",
    ),
]

# Findings of the released migrations, accepted: they ran on tables that were empty or
# small then. A new migration adds nothing here without a reason next to it.
RELEASED = {
    # Foreign keys added to billing tables before any town billed.
    "0004_billing: constraint-validated-under-lock",
    "0015_pes_quotients: constraint-validated-under-lock",
    "0020_regie_ledger: constraint-validated-under-lock",
    # Enrollment is small (one row per child and activity), and was smaller then.
    "0008_enrollment_slot_index: index-without-concurrently",
}


def _string(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _state_only_classes(tree: ast.Module) -> set[str]:
    """Classes of the file that override ``database_forward`` to do nothing: operations on
    the model state only, whose SQL (if any) is a RunSQL the lint reads itself."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.AsyncFunctionDef) and item.name == "database_forward":
                    found.add(node.name)
    return found


def _field_is_not_null_without_default(field: ast.expr | None) -> bool:
    if not isinstance(field, ast.Call):
        return False
    kind = field.func.attr if isinstance(field.func, ast.Attribute) else ""
    null = _keyword(field, "null")
    nullable = isinstance(null, ast.Constant) and null.value is True
    return not nullable and _keyword(field, "default") is None and not kind.startswith("ManyToMany")


def _is_foreign_key(field: ast.expr | None) -> bool:
    return (
        isinstance(field, ast.Call)
        and isinstance(field.func, ast.Attribute)
        and field.func.attr in ("ForeignKeyField", "OneToOneField")
    )


def findings(source: str, migration: str) -> list[str]:
    """``<migration>: <rule> (<detail>)``, one per dangerous operation or statement."""
    tree = ast.parse(source)
    state_only = _state_only_classes(tree)
    created: set[str] = set()
    found: list[str] = []
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (
                isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "ops"
            )
            or (isinstance(node.func, ast.Name) and node.func.id in state_only)
        )
    ]
    calls.sort(key=lambda node: (node.lineno, node.col_offset))

    def add(rule: str, detail: str) -> None:
        found.append(f"{migration}: {rule} ({detail})")

    for call in calls:
        if not isinstance(call.func, ast.Attribute):  # state only
            continue
        operation = call.func.attr
        model = _string(_keyword(call, "model_name")) or ""
        if operation == "CreateModel":
            created.add(_string(_keyword(call, "name")) or "")
        if operation in SAFE_OPERATIONS or model in created:
            continue
        if operation in CONTRACT_OPERATIONS:
            name = _string(_keyword(call, "name")) or ""
            add("contract", f"{operation} {model}.{name}" if model else f"{operation} {name}")
        elif operation in ("AddIndex", "AddConstraint", "AlterUniqueTogether"):
            add("index-without-concurrently", f"{operation} on {model}")
        elif operation == "AlterField":
            add("column-type-changed", f"AlterField {model}.{_string(_keyword(call, 'name'))}")
        elif operation == "AddField":
            field = _keyword(call, "field")
            name = f"{model}.{_string(_keyword(call, 'name'))}"
            if _field_is_not_null_without_default(field):
                add("not-null-without-default", f"AddField {name}")
            if _is_foreign_key(field):
                add("constraint-validated-under-lock", f"AddField {name}")
        elif operation == "RunSQL":
            sql = _string(call.args[0] if call.args else _keyword(call, "sql")) or ""
            for rule, pattern, _why in SQL_RULES:
                if pattern.search(sql) and not re.search(r"\bCREATE\s+TABLE\b", sql, re.I):
                    add(rule, " ".join(sql.split())[:80])
            if VOLATILE.search(sql):
                add("volatile-default", " ".join(sql.split())[:80])
    return found


def all_findings() -> dict[str, list[str]]:
    return {
        path.stem: findings(path.read_text(), path.stem)
        for path in sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
    }


def rule_of(finding: str) -> str:
    return finding.split(" (", 1)[0]


def test_no_migration_takes_a_long_lock_or_breaks_the_running_release() -> None:
    new = [
        finding
        for found in all_findings().values()
        for finding in found
        if rule_of(finding) not in RELEASED
    ]
    assert new == [], "see docs/upgrades.md for the safe way"


def test_every_accepted_finding_is_still_found() -> None:
    found = {rule_of(finding) for found in all_findings().values() for finding in found}
    assert RELEASED <= found


DANGEROUS = """
from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [('models', '0020_regie_ledger')]

    operations = [
        ops.CreateModel(name='Waitlist', fields=[], options={'table': 'waitlist'}),
        ops.AddIndex(model_name='Waitlist', index=Index(fields=['id'])),
        ops.AddIndex(model_name='Booking', index=Index(fields=['day', 'status'])),
        ops.AddField(model_name='Booking', name='origin', field=fields.CharField(max_length=8)),
        ops.AddField(model_name='Booking', name='note', field=fields.CharField(
            max_length=8, default='')),
        ops.AddField(model_name='Booking', name='waitlist', field=fields.ForeignKeyField(
            'models.Waitlist', null=True)),
        ops.RemoveField(model_name='Booking', name='source'),
        ops.RunSQL("ALTER TABLE booking ADD COLUMN seen_at TIMESTAMPTZ DEFAULT now()"),
        ops.RunSQL("CREATE INDEX booking_day ON booking (day)"),
        ops.RunSQL("CREATE INDEX CONCURRENTLY booking_child ON booking (child_id)"),
        ops.RunSQL("ALTER TABLE booking ALTER COLUMN status SET NOT NULL"),
        ops.RunSQL("ALTER TABLE booking ADD COLUMN kind VARCHAR(8) NOT NULL"),
        ops.RunSQL("ALTER TABLE booking ADD COLUMN mode VARCHAR(8) NOT NULL DEFAULT 'web'"),
        ops.RunSQL("ALTER TABLE booking ADD CONSTRAINT booking_fk FOREIGN KEY (site_id) "
                   "REFERENCES site (id)"),
        ops.RunSQL("ALTER TABLE booking ADD CONSTRAINT booking_fk2 FOREIGN KEY (site_id) "
                   "REFERENCES site (id) NOT VALID"),
    ]
"""


def test_the_lint_names_each_dangerous_statement_and_lets_the_safe_ones_pass() -> None:
    assert findings(DANGEROUS, "0021_waitlist") == [
        "0021_waitlist: index-without-concurrently (AddIndex on Booking)",
        "0021_waitlist: not-null-without-default (AddField Booking.origin)",
        "0021_waitlist: constraint-validated-under-lock (AddField Booking.waitlist)",
        "0021_waitlist: contract (RemoveField Booking.source)",
        "0021_waitlist: volatile-default (ALTER TABLE booking ADD COLUMN seen_at TIMESTAMPTZ "
        "DEFAULT now())",
        "0021_waitlist: index-without-concurrently (CREATE INDEX booking_day ON booking (day))",
        "0021_waitlist: set-not-null (ALTER TABLE booking ALTER COLUMN status SET NOT NULL)",
        "0021_waitlist: not-null-without-default (ALTER TABLE booking ADD COLUMN kind "
        "VARCHAR(8) NOT NULL)",
        "0021_waitlist: constraint-validated-under-lock (ALTER TABLE booking ADD CONSTRAINT "
        "booking_fk FOREIGN KEY (site_id) REFERENCES s)",
    ]
