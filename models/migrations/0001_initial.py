from tortoise import migrations
from tortoise.migrations import operations as ops
from models.absences import AbsenceOutcome, AbsenceReason, AbsenceStatus
from models.accounts import AccountRole, Civility, TokenPurpose
from models.bookings import BookingStatus, EnrollmentStatus
from models.catalogue import ActivityKind, DeadlineRule, HolidayPolicy, SiteKind
from models.households import ContactKind, Diet
from models.requests import RequestKind, RequestStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="OutboxJob",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("function", fields.CharField(description="arq function name", max_length=64)),
                ("kwargs", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "relayed_at",
                    fields.DatetimeField(
                        null=True, description="Handed to arq", auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "completed_at",
                    fields.DatetimeField(
                        null=True,
                        description="Done: a rerun does nothing",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
                ("attempts", fields.IntField(default=0)),
                ("last_error", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "outbox_job",
                "app": "models",
                "indexes": [Index(fields=["relayed_at", "id"])],
                "pk_attr": "id",
                "table_description": "A job to run: survives a Redis outage because it lives in the database first.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Tenant",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "slug",
                    fields.CharField(
                        unique=True, description="Short name used in URLs", max_length=64
                    ),
                ),
                (
                    "name",
                    fields.CharField(
                        description="Display name, e.g. 'Ville de Castres'", max_length=200
                    ),
                ),
                ("timezone", fields.CharField(default="Europe/Paris", max_length=64)),
                ("contact_email", fields.CharField(default="", max_length=254)),
                ("password_min_length", fields.SmallIntField(default=8)),
                ("password_requires_uppercase", fields.BooleanField(default=False)),
                ("cgu_version", fields.CharField(default="2026-01", max_length=32)),
                ("first_illness_day_without_certificate", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "tenant",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A town or social-action centre, with the rules it sets for its portal.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Account",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="accounts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("email", fields.CharField(description="Stored lower-cased", max_length=254)),
                ("password_hash", fields.CharField(max_length=255)),
                (
                    "role",
                    fields.CharEnumField(
                        default=AccountRole.PARENT,
                        description="PARENT: parent\nAGENT: agent\nADMIN: admin",
                        enum_type=AccountRole,
                        max_length=16,
                    ),
                ),
                (
                    "civility",
                    fields.CharEnumField(
                        description="MADAME: mme\nMONSIEUR: m", enum_type=Civility, max_length=8
                    ),
                ),
                ("last_name", fields.CharField(description="Nom d'usage", max_length=100)),
                ("first_names", fields.CharField(max_length=150)),
                (
                    "birth_name",
                    fields.CharField(default="", description="Nom de naissance", max_length=100),
                ),
                ("phone_mobile", fields.CharField(default="", max_length=32)),
                ("phone_home", fields.CharField(default="", max_length=32)),
                ("address_line", fields.CharField(default="", max_length=200)),
                ("address_complement", fields.CharField(default="", max_length=200)),
                ("postal_code", fields.CharField(default="", max_length=10)),
                ("city", fields.CharField(default="", max_length=100)),
                ("cgu_version", fields.CharField(max_length=32)),
                ("cgu_accepted_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "activated_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("is_disabled", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "account",
                "app": "models",
                "unique_together": (("tenant", "email"),),
                "pk_attr": "id",
                "table_description": "A login: an e-mail and a password, usable only once activated from the mailed link.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AccountToken",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "account",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "purpose",
                    fields.CharEnumField(
                        description="ACTIVATION: activation\nPASSWORD_RESET: password_reset\nSESSION: session",
                        enum_type=TokenPurpose,
                        max_length=16,
                    ),
                ),
                ("token_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "consumed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "account_token",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A secret handed to the user: only its SHA-256 is stored, so a leaked table is useless.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Activity",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="activities",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("code", fields.CharField(description="Town's code, e.g. RS-REPAS", max_length=32)),
                ("name", fields.CharField(max_length=150)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="CANTEEN: canteen\nMORNING_CARE: morning_care\nEVENING_CARE: evening_care\nSTUDY: study\nLEISURE_CENTRE: leisure_centre",
                        enum_type=ActivityKind,
                        max_length=16,
                    ),
                ),
                (
                    "holiday_policy",
                    fields.CharEnumField(
                        default=HolidayPolicy.SCHOOL_DAYS,
                        description="SCHOOL_DAYS: school_days\nHOLIDAYS: holidays\nALL_DAYS: all_days",
                        enum_type=HolidayPolicy,
                        max_length=16,
                    ),
                ),
                ("enrollment_required", fields.BooleanField(default=True)),
                (
                    "booking_rule",
                    fields.CharEnumField(
                        default=DeadlineRule.DAYS_BEFORE,
                        description="DAYS_BEFORE: days_before\nWORKING_DAYS_BEFORE: working_days_before\nWEEKDAY_OF_PREVIOUS_WEEK: weekday_of_previous_week",
                        enum_type=DeadlineRule,
                        max_length=32,
                    ),
                ),
                (
                    "booking_value",
                    fields.SmallIntField(default=7, description="N days, or weekday 0-6"),
                ),
                (
                    "booking_cutoff_minutes",
                    fields.SmallIntField(
                        default=1439, description="Local time of day the deadline falls at"
                    ),
                ),
                (
                    "cancellation_rule",
                    fields.CharEnumField(
                        default=DeadlineRule.DAYS_BEFORE,
                        description="DAYS_BEFORE: days_before\nWORKING_DAYS_BEFORE: working_days_before\nWEEKDAY_OF_PREVIOUS_WEEK: weekday_of_previous_week",
                        enum_type=DeadlineRule,
                        max_length=32,
                    ),
                ),
                ("cancellation_value", fields.SmallIntField(default=7)),
                ("cancellation_cutoff_minutes", fields.SmallIntField(default=1439)),
                (
                    "booking_opens_days_ahead",
                    fields.SmallIntField(
                        null=True,
                        description="Booking opens this many days before the day, null = always",
                    ),
                ),
            ],
            options={
                "table": "activity",
                "app": "models",
                "unique_together": (("tenant", "code"),),
                "pk_attr": "id",
                "table_description": "A bookable service (prestation) and the town's booking rules for it.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AuditEntry",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="audit_entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="audit_entries",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("action", fields.CharField(description="e.g. household.create", max_length=64)),
                ("target_type", fields.CharField(max_length=32)),
                ("target_id", fields.IntField()),
                ("details", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "audit_entry",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An immutable record: nothing updates or deletes these rows.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Household",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="households",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "reference",
                    fields.CharField(description="Dossier number shown on invoices", max_length=32),
                ),
                (
                    "name",
                    fields.CharField(description="Label such as 'Famille Martin'", max_length=150),
                ),
                ("address_line", fields.CharField(default="", max_length=200)),
                ("address_complement", fields.CharField(default="", max_length=200)),
                ("postal_code", fields.CharField(default="", max_length=10)),
                ("city", fields.CharField(default="", max_length=100)),
                ("phone", fields.CharField(default="", max_length=32)),
                ("email", fields.CharField(default="", max_length=254)),
                (
                    "family_quotient",
                    fields.IntField(null=True, description="Quotient familial (CAF), euros"),
                ),
                ("family_quotient_valid_until", fields.DateField(null=True)),
                (
                    "paperless",
                    fields.BooleanField(default=False, description="Invoices by e-mail only"),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "household",
                "app": "models",
                "unique_together": (("tenant", "reference"),),
                "pk_attr": "id",
                "table_description": "A family file created by the town: parents link their accounts to it with a key.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Child",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "household",
                    fields.ForeignKeyField(
                        "models.Household",
                        source_field="household_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="children",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("last_name", fields.CharField(max_length=100)),
                ("first_names", fields.CharField(max_length=150)),
                ("birth_date", fields.DateField()),
                (
                    "school_class",
                    fields.CharField(default="", description="CP, CE1…", max_length=32),
                ),
                (
                    "health_notes",
                    fields.TextField(default="", description="Allergies, treatments", unique=False),
                ),
                (
                    "has_pai",
                    fields.BooleanField(
                        default=False, description="Projet d'accueil individualisé"
                    ),
                ),
                ("pai_details", fields.TextField(default="", unique=False)),
                (
                    "diet",
                    fields.CharEnumField(
                        default=Diet.STANDARD,
                        description="STANDARD: standard\nNO_PORK: no_pork\nVEGETARIAN: vegetarian\nPACKED_MEAL: packed_meal",
                        enum_type=Diet,
                        max_length=16,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "child",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A child of the household, with what the staff must know to take care of them.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Contact",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "household",
                    fields.ForeignKeyField(
                        "models.Household",
                        source_field="household_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="contacts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="DOCTOR: doctor\nEMERGENCY: emergency\nAUTHORISED_PICKUP: authorised_pickup",
                        enum_type=ContactKind,
                        max_length=24,
                    ),
                ),
                ("last_name", fields.CharField(max_length=100)),
                ("first_names", fields.CharField(default="", max_length=150)),
                ("relationship", fields.CharField(default="", max_length=50)),
                ("phone", fields.CharField(max_length=32)),
                ("notes", fields.TextField(default="", unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "contact",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Doctor, person to call in an emergency, or adult allowed to pick the children up.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Guardian",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "household",
                    fields.ForeignKeyField(
                        "models.Household",
                        source_field="household_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="guardians",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "account",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="account_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="guardianships",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "civility",
                    fields.CharEnumField(
                        description="MADAME: mme\nMONSIEUR: m", enum_type=Civility, max_length=8
                    ),
                ),
                ("last_name", fields.CharField(max_length=100)),
                ("first_names", fields.CharField(max_length=150)),
                (
                    "relationship",
                    fields.CharField(default="", description="Mère, père, tuteur…", max_length=50),
                ),
                ("email", fields.CharField(default="", max_length=254)),
                ("phone_mobile", fields.CharField(default="", max_length=32)),
                ("phone_work", fields.CharField(default="", max_length=32)),
                ("is_payer", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "guardian",
                "app": "models",
                "unique_together": (("household", "account"),),
                "pk_attr": "id",
                "table_description": "An adult responsible for the children: separated parents each link their own account.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AccessKey",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "guardian",
                    fields.ForeignKeyField(
                        "models.Guardian",
                        source_field="guardian_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="access_keys",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("key_hash", fields.CharField(unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "used_by",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="used_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="used_access_keys",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
            ],
            options={
                "table": "access_key",
                "app": "models",
                "pk_attr": "id",
                "table_description": "Single-use code the town mails to one guardian so they can link their account.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LoginAttempt",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="login_attempts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("email", fields.CharField(max_length=254)),
                ("client_address", fields.CharField(max_length=64)),
                ("succeeded", fields.BooleanField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "login_attempt",
                "app": "models",
                "indexes": [
                    Index(fields=["tenant_id", "email", "created_at"]),
                    Index(fields=["tenant_id", "client_address", "created_at"]),
                ],
                "pk_attr": "id",
                "table_description": "One login try: failures over a window throttle the e-mail and the client address.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Period",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="periods",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("starts_on", fields.DateField()),
                ("ends_on", fields.DateField()),
            ],
            options={
                "table": "period",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A reservation period, usually the school year (01/09 to early July).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Request",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="requests",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "household",
                    fields.ForeignKeyField(
                        "models.Household",
                        source_field="household_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="requests",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "submitted_by",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="submitted_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="requests",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="CONTACT_DETAILS_UPDATE: contact_details_update\nCONTACT_ADD: contact_add\nCONTACT_UPDATE: contact_update\nCONTACT_REMOVE: contact_remove\nBOOKING_CHANGE: booking_change\nENROLLMENT: enrollment\nABSENCE_REPORT: absence_report",
                        enum_type=RequestKind,
                        max_length=32,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        description="SUBMITTED: submitted\nIN_REVIEW: in_review\nCOMPLETED: completed\nREJECTED: rejected",
                        enum_type=RequestStatus,
                        max_length=16,
                    ),
                ),
                (
                    "summary",
                    fields.CharField(description="French one-liner shown to users", max_length=300),
                ),
                ("payload", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "idempotency_key",
                    fields.CharField(
                        null=True,
                        description="Client key: a retried submit returns this request",
                        max_length=64,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "request",
                "app": "models",
                "unique_together": (("household", "idempotency_key"),),
                "indexes": [Index(fields=["household_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "One submission of a household, shown in 'dernières demandes'.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AbsenceReport",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "household",
                    fields.ForeignKeyField(
                        "models.Household",
                        source_field="household_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="absence_reports",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "child",
                    fields.ForeignKeyField(
                        "models.Child",
                        source_field="child_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="absence_reports",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "reason",
                    fields.CharEnumField(
                        description="ILLNESS: illness\nDEROGATION: derogation\nBEREAVEMENT: bereavement\nTEACHER_ABSENT: teacher_absent\nOTHER: other",
                        enum_type=AbsenceReason,
                        max_length=16,
                    ),
                ),
                ("comment", fields.TextField(default="", unique=False)),
                ("starts_on", fields.DateField()),
                ("ends_on", fields.DateField()),
                (
                    "status",
                    fields.CharEnumField(
                        description="PENDING: pending\nACCEPTED: accepted\nREJECTED: rejected\nCANCELLED_IN_TIME: cancelled_in_time",
                        enum_type=AbsenceStatus,
                        max_length=24,
                    ),
                ),
                (
                    "request",
                    fields.ForeignKeyField(
                        "models.Request",
                        source_field="request_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="absence_reports",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "submitted_by",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="submitted_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="absence_reports",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "decided_by",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="decided_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="absence_decisions",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("decision_comment", fields.CharField(default="", max_length=500)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "absence_report",
                "app": "models",
                "indexes": [Index(fields=["status", "created_at"])],
                "pk_attr": "id",
                "table_description": "A parent's report for one child over a range of days.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AbsenceDay",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "report",
                    fields.ForeignKeyField(
                        "models.AbsenceReport",
                        source_field="report_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="days",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "child",
                    fields.ForeignKeyField(
                        "models.Child",
                        source_field="child_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="absence_days",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "activity",
                    fields.ForeignKeyField(
                        "models.Activity",
                        source_field="activity_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="absence_days",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("day", fields.DateField()),
                (
                    "outcome",
                    fields.CharEnumField(
                        description="CANCELLED_IN_TIME: cancelled_in_time\nPENDING_REVIEW: pending_review\nJUSTIFIED: justified\nUNJUSTIFIED: unjustified",
                        enum_type=AbsenceOutcome,
                        max_length=24,
                    ),
                ),
            ],
            options={
                "table": "absence_day",
                "app": "models",
                "indexes": [Index(fields=["child_id", "day"])],
                "pk_attr": "id",
                "table_description": "One booked day of one activity concerned by a report.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RequestEvent",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "request",
                    fields.ForeignKeyField(
                        "models.Request",
                        source_field="request_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="events",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        description="SUBMITTED: submitted\nIN_REVIEW: in_review\nCOMPLETED: completed\nREJECTED: rejected",
                        enum_type=RequestStatus,
                        max_length=16,
                    ),
                ),
                ("comment", fields.CharField(default="", max_length=500)),
                (
                    "actor",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="actor_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="request_events",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "request_event",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One step of a request's history: a status reached, by whom, with a comment.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SchoolHoliday",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="school_holidays",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(description="e.g. Vacances de Noël", max_length=100)),
                ("starts_on", fields.DateField()),
                ("ends_on", fields.DateField()),
            ],
            options={
                "table": "school_holiday",
                "app": "models",
                "pk_attr": "id",
                "table_description": "School holidays of the town's zone, as the town loads them (both days included).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Site",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sites",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("name", fields.CharField(max_length=150)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="SCHOOL: school\nRESTAURANT: restaurant\nLEISURE_CENTRE: leisure_centre",
                        enum_type=SiteKind,
                        max_length=16,
                    ),
                ),
                ("address", fields.CharField(default="", max_length=250)),
            ],
            options={
                "table": "site",
                "app": "models",
                "unique_together": (("tenant", "name"),),
                "pk_attr": "id",
                "table_description": "A school, a restaurant or a leisure centre of the town.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Booking",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "child",
                    fields.ForeignKeyField(
                        "models.Child",
                        source_field="child_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="bookings",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "activity",
                    fields.ForeignKeyField(
                        "models.Activity",
                        source_field="activity_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="bookings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "site",
                    fields.ForeignKeyField(
                        "models.Site",
                        source_field="site_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="bookings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("day", fields.DateField()),
                (
                    "status",
                    fields.CharEnumField(
                        description="BOOKED: booked\nWAITING: waiting\nCANCELLED: cancelled",
                        enum_type=BookingStatus,
                        max_length=16,
                    ),
                ),
                (
                    "request",
                    fields.ForeignKeyField(
                        "models.Request",
                        source_field="request_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="bookings",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "updated_at",
                    fields.DatetimeField(
                        description="Also the waiting-list order",
                        auto_now=False,
                        auto_now_add=False,
                    ),
                ),
            ],
            options={
                "table": "booking",
                "app": "models",
                "unique_together": (("child", "activity", "day"),),
                "indexes": [Index(fields=["activity_id", "site_id", "day", "status"])],
                "pk_attr": "id",
                "table_description": "One child, one activity, one day: the unit parents book and towns bill.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CalendarException",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "tenant",
                    fields.ForeignKeyField(
                        "models.Tenant",
                        source_field="tenant_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="calendar_exceptions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "activity",
                    fields.ForeignKeyField(
                        "models.Activity",
                        source_field="activity_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="calendar_exceptions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "site",
                    fields.ForeignKeyField(
                        "models.Site",
                        source_field="site_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="calendar_exceptions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("day", fields.DateField()),
                (
                    "is_open",
                    fields.BooleanField(description="True opens a day that would be closed"),
                ),
                (
                    "label",
                    fields.CharField(description="Shown to parents, in French", max_length=150),
                ),
            ],
            options={
                "table": "calendar_exception",
                "app": "models",
                "indexes": [Index(fields=["tenant_id", "day"])],
                "pk_attr": "id",
                "table_description": "An exceptional closure (strike, teachers' day) or opening, for one day.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Enrollment",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "child",
                    fields.ForeignKeyField(
                        "models.Child",
                        source_field="child_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="enrollments",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "activity",
                    fields.ForeignKeyField(
                        "models.Activity",
                        source_field="activity_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="enrollments",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "site",
                    fields.ForeignKeyField(
                        "models.Site",
                        source_field="site_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="enrollments",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "period",
                    fields.ForeignKeyField(
                        "models.Period",
                        source_field="period_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="enrollments",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        description="REQUESTED: requested\nACTIVE: active\nREFUSED: refused\nWAITING: waiting",
                        enum_type=EnrollmentStatus,
                        max_length=16,
                    ),
                ),
                (
                    "requested_by",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="requested_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="enrollments_requested",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "decided_by",
                    fields.ForeignKeyField(
                        "models.Account",
                        source_field="decided_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="enrollments_decided",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("comment", fields.CharField(default="", max_length=500)),
                (
                    "request",
                    fields.ForeignKeyField(
                        "models.Request",
                        source_field="request_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="enrollments",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "enrollment",
                "app": "models",
                "unique_together": (("child", "activity", "period"),),
                "pk_attr": "id",
                "table_description": "A child in an activity at a site for a period.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Opening",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "activity",
                    fields.ForeignKeyField(
                        "models.Activity",
                        source_field="activity_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="openings",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "site",
                    fields.ForeignKeyField(
                        "models.Site",
                        source_field="site_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="openings",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "period",
                    fields.ForeignKeyField(
                        "models.Period",
                        source_field="period_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="openings",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("weekdays", fields.SmallIntField(description="Bit 0 = Monday … bit 6 = Sunday")),
                (
                    "capacity",
                    fields.IntField(null=True, description="Children per day, null = no limit"),
                ),
            ],
            options={
                "table": "opening",
                "app": "models",
                "unique_together": (("activity", "site", "period"),),
                "pk_attr": "id",
                "table_description": "An activity open at a site over a period, on some weekdays, with a daily capacity.",
            },
            bases=["Model"],
        ),
    ]
