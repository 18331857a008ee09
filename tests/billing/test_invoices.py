"""Invoices as a parent reads them: list, filter, detail, payment window, PDF download."""

import io
from datetime import UTC, date, datetime, timedelta

import httpx
from pypdf import PdfReader

from gql.ids import encode_id
from models.accounts import AccountRole
from models.billing import Invoice
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from tests.billing_factories import BillingTown, Family, make_billing_town, make_family
from tests.conftest import GraphQL
from tests.factories import make_account, make_town, token_for
from tests.sql_count import count_queries

INVOICES = """
query($householdId: ID, $status: InvoiceFilter!, $first: Int, $after: String) {
  invoices(householdId: $householdId, status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id number label kind total { cents text } amountDue { text } paid }
  }
}
"""
INVOICE = """
query($id: ID!) {
  invoice(id: $id) {
    number label issuedOn dueOn payerName paymentReference delivery pdfUrl
    total { cents text } amountDue { cents text } paid
    paymentWindow { open message }
    lines { kind label quantity unitPrice { text } amount { cents text } }
  }
}
"""
UNPAID = "query($id: ID!) { unpaidInvoiceCount(householdId: $id) }"
INVOICES_BY_DELIVERY = """
query($delivery: InvoiceDelivery) {
  invoices(status: ALL, delivery: $delivery) { totalCount nodes { number delivery } }
}
"""


async def billed_family(clock: FrozenClock) -> tuple[BillingTown, Family, str]:
    """September and October booked (13 + 17 days at 2,50 €), both months invoiced."""
    clock.current = datetime(2026, 8, 20, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock, book_from=date(2026, 9, 17))
    clock.current = datetime(2026, 10, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 9, 1), clock=clock, tenant_id=town.tenant.id)
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    return town, family, await token_for(family.parent, clock)


async def test_a_parent_pages_through_their_invoices_newest_first(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, family, token = await billed_family(clock)
    household_id = encode_id("Household", family.household.id)

    first = await api(
        INVOICES, {"householdId": household_id, "status": "ALL", "first": 1}, token=token
    )
    page = first["data"]["invoices"]
    assert page["totalCount"] == 2
    assert page["pageInfo"]["hasNextPage"] is True
    assert [n["label"] for n in page["nodes"]] == ["2610000001 - Octobre 2026"]
    assert page["nodes"][0]["total"] == {"cents": 4250, "text": "42,50 €"}
    second = await api(
        INVOICES,
        {
            "householdId": household_id,
            "status": "ALL",
            "first": 1,
            "after": page["pageInfo"]["endCursor"],
        },
        token=token,
    )
    assert [n["label"] for n in second["data"]["invoices"]["nodes"]] == [
        "2609000001 - Septembre 2026"
    ]
    assert second["data"]["invoices"]["pageInfo"]["hasNextPage"] is False
    # Without a household, a parent gets their own invoices too.
    mine = await api(INVOICES, {"status": "ALL"}, token=token)
    assert mine["data"]["invoices"]["totalCount"] == 2


async def test_paid_and_unpaid_filters_follow_what_is_still_due(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, family, token = await billed_family(clock)
    household_id = encode_id("Household", family.household.id)
    # What the payment slice will record: September fully paid, October partly.
    await Invoice.filter(household_id=family.household.id, number="2609000001").update(
        settled_cents=13 * 250
    )
    await Invoice.filter(household_id=family.household.id, number="2610000001").update(
        settled_cents=1000
    )

    unpaid = await api(INVOICES, {"householdId": household_id, "status": "UNPAID"}, token=token)
    paid = await api(INVOICES, {"householdId": household_id, "status": "PAID"}, token=token)
    count = await api(UNPAID, {"id": household_id}, token=token)

    [october] = unpaid["data"]["invoices"]["nodes"]
    assert (october["number"], october["amountDue"]["text"], october["paid"]) == (
        "2610000001",
        "32,50 €",
        False,
    )
    assert [n["number"] for n in paid["data"]["invoices"]["nodes"]] == ["2609000001"]
    assert paid["data"]["invoices"]["nodes"][0]["amountDue"]["text"] == "0,00 €"
    assert count["data"]["unpaidInvoiceCount"] == 1


async def test_the_invoice_detail_tells_when_online_payment_is_open(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, family, token = await billed_family(clock)
    invoice = await Invoice.get(household_id=family.household.id, number="2610000001")
    invoice_id = encode_id("Invoice", invoice.id)

    clock.current = datetime(2026, 11, 8, 8, 29, tzinfo=UTC)  # 09:29 in Paris
    before = (await api(INVOICE, {"id": invoice_id}, token=token))["data"]["invoice"]
    clock.current = datetime(2026, 11, 30, 22, 59, 30, tzinfo=UTC)  # 23:59:30 on the 30th
    token = await token_for(family.parent, clock)  # sessions last 14 days
    during = (await api(INVOICE, {"id": invoice_id}, token=token))["data"]["invoice"]
    clock.current = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # midnight
    after = (await api(INVOICE, {"id": invoice_id}, token=token))["data"]["invoice"]

    message = "Le paiement en ligne est disponible du 08/11/2026 à 09h30 au 30/11/2026 à 23h59"
    assert before["paymentWindow"] == {"open": False, "message": f"{message}."}
    assert during["paymentWindow"] == {"open": True, "message": f"{message}."}
    assert after["paymentWindow"]["open"] is False
    assert after["paymentWindow"]["message"].startswith(message)
    assert during["issuedOn"] == "2026-11-08"
    assert during["dueOn"] == "2026-11-30"
    assert during["payerName"] == "Madame Parent0 Test"
    assert during["amountDue"] == {"cents": 4250, "text": "42,50 €"}
    assert during["lines"] == [
        {
            "kind": "BOOKED",
            "label": "Restauration scolaire – Enfant0",
            "quantity": 17,
            "unitPrice": {"text": "2,50 €"},
            "amount": {"cents": 4250, "text": "42,50 €"},
        }
    ]


async def test_the_pdf_reads_like_the_towns_invoices_and_its_link_expires(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, family, token = await billed_family(clock)
    invoice = await Invoice.get(household_id=family.household.id, number="2610000001")
    detail = await api(INVOICE, {"id": encode_id("Invoice", invoice.id)}, token=token)
    url = detail["data"]["invoice"]["pdfUrl"]
    assert url.startswith("http://famille.test/factures/")

    response = await http.get(url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "facture-2610000001.pdf" in response.headers["content-disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for expected in (
        town.tenant.name,
        "Régie périscolaire",
        "Payeur : Madame Parent0 Test",
        "1 rue de la Paix",
        "Facture 2610000001 – Octobre 2026",
        "Facture du 08/11/2026",
        "A régler avant le 30/11/2026",
        "Montant total 42,50 €",
        "Reste à payer 42,50 €",
        f"Référence de paiement {invoice.payment_reference}",
        "Restauration scolaire – Enfant0 17 2,50 € 42,50 €",
        "du 08/11/2026 à 09h30 au 30/11/2026 à 23h59",
    ):
        assert expected in text, expected
    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert (await http.get(forged)).status_code == 403
    clock.advance(timedelta(minutes=16))
    expired = await http.get(url)
    assert expired.status_code == 403
    assert "expiré" in expired.text


async def test_another_household_or_town_gets_not_found(api: GraphQL, clock: FrozenClock) -> None:
    town, family, token = await billed_family(clock)
    invoice = await Invoice.get(household_id=family.household.id, number="2610000001")
    other = await make_family(town, clock)
    other_token = await token_for(other.parent, clock)
    foreign_staff = await make_account(await make_town(), clock, role=AccountRole.ADMIN)
    foreign_token = await token_for(foreign_staff, clock)
    staff_token = await token_for(town.staff, clock)
    invoice_id = encode_id("Invoice", invoice.id)
    household_id = encode_id("Household", family.household.id)

    for intruder in (other_token, foreign_token):
        detail = await api(INVOICE, {"id": invoice_id}, token=intruder)
        assert detail["data"] is None
        assert detail["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        listing = await api(
            INVOICES, {"householdId": household_id, "status": "ALL"}, token=intruder
        )
        assert listing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    anonymous = await api(INVOICE, {"id": invoice_id})
    assert anonymous["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    # The town's agent sees it, and the town's list.
    seen = await api(INVOICE, {"id": invoice_id}, token=staff_token)
    assert seen["data"]["invoice"]["number"] == "2610000001"
    town_list = await api(INVOICES, {"status": "ALL"}, token=staff_token)
    assert town_list["data"]["invoices"]["totalCount"] == 2
    foreign_list = await api(INVOICES, {"status": "ALL"}, token=foreign_token)
    assert foreign_list["data"]["invoices"]["totalCount"] == 0


async def test_the_invoice_list_costs_the_same_statements_for_more_invoices(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, family, token = await billed_family(clock)
    household_id = encode_id("Household", family.household.id)

    async with count_queries() as one:
        await api(INVOICES, {"householdId": household_id, "status": "ALL", "first": 1}, token=token)
    async with count_queries() as two:
        await api(INVOICES, {"householdId": household_id, "status": "ALL", "first": 2}, token=token)

    assert two.count == one.count


async def test_staff_list_the_invoices_to_print(api: GraphQL, clock: FrozenClock) -> None:
    town, family, token = await billed_family(clock)
    staff_token = await token_for(town.staff, clock)

    to_print = await api(INVOICES_BY_DELIVERY, {"delivery": "PRINT"}, token=staff_token)
    mailed = await api(INVOICES_BY_DELIVERY, {"delivery": "EMAIL"}, token=staff_token)

    assert [n["number"] for n in to_print["data"]["invoices"]["nodes"]] == [
        "2610000001",
        "2609000001",
    ]
    assert mailed["data"]["invoices"]["totalCount"] == 0
