from tortoise import migrations
from tortoise.migrations import operations as ops
from models.sepa import BatchStatus, LineStatus, MandateStatus, SequenceType
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_billing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DirectDebitBatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='direct_debit_batches', on_delete=OnDelete.RESTRICT)),
                ('authority', fields.ForeignKeyField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='direct_debit_batches', on_delete=OnDelete.RESTRICT)),
                ('month', fields.DateField(description='First day of the month billed')),
                ('status', fields.CharEnumField(default=BatchStatus.EXPORTED, description='EXPORTED: exported\nCOLLECTED: collected\nCANCELLED: cancelled', enum_type=BatchStatus, max_length=10)),
                ('message_id', fields.CharField(max_length=35)),
                ('collection_date', fields.DateField()),
                ('total_cents', fields.IntField()),
                ('line_count', fields.IntField()),
                ('xml', fields.TextField(description='The pain.008 document as exported', unique=False)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='direct_debit_batches', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('collected_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'direct_debit_batch', 'app': 'models', 'indexes': [Index(fields=['authority_id', 'month'])], 'pk_attr': 'id', 'table_description': 'One pain.008 file of a régie for a month, kept byte for byte.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SepaCreditor',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('authority', fields.OneToOneField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='sepa_creditor', on_delete=OnDelete.RESTRICT)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='sepa_creditors', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(description='Short code for the CLI, e.g. PERI', max_length=32)),
                ('creditor_identifier', fields.CharField(description='ICS, e.g. FR12ZZZ123456', max_length=35)),
                ('creditor_name', fields.CharField(description="Name on the debtors' statements", max_length=70)),
                ('iban', fields.CharField(description='Account credited, compact form', max_length=34)),
                ('bic', fields.CharField(max_length=11)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'sepa_creditor', 'app': 'models', 'unique_together': (('tenant', 'code'),), 'pk_attr': 'id', 'table_description': 'What a régie needs to collect by direct debit: its ICS and the account credited.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SepaMandate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='sepa_mandates', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='sepa_mandates', on_delete=OnDelete.RESTRICT)),
                ('guardian', fields.ForeignKeyField('models.Guardian', source_field='guardian_id', db_constraint=True, to_field='id', related_name='sepa_mandates', on_delete=OnDelete.RESTRICT)),
                ('reference', fields.CharField(description='RUM, unique in the town', max_length=35)),
                ('holder_name', fields.CharField(max_length=70)),
                ('iban', fields.CharField(description='Compact form', max_length=34)),
                ('bic', fields.CharField(max_length=11)),
                ('signed_on', fields.DateField()),
                ('status', fields.CharEnumField(default=MandateStatus.ACTIVE, description='ACTIVE: active\nREVOKED: revoked', enum_type=MandateStatus, max_length=8)),
                ('sequence_type', fields.CharEnumField(default=SequenceType.FRST, description='Next collection', enum_type=SequenceType, max_length=4)),
                ('direct_debit', fields.BooleanField(default=True, description='The household pays its invoices by this mandate')),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_reason', fields.CharField(default='', max_length=250)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sepa_mandate', 'app': 'models', 'unique_together': (('tenant', 'reference'),), 'indexes': [Index(fields=['household_id', 'status'])], 'pk_attr': 'id', 'table_description': "The payer's signed authorisation (mandat de prélèvement) with its RUM."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DirectDebitLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('batch', fields.ForeignKeyField('models.DirectDebitBatch', source_field='batch_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.RESTRICT)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='direct_debit_lines', on_delete=OnDelete.RESTRICT)),
                ('mandate', fields.ForeignKeyField('models.SepaMandate', source_field='mandate_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.RESTRICT)),
                ('sequence_type', fields.CharEnumField(description='FRST: FRST\nRCUR: RCUR', enum_type=SequenceType, max_length=4)),
                ('amount_cents', fields.IntField()),
                ('end_to_end_id', fields.CharField(max_length=35)),
                ('status', fields.CharEnumField(default=LineStatus.PENDING, description='PENDING: pending\nCOLLECTED: collected\nREJECTED: rejected', enum_type=LineStatus, max_length=10)),
                ('collected_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rejected_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reject_code', fields.CharField(default='', max_length=4)),
            ],
            options={'table': 'direct_debit_line', 'app': 'models', 'unique_together': (('batch', 'invoice'),), 'indexes': [Index(fields=['invoice_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One invoice debited in a batch, under one mandate and sequence type.'},
            bases=['Model'],
        ),
    ]
