"""Régies (billing authorities): the public accountant's tills a town's activities are billed
by. Below the catalogue and billing, which both point at them, so neither imports the other
back."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.tenants import Tenant


class BillingAuthority(Model):
    """A régie: the public accountant's till an invoice is paid to, with its calendar."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="billing_authorities", on_delete=fields.RESTRICT
    )
    tenant_id: int
    name = fields.CharField(max_length=150, description="e.g. Régie périscolaire")
    # Invoices of month M are dated in month M+1: the due day and the online-payment
    # window are days of that following month (clamped to its last day).
    due_day = fields.SmallIntField(default=30, description="Day of the next month to pay by")
    payment_opens_day = fields.SmallIntField(default=8)
    payment_opens_minutes = fields.SmallIntField(default=9 * 60 + 30)
    payment_closes_day = fields.SmallIntField(default=30)
    payment_closes_minutes = fields.SmallIntField(default=23 * 60 + 59)
    unbooked_surcharge_percent = fields.SmallIntField(
        default=30, description="Extra charged for attendance without booking"
    )
    resident_postal_codes = fields.CharField(
        max_length=200, default="", description="Space-separated, empty = everyone resident"
    )
    dunning_days = fields.CharField(
        max_length=60,
        default="15 45",
        description="Days after the due date of each automatic reminder, space-separated",
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "billing_authority"
        unique_together = (("tenant", "name"),)
