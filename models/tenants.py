"""Towns (collectivités): every row of the product belongs to exactly one."""

from tortoise import fields
from tortoise.models import Model


class Tenant(Model):
    """A town or social-action centre, with the rules it sets for its portal."""

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True, description="Short name used in URLs")
    name = fields.CharField(max_length=200, description="Display name, e.g. 'Ville de Castres'")
    timezone = fields.CharField(max_length=64, default="Europe/Paris")
    contact_email = fields.CharField(max_length=254, default="")
    # Castres asks 8 characters, 1 lower-case, 1 digit; the CCAS also 1 upper-case.
    password_min_length = fields.SmallIntField(default=8)
    password_requires_uppercase = fields.BooleanField(default=False)
    cgu_version = fields.CharField(max_length=32, default="2026-01")
    # Nullable (None reads as empty) so that adding the columns to existing towns needs no
    # default. Shown at sign-up and when a new version must be accepted at the next login:
    cgu_text = fields.TextField(null=True)
    # heading its invoice PDFs, lines as typed:
    postal_address = fields.TextField(null=True)
    # Some towns justify the first day of an illness without a medical certificate.
    first_illness_day_without_certificate = fields.BooleanField(default=False)
    # New bookings wait while an invoice is unpaid this many days past its due date.
    unpaid_block_days = fields.SmallIntField(
        null=True, description="Days past due that block new bookings (null: never)"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tenant"

    def __str__(self) -> str:
        return self.name


class TownLogo(Model):
    """The town's logo printed on its PDFs: PNG or JPEG bytes, checked by decoding them. A
    table of its own, so that loading a town (most requests) never loads the picture."""

    id = fields.IntField(primary_key=True)
    tenant: fields.OneToOneRelation[Tenant] = fields.OneToOneField(
        "models.Tenant", related_name="logo", on_delete=fields.CASCADE
    )
    tenant_id: int
    content = fields.BinaryField()
    content_type = fields.CharField(max_length=16, description="image/png or image/jpeg")
    width = fields.IntField()
    height = fields.IntField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "town_logo"
