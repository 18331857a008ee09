"""The invoice as a French PDF, like the towns' own: payer and address, invoice date, due
date, amount due, total, lines, number and payment reference.

Rendered from the stored invoice each time (an issued invoice never changes, so the PDF
does not either) rather than stored: mails and downloads produce the same document.
"""

from dataclasses import dataclass

from fpdf import FPDF

from models.billing import BillingAuthority, Invoice, InvoiceKind, InvoiceLine
from models.tenants import Tenant
from resolvers.french import format_euros, format_short_date, month_label
from resolvers.invoicing import payment_window_text

_TITLES = {
    InvoiceKind.INVOICE: "Facture",
    InvoiceKind.COMPLEMENT: "Facture complémentaire",
    InvoiceKind.CREDIT_NOTE: "Avoir",
}


@dataclass
class InvoiceDocument:
    """Everything printed, loaded in three statements."""

    invoice: Invoice
    lines: list[InvoiceLine]
    town: str
    authority: str
    timezone: str


async def load_document(invoice: Invoice) -> InvoiceDocument:
    tenant = await Tenant.get(id=invoice.tenant_id)
    authority = await BillingAuthority.get(id=invoice.authority_id)
    lines = await InvoiceLine.filter(invoice_id=invoice.id).order_by("position")
    return InvoiceDocument(invoice, lines, tenant.name, authority.name, tenant.timezone)


def invoice_title(invoice: Invoice) -> str:
    return f"{_TITLES[InvoiceKind(invoice.kind)]} {invoice.number} – {month_label(invoice.month)}"


def render_pdf(document: InvoiceDocument) -> bytes:
    invoice = document.invoice
    pdf = FPDF(format="A4")
    # Windows-1252 gives the core fonts € and œ: no font file to ship.
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(invoice_title(invoice))
    pdf.set_author(document.town)
    pdf.set_creation_date(invoice.created_at)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(width, 8, document.town, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(width, 6, document.authority, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(width, 7, f"Payeur : {invoice.payer_name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for line in invoice.payer_address.splitlines():
        pdf.cell(width, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(width, 5, f"Dossier : {invoice.household_reference}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(width, 9, invoice_title(invoice), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    due = invoice.total_cents - invoice.settled_cents
    facts = [
        ("Facture du", format_short_date(invoice.issued_on)),
        ("A régler avant le", format_short_date(invoice.due_on)),
        ("Montant total", format_euros(invoice.total_cents)),
        ("Reste à payer", format_euros(max(due, 0))),
        ("Référence de paiement", invoice.payment_reference),
    ]
    for label, value in facts:
        pdf.cell(55, 6, label)
        pdf.cell(width - 55, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    columns = (width - 75, 20, 27, 28)
    pdf.set_font("Helvetica", "B", 10)
    pdf.set_fill_color(230, 230, 230)
    for text, column, align in zip(
        ("Prestation", "Quantité", "Prix unitaire", "Montant"),
        columns,
        ("L", "R", "R", "R"),
        strict=True,
    ):
        pdf.cell(column, 7, text, border=1, align=align, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for invoice_line in document.lines:
        cells = (
            invoice_line.label,
            str(invoice_line.quantity),
            format_euros(invoice_line.unit_price_cents),
            format_euros(invoice_line.amount_cents),
        )
        # A long label (activity, child, surcharge) is set smaller rather than overflowing
        # into the quantity column.
        size = 9.0
        while size > 6 and pdf.get_string_width(invoice_line.label) > columns[0] - 2:
            size -= 0.5
            pdf.set_font_size(size)
        for text, column, align in zip(cells, columns, ("L", "R", "R", "R"), strict=True):
            pdf.cell(column, 6, text, border=1, align=align)
            pdf.set_font_size(9)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(sum(columns[:3]), 7, "Total", border=1, align="R")
    pdf.cell(columns[3], 7, format_euros(invoice.total_cents), border=1, align="R")
    pdf.ln(12)
    pdf.set_font("Helvetica", "", 9)
    # Short lines written with cell(): multi_cell's line breaking costs half the render.
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        notes = ["Cet avoir sera déduit de vos prochaines factures ou remboursé."]
    else:
        window = payment_window_text(
            invoice.payment_opens_at, invoice.payment_closes_at, document.timezone
        )
        notes = [
            f"{window}, sur votre espace famille.",
            f"Rappelez la référence de paiement {invoice.payment_reference} pour tout règlement.",
        ]
    for note in notes:
        pdf.cell(width, 5, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def pdf_filename(invoice: Invoice) -> str:
    return f"facture-{invoice.number}.pdf"
