"""The family file (foyer): household, guardians, children, contacts and access keys."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.accounts import Account, Civility

if TYPE_CHECKING:
    from models.tenants import Tenant


class Diet(StrEnum):
    """Meal regime the canteen must follow (régime alimentaire)."""

    STANDARD = "standard"
    NO_PORK = "no_pork"
    VEGETARIAN = "vegetarian"
    PACKED_MEAL = "packed_meal"


class FamilyQuotientSource(StrEnum):
    """Where the town took the family quotient from: the one answer, whoever set it (an
    agent, a family's proof, API Particulier: CAF or MSA with ``family_quotient_month``)."""

    MANUAL = "manual"
    CAF = "caf"
    MSA = "msa"
    PROOF = "proof"


class ContactKind(StrEnum):
    """Role of a third person around the children."""

    DOCTOR = "doctor"
    EMERGENCY = "emergency"
    AUTHORISED_PICKUP = "authorised_pickup"


class Household(Model):
    """A family file created by the town: parents link their accounts to it with a key."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="households", on_delete=fields.RESTRICT
    )
    tenant_id: int
    reference = fields.CharField(max_length=32, description="Dossier number shown on invoices")
    name = fields.CharField(max_length=150, description="Label such as 'Famille Martin'")
    address_line = fields.CharField(max_length=200, default="")
    address_complement = fields.CharField(max_length=200, default="")
    postal_code = fields.CharField(max_length=10, default="")
    city = fields.CharField(max_length=100, default="")
    phone = fields.CharField(max_length=32, default="")
    email = fields.CharField(max_length=254, default="")
    family_quotient = fields.IntField(null=True, description="Quotient familial (CAF), euros")
    family_quotient_valid_until = fields.DateField(null=True)
    family_quotient_source = fields.CharEnumField(
        FamilyQuotientSource, max_length=8, null=True, description="Where the quotient came from"
    )
    family_quotient_set_on = fields.DateField(null=True, description="Day the quotient was set")
    resident_override = fields.BooleanField(
        null=True, description="Resident for pricing whatever the postal code, null by postal code"
    )
    # Set when the quotient came from API Particulier (source CAF or MSA), null when staff
    # typed it. Nullable so that adding the columns to existing households needs no default.
    family_quotient_month = fields.DateField(
        null=True, description="First day of the month the CAF/MSA quotient applies to"
    )
    # Deprecated (0021): the source says CAF or MSA. Still written in step with it for the
    # code of the previous release during a deploy, read by nothing; to be dropped.
    family_quotient_provider = fields.CharField(
        max_length=4, null=True, description="CNAF or MSA, null = entered by staff"
    )
    paperless = fields.BooleanField(default=False, description="Invoices by e-mail only")
    archived_at = fields.DatetimeField(
        null=True, description="Closed file, kept for billing, no new bookings"
    )
    # Stamped from the app's Clock by create_household, not by Tortoise at save: retention
    # compares it with that clock.
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "household"
        unique_together = (("tenant", "reference"),)


class Guardian(Model):
    """An adult responsible for the children: separated parents each link their own account."""

    id = fields.IntField(primary_key=True)
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="guardians", on_delete=fields.CASCADE
    )
    household_id: int
    account: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="guardianships", null=True, on_delete=fields.SET_NULL
    )
    account_id: int | None
    civility = fields.CharEnumField(Civility, max_length=8)
    last_name = fields.CharField(max_length=100)
    first_names = fields.CharField(max_length=150)
    relationship = fields.CharField(max_length=50, default="", description="Mère, père, tuteur…")
    email = fields.CharField(max_length=254, default="")
    phone_mobile = fields.CharField(max_length=32, default="")
    phone_work = fields.CharField(max_length=32, default="")
    is_payer = fields.BooleanField(default=False)
    receives_mail = fields.BooleanField(
        default=True, description="The town's mails about the household go to this guardian"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "guardian"
        # An account is a guardian at most once in a household.
        unique_together = (("household", "account"),)


class Child(Model):
    """A child of the household, with what the staff must know to take care of them."""

    id = fields.IntField(primary_key=True)
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="children", on_delete=fields.CASCADE
    )
    household_id: int
    last_name = fields.CharField(max_length=100)
    first_names = fields.CharField(max_length=150)
    birth_date = fields.DateField()
    # A database default: the column is added to existing children without a table rebuild.
    school = fields.CharField(
        max_length=150, default="", db_default="", description="School attended"
    )
    school_class = fields.CharField(max_length=32, default="", description="CP, CE1…")
    health_notes = fields.TextField(default="", description="Allergies, treatments")
    has_pai = fields.BooleanField(default=False, description="Projet d'accueil individualisé")
    pai_details = fields.TextField(default="")
    diet = fields.CharEnumField(Diet, max_length=16, default=Diet.STANDARD)
    created_at = fields.DatetimeField(auto_now_add=True)
    archived_at = fields.DatetimeField(
        null=True, description="Left the file, kept for invoices and attendance history"
    )

    class Meta:
        table = "child"


class Contact(Model):
    """Doctor, person to call in an emergency, or adult allowed to pick the children up."""

    id = fields.IntField(primary_key=True)
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="contacts", on_delete=fields.CASCADE
    )
    household_id: int
    kind = fields.CharEnumField(ContactKind, max_length=24)
    last_name = fields.CharField(max_length=100)
    first_names = fields.CharField(max_length=150, default="")
    relationship = fields.CharField(max_length=50, default="")
    phone = fields.CharField(max_length=32)
    notes = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "contact"


class AccessKey(Model):
    """Single-use code the town mails to one guardian so they can link their account."""

    id = fields.IntField(primary_key=True)
    guardian: fields.ForeignKeyRelation["Guardian"] = fields.ForeignKeyField(
        "models.Guardian", related_name="access_keys", on_delete=fields.CASCADE
    )
    guardian_id: int
    key_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="used_access_keys", null=True, on_delete=fields.SET_NULL
    )
    used_by_id: int | None

    class Meta:
        table = "access_key"


class ConsentType(Model):
    """A consent the town asks for each child (droit à l'image, rentrer seul…)."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="consent_types", on_delete=fields.RESTRICT
    )
    tenant_id: int
    name = fields.CharField(max_length=100)
    description = fields.TextField(default="", description="What the guardian agrees to")
    required = fields.BooleanField(
        default=False, description="Unanswered, it blocks the child's enrolments"
    )
    active = fields.BooleanField(default=True, description="Retired types keep their answers")
    created_at = fields.DatetimeField()

    class Meta:
        table = "consent_type"
        unique_together = (("tenant", "name"),)


class ConsentAnswer(Model):
    """One answer of a guardian for a child: the latest is in force, earlier ones are history."""

    id = fields.IntField(primary_key=True)
    child: fields.ForeignKeyRelation["Child"] = fields.ForeignKeyField(
        "models.Child", related_name="consent_answers", on_delete=fields.CASCADE
    )
    child_id: int
    consent_type: fields.ForeignKeyRelation["ConsentType"] = fields.ForeignKeyField(
        "models.ConsentType", related_name="answers", on_delete=fields.CASCADE
    )
    consent_type_id: int
    granted = fields.BooleanField()
    answered_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="consent_answers", null=True, on_delete=fields.SET_NULL
    )
    answered_by_id: int | None
    author_name = fields.CharField(max_length=260, description="Who answered, kept as written")
    answered_at = fields.DatetimeField()

    class Meta:
        table = "consent_answer"
        indexes = (("child_id", "consent_type_id", "answered_at"),)
