"""PES V2 (titres de recettes ORMC to the Trésor public's Hélios): a régie's PES model, the
product codes of its activities, and the monthly rôles exported with one pièce per invoice.

An invoice sent in a rôle that is not cancelled is locked (``Invoice.pes_batch`` is set):
the public accountant now holds it as a titre, so the town corrects it by a complementary
invoice or a credit note, never by changing its lines. Cancelling the rôle (a file Hélios
never took) unlocks its invoices.
"""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.authorities import BillingAuthority
    from models.billing import Invoice
    from models.catalogue import Activity
    from models.sepa import SepaMandate
    from models.tenants import Tenant


class PesSettings(Model):
    """A régie's PES model (modèle PES): who the town is to Hélios and how it codes its titres."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="pes_settings", on_delete=fields.RESTRICT
    )
    tenant_id: int
    authority: fields.OneToOneRelation["BillingAuthority"] = fields.OneToOneField(
        "models.BillingAuthority", related_name="pes_settings", on_delete=fields.RESTRICT
    )
    authority_id: int
    code = fields.CharField(max_length=32, description="Short code for the CLI, e.g. PERI")
    siret = fields.CharField(max_length=14, description="IdColl: the town's SIRET")
    accounting_post = fields.CharField(max_length=7, description="IdPost: poste comptable")
    collectivity_code = fields.CharField(max_length=3, description="CodCol")
    budget_code = fields.CharField(max_length=2, description="CodBud")
    product_code = fields.CharField(max_length=4, description="CodProdLoc by default")
    nature = fields.CharField(max_length=12, default="588", description="Nature by default")
    bordereau_subject = fields.CharField(max_length=160, default="", description="Objet")
    attach_invoice_pdf = fields.BooleanField(
        default=False, description="Invoice PDFs go in the file for the DGFiP to print and mail"
    )
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "pes_settings"
        unique_together = (("tenant", "code"),)


class PesActivityCode(Model):
    """The product code and nature an activity's lines are sent under, if not the default."""

    id = fields.IntField(primary_key=True)
    settings: fields.ForeignKeyRelation[PesSettings] = fields.ForeignKeyField(
        "models.PesSettings", related_name="activity_codes", on_delete=fields.CASCADE
    )
    settings_id: int
    activity: fields.ForeignKeyRelation["Activity"] = fields.ForeignKeyField(
        "models.Activity", related_name="pes_codes", on_delete=fields.RESTRICT
    )
    activity_id: int
    product_code = fields.CharField(max_length=4, description="CodProdLoc")
    nature = fields.CharField(max_length=12, description="Nature")

    class Meta:
        table = "pes_activity_code"
        unique_together = (("settings", "activity"),)


class PesBatchStatus(StrEnum):
    """EXPORTED (file handed to the Trésor) or CANCELLED (never taken: invoices unlocked)."""

    EXPORTED = "exported"
    CANCELLED = "cancelled"


class PesBatch(Model):
    """One PES Aller file of a régie for a month (one bordereau), kept byte for byte."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="pes_batches", on_delete=fields.RESTRICT
    )
    tenant_id: int
    authority: fields.ForeignKeyRelation["BillingAuthority"] = fields.ForeignKeyField(
        "models.BillingAuthority", related_name="pes_batches", on_delete=fields.RESTRICT
    )
    authority_id: int
    month = fields.DateField(description="First day of the month billed")
    status = fields.CharEnumField(PesBatchStatus, max_length=10, default=PesBatchStatus.EXPORTED)
    exercise = fields.SmallIntField(description="Exer: year of the bordereau")
    bordereau_number = fields.IntField(description="IdBord, sequential per exercise and budget")
    collectivity_code = fields.CharField(max_length=3, description="CodCol the file was sent with")
    budget_code = fields.CharField(max_length=2, description="CodBud the file was sent with")
    file_name = fields.CharField(max_length=100)
    piece_count = fields.IntField()
    total_cents = fields.IntField()
    content = fields.BinaryField(description="The ISO-8859-1 XML file as exported")
    created_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="pes_batches", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()
    cancelled_at = fields.DatetimeField(null=True)
    cancel_reason = fields.CharField(max_length=250, default="")

    class Meta:
        table = "pes_batch"
        indexes = (("authority_id", "month"), ("tenant_id", "exercise", "bordereau_number"))


class PesTitre(Model):
    """One invoice sent as a pièce (titre), with the debit it carried if any."""

    id = fields.BigIntField(primary_key=True)
    batch: fields.ForeignKeyRelation[PesBatch] = fields.ForeignKeyField(
        "models.PesBatch", related_name="titres", on_delete=fields.RESTRICT
    )
    batch_id: int
    invoice: fields.ForeignKeyRelation["Invoice"] = fields.ForeignKeyField(
        "models.Invoice", related_name="pes_titres", on_delete=fields.RESTRICT
    )
    invoice_id: int
    piece_number = fields.IntField(description="IdPce in the bordereau")
    amount_cents = fields.IntField()
    mandate: fields.ForeignKeyNullableRelation["SepaMandate"] = fields.ForeignKeyField(
        "models.SepaMandate", related_name="pes_titres", null=True, on_delete=fields.RESTRICT
    )
    mandate_id: int | None
    sequence_type = fields.CharField(max_length=4, default="", description="FRST, RCUR or empty")

    class Meta:
        table = "pes_titre"
        unique_together = (("batch", "invoice"), ("batch", "piece_number"))
