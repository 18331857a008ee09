"""Transactional outbox: jobs written in the mutation's transaction, relayed to arq after."""

from typing import Any

from tortoise import fields
from tortoise.models import Model


class OutboxJob(Model):
    """A job to run: survives a Redis outage because it lives in the database first."""

    id = fields.BigIntField(primary_key=True)
    function = fields.CharField(max_length=64, description="arq function name")
    kwargs: Any = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    relayed_at = fields.DatetimeField(null=True, description="Handed to arq")
    completed_at = fields.DatetimeField(null=True, description="Done: a rerun does nothing")
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")

    class Meta:
        table = "outbox_job"
        indexes = (("relayed_at", "id"),)
