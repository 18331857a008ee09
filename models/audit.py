"""Audit log: who did what to whom, for staff actions and security events."""

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.tenants import Tenant


class AuditEntry(Model):
    """An immutable record: nothing updates or deletes these rows."""

    id = fields.BigIntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="audit_entries", on_delete=fields.RESTRICT
    )
    tenant_id: int
    actor: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    action = fields.CharField(max_length=64, description="e.g. household.create")
    target_type = fields.CharField(max_length=32)
    target_id = fields.IntField()
    details: Any = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()

    class Meta:
        table = "audit_entry"
