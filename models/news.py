"""News (actualités) the town publishes: public, or for the families of a site or activity."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.catalogue import Activity, Site
    from models.tenants import Tenant


class NewsAudience(StrEnum):
    """Who reads an item: anyone, or the families with a child enrolled at a site or in an
    activity."""

    PUBLIC = "public"
    SITE = "site"
    ACTIVITY = "activity"


class News(Model):
    """One news item, shown from ``publish_from`` to ``publish_until`` (both included)."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="news", on_delete=fields.CASCADE
    )
    tenant_id: int
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    audience = fields.CharEnumField(NewsAudience, max_length=16)
    site: fields.ForeignKeyNullableRelation["Site"] = fields.ForeignKeyField(
        "models.Site", related_name="news", null=True, on_delete=fields.CASCADE
    )
    site_id: int | None
    activity: fields.ForeignKeyNullableRelation["Activity"] = fields.ForeignKeyField(
        "models.Activity", related_name="news", null=True, on_delete=fields.CASCADE
    )
    activity_id: int | None
    publish_from = fields.DateField()
    publish_until = fields.DateField(null=True, description="Null: no end")
    created_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="news", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "news"
        indexes = (("tenant_id", "publish_from"),)
