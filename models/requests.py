"""Requests (demandes): everything a parent submits, with its status history."""

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.households import Household
    from models.tenants import Tenant


class RequestKind(StrEnum):
    """What the request asks for: the list grows with each area."""

    CONTACT_DETAILS_UPDATE = "contact_details_update"
    CONTACT_ADD = "contact_add"
    CONTACT_UPDATE = "contact_update"
    CONTACT_REMOVE = "contact_remove"
    BOOKING_CHANGE = "booking_change"
    ENROLLMENT = "enrollment"
    ABSENCE_REPORT = "absence_report"
    CHILD_UPDATE = "child_update"
    FAMILY_QUOTIENT = "family_quotient"
    APPOINTMENT = "appointment"


class RequestStatus(StrEnum):
    """Where a request stands: the history keeps every step."""

    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    COMPLETED = "completed"
    REJECTED = "rejected"


class Request(Model):
    """One submission of a household, shown in 'dernières demandes'."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="requests", on_delete=fields.RESTRICT
    )
    tenant_id: int
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="requests", on_delete=fields.CASCADE
    )
    household_id: int
    submitted_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="requests", null=True, on_delete=fields.SET_NULL
    )
    submitted_by_id: int | None
    kind = fields.CharEnumField(RequestKind, max_length=32)
    status = fields.CharEnumField(RequestStatus, max_length=16)
    summary = fields.CharField(max_length=300, description="French one-liner shown to users")
    payload: Any = fields.JSONField(default=dict)
    idempotency_key = fields.CharField(
        max_length=64, null=True, description="Client key: a retried submit returns this request"
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "request"
        indexes = (("household_id", "created_at"),)
        unique_together = (("household", "idempotency_key"),)


class RequestEvent(Model):
    """One step of a request's history: a status reached, by whom, with a comment."""

    id = fields.IntField(primary_key=True)
    request: fields.ForeignKeyRelation["Request"] = fields.ForeignKeyField(
        "models.Request", related_name="events", on_delete=fields.CASCADE
    )
    request_id: int
    status = fields.CharEnumField(RequestStatus, max_length=16)
    comment = fields.CharField(max_length=500, default="")
    actor: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="request_events", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "request_event"


class TownQuestion(Model):
    """A question asked of the town without an account (« Poser une question »): kept before
    anything else is done with it, answered by staff by mail."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="questions", on_delete=fields.RESTRICT
    )
    tenant_id: int
    name = fields.CharField(max_length=100, description="Who asks, as typed")
    email = fields.CharField(max_length=254, description="Where the answer is mailed")
    subject = fields.CharField(max_length=150)
    message = fields.TextField()
    created_at = fields.DatetimeField()
    answer = fields.TextField(null=True, description="The staff's answer, as mailed")
    answered_at = fields.DatetimeField(null=True)
    answered_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="answered_questions", null=True, on_delete=fields.SET_NULL
    )
    answered_by_id: int | None

    class Meta:
        table = "town_question"
        indexes = (("tenant_id", "created_at"),)
