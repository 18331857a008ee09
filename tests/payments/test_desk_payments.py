"""Payments at the régie's desk (issue 16, first slice), from the outside: the régisseur
records cheques, cash and overpayments through GraphQL; parents read the same ledger
(amount due, payment history, reminders, tax certificates); receipts are downloaded and
mailed; cancellation reverses them."""

import io
import uuid
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import httpx
import orjson
from pypdf import PdfReader

from gql.ids import encode_id
from jobs.reminders import remind_unpaid_invoices
from models.accounts import AccountRole
from models.audit import AuditEntry
from models.billing import Invoice
from models.tenants import Tenant
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from tests.billing.test_tax_certificates import CERTIFICATES, town_with_young_children
from tests.billing_factories import make_billing_town, make_family
from tests.conftest import GraphQL, Mailbox
from tests.factories import make_account, make_household, token_for
from tests.payment_factories import PAYMENTS, invoice_due, make_invoice, paying_family

RECORD = """
mutation($input: DeskPaymentInput!) {
  recordDeskPayment(input: $input) {
    deskPayment {
      id number mode amount { cents text } receivedOn payerName chequeNumber chequeBank
      chequeDrawer cesuTitles creditCreated { cents } householdCredit { cents text }
      allocations { invoiceNumber amount { cents } amountDue { cents } }
      cancelledAt cancelReason receiptUrl
    }
    errors { code message field }
  }
}
"""
CANCEL = """
mutation($id: ID!, $reason: String!) {
  cancelDeskPayment(id: $id, reason: $reason) {
    deskPayment { id cancelledAt cancelReason householdCredit { cents } allocations {
      invoiceNumber amount { cents } } receiptUrl }
    errors { code message field }
  }
}
"""
CREDIT = """
query($household: ID!, $authority: ID!) {
  householdCredit(householdId: $household, authorityId: $authority) { cents text }
}
"""
UNPAID = "query($id: ID!) { unpaidInvoiceCount(householdId: $id) }"


def desk_input(household_id: str, mode: str, cents: int, **extra: Any) -> dict[str, Any]:
    return {
        "householdId": household_id,
        "mode": mode,
        "amountCents": cents,
        "receivedOn": "2026-11-23",
        **extra,
    }


async def record(api: GraphQL, token: str, **input_: Any) -> dict[str, Any]:
    result = await api(RECORD, {"input": input_}, token=token)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]["recordDeskPayment"]
    return payload


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


async def test_a_cheque_for_two_invoices_and_cash_for_a_third(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    family = await paying_family(clock, totals=(4000, 3000, 2500))
    staff = await token_for(family.staff, clock)
    numbers = [invoice.number for invoice in family.invoices]

    # A cheque of 70,00 € for the first two invoices, settled oldest first.
    cheque = await record(
        api,
        staff,
        **desk_input(
            family.household_id,
            "CHEQUE",
            7000,
            invoiceIds=[family.invoice_id(1), family.invoice_id(0)],
            cheque={"number": "1234567", "bank": "Banque Populaire", "drawer": "M. Test"},
        ),
    )
    assert cheque["errors"] == []
    paid = cheque["deskPayment"]
    assert paid["mode"] == "CHEQUE"
    assert paid["amount"] == {"cents": 7000, "text": "70,00 €"}
    assert paid["allocations"] == [
        {"invoiceNumber": numbers[0], "amount": {"cents": 4000}, "amountDue": {"cents": 0}},
        {"invoiceNumber": numbers[1], "amount": {"cents": 3000}, "amountDue": {"cents": 0}},
    ]
    assert paid["creditCreated"] == {"cents": 0}
    # Cash for part of the third: 10,00 € of 25,00 €.
    cash = await record(
        api,
        staff,
        **desk_input(
            family.household_id,
            "CASH",
            1000,
            allocations=[{"invoiceId": family.invoice_id(2), "amountCents": 1000}],
        ),
    )
    assert cash["errors"] == []

    # The parent reads the balances and the history from the same ledger.
    assert [await invoice_due(api, family, index) for index in range(3)] == [0, 0, 1500]
    unpaid = await api(UNPAID, {"id": family.household_id}, token=family.token)
    assert unpaid["data"]["unpaidInvoiceCount"] == 1
    history = await api(PAYMENTS, {"id": family.household_id}, token=family.token)
    assert [
        (p["kind"], p["provider"], p["amount"]["cents"], p["providerTransactionId"])
        for p in history["data"]["payments"]
    ] == [
        ("PAYMENT", "DESK", 1000, cash["deskPayment"]["number"]),
        ("PAYMENT", "DESK", 7000, paid["number"]),
    ]
    assert history["data"]["payments"][1]["allocations"] == [
        {"invoiceNumber": numbers[0], "amount": {"cents": 4000}},
        {"invoiceNumber": numbers[1], "amount": {"cents": 3000}},
    ]

    # The receipt: a French PDF behind a signed link.
    response = await http.get(paid["receiptUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "Ville de Castres",
        "Régie périscolaire",
        f"Reçu de paiement n° {paid['number']}",
        "Chèque n°",
        "1234567",
        "Banque Populaire",
        "70,00 €",
        f"Facture n° {numbers[0]}",
        "40,00 €",
        f"Facture n° {numbers[1]}",
        "30,00 €",
        "Avoir restant en votre faveur : 0,00 €",
    ):
        assert expected in text, (expected, text)
    assert (await http.get(paid["receiptUrl"] + "x")).status_code == 403

    # Mailed to the payer, with the PDF, through the outbox.
    await run_jobs()
    receipts = [m for m in mailbox.to(family.parent.email) if "Reçu de paiement" in m["Subject"]]
    assert sorted(m["Subject"] for m in receipts) == sorted(
        [
            f"Reçu de paiement n° {paid['number']} – 70,00 €",
            f"Reçu de paiement n° {cash['deskPayment']['number']} – 10,00 €",
        ]
    )
    [cash_mail] = [m for m in receipts if "10,00" in m["Subject"]]
    body = Mailbox.text(cash_mail)
    assert "(Espèces)" in body
    assert f"Facture n° {numbers[2]} : 10,00 € réglés, reste à payer 15,00 €" in body
    [attachment] = list(cash_mail.iter_attachments())
    assert attachment.get_filename() == f"recu-{cash['deskPayment']['number']}.pdf"
    assert "10,00 €" in pdf_text(attachment.get_content())

    # Reminders read the ledger: only the invoice still partly due is reminded.
    clock.current = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    await remind_unpaid_invoices({"clock": clock})
    await run_jobs()
    reminders = [m["Subject"] for m in mailbox.to(family.parent.email) if "Rappel" in m["Subject"]]
    assert len(reminders) == 1 and numbers[2] in reminders[0], reminders

    # The RGPD export shows the invoices settled and the desk payments.
    export = await api(
        "mutation($id: ID!) { exportHouseholdData(householdId: $id) { url errors { code } } }",
        {"id": family.household_id},
        token=family.token,
    )
    archive = zipfile.ZipFile(
        io.BytesIO((await http.get(export["data"]["exportHouseholdData"]["url"])).content)
    )
    data = orjson.loads(archive.read("data.json"))
    assert [i["settled_cents"] for i in data["invoices"]] == [4000, 3000, 1000]
    assert [(d["number"], d["mode"], d["cheque_number"]) for d in data["desk_payments"]] == [
        (paid["number"], "cheque", "1234567"),
        (cash["deskPayment"]["number"], "cash", ""),
    ]

    # Audited.
    assert (
        await AuditEntry.filter(action="desk_payment.recorded", tenant_id=family.tenant.id).count()
        == 2
    )


async def test_an_overpayment_is_credited_then_used_by_the_next_months_invoice(
    api: GraphQL, clock: FrozenClock
) -> None:
    clock.current = datetime(2026, 9, 20, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock, book_to=date(2026, 11, 27))
    clock.current = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    october = await Invoice.get(household_id=family.household.id)
    staff = await token_for(town.staff, clock)
    parent = await token_for(family.parent, clock)
    household_id = encode_id("Household", family.household.id)
    authority_id = encode_id("BillingAuthority", town.authority.id)

    # 100,00 € in cash for October's invoice: the rest is the household's credit.
    payload = await record(
        api,
        staff,
        householdId=household_id,
        mode="CASH",
        amountCents=october.total_cents + 1000,
        receivedOn="2026-11-02",
        invoiceIds=[encode_id("Invoice", october.id)],
    )
    assert payload["errors"] == []
    desk = payload["deskPayment"]
    assert desk["creditCreated"] == {"cents": 1000}
    assert desk["householdCredit"] == {"cents": 1000, "text": "10,00 €"}
    credit = await api(CREDIT, {"household": household_id, "authority": authority_id}, token=parent)
    assert credit["data"]["householdCredit"] == {"cents": 1000, "text": "10,00 €"}

    # November's run settles 10,00 € of the new invoice from the credit, in the ledger.
    clock.current = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    await invoice_month(date(2026, 11, 1), clock=clock, tenant_id=town.tenant.id)
    november = await Invoice.get(household_id=family.household.id, month=date(2026, 11, 1))
    assert november.settled_cents == 1000
    staff = await token_for(town.staff, clock)  # a month later: new sessions
    parent = await token_for(family.parent, clock)
    due = await api(
        "query($id: ID!) { invoice(id: $id) { total { cents } amountDue { cents } } }",
        {"id": encode_id("Invoice", november.id)},
        token=parent,
    )
    assert due["data"]["invoice"]["amountDue"]["cents"] == november.total_cents - 1000
    credit = await api(CREDIT, {"household": household_id, "authority": authority_id}, token=parent)
    assert credit["data"]["householdCredit"]["cents"] == 0
    history = await api(PAYMENTS, {"id": household_id}, token=parent)
    [entry] = history["data"]["payments"]
    assert entry["allocations"] == [
        {"invoiceNumber": october.number, "amount": {"cents": october.total_cents}},
        {"invoiceNumber": november.number, "amount": {"cents": 1000}},
    ]

    # The credit was used: the payment can no longer be cancelled.
    refused = await api(CANCEL, {"id": desk["id"], "reason": "Erreur de saisie"}, token=staff)
    [error] = refused["data"]["cancelDeskPayment"]["errors"]
    assert error["code"] == "INVALID"
    assert "déjà été imputé sur une facture suivante" in error["message"]
    assert (await Invoice.get(id=october.id)).settled_cents == october.total_cents


async def test_a_cancelled_payment_is_reversed_in_the_ledger_and_audited(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    family = await paying_family(clock, totals=(4000,))
    staff = await token_for(family.staff, clock)
    payload = await record(
        api,
        staff,
        **desk_input(
            family.household_id,
            "CESU",
            5000,
            invoiceIds=[family.invoice_id(0)],
            cesu={"titleNumbers": ["0123456789", "0123456790"]},
        ),
    )
    desk = payload["deskPayment"]
    assert desk["householdCredit"]["cents"] == 1000
    assert await invoice_due(api, family) == 0

    result = await api(CANCEL, {"id": desk["id"], "reason": "Titres CESU refusés"}, token=staff)
    cancelled = result["data"]["cancelDeskPayment"]
    assert cancelled["errors"] == []
    assert cancelled["deskPayment"]["cancelReason"] == "Titres CESU refusés"
    assert cancelled["deskPayment"]["cancelledAt"] is not None
    assert cancelled["deskPayment"]["householdCredit"]["cents"] == 0
    assert await invoice_due(api, family) == 4000
    history = await api(PAYMENTS, {"id": family.household_id}, token=family.token)
    assert [(p["kind"], p["amount"]["cents"]) for p in history["data"]["payments"]] == [
        ("REVERSAL", -5000),
        ("PAYMENT", 5000),
    ]
    assert history["data"]["payments"][0]["allocations"] == [
        {"invoiceNumber": family.invoices[0].number, "amount": {"cents": -4000}}
    ]
    [entry] = await AuditEntry.filter(action="desk_payment.cancelled", tenant_id=family.tenant.id)
    assert entry.details["reason"] == "Titres CESU refusés"
    text = pdf_text((await http.get(cancelled["deskPayment"]["receiptUrl"])).content)
    assert "ANNULÉ" in text and "0123456789, 0123456790" in text

    again = await api(CANCEL, {"id": desk["id"], "reason": "Encore"}, token=staff)
    assert [e["code"] for e in again["data"]["cancelDeskPayment"]["errors"]] == ["INVALID"]
    no_reason = await api(CANCEL, {"id": desk["id"], "reason": " "}, token=staff)
    assert [e["field"] for e in no_reason["data"]["cancelDeskPayment"]["errors"]] == ["reason"]


async def test_what_is_refused(api: GraphQL, clock: FrozenClock) -> None:
    family = await paying_family(clock, totals=(4000,))
    staff = await token_for(family.staff, clock)
    # Another household of the same town, with its own invoice.
    other = await make_household(family.staff, clock, children=1, guardians=1)
    other_invoice = await make_invoice(family.tenant, family.authority, other, 1000, "2610009999")
    # Staff of another town.
    elsewhere = await Tenant.create(
        slug=f"ailleurs-{uuid.uuid4().hex[:8]}", name="Ville d'Ailleurs"
    )
    stranger = await token_for(await make_account(elsewhere, clock, role=AccountRole.ADMIN), clock)

    async def errors(token: str, **input_: Any) -> list[tuple[str, str | None]]:
        payload = await record(api, token, **input_)
        assert payload["deskPayment"] is None
        return [(e["code"], e["field"]) for e in payload["errors"]]

    cash = desk_input(family.household_id, "CASH", 1000, invoiceIds=[family.invoice_id(0)])
    # An invoice of another household: NOT_FOUND, nothing written.
    assert await errors(
        staff, **(cash | {"invoiceIds": [encode_id("Invoice", other_invoice.id)]})
    ) == [("NOT_FOUND", "invoiceIds")]
    # Staff of another town do not see the household.
    assert await errors(stranger, **cash) == [("NOT_FOUND", "householdId")]
    # A parent cannot record money.
    assert await errors(family.token, **cash) == [("FORBIDDEN", None)]
    # Amounts of zero or less; a cheque without its number; paper CESU without titles.
    assert await errors(staff, **(cash | {"amountCents": 0})) == [("INVALID", "amountCents")]
    assert await errors(staff, **(cash | {"amountCents": -500})) == [("INVALID", "amountCents")]
    assert await errors(staff, **(cash | {"mode": "CHEQUE"})) == [("INVALID", "cheque.number")]
    assert await errors(
        staff, **(cash | {"mode": "CHEQUE", "cheque": {"number": " ", "bank": "LCL"}})
    ) == [("INVALID", "cheque.number")]
    assert await errors(staff, **(cash | {"mode": "CESU"})) == [("INVALID", "cesu")]
    # More allocated than due on the invoice.
    assert await errors(
        staff,
        **desk_input(
            family.household_id,
            "CASH",
            9000,
            allocations=[{"invoiceId": family.invoice_id(0), "amountCents": 5000}],
        ),
    ) == [("INVALID", "allocations")]
    assert await invoice_due(api, family) == 4000
    assert (await Invoice.get(id=other_invoice.id)).settled_cents == 0

    # Cancel: another town's staff and parents cannot.
    payload = await record(api, staff, **cash)
    desk_id = payload["deskPayment"]["id"]
    for token, code in ((stranger, "NOT_FOUND"), (family.token, "FORBIDDEN")):
        result = await api(CANCEL, {"id": desk_id, "reason": "x"}, token=token)
        assert [e["code"] for e in result["data"]["cancelDeskPayment"]["errors"]] == [code]
    # The receipt's query: the household's parent reads it, the other town's staff do not.
    query = "query($id: ID!) { deskPayment(id: $id) { number amount { cents } } }"
    mine = await api(query, {"id": desk_id}, token=family.token)
    assert mine["data"]["deskPayment"]["amount"]["cents"] == 1000
    theirs = await api(query, {"id": desk_id}, token=stranger)
    assert theirs["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_the_tax_certificate_counts_an_invoice_paid_at_the_desk(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, family, *_ = await town_with_young_children(clock)
    # April's 50,00 € of morning care was not paid: the parent pays it at the desk.
    april = await Invoice.get(household_id=family.household.id, issued_on=date(2026, 4, 8))
    staff = await token_for(town.staff, clock)
    payload = await record(
        api,
        staff,
        householdId=encode_id("Household", family.household.id),
        mode="TRANSFER",
        amountCents=5000,
        receivedOn="2027-01-10",
        invoiceIds=[encode_id("Invoice", april.id)],
        reference="VIR 2027-0001",
    )
    assert payload["errors"] == []
    parent = await token_for(family.parent, clock)
    result = await api(
        CERTIFICATES,
        {"id": encode_id("Household", family.household.id), "year": 2026},
        token=parent,
    )
    [certificate] = result["data"]["taxCertificates"]
    # 58,00 € counted before (see test_tax_certificates) + 50,00 € now paid.
    assert certificate["total"]["cents"] == 10800
