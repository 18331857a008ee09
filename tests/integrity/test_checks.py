"""``famille check``'s invariants on both backends: a town whose rows were all written by
the application passes, and each kind of damage a bad restore leaves is named, in French,
with the row to look at. The suite's database is shared, so each test reads only the
problems that name its own régie, document or job."""

from datetime import UTC, datetime

from tortoise.expressions import F

from jobs.worker import FUNCTIONS
from models.billing import Invoice, InvoiceLine
from models.documents import DocumentFile
from models.outbox import OutboxJob
from models.payments import DocumentCounter
from resolvers.core.clock import FrozenClock
from resolvers.core.french import format_euros
from resolvers.integrity.checks import CheckResult, run_checks
from resolvers.live.live import LIVE_EVENTS_FUNCTION
from tests.conftest import Backend
from tests.integrity.seeding import SeededTown, seed_town

KNOWN = {function.__name__ for function in FUNCTIONS} | {LIVE_EVENTS_FUNCTION}


def problems_of(results: list[CheckResult], seeded: SeededTown) -> list[str]:
    marks = (f"({seeded.town.authority.id})", f"document {seeded.document_id},")
    return [
        problem
        for result in results
        for problem in result.problems
        if any(mark in problem for mark in marks)
    ]


async def test_a_town_written_by_the_application_passes_every_check(
    backend: Backend, clock: FrozenClock
) -> None:
    seeded = await seed_town(clock)

    results = await run_checks(KNOWN)

    assert [result.title for result in results] == [
        "Migrations",
        "Numéros de facture",
        "Numéros de reçu, de bordereau et de remboursement",
        "Montants réglés et grand livre des paiements",
        "Fichiers des documents",
        "File de travaux (outbox)",
        "Séquences des identifiants",
    ]
    assert results[0].ok
    assert problems_of(results, seeded) == []
    sequences = results[-1]
    if backend.name == "postgres":
        assert sequences.ok and sequences.checked.endswith("table(s)")
    else:
        assert sequences.checked == "sans objet sous SQLite"


async def test_each_kind_of_damage_is_named(backend: Backend, clock: FrozenClock) -> None:
    seeded = await seed_town(clock)
    authority_id = seeded.town.authority.id
    lost = await Invoice.get(id=seeded.invoice_ids[2])
    paid = await Invoice.get(id=seeded.invoice_ids[0])

    # An invoice the restore lost, a receipt number given out and lost, a document file's
    # bytes missing, an invoice settled by more than its payments.
    await InvoiceLine.filter(invoice_id=lost.id).delete()
    await lost.delete()
    await DocumentCounter.filter(authority_id=authority_id, series="receipt").update(
        last_sequence=F("last_sequence") + 1
    )
    await DocumentFile.filter(document_id=seeded.document_id).update(content=None)
    await Invoice.filter(id=paid.id).update(settled_cents=F("settled_cents") + 1)

    problems = problems_of(await run_checks(KNOWN), seeded)

    regie = f"régie « Régie périscolaire » ({authority_id})"
    assert problems == [
        f"{regie}, 2026-10 : 1 numéro(s) de facture manquant(s) : {lost.number}",
        f"{regie}, reçus de 2026 : 1 numéro(s) manquant(s) : R{authority_id}-2026-000002",
        f"{regie}, facture {paid.number} : réglée de {format_euros(paid.settled_cents + 1)}, "
        f"le grand livre (paiements et avoirs) en explique {format_euros(paid.settled_cents)}",
        f"document {seeded.document_id}, fichier 1 « attestation.pdf » (database) : "
        "contenu absent de la base",
    ]


async def test_a_counter_behind_its_numbers_would_give_a_number_twice(
    backend: Backend, clock: FrozenClock
) -> None:
    seeded = await seed_town(clock)
    from models.billing import InvoiceCounter

    await InvoiceCounter.filter(authority_id=seeded.town.authority.id).update(last_sequence=3)

    problems = problems_of(await run_checks(KNOWN), seeded)

    assert len(problems) == 1
    assert "le compteur (3) est en retard sur le dernier numéro (2610000004)" in problems[0]


async def test_outbox_rows_no_worker_can_run_are_named(
    backend: Backend, clock: FrozenClock
) -> None:
    now = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    jobs = [
        await OutboxJob.create(function="envoyer_fax", kwargs={}, created_at=now),
        await OutboxJob.create(
            function="send_mail", kwargs={}, created_at=now, completed_at=now, attempts=1
        ),
    ]
    try:
        [outbox] = [r for r in await run_checks(KNOWN) if r.title.startswith("File")]
    finally:
        await OutboxJob.filter(id__in=[job.id for job in jobs]).delete()

    assert any(
        "en attente pour la fonction inconnue « envoyer_fax » : aucun worker de cette version "
        "ne l'exécutera" in problem
        for problem in outbox.problems
    )
    assert any("terminé(s) sans avoir été remis à la file" in p for p in outbox.problems)
