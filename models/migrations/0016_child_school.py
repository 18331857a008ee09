from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_pes_quotients')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Child',
            name='school',
            field=fields.CharField(default='', description='School attended', db_default='', max_length=150),
        ),
    ]
