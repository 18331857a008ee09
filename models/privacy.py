"""RGPD: what the retention job did to a family file gone for the retention period."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.households import Household


class HouseholdErasure(Model):
    """One row per household whose files were deleted and health notes and contacts
    anonymised: the job skips these, so running it again changes nothing."""

    id = fields.IntField(primary_key=True)
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="erasures", on_delete=fields.CASCADE
    )
    household_id: int
    files_deleted = fields.IntField(description="Document files removed")
    children_cleared = fields.IntField(description="Children whose health notes were emptied")
    contacts_anonymised = fields.IntField()
    erased_at = fields.DatetimeField()

    class Meta:
        table = "household_erasure"
        unique_together = (("household",),)
