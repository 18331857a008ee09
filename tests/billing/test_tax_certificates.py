"""Tax certificates (attestations de frais de garde) and the régies' month totals, as a
parent and the finance officer read them."""

import asyncio
import io
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from pypdf import PdfReader

from gql.ids import encode_id
from models.accounts import AccountRole
from models.billing import Invoice, InvoiceDelivery, InvoiceKind, InvoiceLine, InvoiceLineKind
from models.catalogue import Activity, ActivityKind
from models.households import Child
from resolvers.billing.invoicing import invoice_month
from resolvers.billing.tax_certificates import paid_share
from resolvers.calendar.catalogue import ActivityForm, save_activity
from resolvers.core.clock import FrozenClock
from tests.billing_factories import BillingTown, Family, make_billing_town, make_family
from tests.conftest import Backend, GraphQL
from tests.factories import make_account, make_town, token_for

CERTIFICATES = """
query($id: ID!, $year: Int!) {
  taxCertificates(householdId: $id, year: $year) {
    childName birthDate year total { cents text } activities { activity amount { cents } }
    pdfUrl
  }
}
"""
TOTALS = """
query($month: Date!, $authorityId: ID) {
  billingMonthTotals(month: $month, authorityId: $authorityId) {
    authority { name } month invoiceCount creditNoteCount
    invoiced { cents text } creditNotes { cents } settled { cents } stillDue { cents text }
  }
}
"""
_numbers = iter(range(900000, 999999))


async def paid_invoice(
    town: BillingTown,
    family: Family,
    issued_on: date,
    lines: list[tuple[Child, Activity, InvoiceLineKind, int]],
    *,
    settled: int | None = None,
    kind: InvoiceKind = InvoiceKind.INVOICE,
) -> Invoice:
    """An issued invoice with the given lines, settled in full unless said otherwise (what
    the payment slice records)."""
    total = sum(amount for *_, amount in lines)
    number = f"99{next(_numbers):08d}"
    opens = datetime(issued_on.year, issued_on.month, issued_on.day, 8, tzinfo=UTC)
    invoice = await Invoice.create(
        tenant_id=town.tenant.id,
        authority_id=town.authority.id,
        household_id=family.household.id,
        month=issued_on.replace(day=1),
        revision=0 if kind == InvoiceKind.INVOICE else 1,
        kind=kind,
        number=number,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=20),
        payment_opens_at=opens,
        payment_closes_at=opens + timedelta(days=20),
        total_cents=total,
        settled_cents=total if settled is None else settled,
        payer_name="Madame Parent0 Test",
        payer_address="1 rue de la Paix\n81100 Castres",
        household_reference=family.household.reference,
        payment_reference=f"{number}00",
        delivery=InvoiceDelivery.PRINT,
        created_at=opens,
    )
    for position, (child, activity, line_kind, amount) in enumerate(lines):
        await InvoiceLine.create(
            invoice=invoice,
            position=position,
            kind=line_kind,
            child_id=child.id,
            activity_id=activity.id,
            label=f"{activity.name} – {child.first_names}",
            quantity=1,
            unit_price_cents=amount,
            amount_cents=amount,
        )
    return invoice


async def town_with_young_children(
    clock: FrozenClock,
) -> tuple[BillingTown, Family, Child, Child, Activity]:
    """A family with a child of 4 and one who turned 6 on 1 January 2026, billed morning
    care and canteen in 2025 and 2026."""
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    young = await Child.get(id=family.child_id)
    young.birth_date = date(2021, 3, 15)
    await young.save()
    six = await Child.create(
        household_id=family.household.id,
        last_name="Test",
        first_names="Lucie",
        birth_date=date(2020, 1, 1),
    )
    care = await save_activity(
        town.staff,
        ActivityForm(code="ACC-MATIN", name="Accueil du matin", kind=ActivityKind.MORNING_CARE),
        clock=clock,
    )
    canteen = town.catalogue.canteen
    booked, surcharge, absence = (
        InvoiceLineKind.BOOKED,
        InvoiceLineKind.SURCHARGE,
        InvoiceLineKind.ABSENCE,
    )
    # Paid in full in February: 40 € of care + 3 € of absence count, the rest does not.
    await paid_invoice(
        town,
        family,
        date(2026, 2, 8),
        [
            (young, care, booked, 4000),
            (young, care, surcharge, 1200),
            (young, canteen, booked, 2500),
            (young, care, absence, 300),
            (six, care, booked, 2000),
        ],
    )
    # Half paid: half of 30,01 €, rounded down.
    await paid_invoice(town, family, date(2026, 3, 8), [(young, care, booked, 3001)], settled=1500)
    # Not paid, or paid in another year.
    await paid_invoice(town, family, date(2026, 4, 8), [(young, care, booked, 5000)], settled=0)
    await paid_invoice(town, family, date(2025, 12, 8), [(young, care, booked, 999)])
    clock.current = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
    return town, family, young, six, care


async def test_the_certificate_counts_paid_childcare_of_children_under_six_only(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, family, young, six, _ = await town_with_young_children(clock)
    parent = await token_for(family.parent, clock)

    result = await api(
        CERTIFICATES,
        {"id": encode_id("Household", family.household.id), "year": 2026},
        token=parent,
    )

    [certificate] = result["data"]["taxCertificates"]
    assert certificate["childName"] == f"{young.first_names} Test"
    # 40,00 + 3,00 (absence) + 15,00 (half of 30,01 rounded down) = 58,00 €
    assert certificate["total"] == {"cents": 5800, "text": "58,00 €"}
    assert certificate["activities"] == [
        {"activity": "Accueil du matin", "amount": {"cents": 5800}}
    ]
    response = await http.get(certificate["pdfUrl"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for expected in (
        town.tenant.name,
        "Attestation de frais de garde – année 2026",
        "Payeur : Parent0 Test",
        f"Enfant : {young.first_names} Test, né(e) le 15/03/2021",
        "Accueil du matin",
        "58,00 €",
        "moins de 6 ans au 1er janvier 2026",
        "hors frais de repas",
        "Établie le 15/01/2027",
    ):
        assert expected in text, expected
    for absent in ("Lucie", "Restauration scolaire", "43,00 €", "12,00 €"):
        assert absent not in text, absent
    # 2025: the December invoice (child under 6 on 1 January 2025 too).
    earlier = await api(
        CERTIFICATES,
        {"id": encode_id("Household", family.household.id), "year": 2025},
        token=parent,
    )
    assert [c["total"]["cents"] for c in earlier["data"]["taxCertificates"]] == [999]
    clock.advance(timedelta(minutes=16))
    assert (await http.get(certificate["pdfUrl"])).status_code == 403


async def test_another_household_is_not_found_and_a_future_year_is_refused(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, family, *_ = await town_with_young_children(clock)
    neighbour = await make_family(town, clock)
    parent = await token_for(neighbour.parent, clock)
    staff = await token_for(town.staff, clock)
    household_id = encode_id("Household", family.household.id)

    other = await api(CERTIFICATES, {"id": household_id, "year": 2026}, token=parent)
    future = await api(CERTIFICATES, {"id": household_id, "year": 2030}, token=staff)
    by_staff = await api(CERTIFICATES, {"id": household_id, "year": 2026}, token=staff)

    assert other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert future["errors"][0]["extensions"]["code"] == "INVALID"
    assert [c["total"]["cents"] for c in by_staff["data"]["taxCertificates"]] == [5800]


def test_a_partly_settled_invoice_counts_pro_rata_never_more_than_paid() -> None:
    assert paid_share(3001, 3001, 1500) == 1500
    assert paid_share(1000, 4000, 1000) == 250
    assert paid_share(1000, 4000, 5000) == 1000
    assert paid_share(1000, 4000, 0) == 0
    # A credit note settled in full takes its (negative) lines back in full.
    assert paid_share(-500, -500, -500) == -500
    assert paid_share(-500, -500, 0) == 0


async def test_the_certificates_command_writes_one_pdf_per_child(
    backend: Backend, clock: FrozenClock, tmp_path: Path
) -> None:
    town, family, young, *_ = await town_with_young_children(clock)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        "tax-certificates",
        "--year",
        "2026",
        "--town",
        town.tenant.slug,
        "--output-dir",
        str(tmp_path),
        cwd=Path(__file__).parent.parent.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()

    assert process.returncode == 0, err.decode()
    assert "1 attestation(s) de frais de garde 2026" in out.decode()
    [pdf] = (tmp_path / town.tenant.slug).iterdir()
    assert (
        pdf.name == f"attestation-frais-de-garde-2026-{family.household.reference}-{young.id}.pdf"
    )
    assert "58,00 €" in PdfReader(pdf).pages[0].extract_text()


async def test_staff_read_each_regies_month_totals_and_parents_cannot(
    api: GraphQL, clock: FrozenClock
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    paid, unpaid = await make_family(town, clock), await make_family(town, clock)
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    await Invoice.filter(household_id=paid.household.id).update(settled_cents=4250)
    child = await Child.get(id=unpaid.child_id)
    await paid_invoice(
        town,
        unpaid,
        date(2026, 11, 20),
        [(child, town.catalogue.canteen, InvoiceLineKind.BOOKED, -500)],
        settled=0,
        kind=InvoiceKind.CREDIT_NOTE,
    )
    await Invoice.filter(kind=InvoiceKind.CREDIT_NOTE, household_id=unpaid.household.id).update(
        month=date(2026, 10, 1)
    )
    staff = await token_for(town.staff, clock)

    result = await api(TOTALS, {"month": "2026-10-15"}, token=staff)
    november = await api(
        TOTALS,
        {"month": "2026-11-01", "authorityId": encode_id("BillingAuthority", town.authority.id)},
        token=staff,
    )

    assert result["data"]["billingMonthTotals"] == [
        {
            "authority": {"name": "Régie périscolaire"},
            "month": "2026-10-01",
            "invoiceCount": 2,
            "creditNoteCount": 1,
            "invoiced": {"cents": 8500, "text": "85,00 €"},
            "creditNotes": {"cents": -500},
            "settled": {"cents": 4250},
            "stillDue": {"cents": 4250, "text": "42,50 €"},
        }
    ]
    [empty] = november["data"]["billingMonthTotals"]
    assert (empty["invoiceCount"], empty["invoiced"]["cents"]) == (0, 0)
    parent = await token_for(paid.parent, clock)
    refused = await api(TOTALS, {"month": "2026-10-01"}, token=parent)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    stranger = await token_for(
        await make_account(await make_town(), clock, role=AccountRole.ADMIN), clock
    )
    foreign = await api(
        TOTALS,
        {"month": "2026-10-01", "authorityId": encode_id("BillingAuthority", town.authority.id)},
        token=stranger,
    )
    assert foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"
