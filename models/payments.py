"""Payments: a régie's provider set-up, payment attempts, the raw provider
notifications, the ledger of money received or refunded, what staff must review, and the
payments recorded at the régie's desk.

Money is integer cents. The ledger (``Payment`` + ``PaymentAllocation``) is the truth:
``Invoice.settled_cents`` is kept equal to the sum of its allocations in the same
transaction. A provider's transaction is recorded at most once per kind
(unique ``provider, provider_txn_id, kind``), which is what makes retries, back-office
resends and duplicated jobs count once.

A payment made at the desk writes the same ledger: an attempt with provider DESK (status
PAID, never sent anywhere) holds its ``Payment`` and allocations, and ``DeskPayment`` the
desk's details. What a desk payment leaves unallocated is the household's credit at that
régie, allocated to its next invoices when they are issued.
"""

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.authorities import BillingAuthority
    from models.billing import Invoice
    from models.households import Household
    from models.tenants import Tenant


class PaymentProvider(StrEnum):
    """The three online-payment services French régies use, the régie's own desk
    (DESK: money handed to the régisseur, see ``DeskPayment``) and SEPA direct debit
    (SEPA: a collected line of a ``DirectDebitBatch``)."""

    PAYZEN = "payzen"
    PAYBOX = "paybox"
    PAYFIP = "payfip"
    DESK = "desk"
    SEPA = "sepa"


class PaymentMode(StrEnum):
    """Test (no real money) or production credentials."""

    TEST = "TEST"
    PRODUCTION = "PRODUCTION"


class PaymentSetup(Model):
    """A régie's online-payment provider and its credentials (one per régie)."""

    id = fields.IntField(primary_key=True)
    authority: fields.OneToOneRelation["BillingAuthority"] = fields.OneToOneField(
        "models.BillingAuthority", related_name="payment_setup", on_delete=fields.CASCADE
    )
    authority_id: int
    provider = fields.CharEnumField(PaymentProvider, max_length=8)
    mode = fields.CharEnumField(PaymentMode, max_length=10, default=PaymentMode.TEST)
    # PayZen: the shop (8 digits) and its two keys, the one used follows vads_ctx_mode.
    payzen_site_id = fields.CharField(max_length=8, default="", db_index=True)
    payzen_test_key = fields.CharField(max_length=128, default="")
    payzen_production_key = fields.CharField(max_length=128, default="")
    # Paybox: site, rang, identifiant, the hex HMAC key signing our request, and the
    # provider's RSA public key (PEM) that signs its callbacks.
    paybox_site = fields.CharField(max_length=7, default="")
    paybox_rang = fields.CharField(max_length=3, default="")
    paybox_identifiant = fields.CharField(max_length=16, default="")
    paybox_hmac_key = fields.CharField(max_length=256, default="")
    paybox_public_key_pem = fields.TextField(default="")
    # PayFiP: the régie's client number at the DGFiP.
    payfip_numcli = fields.CharField(max_length=6, default="")
    updated_at = fields.DatetimeField()

    class Meta:
        table = "payment_setup"


class AttemptStatus(StrEnum):
    """Where one trip to the provider stands.

    PENDING until the provider says; PAID once money is recorded; MISMATCH when money came
    with another amount or currency (held for staff); the failures are terminal; REFUNDED
    once the whole payment went back.
    """

    PENDING = "pending"
    PAID = "paid"
    MISMATCH = "mismatch"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class PaymentAttempt(Model):
    """One trip of a parent to the provider for one or several invoices of a régie."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="payment_attempts", on_delete=fields.RESTRICT
    )
    tenant_id: int
    authority: fields.ForeignKeyRelation["BillingAuthority"] = fields.ForeignKeyField(
        "models.BillingAuthority", related_name="payment_attempts", on_delete=fields.RESTRICT
    )
    authority_id: int
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="payment_attempts", on_delete=fields.RESTRICT
    )
    household_id: int
    account: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="payment_attempts", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    provider = fields.CharEnumField(PaymentProvider, max_length=8)
    mode = fields.CharEnumField(PaymentMode, max_length=10)
    shop = fields.CharField(max_length=32, description="Site id, site+rang or numcli")
    order_ref = fields.CharField(
        max_length=32, unique=True, description="Our reference: order id, PBX_CMD, refdet"
    )
    trans_id = fields.CharField(
        max_length=6, null=True, description="PayZen vads_trans_id, unique per shop and UTC day"
    )
    trans_day = fields.DateField(description="UTC day the transaction id belongs to")
    return_token = fields.CharField(max_length=32, unique=True)
    amount_cents = fields.IntField()
    currency = fields.CharField(max_length=3, default="978", description="ISO 4217 numeric")
    status = fields.CharEnumField(AttemptStatus, max_length=10, default=AttemptStatus.PENDING)
    provider_txn_id = fields.CharField(
        max_length=64, default="", description="vads_trans_uuid, Paybox S, PayFiP idOp"
    )
    email = fields.CharField(max_length=254, description="Where the receipt goes")
    # Money an online payment brought that no invoice needed any more (paid at the desk
    # meanwhile, paid twice): the household's credit at the régie, like a desk payment's
    # (resolvers/billing/credits.py). Marks the attempts the credit query reads.
    credit_cents = fields.IntField(
        default=0, description="Surplus of its online payments kept as the household's credit"
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(description="End of the provider's session")
    updated_at = fields.DatetimeField()

    class Meta:
        table = "payment_attempt"
        unique_together = (("provider", "shop", "trans_day", "trans_id"),)
        indexes = (("household_id", "id"), ("status", "expires_at"))


class PaymentAttemptInvoice(Model):
    """An invoice an attempt pays, in the order its money is allocated."""

    id = fields.IntField(primary_key=True)
    attempt: fields.ForeignKeyRelation[PaymentAttempt] = fields.ForeignKeyField(
        "models.PaymentAttempt", related_name="invoices", on_delete=fields.CASCADE
    )
    attempt_id: int
    invoice: fields.ForeignKeyRelation["Invoice"] = fields.ForeignKeyField(
        "models.Invoice", related_name="payment_attempts", on_delete=fields.RESTRICT
    )
    invoice_id: int
    due_cents = fields.IntField(description="What was due when the attempt started")

    class Meta:
        table = "payment_attempt_invoice"
        unique_together = (("attempt", "invoice"),)
        indexes = (("invoice_id", "attempt_id"),)


class NotificationOutcome(StrEnum):
    """What the checks made of a received callback."""

    RECEIVED = "received"
    VERIFIED = "verified"
    FORGED = "forged"
    MALFORMED = "malformed"
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    STALE = "stale"
    UNKNOWN = "unknown"


class PaymentNotification(Model):
    """A provider callback exactly as received, stored before anything is checked: the
    audit trail the public accountant asks for, forged ones included.

    ``raw_query`` and ``raw_body`` are the bytes received (NUL and invalid UTF-8 included),
    ``content_sha256`` their hash (the body, or the query string when there is no body).
    ``query_string`` and ``body`` are readable copies (invalid bytes and NUL replaced).
    """

    id = fields.BigIntField(primary_key=True)
    provider = fields.CharEnumField(PaymentProvider, max_length=8)
    received_at = fields.DatetimeField()
    source_ip = fields.CharField(max_length=64)
    method = fields.CharField(max_length=8)
    headers: Any = fields.JSONField(default=dict)
    query_string = fields.TextField()
    body = fields.TextField()
    raw_query = fields.BinaryField(null=True, description="Query string bytes as received")
    raw_body = fields.BinaryField(null=True, description="Body bytes as received")
    content_sha256 = fields.CharField(max_length=64, db_index=True)
    outcome = fields.CharEnumField(
        NotificationOutcome, max_length=10, default=NotificationOutcome.RECEIVED
    )
    detail = fields.CharField(max_length=500, default="")
    attempt: fields.ForeignKeyNullableRelation[PaymentAttempt] = fields.ForeignKeyField(
        "models.PaymentAttempt", related_name="notifications", null=True, on_delete=fields.SET_NULL
    )
    attempt_id: int | None
    processed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_notification"
        indexes = (("provider", "received_at"),)


class PaymentKind(StrEnum):
    """Money in (PAYMENT) or back out (REFUND, REVERSAL of an authorisation that lapsed)."""

    PAYMENT = "payment"
    REFUND = "refund"
    REVERSAL = "reversal"


class Payment(Model):
    """One movement of money a provider reported, recorded once."""

    id = fields.IntField(primary_key=True)
    attempt: fields.ForeignKeyRelation[PaymentAttempt] = fields.ForeignKeyField(
        "models.PaymentAttempt", related_name="payments", on_delete=fields.RESTRICT
    )
    attempt_id: int
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="payments", on_delete=fields.RESTRICT
    )
    household_id: int
    provider = fields.CharEnumField(PaymentProvider, max_length=8)
    provider_txn_id = fields.CharField(max_length=64)
    kind = fields.CharEnumField(PaymentKind, max_length=10)
    amount_cents = fields.IntField(description="Negative for a refund or reversal")
    currency = fields.CharField(max_length=3)
    notification: fields.ForeignKeyNullableRelation[PaymentNotification] = fields.ForeignKeyField(
        "models.PaymentNotification", related_name="payments", null=True, on_delete=fields.SET_NULL
    )
    notification_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "payment"
        unique_together = (("provider", "provider_txn_id", "kind"),)
        indexes = (("household_id", "id"),)


class PaymentAllocation(Model):
    """The part of a payment (or refund) applied to one invoice."""

    id = fields.IntField(primary_key=True)
    payment: fields.ForeignKeyRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="allocations", on_delete=fields.RESTRICT
    )
    payment_id: int
    invoice: fields.ForeignKeyRelation["Invoice"] = fields.ForeignKeyField(
        "models.Invoice", related_name="allocations", on_delete=fields.RESTRICT
    )
    invoice_id: int
    amount_cents = fields.IntField()

    class Meta:
        table = "payment_allocation"
        unique_together = (("payment", "invoice"),)


class ReviewReason(StrEnum):
    """Why a payment needs a person."""

    AMOUNT_MISMATCH = "amount_mismatch"
    REFUND_NEEDED = "refund_needed"
    LATE_PAYMENT = "late_payment"
    REVERSED = "reversed"
    UNMATCHED_REFUND = "unmatched_refund"


class PaymentReview(Model):
    """Something the régisseur must look at. ``key`` makes a resend flag it only once."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="payment_reviews", on_delete=fields.RESTRICT
    )
    tenant_id: int
    attempt: fields.ForeignKeyRelation[PaymentAttempt] = fields.ForeignKeyField(
        "models.PaymentAttempt", related_name="reviews", on_delete=fields.RESTRICT
    )
    attempt_id: int
    payment: fields.ForeignKeyNullableRelation[Payment] = fields.ForeignKeyField(
        "models.Payment", related_name="reviews", null=True, on_delete=fields.SET_NULL
    )
    payment_id: int | None
    key = fields.CharField(max_length=120, unique=True)
    reason = fields.CharEnumField(ReviewReason, max_length=20)
    amount_cents = fields.IntField(description="Money concerned")
    message = fields.CharField(max_length=500, description="In French, for the régisseur")
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)
    resolved_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="payment_reviews", null=True, on_delete=fields.SET_NULL
    )
    resolved_by_id: int | None
    resolution_note = fields.CharField(max_length=500, default="")

    class Meta:
        table = "payment_review"
        indexes = (("tenant_id", "resolved_at"),)


class FakePayfipOperation(Model):
    """The local stand-in of the DGFiP (resolvers/payments/payfip.FakePayfip) keeps its
    payments here, as a remote service would keep them on its side: the API process that
    opens one and the worker process that asks about it see the same. Unused when
    FAMILLE_PAYFIP_SERVICE_URL points at the real web service."""

    idop = fields.CharField(max_length=36, primary_key=True)
    numcli = fields.CharField(max_length=6)
    exer = fields.CharField(max_length=4)
    refdet = fields.CharField(max_length=32)
    montant = fields.IntField(description="Cents")
    mel = fields.CharField(max_length=254)
    objet = fields.CharField(max_length=100)
    saisie = fields.CharField(max_length=1)
    urlnotif = fields.CharField(max_length=500)
    urlredirect = fields.CharField(max_length=500)
    resultrans = fields.CharField(
        max_length=1, null=True, description="P, V, R, Z or A once the parent is done"
    )

    class Meta:
        table = "payfip_fake_operation"


class DeskPaymentMode(StrEnum):
    """How money was handed to the régisseur."""

    CASH = "cash"
    CHEQUE = "cheque"
    CESU = "cesu"
    TRANSFER = "transfer"
    OTHER = "other"


class DeskPayment(Model):
    """A payment received at the régie's desk, never edited: cancelled with a reason.

    The money is in the ledger: ``attempt`` (provider DESK) carries the ``Payment`` rows
    (the payment, and its reversal when cancelled) and their allocations. ``credit_cents``
    is what was left unallocated when it was recorded (the household's credit), which
    later invoices consume through allocations of the same payment.
    """

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="desk_payments", on_delete=fields.RESTRICT
    )
    tenant_id: int
    authority: fields.ForeignKeyRelation["BillingAuthority"] = fields.ForeignKeyField(
        "models.BillingAuthority", related_name="desk_payments", on_delete=fields.RESTRICT
    )
    authority_id: int
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="desk_payments", on_delete=fields.RESTRICT
    )
    household_id: int
    attempt: fields.OneToOneRelation[PaymentAttempt] = fields.OneToOneField(
        "models.PaymentAttempt", related_name="desk_payment", on_delete=fields.RESTRICT
    )
    attempt_id: int
    number = fields.CharField(max_length=32, unique=True, description="Receipt number")
    mode = fields.CharEnumField(DeskPaymentMode, max_length=10)
    amount_cents = fields.IntField()
    received_on = fields.DateField(description="Day the money was handed over")
    payer_name = fields.CharField(max_length=250)
    email = fields.CharField(max_length=254, default="", description="Where the receipt went")
    cheque_bank = fields.CharField(max_length=100, default="")
    cheque_number = fields.CharField(max_length=30, default="")
    cheque_drawer = fields.CharField(max_length=250, default="", description="Tireur")
    cesu_electronic = fields.BooleanField(default=False, description="e-CESU")
    cesu_titles: Any = fields.JSONField(default=list, description="Paper CESU title numbers")
    reference = fields.CharField(max_length=100, default="", description="Transfer reference")
    note = fields.CharField(max_length=500, default="")
    credit_cents = fields.IntField(default=0, description="Left unallocated when recorded")
    recorded_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="desk_payments", null=True, on_delete=fields.SET_NULL
    )
    recorded_by_id: int | None
    created_at = fields.DatetimeField()
    cancelled_at = fields.DatetimeField(null=True)
    cancelled_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account",
        related_name="cancelled_desk_payments",
        null=True,
        on_delete=fields.SET_NULL,
    )
    cancelled_by_id: int | None
    cancel_reason = fields.CharField(max_length=500, default="")
    deposit_slip: fields.ForeignKeyNullableRelation["DepositSlip"] = fields.ForeignKeyField(
        "models.DepositSlip", related_name="payments", null=True, on_delete=fields.RESTRICT
    )
    deposit_slip_id: int | None

    class Meta:
        table = "desk_payment"
        indexes = (("household_id", "authority_id"),)


class DocumentCounter(Model):
    """Last number a régie gave in a series (receipts, deposit slips, refunds) and a year,
    locked while numbering so that numbers have no gap."""

    id = fields.IntField(primary_key=True)
    authority: fields.ForeignKeyRelation["BillingAuthority"] = fields.ForeignKeyField(
        "models.BillingAuthority", related_name="document_counters", on_delete=fields.RESTRICT
    )
    authority_id: int
    series = fields.CharField(max_length=16, description="receipt, deposit or refund")
    year = fields.SmallIntField()
    last_sequence = fields.IntField(default=0)

    class Meta:
        table = "document_counter"
        unique_together = (("authority", "series", "year"),)


class DepositSlip(Model):
    """A bordereau de remise: the cheques or the cash of a régie taken to the bank
    together. Its payments point at it and can no longer be cancelled."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="deposit_slips", on_delete=fields.RESTRICT
    )
    tenant_id: int
    authority: fields.ForeignKeyRelation["BillingAuthority"] = fields.ForeignKeyField(
        "models.BillingAuthority", related_name="deposit_slips", on_delete=fields.RESTRICT
    )
    authority_id: int
    number = fields.CharField(max_length=32, unique=True)
    mode = fields.CharEnumField(DeskPaymentMode, max_length=10, description="CASH or CHEQUE")
    deposited_on = fields.DateField(description="Day of the deposit")
    total_cents = fields.IntField()
    payment_count = fields.IntField()
    created_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="deposit_slips", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "deposit_slip"
        indexes = (("authority_id", "deposited_on"),)


class CreditRefund(Model):
    """A household's credit at a régie paid back. The ledger holds it as REFUND entries
    (negative) on the desk payments whose credit it takes, oldest first."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="credit_refunds", on_delete=fields.RESTRICT
    )
    tenant_id: int
    authority: fields.ForeignKeyRelation["BillingAuthority"] = fields.ForeignKeyField(
        "models.BillingAuthority", related_name="credit_refunds", on_delete=fields.RESTRICT
    )
    authority_id: int
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="credit_refunds", on_delete=fields.RESTRICT
    )
    household_id: int
    number = fields.CharField(max_length=32, unique=True)
    mode = fields.CharEnumField(DeskPaymentMode, max_length=10, description="How it was paid back")
    amount_cents = fields.IntField(description="Positive: the money paid back")
    refunded_on = fields.DateField()
    reason = fields.CharField(max_length=500)
    refunded_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="credit_refunds", null=True, on_delete=fields.SET_NULL
    )
    refunded_by_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "credit_refund"
        indexes = (("authority_id", "refunded_on"),)
