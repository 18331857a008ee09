from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_notification_raw_bytes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FakePayfipOperation',
            fields=[
                ('idop', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=36)),
                ('numcli', fields.CharField(max_length=6)),
                ('exer', fields.CharField(max_length=4)),
                ('refdet', fields.CharField(max_length=32)),
                ('montant', fields.IntField(description='Cents')),
                ('mel', fields.CharField(max_length=254)),
                ('objet', fields.CharField(max_length=100)),
                ('saisie', fields.CharField(max_length=1)),
                ('urlnotif', fields.CharField(max_length=500)),
                ('urlredirect', fields.CharField(max_length=500)),
                ('resultrans', fields.CharField(null=True, description='P, V, R, Z or A once the parent is done', max_length=1)),
            ],
            options={'table': 'payfip_fake_operation', 'app': 'models', 'pk_attr': 'idop', 'table_description': 'The local stand-in of the DGFiP (resolvers/payments/payfip.FakePayfip) keeps its'},
            bases=['Model'],
        ),
    ]
