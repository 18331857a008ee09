"""Family quotients from the CAF or the MSA through API Particulier: the parent's consent
with the identity the API matches (kept so the nightly refresh can ask again), and the
local fake provider's files.

The quotient itself lives on the household (``family_quotient``, ``family_quotient_source``
CAF or MSA, ``family_quotient_month``, ``family_quotient_valid_until``), where pricing
reads it.
"""

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.households import Guardian, Household
    from models.tenants import Tenant


class QuotientConsent(Model):
    """A guardian agreed that the town asks the CAF/MSA for the household's quotient."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="quotient_consents", on_delete=fields.RESTRICT
    )
    tenant_id: int
    household: fields.OneToOneRelation["Household"] = fields.OneToOneField(
        "models.Household", related_name="quotient_consent", on_delete=fields.CASCADE
    )
    household_id: int
    guardian: fields.ForeignKeyRelation["Guardian"] = fields.ForeignKeyField(
        "models.Guardian", related_name="quotient_consents", on_delete=fields.CASCADE
    )
    guardian_id: int
    birth_name = fields.CharField(max_length=100, description="nomNaissance")
    first_names = fields.CharField(max_length=150, description="prenoms, space-separated")
    sex = fields.CharField(max_length=1, description="sexeEtatCivil: M or F")
    birth_date = fields.DateField()
    birth_country_code = fields.CharField(max_length=5, description="COG, 99100 = France")
    birth_commune_code = fields.CharField(max_length=5, default="", description="COG if France")
    validity_months = fields.SmallIntField(description="How long the town keeps a quotient")
    consent_on = fields.DateField(description="Day the parent agreed")
    recorded_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="quotient_consents", null=True, on_delete=fields.SET_NULL
    )
    recorded_by_id: int | None
    last_attempt_on = fields.DateField(null=True, description="Last call, success or not")
    last_error = fields.CharField(max_length=500, default="", description="Provider's reason")
    updated_at = fields.DatetimeField()

    class Meta:
        table = "quotient_consent"


class FakeQuotientFile(Model):
    """A family file of the local fake CAF/MSA (resolvers/quotients/api_particulier): in a
    table so the API, the worker and the CLI all see the same files."""

    id = fields.IntField(primary_key=True)
    birth_name = fields.CharField(max_length=100, description="Upper case, no accents")
    first_name = fields.CharField(max_length=100, description="First given name, same form")
    sex = fields.CharField(max_length=1)
    status = fields.SmallIntField(default=200, description="HTTP status the fake answers")
    provider = fields.CharField(max_length=4, default="CNAF")
    value = fields.IntField(default=0)
    year = fields.SmallIntField(default=0)
    month = fields.SmallIntField(default=0)

    class Meta:
        table = "fake_quotient_file"
        unique_together = (("birth_name", "first_name", "sex"),)
