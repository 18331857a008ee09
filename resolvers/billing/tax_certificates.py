"""Yearly « attestation de frais de garde » for the income-tax credit on childcare of
children under 6 (article 200 quater B du CGI): one PDF per household and child.

What counts:
- children under 6 on 1 January of the year (born after 1 January six years earlier);
- childcare lines only: canteen lines (meals) are excluded, and so are the surcharges
  billed for attendance without booking (a penalty, not childcare); a billed absence past
  the deadline is the price of the place kept, so it counts;
- only what was actually paid: each invoice contributes its lines in proportion to the
  share of it that is settled (``settled_cents / total_cents``, capped to 0..1), so a half-paid
  invoice certifies half of each of its childcare lines; cents are rounded down per child
  and invoice, so a certificate never states more than was paid. Credit notes take back their
  (negative) lines in the same proportion of what they settled.
- the year of a payment: an invoice's settlements are counted in the year it was issued,
  which is also the year of its due date (a régie's invoices of December are issued, due and
  paid in January). Settlements carry no date of their own yet.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF

from models.accounts import Account
from models.billing import Invoice, InvoiceKind, InvoiceLine, InvoiceLineKind
from models.catalogue import ActivityKind
from models.households import Child, Guardian, Household
from models.tenants import Tenant
from resolvers.core import signed_links
from resolvers.core.clock import Clock
from resolvers.core.errors import BillingErrorCode, DomainError, NotFound
from resolvers.core.french import format_euros, format_short_date
from resolvers.core.roles import FamilyData
from resolvers.households.households import household_for

AGE_LIMIT = 6


def born_after(year: int) -> date:
    """Children born after this day are under 6 on 1 January of ``year``."""
    return date(year - AGE_LIMIT, 1, 1)


def check_year(year: int, today: date) -> None:
    if not 2000 <= year <= today.year:
        raise DomainError(
            BillingErrorCode.INVALID,
            f"Les attestations existent pour les années 2000 à {today.year}.",
            "year",
        )


def paid_share(amount_cents: int, invoice_total: int, invoice_settled: int) -> int:
    """The part of ``amount_cents`` paid when ``invoice_settled`` of ``invoice_total`` is,
    rounded toward zero."""
    if invoice_total == 0:
        return 0
    settled = max(0, min(abs(invoice_settled), abs(invoice_total)))
    if (invoice_settled > 0) != (invoice_total > 0):
        settled = 0
    share = abs(amount_cents) * settled // abs(invoice_total)
    return share if amount_cents >= 0 else -share


@dataclass
class ChildCertificate:
    """What one certificate states."""

    household: Household
    child: Child
    year: int
    payer_name: str
    by_activity: dict[str, int] = field(default_factory=dict)

    @property
    def total_cents(self) -> int:
        return sum(self.by_activity.values())


async def certificates(
    tenant_id: int, year: int, *, household_id: int | None = None
) -> list[ChildCertificate]:
    """Every certificate of a town's year (or of one household), in five statements."""
    children_query = Child.filter(
        household__tenant_id=tenant_id,
        birth_date__gt=born_after(year),
        birth_date__lte=date(year, 12, 31),
    )
    if household_id is not None:
        children_query = children_query.filter(household_id=household_id)
    children = {child.id: child for child in await children_query}
    if not children:
        return []
    invoice_query = Invoice.filter(
        tenant_id=tenant_id,
        issued_on__gte=date(year, 1, 1),
        issued_on__lte=date(year, 12, 31),
        household_id__in={child.household_id for child in children.values()},
    ).exclude(settled_cents=0)
    invoices = {invoice.id: invoice for invoice in await invoice_query}
    # What credit notes cleared from an invoice (corrections.py) is in its settled amount
    # but was not paid: a cancelled invoice certifies nothing.
    credited: dict[int, int] = defaultdict(int)
    for corrected_id, cents in await Invoice.filter(
        corrects_id__in=list(invoices), kind=InvoiceKind.CREDIT_NOTE
    ).values_list("corrects_id", "settled_cents"):
        credited[corrected_id] -= cents
    lines = await (
        InvoiceLine.filter(
            invoice_id__in=list(invoices),
            child_id__in=list(children),
            kind__in=[InvoiceLineKind.BOOKED, InvoiceLineKind.ABSENCE],
        )
        .exclude(activity__kind=ActivityKind.CANTEEN)
        .values("invoice_id", "child_id", "amount_cents", "activity__name")
    )
    # Sum per invoice, child and activity first, then apply the invoice's paid share once.
    owed: dict[tuple[int, int, str], int] = defaultdict(int)
    for line in lines:
        owed[(line["invoice_id"], line["child_id"], line["activity__name"])] += line["amount_cents"]
    paid: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (invoice_id, child_id, activity), cents in owed.items():
        invoice = invoices[invoice_id]
        paid[child_id][activity] += paid_share(
            cents, invoice.total_cents, invoice.settled_cents - credited[invoice_id]
        )
    households = {
        household.id: household
        for household in await Household.filter(
            id__in={children[child_id].household_id for child_id in paid}
        )
    }
    payers: dict[int, str] = {}
    for guardian in await Guardian.filter(household_id__in=list(households)).order_by(
        "-is_payer", "id"
    ):
        payers.setdefault(
            guardian.household_id, f"{guardian.first_names} {guardian.last_name}".strip()
        )
    result = []
    for child_id, activities in paid.items():
        amounts = {name: cents for name, cents in activities.items() if cents}
        if sum(amounts.values()) <= 0:
            continue
        child = children[child_id]
        household = households[child.household_id]
        result.append(
            ChildCertificate(
                household, child, year, payers.get(household.id, household.name), amounts
            )
        )
    return sorted(result, key=lambda c: (c.household.id, c.child.birth_date, c.child.id))


async def certificates_of(
    actor: Account | None, household_id: int, year: int, *, clock: Clock
) -> list[ChildCertificate]:
    """A household's certificates of a year (its parents and staff of its town)."""
    household = await household_for(actor, household_id, FamilyData.BILLING)
    tenant = await Tenant.get(id=household.tenant_id)
    check_year(year, clock.now().astimezone(ZoneInfo(tenant.timezone)).date())
    return await certificates(household.tenant_id, year, household_id=household.id)


def certificate_url(
    certificate: ChildCertificate, account: Account, *, clock: Clock
) -> tuple[str, datetime]:
    return signed_links.TAX_CERTIFICATE.url(
        account,
        {
            "household": certificate.household.id,
            "child": certificate.child.id,
            "year": certificate.year,
        },
        clock=clock,
    )


async def certificate_from_token(token: str, *, clock: Clock) -> ChildCertificate:
    """The certificate a link names, computed again, if its account may still read it.

    Raises ``signed_links.InvalidLink`` or NOT_FOUND.
    """
    account, params = await signed_links.TAX_CERTIFICATE.verify(token, clock=clock)
    household = await household_for(account, int(params["household"]), FamilyData.BILLING)
    for certificate in await certificates(
        household.tenant_id, int(params["year"]), household_id=household.id
    ):
        if certificate.child.id == int(params["child"]):
            return certificate
    raise NotFound("Attestation", "child")


def certificate_filename(certificate: ChildCertificate) -> str:
    return (
        f"attestation-frais-de-garde-{certificate.year}-"
        f"{certificate.household.reference}-{certificate.child.id}.pdf"
    )


def render_certificate(certificate: ChildCertificate, town: str, issued_on: date) -> bytes:
    """The French certificate: who paid, for which child, how much, what is left out."""
    child = certificate.child
    household = certificate.household
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(f"Attestation de frais de garde {certificate.year}")
    pdf.set_author(town)
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, town, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(
        0,
        10,
        f"Attestation de frais de garde – année {certificate.year}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    address = ", ".join(
        part
        for part in (
            household.address_line,
            household.address_complement,
            f"{household.postal_code} {household.city}".strip(),
        )
        if part
    )
    for line in (
        f"Payeur : {certificate.payer_name}",
        f"Adresse : {address}",
        f"Dossier : {household.reference}",
        f"Enfant : {child.first_names} {child.last_name}, né(e) le "
        f"{format_short_date(child.birth_date)}",
    ):
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.multi_cell(
        0,
        6,
        f"La commune atteste que les sommes suivantes ont été payées en {certificate.year} "
        "pour la garde de cet enfant âgé de moins de 6 ans au 1er janvier "
        f"{certificate.year} :",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    for activity, cents in sorted(certificate.by_activity.items()):
        pdf.cell(120, 7, activity, border=1)
        pdf.cell(0, 7, format_euros(cents), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(120, 8, "Total des frais de garde payés", border=1)
    pdf.cell(
        0,
        8,
        format_euros(certificate.total_cents),
        border=1,
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(
        0,
        5,
        "Montants hors frais de repas (restauration scolaire) et hors majorations. "
        "Une facture payée en partie est comptée au prorata de la part payée. "
        "Attestation établie pour le crédit d'impôt au titre des frais de garde des "
        "enfants de moins de 6 ans (article 200 quater B du code général des impôts).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, f"Établie le {format_short_date(issued_on)} par {town}.")
    return bytes(pdf.output())


async def render_for(certificate: ChildCertificate, *, clock: Clock) -> bytes:
    tenant = await Tenant.get(id=certificate.household.tenant_id)
    today = clock.now().astimezone(ZoneInfo(tenant.timezone)).date()
    return render_certificate(certificate, tenant.name, today)
