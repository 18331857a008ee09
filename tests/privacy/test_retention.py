"""RGPD retention: families gone for the retention period lose their document files, health
notes and contacts' details, once; families still around keep everything; each run is
audited."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.fields import CharField, JSONField, TextField

from jobs.privacy import apply_retention_cron
from jobs.worker import CRON_JOBS
from models.accounts import Account, AccountRole
from models.audit import AuditEntry
from models.documents import Document, DocumentFile, DocumentKind
from models.households import Child, Contact, ContactKind, Guardian, Household
from models.messages import Message
from models.privacy import HouseholdErasure
from models.requests import Request, RequestEvent, RequestKind
from models.tenants import Tenant
from resolvers.core import audit
from resolvers.core.clock import FrozenClock
from resolvers.core.sql import Params, fetch
from resolvers.documents.documents import CheckedFile, DocumentForm, store_document
from resolvers.households.households import (
    ContactDetailsForm,
    ContactForm,
    add_contact,
    remove_contact,
    update_contact,
    update_contact_details,
)
from resolvers.messages.messages import reply, start_thread
from resolvers.privacy.privacy import apply_retention
from tests import samples
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)

pytestmark = pytest.mark.usefixtures("backend")

# Retention is 730 days by default: 2029-08-01 looks back to 2027-08-02, after the end of
# the 2026-2027 school year (3 July 2027).
LATER = datetime(2029, 8, 1, 1, 30, tzinfo=UTC)


async def family(tenant: Tenant, staff: Account, clock: FrozenClock, name: str) -> Household:
    """A family of autumn 2026: enrolled, a health note, a pick-up contact, a document."""
    household = await make_household(staff, clock, children=1, guardians=1, name=name)
    await Child.filter(household=household).update(
        health_notes="Allergie aux arachides", has_pai=True, pai_details="Trousse d'urgence"
    )
    await add_contact(
        staff,
        household.id,
        ContactForm(ContactKind.AUTHORISED_PICKUP, "Lemoine", "0755667788", "Paul", "Oncle"),
        clock=clock,
    )
    parent = await make_account(tenant, clock)
    await Guardian.filter(household=household).update(account_id=parent.id)
    await token_for(parent, clock)  # a login in November 2026
    await store_document(
        parent,
        household.id,
        DocumentForm(DocumentKind.PROOF_OF_ADDRESS, "Facture EDF"),
        [CheckedFile("edf.pdf", "application/pdf", samples.pdf())],
        in_storage=True,
        clock=clock,
    )
    return household


async def test_a_family_gone_for_the_retention_period_is_anonymised_once(
    clock: FrozenClock,
) -> None:
    # given two families of 2026-2027; only the second one's parent still logs in in 2029
    tenant = await make_town()
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock)
    gone = await family(tenant, staff, clock, "Famille Partie")
    staying = await family(tenant, staff, clock, "Famille Restée")
    for household in (gone, staying):
        await enroll_all(staff, household, catalogue, clock)
    clock.current = datetime(2029, 6, 15, 8, 0, tzinfo=UTC)
    staying_parent = await Account.get(guardianships__household_id=staying.id)
    await token_for(staying_parent, clock)

    # when the daily job runs for the town, twice (two workers, or a retry)
    clock.current = LATER
    await apply_retention(clock=clock, tenant_id=tenant.id)
    await apply_retention(clock=clock, tenant_id=tenant.id)

    # then the family gone has no files, no health notes, anonymous contacts, once
    assert not await DocumentFile.exists(document__household_id=gone.id)
    assert await Document.exists(household_id=gone.id)  # what was held stays listed
    [child] = await Child.filter(household_id=gone.id)
    assert (child.health_notes, child.has_pai, child.pai_details) == ("", False, "")
    [contact] = await Contact.filter(household_id=gone.id)
    assert (contact.last_name, contact.first_names, contact.phone) == ("Anonymisé", "", "")
    erasure = await HouseholdErasure.get(household_id=gone.id)
    assert (erasure.files_deleted, erasure.children_cleared, erasure.contacts_anonymised) == (
        1,
        1,
        1,
    )

    # and the family still around keeps everything
    assert await DocumentFile.exists(document__household_id=staying.id)
    [kept] = await Child.filter(household_id=staying.id)
    assert kept.health_notes == "Allergie aux arachides"
    assert not await HouseholdErasure.exists(household_id=staying.id)

    # and both runs are in the town's audit log, the second one with nothing to do
    runs = await AuditEntry.filter(tenant_id=tenant.id, action="retention.run").order_by("id")
    assert [run.details["households"] for run in runs] == [[gone.id], []]


async def test_a_request_within_the_retention_period_keeps_a_family(
    clock: FrozenClock,
) -> None:
    tenant = await make_town()
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock)
    household = await family(tenant, staff, clock, "Famille Inscrite")
    await enroll_all(staff, household, catalogue, clock)

    # the school year ended in July 2027, but a request came in March 2028
    clock.current = datetime(2028, 3, 1, 8, 0, tzinfo=UTC)
    await add_contact(
        staff,
        household.id,
        ContactForm(ContactKind.DOCTOR, "Docteur Vidal", "05 63 00 00 00"),
        clock=clock,
    )
    clock.current = LATER
    await apply_retention(clock=clock, tenant_id=tenant.id)

    assert not await HouseholdErasure.exists(household_id=household.id)
    assert await DocumentFile.exists(document__household_id=household.id)


async def test_a_message_within_the_retention_period_keeps_a_family(
    clock: FrozenClock,
) -> None:
    tenant = await make_town()
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    household = await family(tenant, staff, clock, "Famille Bavarde")
    clock.current = datetime(2028, 3, 1, 8, 0, tzinfo=UTC)
    await start_thread(staff, household.id, "Dossier", "Votre dossier est-il à jour ?", clock=clock)

    clock.current = LATER
    await apply_retention(clock=clock, tenant_id=tenant.id)

    assert not await HouseholdErasure.exists(household_id=household.id)


async def test_a_run_for_one_town_erases_only_that_towns_families(clock: FrozenClock) -> None:
    # given two towns, each with a family gone since 2027
    towns = [await make_town(), await make_town()]
    gone = []
    for tenant in towns:
        staff = await make_account(tenant, clock, role=AccountRole.AGENT)
        gone.append(await family(tenant, staff, clock, "Famille Partie"))

    # when the first town's retention runs
    clock.current = LATER
    run = await apply_retention(clock=clock, tenant_id=towns[0].id)

    # then only its family is erased, and its audit entry says so
    assert run.households == {towns[0].id: [gone[0].id]}
    assert await HouseholdErasure.exists(household_id=gone[0].id)
    assert not await HouseholdErasure.exists(household_id=gone[1].id)
    assert await DocumentFile.exists(document__household_id=gone[1].id)
    [kept] = await Contact.filter(household_id=gone[1].id)
    assert kept.last_name == "Lemoine"
    assert not await AuditEntry.exists(tenant_id=towns[1].id, action="retention.run")

    # and the other town's own run erases its family
    run = await apply_retention(clock=clock, tenant_id=towns[1].id)
    assert run.households == {towns[1].id: [gone[1].id]}


async def test_a_family_file_is_dated_by_the_apps_clock(clock: FrozenClock) -> None:
    """Retention compares created_at with the app's clock, so the app's clock stamps it."""
    tenant = await make_town()
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    clock.current = datetime(2019, 3, 4, 5, 6, 7, tzinfo=UTC)

    household = await make_household(staff, clock, children=1, guardians=1)

    assert household.created_at == clock.now()
    assert (await Household.get(id=household.id)).created_at == clock.now()


def test_the_worker_runs_it_every_night_in_town_time() -> None:
    """The cron runs over every town (the tests above scope it to theirs, since the test
    database is shared by the whole session)."""
    [job] = [job for job in CRON_JOBS if job.name == "apply_retention"]
    assert getattr(job.coroutine, "__wrapped__", None) is apply_retention_cron  # jobs/metrics.py
    assert (job.hour, job.minute, job.second) == ({3}, {30}, 0)


def _phone(u: str) -> str:
    return "07" + str(int(u, 16))[-8:].rjust(8, "0")


async def test_no_copy_of_an_erased_value_is_left_in_any_table(
    clock: FrozenClock, run_jobs: Any
) -> None:
    """Every text and JSON column of every table (read from the models) is searched for the
    names, e-mails, phones, address and health notes the family's file held."""
    # given a family of autumn 2026 whose file went through everything that copies its data
    u = uuid.uuid4().hex[:10]
    tenant = await make_town()
    await Tenant.filter(id=tenant.id).update(contact_email=f"mairie-{u}@exemple.fr")
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    household = await make_household(staff, clock, children=1, guardians=1, name="Famille Partie")
    parent = await make_account(tenant, clock)
    await Guardian.filter(household=household).update(account_id=parent.id)
    await token_for(parent, clock)
    await Child.filter(household=household).update(
        health_notes=f"Allergie aux noix {u}", has_pai=True, pai_details=f"Trousse bleue {u}"
    )
    phones = [_phone(u + suffix) for suffix in ("a", "b", "c", "d")]
    await update_contact_details(
        parent,
        household.id,
        ContactDetailsForm(
            email=f"famille-{u}@exemple.fr",
            phone_mobile=phones[0],
            address_line=f"12 impasse des Lilas {u}",
        ),
        clock=clock,
    )
    await update_contact_details(
        parent,
        household.id,
        ContactDetailsForm(address_line=f"3 chemin du Moulin {u}", phone_work=phones[3]),
        clock=clock,
    )
    uncle = await add_contact(
        parent,
        household.id,
        ContactForm(ContactKind.AUTHORISED_PICKUP, f"Lemoine{u}", phones[1], f"Paul{u}", "Oncle"),
        clock=clock,
    )
    await update_contact(
        parent,
        uncle.id,
        ContactForm(
            ContactKind.AUTHORISED_PICKUP,
            f"Lemoine-Durand{u}",
            phones[1],
            f"Paul{u}",
            "Oncle",
            f"Code portail {u}",
        ),
        clock=clock,
    )
    aunt = await add_contact(
        parent,
        household.id,
        ContactForm(ContactKind.EMERGENCY, f"Martin{u}", phones[2], f"Zoe{u}", "Tante"),
        clock=clock,
    )
    await remove_contact(parent, aunt.id, clock=clock)
    thread, _ = await start_thread(
        parent,
        household.id,
        f"Sortie avec Paul{u}",
        f"Mon oncle Paul{u} Lemoine{u} viendra chercher les enfants ({phones[1]}).",
        clock=clock,
    )
    await reply(staff, thread.id, f"Bien noté pour M. Lemoine{u}, merci.", clock=clock)
    await run_jobs()  # these mails are sent: their outbox rows are completed
    await reply(staff, thread.id, f"Rappel : Zoe{u} Martin{u} n'est plus inscrite.", clock=clock)
    request = await Request.filter(household=household, kind=RequestKind.CONTACT_ADD).first()
    assert request is not None
    await RequestEvent.create(
        request=request,
        status=request.status,
        comment=f"Vérifié avec Paul{u} Lemoine{u} au {phones[1]}",
        actor=staff,
        created_at=clock.now(),
    )
    await audit.record(
        "household.note",
        tenant_id=tenant.id,
        actor=staff,
        target_type="household",
        target_id=household.id,
        clock=clock,
        details={"note": f"Appel de Paul{u} Lemoine{u}", "phone": phones[1]},
    )
    erased = [
        f"Paul{u}",
        f"Lemoine{u}",
        f"Lemoine-Durand{u}",
        f"Zoe{u}",
        f"Martin{u}",
        f"famille-{u}@exemple.fr",
        f"12 impasse des Lilas {u}",
        f"3 chemin du Moulin {u}",
        f"Code portail {u}",
        f"Allergie aux noix {u}",
        f"Trousse bleue {u}",
        *phones,
    ]
    assert await copies_of(erased), "the family's data must be somewhere before the run"

    # when retention runs after two years without a sign of life
    clock.current = LATER
    run = await apply_retention(clock=clock, tenant_id=tenant.id)

    # then no table holds any of those values any more
    assert run.households == {tenant.id: [household.id]}
    assert await copies_of(erased) == []

    # and the file is still listed, under its name, with its requests and their history
    kept = await Household.get(id=household.id)
    assert (kept.name, kept.address_line) == ("Famille Partie", "Anonymisé")
    requests = await Request.filter(household=household).order_by("id")
    assert [request.summary for request in requests] == [
        "Mise à jour des coordonnées",
        "Mise à jour des coordonnées",
        "Ajout du contact Anonymisé",
        "Modification du contact Anonymisé",
        "Ajout du contact Anonymisé",
        "Suppression du contact Anonymisé",
    ]
    assert await Message.filter(thread_id=thread.id).count() == 3


async def copies_of(values: list[str]) -> list[str]:
    """``table.column: value`` for each text or JSON column of any model holding a value."""
    found = []
    for model in Tortoise.apps["models"].values():
        for name, field in model._meta.fields_map.items():
            if not isinstance(field, CharField | TextField | JSONField):
                continue
            column = field.source_field or name
            table = model._meta.db_table
            params = Params()
            like = " OR ".join(
                f"CAST({column} AS TEXT) LIKE {params(f'%{value}%')}" for value in values
            )
            rows = await fetch(
                f"SELECT CAST({column} AS TEXT) AS v FROM {table} WHERE {like}", params
            )
            for row in rows:
                found += [f"{table}.{column}: {value}" for value in values if value in row["v"]]
    return found
