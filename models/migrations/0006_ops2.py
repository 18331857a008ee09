from tortoise import migrations
from tortoise.migrations import operations as ops
from models.reminders import ReminderKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_sepa')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HouseholdErasure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='erasures', on_delete=OnDelete.CASCADE)),
                ('files_deleted', fields.IntField(description='Document files removed')),
                ('children_cleared', fields.IntField(description='Children whose health notes were emptied')),
                ('contacts_anonymised', fields.IntField()),
                ('erased_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'household_erasure', 'app': 'models', 'unique_together': (('household',),), 'pk_attr': 'id', 'table_description': 'One row per household whose files were deleted and health notes and contacts'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReminderOptOut',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guardian', fields.ForeignKeyField('models.Guardian', source_field='guardian_id', db_constraint=True, to_field='id', related_name='reminder_opt_outs', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reminder_opt_out', 'app': 'models', 'unique_together': (('guardian',),), 'pk_attr': 'id', 'table_description': 'A guardian who asked for no reminder mails: without a row, reminders are on.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SentReminder',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('guardian', fields.ForeignKeyField('models.Guardian', source_field='guardian_id', db_constraint=True, to_field='id', related_name='sent_reminders', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='BOOKING: booking\nINVOICE: invoice\nDOCUMENT: document', enum_type=ReminderKind, max_length=16)),
                ('subject_id', fields.IntField(description='Child, invoice or document reminded about')),
                ('for_date', fields.DateField(description='Week, due date or expiry date reminded about')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sent_reminder', 'app': 'models', 'unique_together': (('guardian', 'kind', 'subject_id', 'for_date'),), 'pk_attr': 'id', 'table_description': 'Written with the queued mail, in its transaction: the unique key makes a second run'},
            bases=['Model'],
        ),
    ]
