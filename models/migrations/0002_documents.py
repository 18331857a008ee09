from tortoise import migrations
from tortoise.migrations import operations as ops
from models.documents import DocumentKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Document',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='MEDICAL_CERTIFICATE: medical_certificate\nPROOF_OF_ADDRESS: proof_of_address\nTAX_NOTICE: tax_notice\nCAF_ATTESTATION: caf_attestation\nIDENTITY: identity\nDEROGATION: derogation\nOTHER: other', enum_type=DocumentKind, max_length=24)),
                ('title', fields.CharField(max_length=150)),
                ('number', fields.CharField(default='', description='Number on the document', max_length=64)),
                ('issuer', fields.CharField(default='', description='Issuing authority', max_length=150)),
                ('issued_on', fields.DateField(null=True)),
                ('expires_on', fields.DateField(null=True)),
                ('in_storage', fields.BooleanField(default=True, description='Listed in the private storage')),
                ('expiry_reminded_for', fields.DateField(null=True, description='Expiry date a reminder was mailed for: one mail per date')),
                ('uploaded_by', fields.ForeignKeyField('models.Account', source_field='uploaded_by_id', null=True, db_constraint=True, to_field='id', related_name='documents', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'document', 'app': 'models', 'indexes': [Index(fields=['household_id', 'in_storage'])], 'pk_attr': 'id', 'table_description': 'Typed metadata of one document, owned by a household.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DocumentFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('document', fields.ForeignKeyField('models.Document', source_field='document_id', db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('position', fields.SmallIntField()),
                ('filename', fields.CharField(description='Name given by the parent', max_length=200)),
                ('content_type', fields.CharField(description='Sniffed from the content', max_length=100)),
                ('size', fields.IntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('backend', fields.CharField(description='database or filesystem', max_length=16)),
                ('storage_key', fields.CharField(default='', description='Filesystem name', max_length=100)),
                ('content', fields.BinaryField(null=True, description='The bytes, database backend')),
            ],
            options={'table': 'document_file', 'app': 'models', 'unique_together': (('document_id', 'position'),), 'pk_attr': 'id', 'table_description': 'One file of a document (1 to 4), its bytes in the database or under a storage key.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RequestAttachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('request', fields.ForeignKeyField('models.Request', source_field='request_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE)),
                ('document', fields.ForeignKeyField('models.Document', source_field='document_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'request_attachment', 'app': 'models', 'unique_together': (('request_id', 'document_id'),), 'pk_attr': 'id', 'table_description': "A document given to justify a request: from then on the town's staff may read it."},
            bases=['Model'],
        ),
    ]
