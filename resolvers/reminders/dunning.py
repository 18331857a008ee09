"""Dunning (relances): the régie's unpaid invoices past their due date, by age, for the
régisseur; a payment reminder mailed on demand; and the automatic ones at the days after the
due date each régie sets (``BillingAuthority.dunning_days``, e.g. 15 and 45).

Each reminder is a ``SentReminder`` (kind DUNNING, the invoice, the day of the step) written
with its queued mail, as the other reminders: the automatic step of an invoice is its day
``due_on + N``, so a second run, or a second worker, mails nothing again; a job that ran late
sends only the latest step reached, never the missed earlier ones on top. A reminder on
demand is the step of its day: twice the same day is refused. It goes to the household's
guardians with an account (a formal notice of the régie: the opt-out of convenience
reminders does not apply); a household without one gets its reminder by post.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from tortoise.expressions import F
from tortoise.queryset import QuerySet

from models.accounts import Account
from models.authorities import BillingAuthority
from models.billing import Invoice, InvoiceKind
from models.households import Guardian, Household
from models.reminders import ReminderKind, SentReminder
from models.tenants import Tenant
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import BillingErrorCode, DomainError, NotFound
from resolvers.core.french import format_date, format_euros, month_label
from resolvers.core.transactions import atomic
from resolvers.households.households import require_staff
from resolvers.reminders.reminders import Recipient, send_once

# (label, first day late, last day late or None)
BUCKETS: list[tuple[str, int, int | None]] = [
    ("0-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
]
TEMPLATE = "payment_overdue"


@dataclass
class OverdueInvoice:
    invoice: Invoice
    household_name: str
    days_late: int
    amount_due_cents: int
    reminders_sent: int
    last_reminder_on: date | None


@dataclass
class OverdueReport:
    """A régie's unpaid invoices past due, oldest first, and their totals by age."""

    authority: BillingAuthority
    today: date
    invoices: list[OverdueInvoice]

    def buckets(self) -> list[tuple[str, int, int]]:
        """(label, invoices, cents) per age bucket, every bucket listed."""
        rows = []
        for label, low, high in BUCKETS:
            inside = [
                row
                for row in self.invoices
                if row.days_late >= low and (high is None or row.days_late <= high)
            ]
            rows.append((label, len(inside), sum(row.amount_due_cents for row in inside)))
        return rows


def _overdue(authority_id: int, today: date) -> QuerySet[Invoice]:
    return (
        Invoice.filter(authority_id=authority_id, due_on__lt=today)
        .exclude(kind=InvoiceKind.CREDIT_NOTE)
        .annotate(due=F("total_cents") - F("settled_cents"))
        .filter(due__gt=0)
    )


async def _today(tenant_id: int, clock: Clock) -> date:
    tenant = await Tenant.get(id=tenant_id)
    return clock.now().astimezone(ZoneInfo(tenant.timezone)).date()


async def overdue_report(
    actor: Account | None, authority_id: int, *, clock: Clock, limit: int = 500
) -> OverdueReport:
    """Staff: the régie's invoices unpaid after their due date, oldest due first, with
    their age and the reminders already sent.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    authority = await BillingAuthority.get_or_none(id=authority_id, tenant_id=staff.tenant_id)
    if authority is None:
        raise NotFound("Régie", "authorityId")
    today = await _today(staff.tenant_id, clock)
    invoices = await _overdue(authority.id, today).order_by("due_on", "id").limit(limit)
    names = dict(
        await Household.filter(id__in={i.household_id for i in invoices}).values_list("id", "name")
    )
    steps: dict[int, set[date]] = defaultdict(set)
    sent: dict[int, list[date]] = defaultdict(list)
    for subject_id, for_date, created_at in await SentReminder.filter(
        kind=ReminderKind.DUNNING, subject_id__in=[i.id for i in invoices]
    ).values_list("subject_id", "for_date", "created_at"):
        steps[subject_id].add(for_date)
        sent[subject_id].append(created_at.date())
    rows = [
        OverdueInvoice(
            invoice,
            names[invoice.household_id],
            (today - invoice.due_on).days,
            invoice.total_cents - invoice.settled_cents,
            len(steps[invoice.id]),
            max(sent[invoice.id]) if sent[invoice.id] else None,
        )
        for invoice in invoices
    ]
    return OverdueReport(authority, today, rows)


async def _recipients(household_id: int) -> list[Recipient]:
    rows = (
        await Guardian.filter(household_id=household_id, account_id__not_isnull=True)
        .order_by("id")
        .values_list("id", "account__email")
    )
    return [Recipient(guardian_id, household_id, str(email)) for guardian_id, email in rows]


def _context(
    tenant: Tenant, authority: BillingAuthority, invoice: Invoice, today: date
) -> dict[str, object]:
    return {
        "town": tenant.name,
        "authority": authority.name,
        "number": invoice.number,
        "label": month_label(invoice.month),
        "amount_due": format_euros(invoice.total_cents - invoice.settled_cents),
        "due_on": format_date(invoice.due_on),
        "days_late": max((today - invoice.due_on).days, 0),
        "reference": invoice.payment_reference,
    }


async def send_payment_reminder(
    actor: Account | None, invoice_id: int, *, clock: Clock
) -> list[str]:
    """Staff: mail a payment reminder for an unpaid invoice now; the addresses it went to.
    Refused for an invoice paid, a credit note, a household without an address (send it by
    post), or a second time the same day.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    invoice = await Invoice.get_or_none(id=invoice_id, tenant_id=staff.tenant_id)
    if invoice is None:
        raise NotFound("Facture", "invoiceId")
    if invoice.kind == InvoiceKind.CREDIT_NOTE or invoice.total_cents <= invoice.settled_cents:
        raise DomainError(
            BillingErrorCode.NOTHING_DUE, "Cette facture n'a rien à régler.", "invoiceId"
        )
    recipients = await _recipients(invoice.household_id)
    if not recipients:
        raise DomainError(
            BillingErrorCode.INVALID,
            "Aucun responsable de cette famille n'a d'adresse e-mail : envoyez la relance par "
            "courrier.",
            "invoiceId",
        )
    tenant = await Tenant.get(id=staff.tenant_id)
    authority = await BillingAuthority.get(id=invoice.authority_id)
    today = await _today(staff.tenant_id, clock)
    context = _context(tenant, authority, invoice, today)
    async with atomic():
        sent = [
            recipient.email
            for recipient in recipients
            if await send_once(
                recipient,
                ReminderKind.DUNNING,
                invoice.id,
                today,
                TEMPLATE,
                context,
                clock=clock,
            )
        ]
        if not sent:
            raise DomainError(
                BillingErrorCode.INVALID,
                "Une relance a déjà été envoyée aujourd'hui pour cette facture.",
                "invoiceId",
            )
        await audit.record(
            "invoice.reminded",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="Invoice",
            target_id=invoice.id,
            clock=clock,
            details={"number": invoice.number, "to": len(sent)},
        )
    return sent


def steps_of(authority: BillingAuthority) -> list[int]:
    return sorted({int(day) for day in authority.dunning_days.split() if day.isdigit()})


async def queue_dunning_reminders(*, clock: Clock) -> int:
    """Every régie's automatic reminders due today (town time): for each unpaid invoice
    past due, the latest step reached, once. How many mails."""
    sent = 0
    for tenant in await Tenant.all().order_by("id"):
        today = clock.now().astimezone(ZoneInfo(tenant.timezone)).date()
        for authority in await BillingAuthority.filter(tenant_id=tenant.id).order_by("id"):
            steps = steps_of(authority)
            if not steps:
                continue
            invoices = await _overdue(authority.id, today - timedelta(days=steps[0] - 1)).order_by(
                "id"
            )
            for invoice in invoices:
                late = (today - invoice.due_on).days
                step = max(day for day in steps if day <= late)
                context = _context(tenant, authority, invoice, today)
                async with atomic():
                    for recipient in await _recipients(invoice.household_id):
                        sent += await send_once(
                            recipient,
                            ReminderKind.DUNNING,
                            invoice.id,
                            invoice.due_on + timedelta(days=step),
                            TEMPLATE,
                            context,
                            clock=clock,
                        )
    return sent
