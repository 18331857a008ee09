"""Requests (demandes): everything a parent submits, with its status history."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class RequestKind(StrEnum):
    """What the request asks for: the list grows with each area."""

    CONTACT_DETAILS_UPDATE = "contact_details_update"
    CONTACT_ADD = "contact_add"
    CONTACT_UPDATE = "contact_update"
    CONTACT_REMOVE = "contact_remove"


class RequestStatus(StrEnum):
    """Where a request stands: the history keeps every step."""

    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    COMPLETED = "completed"
    REJECTED = "rejected"


class Request(Model):
    """One submission of a household, shown in 'dernières demandes'."""

    id = fields.IntField(primary_key=True)
    tenant = fields.ForeignKeyField(
        "models.Tenant", related_name="requests", on_delete=fields.RESTRICT
    )
    household = fields.ForeignKeyField(
        "models.Household", related_name="requests", on_delete=fields.CASCADE
    )
    submitted_by = fields.ForeignKeyField(
        "models.Account", related_name="requests", null=True, on_delete=fields.SET_NULL
    )
    kind = fields.CharEnumField(RequestKind, max_length=32)
    status = fields.CharEnumField(RequestStatus, max_length=16)
    summary = fields.CharField(max_length=300, description="French one-liner shown to users")
    payload = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "request"
        indexes = (("household_id", "created_at"),)


class RequestEvent(Model):
    """One step of a request's history: a status reached, by whom, with a comment."""

    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField(
        "models.Request", related_name="events", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(RequestStatus, max_length=16)
    comment = fields.CharField(max_length=500, default="")
    actor = fields.ForeignKeyField(
        "models.Account", related_name="request_events", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()

    class Meta:
        table = "request_event"
