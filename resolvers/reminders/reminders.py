"""Reminders mailed to guardians: next week not booked yet, invoice due soon and unpaid
(document expiry lives in jobs/reminders.py). Each guardian may turn them off.

Run-once: a reminder is a ``SentReminder`` row (guardian × kind × subject × date) written in
the transaction that queues its mail; a second run, or a second worker at the same time,
fails on the unique key and mails nothing.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError

from models.accounts import Account
from models.billing import Invoice, InvoiceKind
from models.bookings import Booking, BookingStatus, Enrollment, EnrollmentStatus
from models.catalogue import Activity
from models.households import Child, Guardian
from models.reminders import ReminderKind, ReminderOptOut, SentReminder
from models.tenants import Tenant
from resolvers.calendar.booking_rules import Deadline, deadline_at
from resolvers.core.clock import Clock
from resolvers.core.errors import Forbidden
from resolvers.core.french import format_date, format_datetime, format_euros, month_label
from resolvers.core.outbox import queue_mail
from resolvers.core.transactions import savepoint
from resolvers.households.households import household_for
from resolvers.operations.expected import load_openings
from settings import get_settings

# How far ahead the booking reminder looks for a deadline: beyond any town's notice.
HORIZON_DAYS = 60


async def set_reminders(
    actor: Account | None, household_id: int, enabled: bool, *, clock: Clock
) -> Guardian:
    """A guardian turns their own reminder mails on or off (on unless they said no)."""
    household = await household_for(actor, household_id)
    assert actor is not None
    guardian = await Guardian.get_or_none(household=household, account_id=actor.id)
    if guardian is None:
        raise Forbidden("Seul un responsable de la famille choisit ses rappels.")
    if enabled:
        await ReminderOptOut.filter(guardian=guardian).delete()
    elif not await ReminderOptOut.exists(guardian=guardian):
        try:
            # A savepoint: the caller's transaction (the mutation's) survives the clash.
            async with savepoint():
                await ReminderOptOut.create(guardian=guardian, created_at=clock.now())
        except IntegrityError:
            pass  # the same choice sent twice at once
    return guardian


@dataclass(frozen=True)
class Recipient:
    guardian_id: int
    household_id: int
    email: str


async def recipients(household_ids: Iterable[int]) -> dict[int, list[Recipient]]:
    """Per household, its guardians with an account who did not opt out: two statements."""
    ids = list(household_ids)
    rows = (
        await Guardian.filter(household_id__in=ids, account_id__not_isnull=True)
        .order_by("id")
        .values_list("id", "household_id", "account__email")
    )
    opted_out = set(
        await ReminderOptOut.filter(guardian__household_id__in=ids).values_list(
            "guardian_id", flat=True
        )
    )
    found: dict[int, list[Recipient]] = defaultdict(list)
    for guardian_id, household_id, email in rows:
        if guardian_id not in opted_out:
            found[household_id].append(Recipient(guardian_id, household_id, str(email)))
    return found


async def send_once(
    recipient: Recipient,
    kind: ReminderKind,
    subject_id: int,
    for_date: date,
    template: str,
    context: dict[str, Any],
    *,
    clock: Clock,
) -> bool:
    """Record the reminder and queue its mail together; False if it was already sent."""
    try:
        # A savepoint: a reminder already sent does not abort the run's transaction.
        async with savepoint():
            await SentReminder.create(
                guardian_id=recipient.guardian_id,
                kind=kind,
                subject_id=subject_id,
                for_date=for_date,
                created_at=clock.now(),
            )
            await queue_mail(recipient.email, template, context, clock=clock)
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class DueWeek:
    """A slot whose next week's first open day closes for booking soon."""

    activity_id: int
    site_id: int
    monday: date
    first_day: date
    deadline: datetime


def _due_weeks(
    openings_rows: Iterable[tuple[int, int]],
    activities: dict[int, Activity],
    is_open: Any,
    timezone: str,
    now: datetime,
    window: timedelta,
) -> list[DueWeek]:
    """For each slot, the week whose first open day's booking deadline is still ahead but
    within ``window``: at most one per slot."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    due = []
    for activity_id, site_id in openings_rows:
        activity = activities[activity_id]
        rule = Deadline(
            activity.booking_rule, activity.booking_value, activity.booking_cutoff_minutes
        )
        for offset in range(HORIZON_DAYS):
            day = today + timedelta(days=offset)
            if not is_open(activity_id, site_id, day):
                continue
            monday = day - timedelta(days=day.weekday())
            first = next(
                d
                for d in (monday + timedelta(days=n) for n in range(7))
                if d == day or is_open(activity_id, site_id, d)
            )
            if first != day:
                continue  # not the first open day of its week
            at = deadline_at(day, rule, timezone)
            if at <= now:
                continue
            if at - window <= now:
                due.append(DueWeek(activity_id, site_id, monday, day, at))
            # Deadlines grow with the day: the next week closes later still.
            break
    return due


async def queue_booking_reminders(*, clock: Clock) -> int:
    """« La semaine prochaine n'est pas encore réservée »: mail the guardians of children
    actively enrolled in a slot, with nothing booked in the week whose first open day's
    booking deadline falls within ``FAMILLE_BOOKING_REMINDER_HOURS``. How many mails."""
    now = clock.now()
    window = timedelta(hours=get_settings().booking_reminder_hours)
    sent = 0
    for tenant in await Tenant.all().order_by("id"):
        today = now.astimezone(ZoneInfo(tenant.timezone)).date()
        openings = await load_openings(tenant.id, today, today + timedelta(days=HORIZON_DAYS))
        if not openings.rows:
            continue
        activities = {
            a.id: a for a in await Activity.filter(id__in={r.activity_id for r in openings.rows})
        }
        slots = list(dict.fromkeys((r.activity_id, r.site_id) for r in openings.rows))
        due = _due_weeks(slots, activities, openings.is_open, tenant.timezone, now, window)
        if due:
            sent += await _remind_unbooked(tenant, due, activities, clock=clock)
    return sent


async def _remind_unbooked(
    tenant: Tenant, due: list[DueWeek], activities: dict[int, Activity], *, clock: Clock
) -> int:
    """Children enrolled in a due slot with no booking (nor waiting-list place) that week."""
    weeks = {(w.activity_id, w.site_id): w for w in due}
    enrolled = await Enrollment.filter(
        status=EnrollmentStatus.ACTIVE,
        activity_id__in=[w.activity_id for w in due],
        period__starts_on__lte=max(w.first_day for w in due),
        period__ends_on__gte=min(w.first_day for w in due),
    ).values_list(
        "child_id",
        "activity_id",
        "site_id",
        "period__starts_on",
        "period__ends_on",
        "child__household_id",
    )
    booked = set(
        await Booking.filter(
            child_id__in=[row[0] for row in enrolled],
            status__in=[BookingStatus.BOOKED, BookingStatus.WAITING],
            day__gte=min(w.monday for w in due),
            day__lte=max(w.monday for w in due) + timedelta(days=6),
        ).values_list("child_id", "activity_id", "day")
    )
    # child → (monday, activity names, earliest deadline, household)
    unbooked: dict[tuple[int, date], list[DueWeek]] = defaultdict(list)
    household_of: dict[int, int] = {}
    for child_id, activity_id, site_id, starts_on, ends_on, household_id in enrolled:
        week = weeks.get((activity_id, site_id))
        if week is None or not starts_on <= week.first_day <= ends_on:
            continue
        days = {week.monday + timedelta(days=n) for n in range(7)}
        if any((child_id, activity_id, day) in booked for day in days):
            continue
        unbooked[(child_id, week.monday)].append(week)
        household_of[child_id] = household_id
    if not unbooked:
        return 0
    names = dict(await Child.filter(id__in=list(household_of)).values_list("id", "first_names"))
    to = await recipients(set(household_of.values()))
    sent = 0
    for (child_id, monday), child_weeks in sorted(unbooked.items()):
        deadline = min(w.deadline for w in child_weeks)
        context = {
            "town": tenant.name,
            "child": str(names[child_id]),
            "week": format_date(monday),
            "activities": sorted({activities[w.activity_id].name for w in child_weeks}),
            "deadline": format_datetime(deadline, tenant.timezone),
        }
        for recipient in to.get(household_of[child_id], []):
            sent += await send_once(
                recipient,
                ReminderKind.BOOKING,
                child_id,
                monday,
                "booking_reminder",
                context,
                clock=clock,
            )
    return sent


async def queue_invoice_reminders(*, clock: Clock) -> int:
    """Mail the guardians of each unpaid invoice due within ``FAMILLE_INVOICE_REMINDER_DAYS``
    (town time), once per invoice and due date. How many mails."""
    now = clock.now()
    days = get_settings().invoice_reminder_days
    sent = 0
    for tenant in await Tenant.all().order_by("id"):
        today = now.astimezone(ZoneInfo(tenant.timezone)).date()
        invoices = [
            invoice
            for invoice in await Invoice.filter(
                tenant_id=tenant.id,
                due_on__gte=today,
                due_on__lte=today + timedelta(days=days),
            )
            .exclude(kind=InvoiceKind.CREDIT_NOTE)
            .order_by("id")
            if invoice.total_cents - invoice.settled_cents > 0
        ]
        to = await recipients({invoice.household_id for invoice in invoices})
        for invoice in invoices:
            context = {
                "town": tenant.name,
                "number": invoice.number,
                "label": month_label(invoice.month),
                "amount_due": format_euros(invoice.total_cents - invoice.settled_cents),
                "due_on": format_date(invoice.due_on),
                "days_left": (invoice.due_on - today).days,
            }
            for recipient in to.get(invoice.household_id, []):
                sent += await send_once(
                    recipient,
                    ReminderKind.INVOICE,
                    invoice.id,
                    invoice.due_on,
                    "invoice_reminder",
                    context,
                    clock=clock,
                )
    return sent
