from tortoise import migrations
from tortoise.migrations import operations as ops
from models.households import FamilyQuotientSource
from models.requests import RequestKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class StateOnlyAlterField(ops.AlterField):
    """An AlterField of the model state only: RequestKind gained CHILD_UPDATE and
    FAMILY_QUOTIENT, which changes the column's description (comment) and nothing else
    (VARCHAR(32) either way). SQLite's generic AlterField would rebuild the table (see 0014)."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class StateOnlyAddField(ops.AddField):
    """The model state gains the field; the column is added by the RunSQL after it, with a
    DEFAULT for the guardians already on file (Tortoise's AddField has none, which both
    PostgreSQL and SQLite refuse for a NOT NULL column of a table with rows)."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0018_year_rollover')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ConsentType',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='consent_types', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', description='What the guardian agrees to', unique=False)),
                ('required', fields.BooleanField(default=False, description="Unanswered, it blocks the child's enrolments")),
                ('active', fields.BooleanField(default=True, description='Retired types keep their answers')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent_type', 'app': 'models', 'unique_together': (('tenant', 'name'),), 'pk_attr': 'id', 'table_description': "A consent the town asks for each child (droit à l'image, rentrer seul…)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsentAnswer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('child', fields.ForeignKeyField('models.Child', source_field='child_id', db_constraint=True, to_field='id', related_name='consent_answers', on_delete=OnDelete.CASCADE)),
                ('consent_type', fields.ForeignKeyField('models.ConsentType', source_field='consent_type_id', db_constraint=True, to_field='id', related_name='answers', on_delete=OnDelete.CASCADE)),
                ('granted', fields.BooleanField()),
                ('answered_by', fields.ForeignKeyField('models.Account', source_field='answered_by_id', null=True, db_constraint=True, to_field='id', related_name='consent_answers', on_delete=OnDelete.SET_NULL)),
                ('author_name', fields.CharField(description='Who answered, kept as written', max_length=260)),
                ('answered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent_answer', 'app': 'models', 'indexes': [Index(fields=['child_id', 'consent_type_id', 'answered_at'])], 'pk_attr': 'id', 'table_description': 'One answer of a guardian for a child: the latest is in force, earlier ones are history.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Child',
            name='archived_at',
            field=fields.DatetimeField(null=True, description='Left the file, kept for invoices and attendance history', auto_now=False, auto_now_add=False),
        ),
        StateOnlyAddField(
            model_name='Guardian',
            name='receives_mail',
            field=fields.BooleanField(default=True, description="The town's mails about the household go to this guardian"),
        ),
        ops.RunSQL(
            'ALTER TABLE "guardian" ADD COLUMN "receives_mail" BOOLEAN NOT NULL DEFAULT TRUE',
            'ALTER TABLE "guardian" DROP COLUMN "receives_mail"',
        ),
        ops.AddField(
            model_name='Household',
            name='archived_at',
            field=fields.DatetimeField(null=True, description='Closed file, kept for billing, no new bookings', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Household',
            name='family_quotient_set_on',
            field=fields.DateField(null=True, description='Day the quotient was set'),
        ),
        ops.AddField(
            model_name='Household',
            name='family_quotient_source',
            field=fields.CharEnumField(null=True, description='Where the quotient came from', enum_type=FamilyQuotientSource, max_length=8),
        ),
        ops.AddField(
            model_name='Household',
            name='resident_override',
            field=fields.BooleanField(null=True, description='Resident for pricing whatever the postal code, null by postal code'),
        ),
        StateOnlyAlterField(
            model_name='Request',
            name='kind',
            field=fields.CharEnumField(description='CONTACT_DETAILS_UPDATE: contact_details_update\nCONTACT_ADD: contact_add\nCONTACT_UPDATE: contact_update\nCONTACT_REMOVE: contact_remove\nBOOKING_CHANGE: booking_change\nENROLLMENT: enrollment\nABSENCE_REPORT: absence_report\nCHILD_UPDATE: child_update\nFAMILY_QUOTIENT: family_quotient', enum_type=RequestKind, max_length=32),
        ),
    ]
