"""Billing: tariffs, attendance (pointage), invoice numbering and invoices of a régie.

Money is integer cents. An issued invoice is never edited: a later change of what a
household owes for a month becomes a new document (credit note or complementary invoice)
with the next revision number, so the unique (household, régie, month, revision) key makes
a re-run of the same month a no-op. Payments (models/payments.py) attach through
``settled_cents``: the amount still due is ``total_cents - settled_cents``.
"""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.authorities import BillingAuthority
    from models.catalogue import Activity, Site
    from models.households import Child, Household
    from models.tenants import Tenant
    from models.treasury import PesBatch


class InvoiceCounter(Model):
    """Last sequence number used by a régie in a month, locked while numbering."""

    id = fields.IntField(primary_key=True)
    authority: fields.ForeignKeyRelation["BillingAuthority"] = fields.ForeignKeyField(
        "models.BillingAuthority", related_name="counters", on_delete=fields.RESTRICT
    )
    authority_id: int
    month = fields.DateField(description="First day of the month numbered")
    last_sequence = fields.IntField(default=0)

    class Meta:
        table = "invoice_counter"
        unique_together = (("authority", "month"),)


class Tariff(Model):
    """One unit price of an activity for a quotient bracket, residence and period."""

    id = fields.IntField(primary_key=True)
    activity: fields.ForeignKeyRelation["Activity"] = fields.ForeignKeyField(
        "models.Activity", related_name="tariffs", on_delete=fields.RESTRICT
    )
    activity_id: int
    valid_from = fields.DateField()
    valid_until = fields.DateField(null=True, description="Last day, null = open-ended")
    resident = fields.BooleanField(default=True)
    quotient_min = fields.IntField(default=0, description="Quotient familial from, euros")
    quotient_max = fields.IntField(null=True, description="Up to (included), null = no cap")
    unit_price_cents = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tariff"
        indexes = (("activity_id", "valid_from"),)


class Attendance(Model):
    """Pointage: whether a child was there, one activity, one day."""

    id = fields.BigIntField(primary_key=True)
    child: fields.ForeignKeyRelation["Child"] = fields.ForeignKeyField(
        "models.Child", related_name="attendances", on_delete=fields.CASCADE
    )
    child_id: int
    activity: fields.ForeignKeyRelation["Activity"] = fields.ForeignKeyField(
        "models.Activity", related_name="attendances", on_delete=fields.RESTRICT
    )
    activity_id: int
    site: fields.ForeignKeyRelation["Site"] = fields.ForeignKeyField(
        "models.Site", related_name="attendances", on_delete=fields.RESTRICT
    )
    site_id: int
    day = fields.DateField()
    present = fields.BooleanField()
    recorded_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="attendances", null=True, on_delete=fields.SET_NULL
    )
    recorded_by_id: int | None
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "attendance"
        unique_together = (("child", "activity", "day"),)
        indexes = (("activity_id", "day"),)


class InvoiceKind(StrEnum):
    """The original monthly invoice, or a correction issued after it."""

    INVOICE = "invoice"
    COMPLEMENT = "complement"
    CREDIT_NOTE = "credit_note"


class InvoiceDelivery(StrEnum):
    """How the household receives it: by e-mail (paperless) or on paper."""

    EMAIL = "email"
    PRINT = "print"


class InvoiceLineKind(StrEnum):
    """Why a line is billed."""

    BOOKED = "booked"
    SURCHARGE = "surcharge"
    ABSENCE = "absence"


class Invoice(Model):
    """A household's bill for one month and one régie, frozen once issued."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="invoices", on_delete=fields.RESTRICT
    )
    tenant_id: int
    authority: fields.ForeignKeyRelation["BillingAuthority"] = fields.ForeignKeyField(
        "models.BillingAuthority", related_name="invoices", on_delete=fields.RESTRICT
    )
    authority_id: int
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="invoices", on_delete=fields.RESTRICT
    )
    household_id: int
    month = fields.DateField(description="First day of the month billed")
    revision = fields.SmallIntField(description="0 = the invoice, then each correction")
    kind = fields.CharEnumField(InvoiceKind, max_length=16)
    number = fields.CharField(max_length=16, description="yymm + 6-digit sequence")
    issued_on = fields.DateField()
    due_on = fields.DateField()
    payment_opens_at = fields.DatetimeField()
    payment_closes_at = fields.DatetimeField()
    total_cents = fields.IntField(description="Negative for a credit note")
    settled_cents = fields.IntField(default=0, description="Paid or credited so far")
    payer_name = fields.CharField(max_length=250)
    payer_address = fields.CharField(max_length=500, description="Lines joined by newlines")
    household_reference = fields.CharField(max_length=32)
    payment_reference = fields.CharField(max_length=32)
    delivery = fields.CharEnumField(InvoiceDelivery, max_length=8)
    # Locked while set: the invoice is a titre in a PES rôle the Trésor holds (see
    # models/treasury.py). Lines are never added to it; corrections are new documents.
    pes_batch: fields.ForeignKeyNullableRelation["PesBatch"] = fields.ForeignKeyField(
        "models.PesBatch", related_name="invoices", null=True, on_delete=fields.RESTRICT
    )
    pes_batch_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "invoice"
        unique_together = (("household", "authority", "month", "revision"), ("authority", "number"))
        indexes = (("household_id", "id"),)


class InvoiceLine(Model):
    """Quantity × unit price for one child and activity (negative in corrections)."""

    id = fields.BigIntField(primary_key=True)
    invoice: fields.ForeignKeyRelation[Invoice] = fields.ForeignKeyField(
        "models.Invoice", related_name="lines", on_delete=fields.RESTRICT
    )
    invoice_id: int
    position = fields.SmallIntField()
    kind = fields.CharEnumField(InvoiceLineKind, max_length=16)
    child: fields.ForeignKeyNullableRelation["Child"] = fields.ForeignKeyField(
        "models.Child", related_name="invoice_lines", null=True, on_delete=fields.SET_NULL
    )
    child_id: int | None
    activity: fields.ForeignKeyRelation["Activity"] = fields.ForeignKeyField(
        "models.Activity", related_name="invoice_lines", on_delete=fields.RESTRICT
    )
    activity_id: int
    label = fields.CharField(max_length=250)
    quantity = fields.IntField()
    unit_price_cents = fields.IntField()
    amount_cents = fields.IntField()

    class Meta:
        table = "invoice_line"
        indexes = (("invoice_id", "position"),)
