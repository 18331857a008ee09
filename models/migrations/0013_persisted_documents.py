from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_payfip_fake_operation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PersistedDocument',
            fields=[
                ('document_id', fields.CharField(primary_key=True, unique=True, db_index=True, description="The client's id (the SHA-256 for Apollo)", max_length=128)),
                ('sha256', fields.CharField(db_index=True, description='Hex SHA-256 of the UTF-8 text', max_length=64)),
                ('body', fields.TextField(description='The document, exactly as the client sends it', unique=False)),
                ('name', fields.CharField(null=True, description="Its operation's name", max_length=200)),
                ('operation_type', fields.CharField(null=True, description='query, mutation…', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'persisted_document', 'app': 'models', 'pk_attr': 'document_id', 'table_description': 'One registered document, never changed once written.'},
            bases=['Model'],
        ),
    ]
