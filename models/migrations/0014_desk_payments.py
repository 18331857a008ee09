from tortoise import migrations
from tortoise.migrations import operations as ops
from models.payments import DeskPaymentMode, PaymentProvider
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class StateOnlyAlterField(ops.AlterField):
    """An AlterField of the model state only: PaymentProvider gained DESK, which changes
    the enum columns' descriptions (comments) and nothing else (VARCHAR(8) either way).
    SQLite's generic AlterField would rebuild each table, dropping its unique constraints
    and indexes and, foreign keys on, cascading the DROP TABLE (see 0010)."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0013_persisted_documents')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeskPayment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='desk_payments', on_delete=OnDelete.RESTRICT)),
                ('authority', fields.ForeignKeyField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='desk_payments', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='desk_payments', on_delete=OnDelete.RESTRICT)),
                ('attempt', fields.OneToOneField('models.PaymentAttempt', source_field='attempt_id', db_constraint=True, to_field='id', related_name='desk_payment', on_delete=OnDelete.RESTRICT)),
                ('number', fields.CharField(unique=True, description='Receipt number', max_length=32)),
                ('mode', fields.CharEnumField(description='CASH: cash\nCHEQUE: cheque\nCESU: cesu\nTRANSFER: transfer\nOTHER: other', enum_type=DeskPaymentMode, max_length=10)),
                ('amount_cents', fields.IntField()),
                ('received_on', fields.DateField(description='Day the money was handed over')),
                ('payer_name', fields.CharField(max_length=250)),
                ('email', fields.CharField(default='', description='Where the receipt went', max_length=254)),
                ('cheque_bank', fields.CharField(default='', max_length=100)),
                ('cheque_number', fields.CharField(default='', max_length=30)),
                ('cheque_drawer', fields.CharField(default='', description='Tireur', max_length=250)),
                ('cesu_electronic', fields.BooleanField(default=False, description='e-CESU')),
                ('cesu_titles', fields.JSONField(default=list, description='Paper CESU title numbers', encoder=JSON_DUMPS, decoder=loads)),
                ('reference', fields.CharField(default='', description='Transfer reference', max_length=100)),
                ('note', fields.CharField(default='', max_length=500)),
                ('credit_cents', fields.IntField(default=0, description='Left unallocated when recorded')),
                ('recorded_by', fields.ForeignKeyField('models.Account', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='desk_payments', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_by', fields.ForeignKeyField('models.Account', source_field='cancelled_by_id', null=True, db_constraint=True, to_field='id', related_name='cancelled_desk_payments', on_delete=OnDelete.SET_NULL)),
                ('cancel_reason', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'desk_payment', 'app': 'models', 'indexes': [Index(fields=['household_id', 'authority_id'])], 'pk_attr': 'id', 'table_description': "A payment received at the régie's desk, never edited: cancelled with a reason."},
            bases=['Model'],
        ),
        StateOnlyAlterField(
            model_name='Payment',
            name='provider',
            field=fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip\nDESK: desk', enum_type=PaymentProvider, max_length=8),
        ),
        StateOnlyAlterField(
            model_name='PaymentAttempt',
            name='provider',
            field=fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip\nDESK: desk', enum_type=PaymentProvider, max_length=8),
        ),
        StateOnlyAlterField(
            model_name='PaymentNotification',
            name='provider',
            field=fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip\nDESK: desk', enum_type=PaymentProvider, max_length=8),
        ),
        StateOnlyAlterField(
            model_name='PaymentSetup',
            name='provider',
            field=fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip\nDESK: desk', enum_type=PaymentProvider, max_length=8),
        ),
    ]
