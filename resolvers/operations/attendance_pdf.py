"""The printable attendance sheet: one A4 page (or more) per activity, in French.

Drawn with fpdf2's built-in Helvetica, which covers Latin-1: the few French characters
outside it (œ, typographic quotes and dashes) are written with their plain equivalents.
"""

from datetime import datetime

from fpdf import FPDF
from fpdf.fonts import FontFace

from models.households import Diet
from resolvers.core.french import format_date, format_datetime
from resolvers.operations.attendance import AttendanceSheet, SheetChild

_PLAIN = str.maketrans(
    {"œ": "oe", "Œ": "OE", "’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."}
)
_DIETS = {
    Diet.STANDARD: "",
    Diet.NO_PORK: "Sans porc",
    Diet.VEGETARIAN: "Végétarien",
    Diet.PACKED_MEAL: "Panier-repas",
}

NBSP = "\u00a0"
_HEADINGS = ("Présent", "Enfant", "Personnes autorisées à le récupérer", "Santé / PAI")


def _latin1(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


class _SheetPdf(FPDF):
    printed_at = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "I", 8)
        self.cell(
            0,
            5,
            _latin1(
                f"Document confidentiel (données de santé) - imprimé le {self.printed_at} - "
                f"page {self.page_no()}/{{nb}}"
            ),
            align="C",
        )


def _line(pdf: FPDF, height: float, text: str) -> None:
    """A paragraph across the page, the cursor back at the left margin below it."""
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


_ANSWERS = {True: "oui", False: "NON", None: "sans réponse"}


def _child_cell(child: SheetChild) -> str:
    row = child.expected
    lines = [f"{row.last_name.upper()} {row.first_names}"]
    if row.school_class:
        lines.append(row.school_class)
    if row.reported_absent:
        lines.append("Absence signalée")
    lines.extend(f"{c.name} : {_ANSWERS[c.granted]}" for c in child.consents)
    return "\n".join(lines)


def _health_cell(child: SheetChild) -> str:
    row = child.expected
    lines = []
    if row.has_pai:
        lines.append("PAI" + (f" : {row.pai_details}" if row.pai_details else ""))
    if row.health_notes:
        lines.append(row.health_notes)
    if _DIETS[row.diet]:
        lines.append(f"Régime : {_DIETS[row.diet]}")
    return "\n".join(lines) or "-"


def _pickups_cell(child: SheetChild) -> str:
    return (
        "\n".join(
            # Non-breaking spaces keep a phone number on one line.
            f"{p.name} ({p.relationship})" + (f" {p.phone.replace(' ', NBSP)}" if p.phone else "")
            for p in child.pickups
        )
        or "-"
    )


def attendance_pdf(sheets: list[AttendanceSheet], *, printed_at: datetime) -> bytes:
    """One section per activity; a page even when no activity is open, saying so."""
    pdf = _SheetPdf(format="A4")
    pdf.set_title("Liste de présence")
    pdf.set_creator("Portail Famille")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(12, 12, 12)
    if sheets:
        pdf.printed_at = format_datetime(printed_at, sheets[0].tenant.timezone)
    for sheet in sheets:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 15)
        _line(pdf, 8, _latin1(f"Liste de présence - {sheet.activity.name}"))
        pdf.set_font("Helvetica", "", 11)
        _line(
            pdf,
            6,
            _latin1(f"{sheet.site.name} - {format_date(sheet.day)} - {sheet.tenant.name}"),
        )
        absent = len(sheet.children) - sheet.expected_count
        summary = f"Enfants attendus : {sheet.expected_count}"
        if absent:
            summary += f" (absences signalées : {absent})"
        pdf.set_font("Helvetica", "B", 11)
        _line(pdf, 7, _latin1(summary))
        pdf.ln(2)
        if not sheet.children:
            pdf.set_font("Helvetica", "I", 11)
            _line(pdf, 6, _latin1("Aucun enfant inscrit ce jour."))
            continue
        pdf.set_font("Helvetica", "", 9)
        with pdf.table(
            col_widths=(16, 40, 72, 58),
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
            line_height=4.5,
            text_align="LEFT",
            v_align="TOP",
            padding=1.5,
        ) as table:
            heading = table.row()
            for title in _HEADINGS:
                heading.cell(_latin1(title))
            for child in sheet.children:
                row = table.row()
                row.cell("Absent" if child.expected.reported_absent else "[   ]")
                row.cell(_latin1(_child_cell(child)))
                row.cell(_latin1(_pickups_cell(child)))
                row.cell(_latin1(_health_cell(child)))
    if not sheets:
        pdf.add_page()
        pdf.set_font("Helvetica", "", 12)
        _line(pdf, 7, _latin1("Aucune activité ouverte ce jour à ce lieu."))
    return bytes(pdf.output())
