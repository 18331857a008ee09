"""Reminders mailed to guardians (booking, invoice, document expiry) and who opted out."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.households import Guardian


class ReminderKind(StrEnum):
    """What a reminder is about: its subject id names a child, an invoice or a document
    (DUNNING: an invoice past due, ``for_date`` the day of the step)."""

    BOOKING = "booking"
    INVOICE = "invoice"
    DOCUMENT = "document"
    DUNNING = "dunning"


class ReminderOptOut(Model):
    """A guardian who asked for no reminder mails: without a row, reminders are on."""

    id = fields.IntField(primary_key=True)
    guardian: fields.ForeignKeyRelation["Guardian"] = fields.ForeignKeyField(
        "models.Guardian", related_name="reminder_opt_outs", on_delete=fields.CASCADE
    )
    guardian_id: int
    created_at = fields.DatetimeField()

    class Meta:
        table = "reminder_opt_out"
        unique_together = (("guardian",),)


class SentReminder(Model):
    """Written with the queued mail, in its transaction: the unique key makes a second run
    (or a second worker) fail to insert and so send nothing."""

    id = fields.BigIntField(primary_key=True)
    guardian: fields.ForeignKeyRelation["Guardian"] = fields.ForeignKeyField(
        "models.Guardian", related_name="sent_reminders", on_delete=fields.CASCADE
    )
    guardian_id: int
    kind = fields.CharEnumField(ReminderKind, max_length=16)
    subject_id = fields.IntField(description="Child, invoice or document reminded about")
    for_date = fields.DateField(description="Week, due date or expiry date reminded about")
    created_at = fields.DatetimeField()

    class Meta:
        table = "sent_reminder"
        unique_together = (("guardian", "kind", "subject_id", "for_date"),)
