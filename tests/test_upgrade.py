"""An upgrade of a database in use (docs/upgrades.md): a database migrated by the previous
release, holding a town's rows written by that release (raw SQL, in that release's
columns), is migrated by this one; every row is still there, the columns added since are
filled for the old rows, the application reads them, and ``famille check`` passes."""

import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as tortoise_migrate

from models.accounts import Account
from models.authorities import BillingAuthority
from models.billing import Invoice, InvoiceKind
from models.households import Child, Guardian, Household
from models.tenants import Tenant
from resolvers.billing.invoices import amount_due
from resolvers.core.sql import connection
from settings import Settings
from tests.conftest import POSTGRES_ADMIN_URL, Backend, _admin

ROOT = Path(__file__).resolve().parent.parent
# The last migration of the release in production: move it to the newest one at each release.
PREVIOUS_RELEASE = "0018_year_rollover"
AT = "'2026-09-01 08:00:00+00:00'"

# A town as the previous release wrote it: its columns then, nothing added since.
PREVIOUS_ROWS = [
    "INSERT INTO tenant (id, slug, name, timezone, contact_email, password_min_length, "
    "password_requires_uppercase, cgu_version, first_illness_day_without_certificate, "
    f"created_at) VALUES (1, 'avant', 'Ville d''Avant', 'Europe/Paris', '', 8, FALSE, "
    f"'2026-01', FALSE, {AT})",
    "INSERT INTO account (id, tenant_id, email, password_hash, role, civility, last_name, "
    "first_names, birth_name, phone_mobile, phone_home, address_line, address_complement, "
    "postal_code, city, cgu_version, cgu_accepted_at, is_disabled, created_at) VALUES "
    "(1, 1, 'claire@example.org', '!', 'parent', 'mme', 'Martin', 'Claire', '', '', '', "
    f"'1 rue Haute', '', '81100', 'Castres', '2026-01', {AT}, FALSE, {AT})",
    "INSERT INTO household (id, tenant_id, reference, name, address_line, "
    "address_complement, postal_code, city, phone, email, paperless, created_at, updated_at) "
    "VALUES (1, 1, 'F-001', 'Famille Martin', '1 rue Haute', '', '81100', 'Castres', '', "
    f"'claire@example.org', TRUE, {AT}, {AT})",
    "INSERT INTO guardian (id, household_id, account_id, civility, last_name, first_names, "
    "relationship, email, phone_mobile, phone_work, is_payer, created_at) VALUES (1, 1, 1, "
    f"'mme', 'Martin', 'Claire', 'mere', 'claire@example.org', '', '', TRUE, {AT})",
    "INSERT INTO child (id, household_id, last_name, first_names, birth_date, school_class, "
    "health_notes, has_pai, pai_details, diet, created_at) VALUES (1, 1, 'Martin', 'Léa', "
    f"'2018-04-02', 'CE1', '', FALSE, '', 'standard', {AT})",
    "INSERT INTO billing_authority (id, tenant_id, name, due_day, payment_opens_day, "
    "payment_opens_minutes, payment_closes_day, payment_closes_minutes, "
    "unbooked_surcharge_percent, resident_postal_codes, created_at) VALUES (1, 1, "
    f"'Régie périscolaire', 15, 1, 0, 31, 1439, 0, '81100', {AT})",
    "INSERT INTO invoice_counter (id, authority_id, month, last_sequence) "
    "VALUES (1, 1, '2026-09-01', 1)",
    "INSERT INTO invoice (id, tenant_id, authority_id, household_id, month, revision, kind, "
    "number, issued_on, due_on, payment_opens_at, payment_closes_at, total_cents, "
    "settled_cents, payer_name, payer_address, household_reference, payment_reference, "
    "delivery, created_at) VALUES (1, 1, 1, 1, '2026-09-01', 0, 'invoice', '2609000001', "
    f"'2026-10-01', '2026-10-15', {AT}, {AT}, 4250, 0, 'Claire Martin', '1 rue Haute', "
    f"'F-001', '260900000131', 'email', {AT})",
]


async def test_a_database_of_the_previous_release_upgrades_with_its_data(
    backend: Backend, tmp_path: Path
) -> None:
    if backend.name == "postgres":
        name = f"famille_upgrade_{uuid.uuid4().hex[:8]}"
        await _admin(f"CREATE DATABASE {name}")
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite://{tmp_path / 'upgrade.sqlite3'}"
    config = Settings(database_url=url).tortoise_config()
    try:
        # Given the previous release's database, with its rows.
        async with TortoiseContext():
            await tortoise_migrate(config=config, target=f"models.{PREVIOUS_RELEASE}")
        async with TortoiseContext() as context:
            await context.init(config=config)
            for statement in PREVIOUS_ROWS:
                await connection().execute_query(statement)
            if backend.name == "postgres":  # rows given their ids: move the sequences on
                for table in (
                    "tenant",
                    "account",
                    "household",
                    "guardian",
                    "child",
                    "billing_authority",
                    "invoice_counter",
                    "invoice",
                ):
                    await connection().execute_query(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)"
                    )

        # When this release migrates it.
        async with TortoiseContext():
            await tortoise_migrate(config=config)

        # Then every row is there, the new columns filled, and the application reads them.
        async with TortoiseContext() as context:
            await context.init(config=config)
            assert (await Tenant.get(slug="avant")).name == "Ville d'Avant"
            assert (await Account.get(id=1)).email == "claire@example.org"
            household = await Household.get(reference="F-001")
            assert household.archived_at is None and household.paperless
            guardian = await Guardian.get(household_id=household.id)
            assert guardian.receives_mail  # 0019: the town mails every guardian it did
            assert (await Child.get(household_id=household.id)).archived_at is None
            authority = await BillingAuthority.get(id=1)
            assert authority.dunning_days == "15 45"  # 0020: the default reminders
            invoice = await Invoice.get(number="2609000001")
            assert (invoice.kind, invoice.corrects_id, invoice.month) == (
                InvoiceKind.INVOICE,
                None,
                date(2026, 9, 1),
            )
            assert amount_due(invoice) == 4250
            # A row written by this release next to the old ones.
            await Tenant.create(slug="apres", name="Ville d'Après", created_at=invoice.created_at)

        checked = subprocess.run(
            [str(Path(sys.executable).parent / "famille"), "check"],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "FAMILLE_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    finally:
        if backend.name == "postgres":
            await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
