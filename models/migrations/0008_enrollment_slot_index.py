from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_payments')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Enrollment',
            index=Index(fields=['activity_id', 'site_id', 'period_id']),
        ),
    ]
