"""Reminder crons (Europe/Paris): documents of the private storage about to expire, next
week not booked yet, invoices due soon and unpaid (resolvers/reminders/reminders.py). Guardians who
turned reminders off (``setReminders``) get none of them.

Document reminders are safe to run twice: a document remembers the expiry date it was
reminded for (``expiry_reminded_for``) in the same transaction that queues its mails, so a
rerun finds nothing, and a document renewed with a new expiry date is reminded again in
time. The other two write a unique ``SentReminder`` row with each mail.
"""

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from models.documents import Document
from models.households import Household
from resolvers.core.clock import Clock, SystemClock
from resolvers.core.french import format_date
from resolvers.core.outbox import queue_mail
from resolvers.documents.documents import expiring_documents
from resolvers.documents.storage import FilesystemStore, current_store
from resolvers.reminders.dunning import queue_dunning_reminders
from resolvers.reminders.reminders import (
    queue_booking_reminders,
    queue_invoice_reminders,
    recipients,
)
from settings import get_settings

PARIS = ZoneInfo("Europe/Paris")


async def remind_expiring_documents(ctx: dict[str, Any]) -> int:
    """Mail the guardians of each stored document expiring soon; how many documents."""
    clock: Clock = ctx.get("clock") or SystemClock()
    today = clock.now().astimezone(PARIS).date()
    days = get_settings().document_expiry_reminder_days
    reminded = 0
    for candidate in await expiring_documents(today, days):
        async with in_transaction():
            [document] = await Document.filter(id=candidate.id).select_for_update()
            if document.expires_on is None or document.expiry_reminded_for == document.expires_on:
                continue  # another run got there first
            await _queue_reminder(document, today, clock)
            document.expiry_reminded_for = document.expires_on
            await document.save(update_fields=["expiry_reminded_for"])
            reminded += 1
    return reminded


async def _queue_reminder(document: Document, today: date, clock: Clock) -> None:
    assert document.expires_on is not None
    household = await Household.get(id=document.household_id).select_related("tenant")
    to = await recipients([document.household_id])
    for recipient in to.get(document.household_id, []):
        await queue_mail(
            recipient.email,
            "document_expiring",
            {
                "town": household.tenant.name,
                "title": document.title,
                "expires_on": format_date(document.expires_on),
                "days_left": (document.expires_on - today).days,
            },
            clock=clock,
        )


async def remind_unbooked_weeks(ctx: dict[str, Any]) -> int:
    """Families with nothing booked in the week whose booking deadline is near."""
    clock: Clock = ctx.get("clock") or SystemClock()
    return await queue_booking_reminders(clock=clock)


async def remind_unpaid_invoices(ctx: dict[str, Any]) -> int:
    """Payers of invoices due soon and still unpaid."""
    clock: Clock = ctx.get("clock") or SystemClock()
    return await queue_invoice_reminders(clock=clock)


async def remind_overdue_invoices(ctx: dict[str, Any]) -> int:
    """Payers of invoices past due, at the steps their régie sets (relances); run twice,
    it mails nothing twice."""
    clock: Clock = ctx.get("clock") or SystemClock()
    return await queue_dunning_reminders(clock=clock)


async def sweep_document_files(ctx: dict[str, Any]) -> int:
    """Remove files of the filesystem storage whose metadata never committed."""
    store = current_store()
    if isinstance(store, FilesystemStore):
        return await store.sweep()
    return 0
