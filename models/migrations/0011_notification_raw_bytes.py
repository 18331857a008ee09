from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_household_created_at_from_clock')]

    initial = False

    operations = [
        ops.AddField(
            model_name='PaymentNotification',
            name='raw_body',
            field=fields.BinaryField(null=True, description='Body bytes as received'),
        ),
        ops.AddField(
            model_name='PaymentNotification',
            name='raw_query',
            field=fields.BinaryField(null=True, description='Query string bytes as received'),
        ),
    ]
