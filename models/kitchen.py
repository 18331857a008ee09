"""What was mailed to the kitchens: one row per site and day, so the forecast goes once."""

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.catalogue import Site


class KitchenMailing(Model):
    """The daily forecast of one site for one day, queued once at the booking cut-off.

    The unique key is what makes the cron safe to run twice, or on two workers at once.
    The figures mailed are kept, so that a later change (by staff) sends an update.
    """

    id = fields.IntField(primary_key=True)
    site: fields.ForeignKeyRelation["Site"] = fields.ForeignKeyField(
        "models.Site", related_name="kitchen_mailings", on_delete=fields.CASCADE
    )
    site_id: int
    day = fields.DateField(description="The day whose meals are announced")
    recipient = fields.CharField(max_length=254)
    queued_at = fields.DatetimeField()
    figures: Any = fields.JSONField(default=dict, description="Counts in the latest mail")
    revision = fields.IntField(default=0, description="Update mails sent after the first")

    class Meta:
        table = "kitchen_mailing"
        unique_together = (("site", "day"),)
