"""A billing town with every kind of row ``famille check`` reads: invoices numbered by the
monthly run, a credit note, a desk payment with its receipt number and credit, a stored
document and its outbox jobs, made through the resolvers staff and parents use.

Run in the test process (tests/integrity/test_checks.py) or, for a database of its own, as
``python -m tests.integrity.seeding`` with FAMILLE_DATABASE_URL pointing at it."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime

from models.billing import Invoice
from models.documents import DocumentKind
from models.payments import DeskPaymentMode
from resolvers.billing.corrections import cancel_invoice
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from resolvers.documents.documents import CheckedFile, DocumentForm, store_document
from resolvers.payments.desk import DeskForm, record_desk_payment
from tests.billing_factories import BillingTown, make_billing_town, make_family

PDF = b"%PDF-1.4\n% attestation CAF de test\n%%EOF\n"


@dataclass
class SeededTown:
    town: BillingTown
    invoice_ids: list[int]
    credit_note_id: int
    receipt_number: str
    document_id: int


async def seed_town(clock: FrozenClock) -> SeededTown:
    clock.current = datetime(2026, 9, 20, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    families = [await make_family(town, clock) for _ in range(3)]
    clock.current = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    invoices = await Invoice.filter(authority_id=town.authority.id).order_by("id")
    # Paid at the desk with 10 € more than due (the household's credit), and cancelled.
    desk = await record_desk_payment(
        town.staff,
        DeskForm(
            household_id=families[0].household.id,
            mode=DeskPaymentMode.CASH,
            amount_cents=invoices[0].total_cents + 1000,
            received_on=date(2026, 11, 2),
            invoice_ids=[invoices[0].id],
        ),
        clock=clock,
    )
    credit_note = await cancel_invoice(
        town.staff, invoices[1].id, "Erreur de pointage", clock=clock
    )
    document = await store_document(
        families[0].parent,
        families[0].household.id,
        DocumentForm(kind=DocumentKind.CAF_ATTESTATION, title="Attestation CAF 2026"),
        [CheckedFile("attestation.pdf", "application/pdf", PDF)],
        in_storage=True,
        clock=clock,
    )
    return SeededTown(
        town, [invoice.id for invoice in invoices], credit_note.id, desk.number, document.id
    )


async def _main() -> None:
    from models.database import close_db, init_db

    await init_db()
    try:
        await seed_town(FrozenClock(datetime(2026, 11, 2, 8, 0, tzinfo=UTC)))
    finally:
        await close_db()


if __name__ == "__main__":
    asyncio.run(_main())
