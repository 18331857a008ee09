"""The « Bordereau de remise » of a deposit slip as a French PDF (fpdf2, core fonts in
Windows-1252 like the receipts): the town and its régie, the slip's number, mode and day,
one row per cheque (receipt, drawer, bank, cheque number, amount) or cash payment, the
count and the total, and room for the bank's stamp."""

from fpdf import FPDF

from models.payments import DeskPaymentMode
from resolvers.core.french import format_euros, format_short_date
from resolvers.payments.deposits import SlipDocument

_LEFT, _RIGHT = 15.0, 195.0


def slip_title(document: SlipDocument) -> str:
    if document.slip.mode == DeskPaymentMode.CHEQUE:
        return f"Bordereau de remise de chèques n° {document.slip.number}"
    return f"Bordereau de remise d'espèces n° {document.slip.number}"


def render_slip(document: SlipDocument) -> bytes:
    slip = document.slip
    cheques = slip.mode == DeskPaymentMode.CHEQUE
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(slip_title(document))
    pdf.set_author(document.town)
    pdf.set_creation_date(slip.created_at)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_left_margin(_LEFT)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 7, document.town, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, document.authority, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, slip_title(document), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, f"Date de remise : {format_short_date(slip.deposited_on)}")
    pdf.ln(10)
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_fill_color(230, 230, 230)
    if cheques:
        widths = (32.0, 50.0, 38.0, 30.0, 30.0)
        headers = ("Reçu", "Tireur", "Banque", "Chèque n°", "Montant")
    else:
        widths = (40.0, 25.0, 85.0, 0.0, 30.0)
        headers = ("Reçu", "Reçu le", "Payeur", "", "Montant")
    for width, header in zip(widths, headers, strict=True):
        if width:
            pdf.cell(
                width, 7, header, border=1, fill=True, align="R" if header == "Montant" else "L"
            )
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for payment in document.payments:
        if cheques:
            values = (
                payment.number,
                (payment.cheque_drawer or payment.payer_name)[:30],
                payment.cheque_bank[:22] or "-",
                payment.cheque_number,
                format_euros(payment.amount_cents),
            )
        else:
            values = (
                payment.number,
                format_short_date(payment.received_on),
                payment.payer_name[:50],
                "",
                format_euros(payment.amount_cents),
            )
        for width, value, header in zip(widths, values, headers, strict=True):
            if width:
                pdf.cell(width, 7, value, border=1, align="R" if header == "Montant" else "L")
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    what = "chèque(s)" if cheques else "encaissement(s)"
    pdf.cell(sum(widths) - widths[-1], 8, f"Total : {slip.payment_count} {what}", border=1)
    pdf.cell(widths[-1], 8, format_euros(slip.total_cents), border=1, align="R")
    pdf.ln(16)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(90, 6, "Le régisseur (date et signature)")
    pdf.cell(0, 6, "Cachet de la banque", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def slip_filename(document: SlipDocument) -> str:
    return f"bordereau-{document.slip.number}.pdf"
