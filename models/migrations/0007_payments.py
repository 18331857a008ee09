from tortoise import migrations
from tortoise.migrations import operations as ops
from models.payments import AttemptStatus, NotificationOutcome, PaymentKind, PaymentMode, PaymentProvider, ReviewReason
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_ops2')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PaymentAttempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='payment_attempts', on_delete=OnDelete.RESTRICT)),
                ('authority', fields.ForeignKeyField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='payment_attempts', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='payment_attempts', on_delete=OnDelete.RESTRICT)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='payment_attempts', on_delete=OnDelete.SET_NULL)),
                ('provider', fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip', enum_type=PaymentProvider, max_length=8)),
                ('mode', fields.CharEnumField(description='TEST: TEST\nPRODUCTION: PRODUCTION', enum_type=PaymentMode, max_length=10)),
                ('shop', fields.CharField(description='Site id, site+rang or numcli', max_length=32)),
                ('order_ref', fields.CharField(unique=True, description='Our reference: order id, PBX_CMD, refdet', max_length=32)),
                ('trans_id', fields.CharField(null=True, description='PayZen vads_trans_id, unique per shop and UTC day', max_length=6)),
                ('trans_day', fields.DateField(description='UTC day the transaction id belongs to')),
                ('return_token', fields.CharField(unique=True, max_length=32)),
                ('amount_cents', fields.IntField()),
                ('currency', fields.CharField(default='978', description='ISO 4217 numeric', max_length=3)),
                ('status', fields.CharEnumField(default=AttemptStatus.PENDING, description='PENDING: pending\nPAID: paid\nMISMATCH: mismatch\nREFUSED: refused\nCANCELLED: cancelled\nABANDONED: abandoned\nEXPIRED: expired\nREFUNDED: refunded', enum_type=AttemptStatus, max_length=10)),
                ('provider_txn_id', fields.CharField(default='', description='vads_trans_uuid, Paybox S, PayFiP idOp', max_length=64)),
                ('email', fields.CharField(description='Where the receipt goes', max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(description="End of the provider's session", auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_attempt', 'app': 'models', 'unique_together': (('provider', 'shop', 'trans_day', 'trans_id'),), 'indexes': [Index(fields=['household_id', 'id']), Index(fields=['status', 'expires_at'])], 'pk_attr': 'id', 'table_description': 'One trip of a parent to the provider for one or several invoices of a régie.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentAttemptInvoice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('attempt', fields.ForeignKeyField('models.PaymentAttempt', source_field='attempt_id', db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.CASCADE)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='payment_attempts', on_delete=OnDelete.RESTRICT)),
                ('due_cents', fields.IntField(description='What was due when the attempt started')),
            ],
            options={'table': 'payment_attempt_invoice', 'app': 'models', 'unique_together': (('attempt', 'invoice'),), 'indexes': [Index(fields=['invoice_id', 'attempt_id'])], 'pk_attr': 'id', 'table_description': 'An invoice an attempt pays, in the order its money is allocated.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentNotification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip', enum_type=PaymentProvider, max_length=8)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('source_ip', fields.CharField(max_length=64)),
                ('method', fields.CharField(max_length=8)),
                ('headers', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('query_string', fields.TextField(unique=False)),
                ('body', fields.TextField(unique=False)),
                ('content_sha256', fields.CharField(db_index=True, max_length=64)),
                ('outcome', fields.CharEnumField(default=NotificationOutcome.RECEIVED, description='RECEIVED: received\nVERIFIED: verified\nFORGED: forged\nMALFORMED: malformed\nPROCESSED: processed\nDUPLICATE: duplicate\nSTALE: stale\nUNKNOWN: unknown', enum_type=NotificationOutcome, max_length=10)),
                ('detail', fields.CharField(default='', max_length=500)),
                ('attempt', fields.ForeignKeyField('models.PaymentAttempt', source_field='attempt_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.SET_NULL)),
                ('processed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_notification', 'app': 'models', 'indexes': [Index(fields=['provider', 'received_at'])], 'pk_attr': 'id', 'table_description': 'A provider callback exactly as received, stored before anything is checked: the'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Payment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('attempt', fields.ForeignKeyField('models.PaymentAttempt', source_field='attempt_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.RESTRICT)),
                ('provider', fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip', enum_type=PaymentProvider, max_length=8)),
                ('provider_txn_id', fields.CharField(max_length=64)),
                ('kind', fields.CharEnumField(description='PAYMENT: payment\nREFUND: refund\nREVERSAL: reversal', enum_type=PaymentKind, max_length=10)),
                ('amount_cents', fields.IntField(description='Negative for a refund or reversal')),
                ('currency', fields.CharField(max_length=3)),
                ('notification', fields.ForeignKeyField('models.PaymentNotification', source_field='notification_id', null=True, db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment', 'app': 'models', 'unique_together': (('provider', 'provider_txn_id', 'kind'),), 'indexes': [Index(fields=['household_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One movement of money a provider reported, recorded once.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentAllocation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('payment', fields.ForeignKeyField('models.Payment', source_field='payment_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.RESTRICT)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='allocations', on_delete=OnDelete.RESTRICT)),
                ('amount_cents', fields.IntField()),
            ],
            options={'table': 'payment_allocation', 'app': 'models', 'unique_together': (('payment', 'invoice'),), 'pk_attr': 'id', 'table_description': 'The part of a payment (or refund) applied to one invoice.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentReview',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='payment_reviews', on_delete=OnDelete.RESTRICT)),
                ('attempt', fields.ForeignKeyField('models.PaymentAttempt', source_field='attempt_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.RESTRICT)),
                ('payment', fields.ForeignKeyField('models.Payment', source_field='payment_id', null=True, db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.SET_NULL)),
                ('key', fields.CharField(unique=True, max_length=120)),
                ('reason', fields.CharEnumField(description='AMOUNT_MISMATCH: amount_mismatch\nREFUND_NEEDED: refund_needed\nLATE_PAYMENT: late_payment\nREVERSED: reversed\nUNMATCHED_REFUND: unmatched_refund', enum_type=ReviewReason, max_length=20)),
                ('amount_cents', fields.IntField(description='Money concerned')),
                ('message', fields.CharField(description='In French, for the régisseur', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by', fields.ForeignKeyField('models.Account', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='payment_reviews', on_delete=OnDelete.SET_NULL)),
                ('resolution_note', fields.CharField(default='', max_length=500)),
            ],
            options={'table': 'payment_review', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'resolved_at'])], 'pk_attr': 'id', 'table_description': 'Something the régisseur must look at. ``key`` makes a resend flag it only once.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentSetup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('authority', fields.OneToOneField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='payment_setup', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharEnumField(description='PAYZEN: payzen\nPAYBOX: paybox\nPAYFIP: payfip', enum_type=PaymentProvider, max_length=8)),
                ('mode', fields.CharEnumField(default=PaymentMode.TEST, description='TEST: TEST\nPRODUCTION: PRODUCTION', enum_type=PaymentMode, max_length=10)),
                ('payzen_site_id', fields.CharField(default='', db_index=True, max_length=8)),
                ('payzen_test_key', fields.CharField(default='', max_length=128)),
                ('payzen_production_key', fields.CharField(default='', max_length=128)),
                ('paybox_site', fields.CharField(default='', max_length=7)),
                ('paybox_rang', fields.CharField(default='', max_length=3)),
                ('paybox_identifiant', fields.CharField(default='', max_length=16)),
                ('paybox_hmac_key', fields.CharField(default='', max_length=256)),
                ('paybox_public_key_pem', fields.TextField(default='', unique=False)),
                ('payfip_numcli', fields.CharField(default='', max_length=6)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_setup', 'app': 'models', 'pk_attr': 'id', 'table_description': "A régie's online-payment provider and its credentials (one per régie)."},
            bases=['Model'],
        ),
    ]
