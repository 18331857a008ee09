from tortoise import migrations
from tortoise.migrations import operations as ops
from models.billing import InvoiceDelivery, InvoiceKind, InvoiceLineKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_operations')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Attendance',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('child', fields.ForeignKeyField('models.Child', source_field='child_id', db_constraint=True, to_field='id', related_name='attendances', on_delete=OnDelete.CASCADE)),
                ('activity', fields.ForeignKeyField('models.Activity', source_field='activity_id', db_constraint=True, to_field='id', related_name='attendances', on_delete=OnDelete.RESTRICT)),
                ('site', fields.ForeignKeyField('models.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='attendances', on_delete=OnDelete.RESTRICT)),
                ('day', fields.DateField()),
                ('present', fields.BooleanField()),
                ('recorded_by', fields.ForeignKeyField('models.Account', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='attendances', on_delete=OnDelete.SET_NULL)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'attendance', 'app': 'models', 'unique_together': (('child', 'activity', 'day'),), 'indexes': [Index(fields=['activity_id', 'day'])], 'pk_attr': 'id', 'table_description': 'Pointage: whether a child was there, one activity, one day.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BillingAuthority',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='billing_authorities', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(description='e.g. Régie périscolaire', max_length=150)),
                ('due_day', fields.SmallIntField(default=30, description='Day of the next month to pay by')),
                ('payment_opens_day', fields.SmallIntField(default=8)),
                ('payment_opens_minutes', fields.SmallIntField(default=570)),
                ('payment_closes_day', fields.SmallIntField(default=30)),
                ('payment_closes_minutes', fields.SmallIntField(default=1439)),
                ('unbooked_surcharge_percent', fields.SmallIntField(default=30, description='Extra charged for attendance without booking')),
                ('resident_postal_codes', fields.CharField(default='', description='Space-separated, empty = everyone resident', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'billing_authority', 'app': 'models', 'unique_together': (('tenant', 'name'),), 'pk_attr': 'id', 'table_description': "A régie: the public accountant's till an invoice is paid to, with its calendar."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Invoice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.RESTRICT)),
                ('authority', fields.ForeignKeyField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.RESTRICT)),
                ('month', fields.DateField(description='First day of the month billed')),
                ('revision', fields.SmallIntField(description='0 = the invoice, then each correction')),
                ('kind', fields.CharEnumField(description='INVOICE: invoice\nCOMPLEMENT: complement\nCREDIT_NOTE: credit_note', enum_type=InvoiceKind, max_length=16)),
                ('number', fields.CharField(description='yymm + 6-digit sequence', max_length=16)),
                ('issued_on', fields.DateField()),
                ('due_on', fields.DateField()),
                ('payment_opens_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('payment_closes_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('total_cents', fields.IntField(description='Negative for a credit note')),
                ('settled_cents', fields.IntField(default=0, description='Paid or credited so far')),
                ('payer_name', fields.CharField(max_length=250)),
                ('payer_address', fields.CharField(description='Lines joined by newlines', max_length=500)),
                ('household_reference', fields.CharField(max_length=32)),
                ('payment_reference', fields.CharField(max_length=32)),
                ('delivery', fields.CharEnumField(description='EMAIL: email\nPRINT: print', enum_type=InvoiceDelivery, max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'invoice', 'app': 'models', 'unique_together': (('household', 'authority', 'month', 'revision'), ('authority', 'number')), 'indexes': [Index(fields=['household_id', 'id'])], 'pk_attr': 'id', 'table_description': "A household's bill for one month and one régie, frozen once issued."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InvoiceCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('authority', fields.ForeignKeyField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='counters', on_delete=OnDelete.RESTRICT)),
                ('month', fields.DateField(description='First day of the month numbered')),
                ('last_sequence', fields.IntField(default=0)),
            ],
            options={'table': 'invoice_counter', 'app': 'models', 'unique_together': (('authority', 'month'),), 'pk_attr': 'id', 'table_description': 'Last sequence number used by a régie in a month, locked while numbering.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InvoiceLine',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.RESTRICT)),
                ('position', fields.SmallIntField()),
                ('kind', fields.CharEnumField(description='BOOKED: booked\nSURCHARGE: surcharge\nABSENCE: absence', enum_type=InvoiceLineKind, max_length=16)),
                ('child', fields.ForeignKeyField('models.Child', source_field='child_id', null=True, db_constraint=True, to_field='id', related_name='invoice_lines', on_delete=OnDelete.SET_NULL)),
                ('activity', fields.ForeignKeyField('models.Activity', source_field='activity_id', db_constraint=True, to_field='id', related_name='invoice_lines', on_delete=OnDelete.RESTRICT)),
                ('label', fields.CharField(max_length=250)),
                ('quantity', fields.IntField()),
                ('unit_price_cents', fields.IntField()),
                ('amount_cents', fields.IntField()),
            ],
            options={'table': 'invoice_line', 'app': 'models', 'indexes': [Index(fields=['invoice_id', 'position'])], 'pk_attr': 'id', 'table_description': 'Quantity × unit price for one child and activity (negative in corrections).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Tariff',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('models.Activity', source_field='activity_id', db_constraint=True, to_field='id', related_name='tariffs', on_delete=OnDelete.RESTRICT)),
                ('valid_from', fields.DateField()),
                ('valid_until', fields.DateField(null=True, description='Last day, null = open-ended')),
                ('resident', fields.BooleanField(default=True)),
                ('quotient_min', fields.IntField(default=0, description='Quotient familial from, euros')),
                ('quotient_max', fields.IntField(null=True, description='Up to (included), null = no cap')),
                ('unit_price_cents', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'tariff', 'app': 'models', 'indexes': [Index(fields=['activity_id', 'valid_from'])], 'pk_attr': 'id', 'table_description': 'One unit price of an activity for a quotient bracket, residence and period.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Activity',
            name='billing_authority',
            field=fields.ForeignKeyField('models.BillingAuthority', source_field='billing_authority_id', null=True, db_constraint=True, to_field='id', related_name='activities', on_delete=OnDelete.RESTRICT),
        ),
    ]
