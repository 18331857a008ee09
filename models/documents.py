"""Supporting documents (pièces justificatives): a household's private storage and the
files attached to its requests."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.households import Household
    from models.requests import Request


class DocumentKind(StrEnum):
    """What a document proves, as the portals' forms list them."""

    MEDICAL_CERTIFICATE = "medical_certificate"
    PROOF_OF_ADDRESS = "proof_of_address"
    TAX_NOTICE = "tax_notice"
    CAF_ATTESTATION = "caf_attestation"
    IDENTITY = "identity"
    DEROGATION = "derogation"
    OTHER = "other"


class Document(Model):
    """Typed metadata of one document, owned by a household.

    ``in_storage`` is false for a file uploaded only to justify one request: it stays
    attached to that request but is not offered again from the household's storage.
    """

    id = fields.IntField(primary_key=True)
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="documents", on_delete=fields.CASCADE
    )
    household_id: int
    kind = fields.CharEnumField(DocumentKind, max_length=24)
    title = fields.CharField(max_length=150)
    number = fields.CharField(max_length=64, default="", description="Number on the document")
    issuer = fields.CharField(max_length=150, default="", description="Issuing authority")
    issued_on = fields.DateField(null=True)
    expires_on = fields.DateField(null=True)
    in_storage = fields.BooleanField(default=True, description="Listed in the private storage")
    expiry_reminded_for = fields.DateField(
        null=True, description="Expiry date a reminder was mailed for: one mail per date"
    )
    uploaded_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="documents", null=True, on_delete=fields.SET_NULL
    )
    uploaded_by_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "document"
        indexes = (("household_id", "in_storage"),)


class DocumentFile(Model):
    """One file of a document (1 to 4), its bytes in the database or under a storage key."""

    id = fields.IntField(primary_key=True)
    document: fields.ForeignKeyRelation["Document"] = fields.ForeignKeyField(
        "models.Document", related_name="files", on_delete=fields.CASCADE
    )
    document_id: int
    position = fields.SmallIntField()
    filename = fields.CharField(max_length=200, description="Name given by the parent")
    content_type = fields.CharField(max_length=100, description="Sniffed from the content")
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    backend = fields.CharField(max_length=16, description="database or filesystem")
    storage_key = fields.CharField(max_length=100, default="", description="Filesystem name")
    content = fields.BinaryField(null=True, description="The bytes, database backend")

    class Meta:
        table = "document_file"
        unique_together = (("document_id", "position"),)


class RequestAttachment(Model):
    """A document given to justify a request: from then on the town's staff may read it."""

    id = fields.IntField(primary_key=True)
    request: fields.ForeignKeyRelation["Request"] = fields.ForeignKeyField(
        "models.Request", related_name="attachments", on_delete=fields.CASCADE
    )
    request_id: int
    document: fields.ForeignKeyRelation["Document"] = fields.ForeignKeyField(
        "models.Document", related_name="attachments", on_delete=fields.RESTRICT
    )
    document_id: int
    created_at = fields.DatetimeField()

    class Meta:
        table = "request_attachment"
        unique_together = (("request_id", "document_id"),)
