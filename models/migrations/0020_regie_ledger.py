from tortoise import migrations
from tortoise.migrations import operations as ops
from models.billing import InvoiceLineKind
from models.payments import DeskPaymentMode, PaymentProvider
from models.reminders import ReminderKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class StateOnlyAlterField(ops.AlterField):
    """An AlterField of the model state only: PaymentProvider gained SEPA, InvoiceLineKind
    MANUAL and ReminderKind DUNNING, which change the enum columns' descriptions (comments)
    and nothing else (same VARCHAR length). SQLite's generic AlterField would rebuild each
    table, dropping its unique constraints and indexes (see 0010 and 0014)."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class StateOnlyAddField(ops.AddField):
    """The column is added by the RunSQL that follows, with its default for the régies
    that exist: Tortoise's AddField writes NOT NULL without a DEFAULT, which both
    PostgreSQL (rows exist) and SQLite refuse."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0019_family_files')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CreditRefund',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='credit_refunds', on_delete=OnDelete.RESTRICT)),
                ('authority', fields.ForeignKeyField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='credit_refunds', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='credit_refunds', on_delete=OnDelete.RESTRICT)),
                ('number', fields.CharField(unique=True, max_length=32)),
                ('mode', fields.CharEnumField(description='How it was paid back', enum_type=DeskPaymentMode, max_length=10)),
                ('amount_cents', fields.IntField(description='Positive: the money paid back')),
                ('refunded_on', fields.DateField()),
                ('reason', fields.CharField(max_length=500)),
                ('refunded_by', fields.ForeignKeyField('models.Account', source_field='refunded_by_id', null=True, db_constraint=True, to_field='id', related_name='credit_refunds', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'credit_refund', 'app': 'models', 'indexes': [Index(fields=['authority_id', 'refunded_on'])], 'pk_attr': 'id', 'table_description': "A household's credit at a régie paid back. The ledger holds it as REFUND entries"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DepositSlip',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='deposit_slips', on_delete=OnDelete.RESTRICT)),
                ('authority', fields.ForeignKeyField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='deposit_slips', on_delete=OnDelete.RESTRICT)),
                ('number', fields.CharField(unique=True, max_length=32)),
                ('mode', fields.CharEnumField(description='CASH or CHEQUE', enum_type=DeskPaymentMode, max_length=10)),
                ('deposited_on', fields.DateField(description='Day of the deposit')),
                ('total_cents', fields.IntField()),
                ('payment_count', fields.IntField()),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='deposit_slips', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deposit_slip', 'app': 'models', 'indexes': [Index(fields=['authority_id', 'deposited_on'])], 'pk_attr': 'id', 'table_description': 'A bordereau de remise: the cheques or the cash of a régie taken to the bank'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DocumentCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('authority', fields.ForeignKeyField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='document_counters', on_delete=OnDelete.RESTRICT)),
                ('series', fields.CharField(description='receipt, deposit or refund', max_length=16)),
                ('year', fields.SmallIntField()),
                ('last_sequence', fields.IntField(default=0)),
            ],
            options={'table': 'document_counter', 'app': 'models', 'unique_together': (('authority', 'series', 'year'),), 'pk_attr': 'id', 'table_description': 'Last number a régie gave in a series (receipts, deposit slips, refunds) and a year,'},
            bases=['Model'],
        ),
        StateOnlyAddField(
            model_name='BillingAuthority',
            name='dunning_days',
            field=fields.CharField(default='15 45', description='Days after the due date of each automatic reminder, space-separated', max_length=60),
        ),
        ops.RunSQL(
            "ALTER TABLE billing_authority ADD COLUMN dunning_days VARCHAR(60) NOT NULL "
            "DEFAULT '15 45'",
            "ALTER TABLE billing_authority DROP COLUMN dunning_days",
        ),
        ops.AddField(
            model_name='DeskPayment',
            name='deposit_slip',
            field=fields.ForeignKeyField('models.DepositSlip', source_field='deposit_slip_id', null=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='Invoice',
            name='corrects',
            field=fields.ForeignKeyField('models.Invoice', source_field='corrects_id', null=True, db_constraint=True, to_field='id', related_name='corrections', on_delete=OnDelete.RESTRICT),
        ),
        StateOnlyAlterField(
            model_name='InvoiceLine',
            name='kind',
            field=fields.CharEnumField(description='BOOKED: booked\nSURCHARGE: surcharge\nABSENCE: absence\nMANUAL: manual', enum_type=InvoiceLineKind, max_length=16),
        ),
        StateOnlyAlterField(
            model_name='Payment',
            name='provider',
            field=fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip\nDESK: desk\nSEPA: sepa', enum_type=PaymentProvider, max_length=8),
        ),
        StateOnlyAlterField(
            model_name='PaymentAttempt',
            name='provider',
            field=fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip\nDESK: desk\nSEPA: sepa', enum_type=PaymentProvider, max_length=8),
        ),
        StateOnlyAlterField(
            model_name='PaymentNotification',
            name='provider',
            field=fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip\nDESK: desk\nSEPA: sepa', enum_type=PaymentProvider, max_length=8),
        ),
        StateOnlyAlterField(
            model_name='PaymentSetup',
            name='provider',
            field=fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip\nDESK: desk\nSEPA: sepa', enum_type=PaymentProvider, max_length=8),
        ),
        StateOnlyAlterField(
            model_name='SentReminder',
            name='kind',
            field=fields.CharEnumField(description='BOOKING: booking\nINVOICE: invoice\nDOCUMENT: document\nDUNNING: dunning', enum_type=ReminderKind, max_length=16),
        ),
    ]
