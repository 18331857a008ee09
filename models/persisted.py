"""GraphQL documents registered for a town's client apps (trusted documents).

Registered by ``famille register-documents`` from a client's manifest, and kept here so a
Redis flush loses none (automatic persisted queries live in Redis only). A document is known
by the SHA-256 of its text, and by the client's own id when the client named it otherwise
(Relay may use MD5 ids).
"""

from tortoise import fields
from tortoise.models import Model


class PersistedDocument(Model):
    """One registered document, never changed once written."""

    # (No semicolon in these descriptions: Tortoise's SQLite migrations split statements on
    # it, comments included.)

    document_id = fields.CharField(
        max_length=128, primary_key=True, description="The client's id (the SHA-256 for Apollo)"
    )
    sha256 = fields.CharField(
        max_length=64, db_index=True, description="Hex SHA-256 of the UTF-8 text"
    )
    body = fields.TextField(description="The document, exactly as the client sends it")
    name = fields.CharField(max_length=200, null=True, description="Its operation's name")
    operation_type = fields.CharField(max_length=16, null=True, description="query, mutation…")
    created_at = fields.DatetimeField()

    class Meta:
        table = "persisted_document"
