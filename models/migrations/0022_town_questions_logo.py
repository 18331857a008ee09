from tortoise import migrations
from tortoise.migrations import operations as ops
from models.requests import RequestKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class StateOnlyAlterField(ops.AlterField):
    """An AlterField of the model state only: RequestKind gained APPOINTMENT, which changes
    the column's description (comment) and nothing else (VARCHAR(32) either way)."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0021_credit_and_quotient_source')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TownQuestion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='questions', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(description='Who asks, as typed', max_length=100)),
                ('email', fields.CharField(description='Where the answer is mailed', max_length=254)),
                ('subject', fields.CharField(max_length=150)),
                ('message', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('answer', fields.TextField(null=True, description="The staff's answer, as mailed", unique=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('answered_by', fields.ForeignKeyField('models.Account', source_field='answered_by_id', null=True, db_constraint=True, to_field='id', related_name='answered_questions', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'town_question', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A question asked of the town without an account (« Poser une question »): kept before'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TownLogo',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.OneToOneField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='logo', on_delete=OnDelete.CASCADE)),
                ('content', fields.BinaryField()),
                ('content_type', fields.CharField(description='image/png or image/jpeg', max_length=16)),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'town_logo', 'app': 'models', 'pk_attr': 'id', 'table_description': "The town's logo printed on its PDFs: PNG or JPEG bytes, checked by decoding them. A"},
            bases=['Model'],
        ),
        StateOnlyAlterField(
            model_name='Request',
            name='kind',
            field=fields.CharEnumField(description='CONTACT_DETAILS_UPDATE: contact_details_update\nCONTACT_ADD: contact_add\nCONTACT_UPDATE: contact_update\nCONTACT_REMOVE: contact_remove\nBOOKING_CHANGE: booking_change\nENROLLMENT: enrollment\nABSENCE_REPORT: absence_report\nCHILD_UPDATE: child_update\nFAMILY_QUOTIENT: family_quotient\nAPPOINTMENT: appointment', enum_type=RequestKind, max_length=32),
        ),
    ]
