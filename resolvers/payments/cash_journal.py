"""The daily cash journal of a régie (journal de caisse): every movement of money of one day,
by mode, with its totals, as a query, a CSV and a French PDF.

A movement is read where it is recorded: a desk payment on the day it was handed over, its
cancellation on the day it was cancelled (in the town's time zone), a credit refund on its
day, an online payment, a collected direct debit and their reversals on the day the ledger
wrote them. Modes are those of ``billing.ledger_modes``.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fpdf import FPDF

from models.accounts import Account
from models.households import Household
from models.payments import CreditRefund, DeskPayment, Payment, PaymentKind, PaymentProvider
from models.tenants import Tenant
from resolvers.billing.ledger_modes import LABELS, LedgerMode, mode_of
from resolvers.core import signed_links
from resolvers.core.clock import Clock
from resolvers.core.errors import BillingErrorCode, DomainError
from resolvers.core.french import format_euros, format_short_date
from resolvers.households.households import require_staff
from resolvers.payments.deposits import authority_of

_PROVIDER_LABELS = {
    PaymentProvider.PAYZEN: "Paiement en ligne (PayZen)",
    PaymentProvider.PAYBOX: "Paiement en ligne (Paybox)",
    PaymentProvider.PAYFIP: "Paiement en ligne (PayFiP)",
    PaymentProvider.SEPA: "Prélèvement SEPA",
}


@dataclass
class JournalEntry:
    """One movement: positive in, negative out."""

    mode: LedgerMode
    reference: str
    label: str
    household: str
    amount_cents: int


@dataclass
class CashJournal:
    """A régie's day."""

    town: str
    authority: str
    day: date
    entries: list[JournalEntry]

    def totals(self) -> list[tuple[LedgerMode, int, int]]:
        """(mode, number of movements, cents) for each mode with a movement, in the
        enum's order."""
        count: dict[LedgerMode, int] = defaultdict(int)
        cents: dict[LedgerMode, int] = defaultdict(int)
        for entry in self.entries:
            count[entry.mode] += 1
            cents[entry.mode] += entry.amount_cents
        return [(mode, count[mode], cents[mode]) for mode in LedgerMode if mode in count]

    @property
    def total_cents(self) -> int:
        return sum(entry.amount_cents for entry in self.entries)


def _bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


async def cash_journal(
    actor: Account | None, authority_id: int, day: date, *, clock: Clock
) -> CashJournal:
    """Staff: a régie's movements of one day, by mode, with totals.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    authority = await authority_of(staff, authority_id)
    tenant = await Tenant.get(id=staff.tenant_id)
    if day > clock.now().astimezone(ZoneInfo(tenant.timezone)).date():
        raise DomainError(
            BillingErrorCode.INVALID, "Le journal de caisse d'un jour à venir n'existe pas.", "day"
        )
    start, end = _bounds(day, tenant.timezone)
    received = await DeskPayment.filter(authority_id=authority.id, received_on=day).order_by("id")
    cancelled = await DeskPayment.filter(
        authority_id=authority.id, cancelled_at__gte=start, cancelled_at__lt=end
    ).order_by("cancelled_at", "id")
    refunds = await CreditRefund.filter(authority_id=authority.id, refunded_on=day).order_by("id")
    remote = (
        await Payment.filter(
            attempt__authority_id=authority.id,
            provider__in=list(_PROVIDER_LABELS),
            created_at__gte=start,
            created_at__lt=end,
        )
        .order_by("created_at", "id")
        .values_list("provider", "provider_txn_id", "kind", "amount_cents", "household_id")
    )
    household_ids = {
        *(d.household_id for d in [*received, *cancelled]),
        *(r.household_id for r in refunds),
        *(row[4] for row in remote),
    }
    names = dict(await Household.filter(id__in=household_ids).values_list("id", "name"))
    entries = [
        JournalEntry(
            mode_of(PaymentProvider.DESK.value, d.mode),
            d.number,
            "Encaissement au guichet",
            names[d.household_id],
            d.amount_cents,
        )
        for d in received
    ]
    entries += [
        JournalEntry(
            mode_of(PaymentProvider.DESK.value, d.mode),
            d.number,
            f"Annulation de l'encaissement : {d.cancel_reason}",
            names[d.household_id],
            -d.amount_cents,
        )
        for d in cancelled
    ]
    entries += [
        JournalEntry(
            LedgerMode(r.mode),
            r.number,
            f"Remboursement d'avoir : {r.reason}",
            names[r.household_id],
            -r.amount_cents,
        )
        for r in refunds
    ]
    for provider, reference, kind, cents, household_id in remote:
        label = _PROVIDER_LABELS[PaymentProvider(provider)]
        if kind == PaymentKind.REFUND:
            label = f"Remboursement — {label}"
        elif kind == PaymentKind.REVERSAL:
            label = f"Rejet ou annulation — {label}"
        entries.append(
            JournalEntry(mode_of(provider, None), reference, label, names[household_id], cents)
        )
    entries.sort(key=lambda e: list(LedgerMode).index(e.mode))
    return CashJournal(tenant.name, authority.name, day, entries)


def _amount(cents: int) -> str:
    """``-1234,50``: what a French spreadsheet reads as a number."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def journal_csv(journal: CashJournal) -> str:
    """Semicolon-separated with a BOM, movements then the totals per mode."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Date", "Mode", "Pièce", "Nature", "Famille", "Montant (€)"])
    day = format_short_date(journal.day)
    for entry in journal.entries:
        writer.writerow(
            [
                day,
                LABELS[entry.mode],
                entry.reference,
                entry.label,
                entry.household,
                _amount(entry.amount_cents),
            ]
        )
    for mode, count, cents in journal.totals():
        writer.writerow(
            [day, LABELS[mode], "", f"Total ({count} mouvement(s))", "", _amount(cents)]
        )
    writer.writerow([day, "", "", "Total du jour", "", _amount(journal.total_cents)])
    return buffer.getvalue()


def journal_pdf(journal: CashJournal) -> bytes:
    """« Journal de caisse », landscape A4, core fonts in Windows-1252 like the receipts."""
    pdf = FPDF(orientation="L", format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(f"Journal de caisse du {format_short_date(journal.day)}")
    pdf.set_author(journal.town)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 7, journal.town, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, journal.authority, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(
        0,
        9,
        f"Journal de caisse du {format_short_date(journal.day)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    widths = (40.0, 42.0, 100.0, 60.0, 25.0)
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_fill_color(230, 230, 230)
    for width, header in zip(
        widths, ("Mode", "Pièce", "Nature", "Famille", "Montant"), strict=True
    ):
        pdf.cell(width, 7, header, border=1, fill=True, align="R" if header == "Montant" else "L")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for entry in journal.entries:
        for width, value, right in (
            (widths[0], LABELS[entry.mode], False),
            (widths[1], entry.reference, False),
            (widths[2], entry.label[:60], False),
            (widths[3], entry.household[:35], False),
            (widths[4], format_euros(entry.amount_cents), True),
        ):
            pdf.cell(width, 7, value, border=1, align="R" if right else "L")
        pdf.ln()
    if not journal.entries:
        pdf.cell(
            sum(widths), 7, "Aucun mouvement ce jour.", border=1, new_x="LMARGIN", new_y="NEXT"
        )
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 7, "Totaux par mode", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for mode, count, cents in journal.totals():
        pdf.cell(80, 6, f"{LABELS[mode]} ({count})")
        pdf.cell(40, 6, format_euros(cents), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(80, 7, "Total du jour")
    pdf.cell(40, 7, format_euros(journal.total_cents), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def journal_url(
    authority_id: int, day: date, file_format: str, account: Account, *, clock: Clock
) -> str:
    """A short-lived signed link to a day's journal as ``csv`` or ``pdf``, for staff."""
    url, _ = signed_links.CASH_JOURNAL.url(
        account,
        {"authority": authority_id, "day": day.isoformat(), "format": file_format},
        clock=clock,
    )
    return url


async def journal_from_token(token: str, *, clock: Clock) -> tuple[CashJournal, str]:
    """The journal a link names and its format, if its account is still staff there.

    Raises ``signed_links.InvalidLink`` or a DomainError (FORBIDDEN, NOT_FOUND)."""
    account, params = await signed_links.CASH_JOURNAL.verify(token, clock=clock)
    journal = await cash_journal(
        account, int(params["authority"]), date.fromisoformat(params["day"]), clock=clock
    )
    return journal, str(params["format"])


def journal_filename(journal: CashJournal, file_format: str) -> str:
    return f"journal-caisse-{journal.day.isoformat()}.{file_format}"
