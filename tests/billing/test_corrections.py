"""Corrections of invoices by the régisseur (issue 16): a manual charge or discount on an
invoice not yet sent to the Treasury, a complementary invoice or credit note once it is,
and the cancellation of an invoice by a credit note; audited, printed, kept by the run."""

import io
from datetime import UTC, date, datetime
from typing import Any

import httpx
from pypdf import PdfReader

from gql.ids import encode_id
from models.audit import AuditEntry
from models.billing import Invoice, InvoiceKind, InvoiceLineKind
from models.treasury import PesBatch
from resolvers.billing.corrections import cancel_invoice
from resolvers.billing.invoicing import invoice_month
from resolvers.billing.tax_certificates import certificates_of
from resolvers.core.clock import FrozenClock
from tests.billing.test_tax_certificates import paid_invoice, town_with_young_children
from tests.billing_factories import make_billing_town, make_family
from tests.conftest import Backend, GraphQL
from tests.factories import token_for

ADD = """
mutation($id: ID!, $label: String!, $cents: Int!) {
  addInvoiceLine(invoiceId: $id, label: $label, amountCents: $cents) {
    invoice { id number kind correctsId total { cents } amountDue { cents } pdfUrl
              lines { kind label amount { cents } } }
    errors { code message field }
  }
}
"""
CANCEL = """
mutation($id: ID!, $reason: String!) {
  cancelInvoice(invoiceId: $id, reason: $reason) {
    invoice { id number kind correctsId total { cents } amountDue { cents } pdfUrl
              lines { kind label amount { cents } } }
    errors { code message field }
  }
}
"""
DUE = "query($id: ID!) { invoice(id: $id) { total { cents } amountDue { cents } } }"
DESK = """
mutation($input: DeskPaymentInput!) {
  recordDeskPayment(input: $input) { deskPayment { id } errors { message } }
}
"""


async def send_to_treasury(invoice: Invoice, clock: FrozenClock) -> None:
    """What the PES export does to an invoice it sends: it joins a batch, locked."""
    batch = await PesBatch.create(
        tenant_id=invoice.tenant_id,
        authority_id=invoice.authority_id,
        month=invoice.month,
        exercise=invoice.month.year,
        bordereau_number=1,
        collectivity_code="001",
        budget_code="00",
        file_name="PES_test.xml",
        piece_count=1,
        total_cents=invoice.total_cents,
        content=b"",
        created_at=clock.now(),
    )
    await Invoice.filter(id=invoice.id).update(pes_batch_id=batch.id)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_manual_lines_then_once_locked_a_complement_and_a_credit_note(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    clock.current = datetime(2026, 9, 20, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock, book_to=date(2026, 10, 31))
    clock.current = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    october = await Invoice.get(household_id=family.household.id)
    total = october.total_cents
    staff = await token_for(town.staff, clock)
    parent = await token_for(family.parent, clock)
    october_id = encode_id("Invoice", october.id)

    async def add(label: str, cents: int, token: str = staff) -> dict[str, Any]:
        result = await api(ADD, {"id": october_id, "label": label, "cents": cents}, token=token)
        assert result.get("data"), result
        payload: dict[str, Any] = result["data"]["addInvoiceLine"]
        return payload

    # Not yet sent to the Treasury: the lines go on the invoice itself.
    charge = await add("Frais de dossier", 500)
    assert charge["errors"] == []
    assert charge["invoice"]["number"] == october.number
    assert charge["invoice"]["total"]["cents"] == total + 500
    assert charge["invoice"]["lines"][-1] == {
        "kind": "MANUAL",
        "label": "Frais de dossier",
        "amount": {"cents": 500},
    }
    discount = await add("Remise exceptionnelle", -300)
    assert discount["invoice"]["amountDue"]["cents"] == total + 200
    too_big = await add("Remise", -(total + 201))
    assert too_big["errors"][0]["field"] == "amountCents"
    assert "dépasse le reste à payer" in too_big["errors"][0]["message"]
    assert (await add(" ", 100))["errors"][0]["field"] == "label"
    assert (await add("Rien", 0))["errors"][0]["field"] == "amountCents"
    assert (await add("Frais", 100, token=parent))["errors"][0]["code"] == "FORBIDDEN"
    text = pdf_text((await http.get(discount["invoice"]["pdfUrl"])).content)
    assert "Frais de dossier" in text and "Remise exceptionnelle" in text and "-3,00 €" in text

    # The next run of the month keeps staff's lines: nothing is issued to undo them.
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    assert await Invoice.filter(household_id=family.household.id).count() == 1

    # Sent to the Treasury (the PES export puts it in a batch): locked.
    await send_to_treasury(october, clock)
    complement = await add("Sortie au cinéma", 800)
    document = complement["invoice"]
    assert (document["kind"], document["correctsId"], document["total"]["cents"]) == (
        "COMPLEMENT",
        october_id,
        800,
    )
    assert document["number"] != october.number and document["number"].startswith("2610")
    credit = await add("Geste commercial", -400)
    note = credit["invoice"]
    assert (
        note["kind"],
        note["correctsId"],
        note["total"]["cents"],
        note["amountDue"]["cents"],
    ) == (
        "CREDIT_NOTE",
        october_id,
        -400,
        0,
    )
    due = await api(DUE, {"id": october_id}, token=parent)
    assert due["data"]["invoice"] == {
        "total": {"cents": total + 200},
        "amountDue": {"cents": total + 200 - 400},
    }
    text = pdf_text((await http.get(note["pdfUrl"])).content)
    assert f"Avoir de la facture n° {october.number}" in text
    assert "Geste commercial" in text
    numbers = sorted(
        await Invoice.filter(household_id=family.household.id).values_list("number", flat=True)
    )
    assert numbers == sorted({*numbers}) and len(numbers) == 3
    entries = await AuditEntry.filter(action="invoice.line_added", tenant_id=town.tenant.id)
    assert [e.details["amount_cents"] for e in entries] == [500, -300, 800, -400]


async def test_an_invoice_is_cancelled_by_a_credit_note_unless_it_was_paid(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    clock.current = datetime(2026, 9, 20, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock, book_to=date(2026, 10, 31))
    other = await make_family(town, clock, book_to=date(2026, 10, 31))
    clock.current = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    october = await Invoice.get(household_id=family.household.id)
    paid = await Invoice.get(household_id=other.household.id)
    staff = await token_for(town.staff, clock)
    october_id = encode_id("Invoice", october.id)

    no_reason = await api(CANCEL, {"id": october_id, "reason": " "}, token=staff)
    assert no_reason["data"]["cancelInvoice"]["errors"][0]["field"] == "reason"
    result = await api(CANCEL, {"id": october_id, "reason": "Enfant hospitalisé"}, token=staff)
    payload = result["data"]["cancelInvoice"]
    assert payload["errors"] == []
    note = payload["invoice"]
    assert (note["kind"], note["correctsId"], note["total"]["cents"]) == (
        "CREDIT_NOTE",
        october_id,
        -october.total_cents,
    )
    assert all(line["label"].startswith("Annulation : ") for line in note["lines"])
    due = await api(DUE, {"id": october_id}, token=staff)
    assert due["data"]["invoice"]["amountDue"]["cents"] == 0
    credit_note = await Invoice.get(corrects_id=october.id)
    assert credit_note.kind == InvoiceKind.CREDIT_NOTE
    assert credit_note.settled_cents == -october.total_cents
    [entry] = await AuditEntry.filter(action="invoice.cancelled", tenant_id=town.tenant.id)
    assert entry.details == {
        "number": october.number,
        "credit_note": note["number"],
        "amount_cents": october.total_cents,
        "reason": "Enfant hospitalisé",
    }
    text = pdf_text((await http.get(note["pdfUrl"])).content)
    assert "Avoir" in text and october.number in text

    again = await api(CANCEL, {"id": october_id, "reason": "Encore"}, token=staff)
    assert "déjà un avoir" in again["data"]["cancelInvoice"]["errors"][0]["message"]
    of_note = await api(CANCEL, {"id": note["id"], "reason": "x"}, token=staff)
    assert of_note["data"]["cancelInvoice"]["errors"][0]["field"] == "invoiceId"
    # The run does not bill the cancelled invoice again.
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    assert await Invoice.filter(household_id=family.household.id).count() == 2

    # Paid at the desk: cancel the payment first.
    await api(
        DESK,
        {
            "input": {
                "householdId": encode_id("Household", other.household.id),
                "mode": "CASH",
                "amountCents": 500,
                "receivedOn": "2026-11-02",
                "invoiceIds": [encode_id("Invoice", paid.id)],
            }
        },
        token=staff,
    )
    refused = await api(
        CANCEL, {"id": encode_id("Invoice", paid.id), "reason": "Erreur"}, token=staff
    )
    [error] = refused["data"]["cancelInvoice"]["errors"]
    assert error["message"] == (
        "Cette facture a déjà reçu 5,00 € de paiements ou d'avoirs : annulez d'abord les "
        "encaissements, ou corrigez-la par une remise."
    )
    parent = await token_for(family.parent, clock)
    forbidden = await api(CANCEL, {"id": october_id, "reason": "x"}, token=parent)
    assert forbidden["data"]["cancelInvoice"]["errors"][0]["code"] == "FORBIDDEN"


async def test_a_cancelled_invoice_certifies_no_childcare(
    backend: Backend, clock: FrozenClock
) -> None:
    town, family, young, _, care = await town_with_young_children(clock)
    clock.current = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    before = await certificates_of(town.staff, family.household.id, 2026, clock=clock)
    # Issued in June: the month of an earlier run (a cron test bills October for every town
    # of the database, and this régie does not bill morning care).
    unpaid = await paid_invoice(
        town,
        family,
        date(2026, 6, 2),
        [(young, care, InvoiceLineKind.BOOKED, 3000)],
        settled=0,
    )
    await cancel_invoice(town.staff, unpaid.id, "Facturée par erreur", clock=clock)
    assert (await Invoice.get(id=unpaid.id)).settled_cents == 3000  # cleared by the avoir
    after = await certificates_of(town.staff, family.household.id, 2026, clock=clock)
    assert [(c.child.id, c.total_cents) for c in after] == [
        (c.child.id, c.total_cents) for c in before
    ]
