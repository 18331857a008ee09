"""The « Reçu de paiement » of a desk payment as a French PDF (fpdf2, core fonts in
Windows-1252 like the invoices): the town and its régie, the household, the mode and its
details, the amount, the invoices settled and the credit left.

Rendered from the ledger each time it is downloaded or mailed, as the invoices are: a
cancelled payment's receipt says it was cancelled.
"""

from fpdf import FPDF

from models.payments import DeskPaymentMode
from resolvers.billing.invoice_pdf import draw_logo
from resolvers.core.french import format_datetime, format_euros, format_short_date
from resolvers.payments.desk import MODE_LABELS, DeskReceipt

_LEFT, _RIGHT = 15.0, 195.0


def mode_details(receipt: DeskReceipt) -> list[tuple[str, str]]:
    """The mode and what identifies the money: a cheque's bank, number and drawer, the
    CESU titles, a transfer's reference."""
    desk = receipt.desk
    mode = DeskPaymentMode(desk.mode)
    rows = [("Mode de paiement", MODE_LABELS[mode])]
    if mode == DeskPaymentMode.CHEQUE:
        rows += [
            ("Chèque n°", desk.cheque_number),
            ("Banque", desk.cheque_bank or "-"),
            ("Tireur", desk.cheque_drawer or desk.payer_name),
        ]
    elif mode == DeskPaymentMode.CESU:
        if desk.cesu_electronic:
            rows.append(("Titres", "e-CESU"))
        else:
            rows.append(("Titres CESU n°", ", ".join(desk.cesu_titles)))
    if desk.reference:
        rows.append(("Référence", desk.reference))
    return rows


def render_receipt(receipt: DeskReceipt) -> bytes:
    desk = receipt.desk
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(f"Reçu de paiement {desk.number}")
    pdf.set_author(receipt.town)
    pdf.set_creation_date(desk.created_at)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_left_margin(_LEFT)
    if receipt.logo is not None:
        pdf.set_y(draw_logo(pdf, receipt.logo, _LEFT, 8.0) + 4.0)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 7, receipt.town, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, receipt.authority, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, f"Reçu de paiement n° {desk.number}", new_x="LMARGIN", new_y="NEXT")
    if desk.cancelled_at is not None:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(
            0,
            7,
            f"ANNULÉ le {format_datetime(desk.cancelled_at, receipt.timezone)} : "
            f"{desk.cancel_reason}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 10)
    rows = [
        ("Payeur", desk.payer_name),
        ("Famille", f"{receipt.household_name} (dossier {receipt.household_reference})"),
        ("Reçu le", format_short_date(desk.received_on)),
        ("Montant", format_euros(desk.amount_cents)),
        *mode_details(receipt),
    ]
    for label, value in rows:
        pdf.cell(55, 6, label)
        pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 10)
    pdf.set_fill_color(230, 230, 230)
    pdf.cell(70, 7, "Facture", border=1, fill=True)
    pdf.cell(55, 7, "Montant réglé", border=1, fill=True, align="R")
    pdf.cell(55, 7, "Reste à payer", border=1, fill=True, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for number, cents, due in receipt.allocations:
        pdf.cell(70, 7, f"Facture n° {number}", border=1)
        pdf.cell(55, 7, format_euros(cents), border=1, align="R")
        pdf.cell(55, 7, format_euros(due), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    if not receipt.allocations:
        pdf.cell(180, 7, "Aucune facture réglée", border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    credit = receipt.credit_left_cents
    pdf.cell(
        0,
        6,
        f"Avoir restant en votre faveur : {format_euros(credit)}"
        + (" (déduit de vos prochaines factures)" if credit else ""),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(
        _RIGHT - _LEFT,
        5,
        "Ce reçu atteste le paiement reçu par la régie. Conservez-le : vos paiements sont "
        "aussi dans votre espace famille.",
    )
    return bytes(pdf.output())


def receipt_filename(receipt: DeskReceipt) -> str:
    return f"recu-{receipt.desk.number}.pdf"
