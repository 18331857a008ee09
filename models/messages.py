"""Messages (échanges) between a household and the town's services, in threads."""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.households import Household
    from models.requests import Request
    from models.tenants import Tenant


class MessageThread(Model):
    """A conversation about one request (demande), or about anything else."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="message_threads", on_delete=fields.RESTRICT
    )
    tenant_id: int
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="message_threads", on_delete=fields.CASCADE
    )
    household_id: int
    request: fields.ForeignKeyNullableRelation["Request"] = fields.ForeignKeyField(
        "models.Request", related_name="message_threads", null=True, on_delete=fields.SET_NULL
    )
    request_id: int | None
    subject = fields.CharField(max_length=200)
    created_at = fields.DatetimeField()
    last_message_at = fields.DatetimeField(description="Orders the inboxes, latest first")

    class Meta:
        table = "message_thread"
        indexes = (("household_id", "last_message_at"), ("tenant_id", "last_message_at"))


class Message(Model):
    """One message of a thread, written by a guardian or an agent."""

    id = fields.BigIntField(primary_key=True)
    thread: fields.ForeignKeyRelation[MessageThread] = fields.ForeignKeyField(
        "models.MessageThread", related_name="messages", on_delete=fields.CASCADE
    )
    thread_id: int
    author: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    author_id: int | None
    from_staff = fields.BooleanField(description="Written by the town's services")
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "message"
        indexes = (("thread_id", "created_at"),)


class MessageRead(Model):
    """Up to when an account read a thread: newer messages from the other side are unread."""

    id = fields.BigIntField(primary_key=True)
    thread: fields.ForeignKeyRelation[MessageThread] = fields.ForeignKeyField(
        "models.MessageThread", related_name="reads", on_delete=fields.CASCADE
    )
    thread_id: int
    account: fields.ForeignKeyRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="message_reads", on_delete=fields.CASCADE
    )
    account_id: int
    read_at = fields.DatetimeField()

    class Meta:
        table = "message_read"
        unique_together = (("thread", "account"),)
