"""Private calendar (ICS) feeds: a secret link per child that a phone's calendar polls."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.households import Child


class CalendarFeed(Model):
    """A revocable link to a child's booked days: only the SHA-256 of its token is kept."""

    id = fields.IntField(primary_key=True)
    child: fields.ForeignKeyRelation["Child"] = fields.ForeignKeyField(
        "models.Child", related_name="calendar_feeds", on_delete=fields.CASCADE
    )
    child_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="calendar_feeds", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True, description="Set once: the link answers 404")

    class Meta:
        table = "calendar_feed"
