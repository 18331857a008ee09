"""Issue 16 as it will be judged, end to end through the API, as the régisseur works: a
cheque for two invoices and cash for a third; the balances, the receipts (PDF and mail),
the deposit slips, the cash journal and the tax certificate agree; the cash overpaid is
the family's credit and settles part of the next invoice; that month's PES file passes the
fact sheet's structural checks; a quotient fetched from the fake API Particulier prices
the next invoice and the next change set's preview."""

import io
from datetime import UTC, date, datetime
from typing import Any

import httpx
from defusedxml.ElementTree import fromstring
from pypdf import PdfReader

from gql.ids import encode_id
from models.accounts import AccountRole, StaffAuthority
from models.billing import Invoice, InvoiceLine
from models.catalogue import ActivityKind
from models.households import Child, Guardian
from resolvers.billing.billing import TariffForm, add_tariff, assign_activity
from resolvers.billing.invoicing import invoice_month
from resolvers.calendar.bookings import BookingAction, ChangeSet, Recurrence, submit_changes
from resolvers.calendar.catalogue import ActivityForm, save_activity, set_opening
from resolvers.calendar.enrollments import enroll
from resolvers.core.clock import FrozenClock
from resolvers.quotients.api_particulier import FAKE_API_PARTICULIER
from tests.billing_factories import HIGH_PRICE, LOW_PRICE, make_billing_town, make_family
from tests.conftest import GraphQL, Mailbox
from tests.factories import make_account, token_for
from tests.treasury.pes_checks import cents, pes_problems, value

# Morning care, which the tax certificate counts (the canteen it does not).
CARE_LOW, CARE_HIGH = 150, 200

INVOICES = """
query($id: ID!) {
  invoices(householdId: $id, first: 10) {
    edges { node { id number month total { cents } amountDue { cents } } }
  }
}
"""
RECORD = """
mutation($input: DeskPaymentInput!) {
  recordDeskPayment(input: $input) {
    deskPayment {
      number mode amount { cents text } creditCreated { cents } householdCredit { cents text }
      allocations { invoiceNumber amount { cents } amountDue { cents } } receiptUrl
    }
    errors { code message field }
  }
}
"""
DEPOSIT = """
mutation($input: DepositSlipInput!) {
  createDepositSlip(input: $input) {
    slip { number mode total { cents text } paymentCount pdfUrl
           payments { receiptNumber chequeNumber amount { cents } } }
    errors { code message field }
  }
}
"""
JOURNAL = """
query($authority: ID!, $day: Date!) {
  cashJournal(authorityId: $authority, day: $day) {
    totals { mode count amount { cents } } total { cents }
  }
}
"""
CERTIFICATES = """
query($id: ID!, $year: Int!) {
  taxCertificates(householdId: $id, year: $year) {
    total { cents text } activities { activity amount { cents } } pdfUrl
  }
}
"""
CREDIT = """
query($household: ID!, $authority: ID!) {
  householdCredit(householdId: $household, authorityId: $authority) { cents text }
}
"""
FETCH = """
mutation($householdId: ID!, $consent: QuotientConsentInput) {
  fetchFamilyQuotient(householdId: $householdId, consent: $consent) {
    quotient { value source month }
    errors { code field message }
  }
}
"""
PREVIEW = """
mutation($householdId: ID!, $input: BookingChangesInput!) {
  previewBookingChanges(householdId: $householdId, input: $input) {
    cost { total { cents text } label }
  }
}
"""
PES_SETTINGS = """
mutation($authorityId: ID!, $input: PesSettingsInput!) {
  updatePesSettings(authorityId: $authorityId, input: $input) { errors { code field message } }
}
"""
EXPORT = """
mutation($authorityId: ID!, $month: Date!) {
  exportTitres(authorityId: $authorityId, month: $month) {
    export { pieceCount total { cents } downloadUrl titres { invoiceNumber amount { cents } } }
    errors { code field message }
  }
}
"""


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def euros(cents: int) -> str:
    """The French amount as the documents print it (no thousands here)."""
    return f"{cents // 100},{cents % 100:02d} €"


async def open_pdf(http: httpx.AsyncClient, url: str) -> str:
    response = await http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return pdf_text(response.content)


async def test_a_regisseur_s_day_agrees_everywhere_then_the_quotient_prices_what_follows(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # Given a town billing the canteen and morning care, a régisseur of its régie, and a
    # family of a 4-year-old without a quotient (the top prices), booked both every school
    # day from 14 September to 18 December, billed each month that ended.
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    care = await save_activity(
        town.staff,
        ActivityForm(code="ACC-MATIN", name="Accueil du matin", kind=ActivityKind.MORNING_CARE),
        clock=clock,
    )
    catalogue = town.catalogue
    await set_opening(
        town.staff, care.id, catalogue.site.id, catalogue.period.id, [0, 1, 3, 4], None, clock=clock
    )
    await assign_activity(town.staff, care.id, town.authority.id, clock=clock)
    for quotient_min, quotient_max, price in ((0, 700, CARE_LOW), (701, None, CARE_HIGH)):
        await add_tariff(
            town.staff,
            TariffForm(
                activity_id=care.id,
                valid_from=date(2026, 9, 1),
                valid_until=date(2027, 8, 31),
                quotient_min=quotient_min,
                quotient_max=quotient_max,
                unit_price_cents=price,
            ),
            clock=clock,
        )
    family = await make_family(
        town,
        clock,
        quotient=None,
        quotient_valid_until=None,
        paperless=True,
        book_from=date(2026, 9, 14),
        book_to=date(2026, 12, 18),
    )
    await Child.filter(id=family.child_id).update(birth_date=date(2022, 5, 10))
    await enroll(
        town.staff,
        family.child_id,
        care.id,
        catalogue.site.id,
        catalogue.period.id,
        clock=clock,
    )
    booked = await submit_changes(
        town.staff,
        family.household.id,
        ChangeSet(
            recurrences=[
                Recurrence(
                    family.child_id,
                    care.id,
                    BookingAction.BOOK,
                    date(2026, 9, 14),
                    date(2026, 12, 18),
                    frozenset({0, 1, 3, 4}),
                )
            ]
        ),
        clock=clock,
    )
    assert booked.lines and all(line.accepted for line in booked.lines)
    for run_on, month in (
        (datetime(2026, 10, 2, 6, 0, tzinfo=UTC), date(2026, 9, 1)),
        (datetime(2026, 11, 2, 6, 0, tzinfo=UTC), date(2026, 10, 1)),
        (datetime(2026, 12, 1, 6, 0, tzinfo=UTC), date(2026, 11, 1)),
    ):
        clock.current = run_on
        await invoice_month(month, clock=clock, tenant_id=town.tenant.id)
    september, october, november = await Invoice.filter(household_id=family.household.id).order_by(
        "month"
    )
    assert {
        int(str(price))
        for price in await InvoiceLine.filter(
            invoice__household_id=family.household.id
        ).values_list("unit_price_cents", flat=True)
    } == {HIGH_PRICE, CARE_HIGH}

    clock.current = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    regisseur = await make_account(town.tenant, clock, role=AccountRole.REGISSEUR)
    await StaffAuthority.create(account=regisseur, authority=town.authority)
    till = await token_for(regisseur, clock)
    parent = await token_for(family.parent, clock)
    household_id = encode_id("Household", family.household.id)
    authority_id = encode_id("BillingAuthority", town.authority.id)
    cheque_cents = september.total_cents + october.total_cents
    cash_cents = november.total_cents + 1000  # 10,00 € more than due: the family's credit

    # When the régisseur records a cheque for September and October…
    result = await api(
        RECORD,
        {
            "input": {
                "householdId": household_id,
                "mode": "CHEQUE",
                "amountCents": cheque_cents,
                "receivedOn": "2026-12-02",
                "invoiceIds": [
                    encode_id("Invoice", september.id),
                    encode_id("Invoice", october.id),
                ],
                "cheque": {"number": "0012345", "bank": "Crédit Mutuel", "drawer": "Mme Test"},
            }
        },
        token=till,
    )
    cheque = result["data"]["recordDeskPayment"]
    assert cheque["errors"] == [], cheque
    # … and cash for November, 10,00 € over.
    result = await api(
        RECORD,
        {
            "input": {
                "householdId": household_id,
                "mode": "CASH",
                "amountCents": cash_cents,
                "receivedOn": "2026-12-02",
                "invoiceIds": [encode_id("Invoice", november.id)],
            }
        },
        token=till,
    )
    cash = result["data"]["recordDeskPayment"]
    assert cash["errors"] == [], cash

    # Then the balances: the three invoices are paid, 10,00 € are the family's credit.
    assert cheque["deskPayment"]["allocations"] == [
        {
            "invoiceNumber": september.number,
            "amount": {"cents": september.total_cents},
            "amountDue": {"cents": 0},
        },
        {
            "invoiceNumber": october.number,
            "amount": {"cents": october.total_cents},
            "amountDue": {"cents": 0},
        },
    ]
    assert cash["deskPayment"]["creditCreated"] == {"cents": 1000}
    assert cash["deskPayment"]["householdCredit"] == {"cents": 1000, "text": "10,00 €"}
    listed = await api(INVOICES, {"id": household_id}, token=parent)
    assert {
        edge["node"]["number"]: edge["node"]["amountDue"]["cents"]
        for edge in listed["data"]["invoices"]["edges"]
    } == {september.number: 0, october.number: 0, november.number: 0}
    credit = await api(CREDIT, {"household": household_id, "authority": authority_id}, token=parent)
    assert credit["data"]["householdCredit"] == {"cents": 1000, "text": "10,00 €"}

    # The receipts say the same, as PDFs…
    text = await open_pdf(http, cheque["deskPayment"]["receiptUrl"])
    for expected in (
        f"Reçu de paiement n° {cheque['deskPayment']['number']}",
        "0012345",
        "Crédit Mutuel",
        euros(cheque_cents),
        f"Facture n° {september.number}",
        euros(september.total_cents),
        f"Facture n° {october.number}",
        euros(october.total_cents),
    ):
        assert expected in text, (expected, text)
    text = await open_pdf(http, cash["deskPayment"]["receiptUrl"])
    for expected in (
        euros(cash_cents),
        f"Facture n° {november.number}",
        euros(november.total_cents),
        "Avoir restant en votre faveur : 10,00 €",
    ):
        assert expected in text, (expected, text)
    # … and by mail to the parent, the PDF attached.
    await run_jobs()
    receipts = {m["Subject"]: m for m in mailbox.to(family.parent.email) if "Reçu" in m["Subject"]}
    assert set(receipts) == {
        f"Reçu de paiement n° {cheque['deskPayment']['number']} – {euros(cheque_cents)}",
        f"Reçu de paiement n° {cash['deskPayment']['number']} – {euros(cash_cents)}",
    }
    cash_mail = receipts[
        f"Reçu de paiement n° {cash['deskPayment']['number']} – {euros(cash_cents)}"
    ]
    body = Mailbox.text(cash_mail)
    assert (
        f"Facture n° {november.number} : {euros(november.total_cents)} réglés, reste à payer 0,00 €"
    ) in body
    assert "Avoir restant en votre faveur : 10,00 €" in body
    [attachment] = list(cash_mail.iter_attachments())
    assert euros(cash_cents) in pdf_text(attachment.get_content())

    # The day's deposit slips: the cheque on one, the cash on the other, with their totals.
    slips = {}
    for mode in ("CHEQUE", "CASH"):
        result = await api(
            DEPOSIT,
            {"input": {"authorityId": authority_id, "mode": mode, "day": "2026-12-02"}},
            token=till,
        )
        payload = result["data"]["createDepositSlip"]
        assert payload["errors"] == [], payload
        slips[mode] = payload["slip"]
    assert slips["CHEQUE"]["payments"] == [
        {
            "receiptNumber": cheque["deskPayment"]["number"],
            "chequeNumber": "0012345",
            "amount": {"cents": cheque_cents},
        }
    ]
    assert (slips["CHEQUE"]["total"]["cents"], slips["CASH"]["total"]["cents"]) == (
        cheque_cents,
        cash_cents,
    )
    text = await open_pdf(http, slips["CHEQUE"]["pdfUrl"])
    assert "Total : 1 chèque(s)" in text and euros(cheque_cents) in text
    text = await open_pdf(http, slips["CASH"]["pdfUrl"])
    assert "Total : 1 encaissement(s)" in text and euros(cash_cents) in text
    # The cash journal of the day has the same totals by mode.
    journal = await api(JOURNAL, {"authority": authority_id, "day": "2026-12-02"}, token=till)
    totals = {
        row["mode"]: (row["count"], row["amount"]["cents"])
        for row in journal["data"]["cashJournal"]["totals"]
    }
    assert totals == {"CHEQUE": (1, cheque_cents), "CASH": (1, cash_cents)}
    assert journal["data"]["cashJournal"]["total"]["cents"] == cheque_cents + cash_cents

    # The tax certificate counts the morning care of the three invoices now paid, not the
    # canteen nor the credit.
    care_paid = sum(
        [
            int(str(amount))
            for amount in await InvoiceLine.filter(
                invoice_id__in=[september.id, october.id, november.id], activity_id=care.id
            ).values_list("amount_cents", flat=True)
        ]
    )
    assert care_paid > 0
    result = await api(CERTIFICATES, {"id": household_id, "year": 2026}, token=parent)
    [certificate] = result["data"]["taxCertificates"]
    assert certificate["total"]["cents"] == care_paid
    assert certificate["activities"] == [
        {"activity": "Accueil du matin", "amount": {"cents": care_paid}}
    ]
    text = await open_pdf(http, certificate["pdfUrl"])
    assert euros(care_paid) in text

    # When an agent fetches the family's quotient from the CAF (the fake API Particulier),
    # with the parent's consent…
    agent = await token_for(await make_account(town.tenant, clock, role=AccountRole.AGENT), clock)
    birth_name = f"Scenario{family.household.id}"
    await FAKE_API_PARTICULIER.add_file(
        birth_name, "Jeanne", "F", provider="CNAF", value=600, year=2026, month=11
    )
    guardian = await Guardian.filter(household_id=family.household.id).order_by("id").first()
    assert guardian is not None
    result = await api(
        FETCH,
        {
            "householdId": household_id,
            "consent": {
                "guardianId": encode_id("Guardian", guardian.id),
                "consentOn": "2026-12-01",
                "birthName": birth_name,
                "firstNames": "Jeanne",
                "sex": "F",
                "birthDate": "1987-06-15",
                "birthCommuneCode": "08480",
            },
        },
        token=agent,
    )
    fetched = result["data"]["fetchFamilyQuotient"]
    assert fetched["errors"] == [], fetched
    assert fetched["quotient"] == {"value": 600, "source": "CAF", "month": "2026-11-01"}

    # … then the next change set's preview costs the low bracket: 8 meals in January.
    result = await api(
        PREVIEW,
        {
            "householdId": household_id,
            "input": {
                "recurrences": [
                    {
                        "childId": encode_id("Child", family.child_id),
                        "activityId": encode_id("Activity", catalogue.canteen.id),
                        "action": "BOOK",
                        "from": "2027-01-04",
                        "to": "2027-01-15",
                        "weekdays": [0, 1, 3, 4],
                    }
                ]
            },
        },
        token=parent,
    )
    cost = result["data"]["previewBookingChanges"]["cost"]
    assert cost["total"] == {"cents": 8 * LOW_PRICE, "text": euros(8 * LOW_PRICE)}

    # … and December's invoice, at the low bracket, is settled first from the credit.
    clock.current = datetime(2027, 1, 2, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 12, 1), clock=clock, tenant_id=town.tenant.id)
    december = await Invoice.get(household_id=family.household.id, month=date(2026, 12, 1))
    assert {
        int(str(price))
        for price in await InvoiceLine.filter(invoice_id=december.id).values_list(
            "unit_price_cents", flat=True
        )
    } == {LOW_PRICE, CARE_LOW}
    assert december.settled_cents == 1000
    parent = await token_for(family.parent, clock)
    till = await token_for(regisseur, clock)
    due = await api(
        "query($id: ID!) { invoice(id: $id) { amountDue { cents } } }",
        {"id": encode_id("Invoice", december.id)},
        token=parent,
    )
    assert due["data"]["invoice"]["amountDue"]["cents"] == december.total_cents - 1000
    credit = await api(CREDIT, {"household": household_id, "authority": authority_id}, token=parent)
    assert credit["data"]["householdCredit"]["cents"] == 0

    # December goes to the Trésor: one pièce for what is still due, a file passing every
    # structural check of the fact sheet, its bordereau total that of its pièces.
    admin = await token_for(town.staff, clock)
    saved = await api(
        PES_SETTINGS,
        {
            "authorityId": authority_id,
            "input": {
                "code": "PERI",
                "siret": "21810065400019",
                "accountingPost": "081004",
                "collectivityCode": "123",
                "budgetCode": "01",
                "productCode": "REST",
            },
        },
        token=admin,
    )
    assert saved["data"]["updatePesSettings"]["errors"] == []
    result = await api(EXPORT, {"authorityId": authority_id, "month": "2026-12-01"}, token=till)
    exported = result["data"]["exportTitres"]
    assert exported["errors"] == [], exported
    batch = exported["export"]
    assert batch["titres"] == [
        {"invoiceNumber": december.number, "amount": {"cents": december.total_cents - 1000}}
    ]
    assert (batch["pieceCount"], batch["total"]["cents"]) == (1, december.total_cents - 1000)
    response = await http.get(batch["downloadUrl"])
    assert response.status_code == 200
    assert pes_problems(response.content) == []
    root = fromstring(response.content)
    assert cents(value(root, "PES_RecetteAller/Bordereau/BlocBordereau/MtBordHt")) == (
        december.total_cents - 1000
    )
