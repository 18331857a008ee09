from tortoise import migrations
from tortoise.migrations import operations as ops
from models.treasury import PesBatchStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0014_desk_payments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FakeQuotientFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('birth_name', fields.CharField(description='Upper case, no accents', max_length=100)),
                ('first_name', fields.CharField(description='First given name, same form', max_length=100)),
                ('sex', fields.CharField(max_length=1)),
                ('status', fields.SmallIntField(default=200, description='HTTP status the fake answers')),
                ('provider', fields.CharField(default='CNAF', max_length=4)),
                ('value', fields.IntField(default=0)),
                ('year', fields.SmallIntField(default=0)),
                ('month', fields.SmallIntField(default=0)),
            ],
            options={'table': 'fake_quotient_file', 'app': 'models', 'unique_together': (('birth_name', 'first_name', 'sex'),), 'pk_attr': 'id', 'table_description': 'A family file of the local fake CAF/MSA (resolvers/quotients/api_particulier): in a'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PesBatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='pes_batches', on_delete=OnDelete.RESTRICT)),
                ('authority', fields.ForeignKeyField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='pes_batches', on_delete=OnDelete.RESTRICT)),
                ('month', fields.DateField(description='First day of the month billed')),
                ('status', fields.CharEnumField(default=PesBatchStatus.EXPORTED, description='EXPORTED: exported\nCANCELLED: cancelled', enum_type=PesBatchStatus, max_length=10)),
                ('exercise', fields.SmallIntField(description='Exer: year of the bordereau')),
                ('bordereau_number', fields.IntField(description='IdBord, sequential per exercise and budget')),
                ('collectivity_code', fields.CharField(description='CodCol the file was sent with', max_length=3)),
                ('budget_code', fields.CharField(description='CodBud the file was sent with', max_length=2)),
                ('file_name', fields.CharField(max_length=100)),
                ('piece_count', fields.IntField()),
                ('total_cents', fields.IntField()),
                ('content', fields.BinaryField(description='The ISO-8859-1 XML file as exported')),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='pes_batches', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancel_reason', fields.CharField(default='', max_length=250)),
            ],
            options={'table': 'pes_batch', 'app': 'models', 'indexes': [Index(fields=['authority_id', 'month']), Index(fields=['tenant_id', 'exercise', 'bordereau_number'])], 'pk_attr': 'id', 'table_description': 'One PES Aller file of a régie for a month (one bordereau), kept byte for byte.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PesSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='pes_settings', on_delete=OnDelete.RESTRICT)),
                ('authority', fields.OneToOneField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='pes_settings', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(description='Short code for the CLI, e.g. PERI', max_length=32)),
                ('siret', fields.CharField(description="IdColl: the town's SIRET", max_length=14)),
                ('accounting_post', fields.CharField(description='IdPost: poste comptable', max_length=7)),
                ('collectivity_code', fields.CharField(description='CodCol', max_length=3)),
                ('budget_code', fields.CharField(description='CodBud', max_length=2)),
                ('product_code', fields.CharField(description='CodProdLoc by default', max_length=4)),
                ('nature', fields.CharField(default='588', description='Nature by default', max_length=12)),
                ('bordereau_subject', fields.CharField(default='', description='Objet', max_length=160)),
                ('attach_invoice_pdf', fields.BooleanField(default=False, description='Invoice PDFs go in the file for the DGFiP to print and mail')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pes_settings', 'app': 'models', 'unique_together': (('tenant', 'code'),), 'pk_attr': 'id', 'table_description': "A régie's PES model (modèle PES): who the town is to Hélios and how it codes its titres."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PesActivityCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('settings', fields.ForeignKeyField('models.PesSettings', source_field='settings_id', db_constraint=True, to_field='id', related_name='activity_codes', on_delete=OnDelete.CASCADE)),
                ('activity', fields.ForeignKeyField('models.Activity', source_field='activity_id', db_constraint=True, to_field='id', related_name='pes_codes', on_delete=OnDelete.RESTRICT)),
                ('product_code', fields.CharField(description='CodProdLoc', max_length=4)),
                ('nature', fields.CharField(description='Nature', max_length=12)),
            ],
            options={'table': 'pes_activity_code', 'app': 'models', 'unique_together': (('settings', 'activity'),), 'pk_attr': 'id', 'table_description': "The product code and nature an activity's lines are sent under, if not the default."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PesTitre',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('batch', fields.ForeignKeyField('models.PesBatch', source_field='batch_id', db_constraint=True, to_field='id', related_name='titres', on_delete=OnDelete.RESTRICT)),
                ('invoice', fields.ForeignKeyField('models.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='pes_titres', on_delete=OnDelete.RESTRICT)),
                ('piece_number', fields.IntField(description='IdPce in the bordereau')),
                ('amount_cents', fields.IntField()),
                ('mandate', fields.ForeignKeyField('models.SepaMandate', source_field='mandate_id', null=True, db_constraint=True, to_field='id', related_name='pes_titres', on_delete=OnDelete.RESTRICT)),
                ('sequence_type', fields.CharField(default='', description='FRST, RCUR or empty', max_length=4)),
            ],
            options={'table': 'pes_titre', 'app': 'models', 'unique_together': (('batch', 'invoice'), ('batch', 'piece_number')), 'pk_attr': 'id', 'table_description': 'One invoice sent as a pièce (titre), with the debit it carried if any.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='QuotientConsent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='quotient_consents', on_delete=OnDelete.RESTRICT)),
                ('household', fields.OneToOneField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='quotient_consent', on_delete=OnDelete.CASCADE)),
                ('guardian', fields.ForeignKeyField('models.Guardian', source_field='guardian_id', db_constraint=True, to_field='id', related_name='quotient_consents', on_delete=OnDelete.CASCADE)),
                ('birth_name', fields.CharField(description='nomNaissance', max_length=100)),
                ('first_names', fields.CharField(description='prenoms, space-separated', max_length=150)),
                ('sex', fields.CharField(description='sexeEtatCivil: M or F', max_length=1)),
                ('birth_date', fields.DateField()),
                ('birth_country_code', fields.CharField(description='COG, 99100 = France', max_length=5)),
                ('birth_commune_code', fields.CharField(default='', description='COG if France', max_length=5)),
                ('validity_months', fields.SmallIntField(description='How long the town keeps a quotient')),
                ('consent_on', fields.DateField(description='Day the parent agreed')),
                ('recorded_by', fields.ForeignKeyField('models.Account', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='quotient_consents', on_delete=OnDelete.SET_NULL)),
                ('last_attempt_on', fields.DateField(null=True, description='Last call, success or not')),
                ('last_error', fields.CharField(default='', description="Provider's reason", max_length=500)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'quotient_consent', 'app': 'models', 'pk_attr': 'id', 'table_description': "A guardian agreed that the town asks the CAF/MSA for the household's quotient."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Household',
            name='family_quotient_month',
            field=fields.DateField(null=True, description='First day of the month the CAF/MSA quotient applies to'),
        ),
        ops.AddField(
            model_name='Household',
            name='family_quotient_provider',
            field=fields.CharField(null=True, description='CNAF or MSA, null = entered by staff', max_length=4),
        ),
        ops.AddField(
            model_name='Invoice',
            name='pes_batch',
            field=fields.ForeignKeyField('models.PesBatch', source_field='pes_batch_id', null=True, db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.RESTRICT),
        ),
    ]
