"""SEPA direct debit (prélèvement): a régie's creditor settings, the payers' mandates, and
the exported batches with one line per invoice debited.

A line moves the money only when staff mark its batch collected (``settled_cents`` of the
invoice goes up in that transaction); a rejection (R-transaction) reverses it. An invoice
sits in at most one live batch: a batch must be cancelled before its invoices are exported
again.
"""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.authorities import BillingAuthority
    from models.billing import Invoice
    from models.households import Guardian, Household
    from models.tenants import Tenant


class SepaCreditor(Model):
    """What a régie needs to collect by direct debit: its ICS and the account credited."""

    id = fields.IntField(primary_key=True)
    authority: fields.OneToOneRelation["BillingAuthority"] = fields.OneToOneField(
        "models.BillingAuthority", related_name="sepa_creditor", on_delete=fields.RESTRICT
    )
    authority_id: int
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="sepa_creditors", on_delete=fields.RESTRICT
    )
    tenant_id: int
    code = fields.CharField(max_length=32, description="Short code for the CLI, e.g. PERI")
    creditor_identifier = fields.CharField(max_length=35, description="ICS, e.g. FR12ZZZ123456")
    creditor_name = fields.CharField(max_length=70, description="Name on the debtors' statements")
    iban = fields.CharField(max_length=34, description="Account credited, compact form")
    bic = fields.CharField(max_length=11)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "sepa_creditor"
        unique_together = (("tenant", "code"),)


class MandateStatus(StrEnum):
    """A mandate debits while active; revoked by the payer, by staff or after MD01."""

    ACTIVE = "active"
    REVOKED = "revoked"


class SequenceType(StrEnum):
    """FRST for a mandate's first collection (or after a returned first), RCUR afterwards."""

    FRST = "FRST"
    RCUR = "RCUR"


class SepaMandate(Model):
    """The payer's signed authorisation (mandat de prélèvement) with its RUM."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="sepa_mandates", on_delete=fields.RESTRICT
    )
    tenant_id: int
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="sepa_mandates", on_delete=fields.RESTRICT
    )
    household_id: int
    guardian: fields.ForeignKeyRelation["Guardian"] = fields.ForeignKeyField(
        "models.Guardian", related_name="sepa_mandates", on_delete=fields.RESTRICT
    )
    guardian_id: int
    reference = fields.CharField(max_length=35, description="RUM, unique in the town")
    holder_name = fields.CharField(max_length=70)
    iban = fields.CharField(max_length=34, description="Compact form")
    bic = fields.CharField(max_length=11)
    signed_on = fields.DateField()
    status = fields.CharEnumField(MandateStatus, max_length=8, default=MandateStatus.ACTIVE)
    sequence_type = fields.CharEnumField(
        SequenceType, max_length=4, default=SequenceType.FRST, description="Next collection"
    )
    direct_debit = fields.BooleanField(
        default=True, description="The household pays its invoices by this mandate"
    )
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=250, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "sepa_mandate"
        unique_together = (("tenant", "reference"),)
        indexes = (("household_id", "status"),)


class BatchStatus(StrEnum):
    """EXPORTED (file handed to the bank), COLLECTED (money received) or CANCELLED."""

    EXPORTED = "exported"
    COLLECTED = "collected"
    CANCELLED = "cancelled"


class DirectDebitBatch(Model):
    """One pain.008 file of a régie for a month, kept byte for byte."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="direct_debit_batches", on_delete=fields.RESTRICT
    )
    tenant_id: int
    authority: fields.ForeignKeyRelation["BillingAuthority"] = fields.ForeignKeyField(
        "models.BillingAuthority", related_name="direct_debit_batches", on_delete=fields.RESTRICT
    )
    authority_id: int
    month = fields.DateField(description="First day of the month billed")
    status = fields.CharEnumField(BatchStatus, max_length=10, default=BatchStatus.EXPORTED)
    message_id = fields.CharField(max_length=35)
    collection_date = fields.DateField()
    total_cents = fields.IntField()
    line_count = fields.IntField()
    xml = fields.TextField(description="The pain.008 document as exported")
    created_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="direct_debit_batches", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()
    collected_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "direct_debit_batch"
        indexes = (("authority_id", "month"),)


class LineStatus(StrEnum):
    """PENDING until the batch is collected, COLLECTED, or REJECTED by the payer's bank."""

    PENDING = "pending"
    COLLECTED = "collected"
    REJECTED = "rejected"


class DirectDebitLine(Model):
    """One invoice debited in a batch, under one mandate and sequence type."""

    id = fields.BigIntField(primary_key=True)
    batch: fields.ForeignKeyRelation[DirectDebitBatch] = fields.ForeignKeyField(
        "models.DirectDebitBatch", related_name="lines", on_delete=fields.RESTRICT
    )
    batch_id: int
    invoice: fields.ForeignKeyRelation["Invoice"] = fields.ForeignKeyField(
        "models.Invoice", related_name="direct_debit_lines", on_delete=fields.RESTRICT
    )
    invoice_id: int
    mandate: fields.ForeignKeyRelation[SepaMandate] = fields.ForeignKeyField(
        "models.SepaMandate", related_name="lines", on_delete=fields.RESTRICT
    )
    mandate_id: int
    sequence_type = fields.CharEnumField(SequenceType, max_length=4)
    amount_cents = fields.IntField()
    end_to_end_id = fields.CharField(max_length=35)
    status = fields.CharEnumField(LineStatus, max_length=10, default=LineStatus.PENDING)
    collected_at = fields.DatetimeField(null=True)
    rejected_at = fields.DatetimeField(null=True)
    reject_code = fields.CharField(max_length=4, default="")

    class Meta:
        table = "direct_debit_line"
        unique_together = (("batch", "invoice"),)
        indexes = (("invoice_id", "status"),)
