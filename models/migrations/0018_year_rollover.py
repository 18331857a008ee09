from tortoise import migrations
from tortoise.migrations import operations as ops
from models.catalogue import ReenrollmentStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0017_staff_roles')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ClassPromotion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='class_promotions', on_delete=OnDelete.CASCADE)),
                ('school_year', fields.SmallIntField(description='Year the school year starts, e.g. 2027')),
                ('children', fields.IntField(description='Children whose class moved up')),
                ('promoted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'class_promotion', 'app': 'models', 'unique_together': (('tenant', 'school_year'),), 'pk_attr': 'id', 'table_description': "Children's classes moved up a level once per school year and town (CP to CE1…)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='YearRollover',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='year_rollovers', on_delete=OnDelete.CASCADE)),
                ('source_period', fields.OneToOneField('models.Period', source_field='source_period_id', db_constraint=True, to_field='id', related_name='rolled_over_to', on_delete=OnDelete.CASCADE)),
                ('next_period', fields.OneToOneField('models.Period', source_field='next_period_id', db_constraint=True, to_field='id', related_name='rolled_over_from', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='year_rollovers', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'year_rollover', 'app': 'models', 'pk_attr': 'id', 'table_description': "A period copied to next year's dates (openings, weekdays, capacities): one copy per"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReenrollmentCampaign',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='reenrollment_campaigns', on_delete=OnDelete.CASCADE)),
                ('rollover', fields.OneToOneField('models.YearRollover', source_field='rollover_id', db_constraint=True, to_field='id', related_name='campaign', on_delete=OnDelete.CASCADE)),
                ('until', fields.DateField(description='Last day families answer (town time, through 23h59)')),
                ('opened_by', fields.ForeignKeyField('models.Account', source_field='opened_by_id', null=True, db_constraint=True, to_field='id', related_name='reenrollment_campaigns', on_delete=OnDelete.SET_NULL)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reenrollment_campaign', 'app': 'models', 'pk_attr': 'id', 'table_description': "Families confirm, change or drop their children's enrolments for next year, until a day."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reenrollment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('models.ReenrollmentCampaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='reenrollments', on_delete=OnDelete.CASCADE)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='reenrollments', on_delete=OnDelete.CASCADE)),
                ('child', fields.ForeignKeyField('models.Child', source_field='child_id', db_constraint=True, to_field='id', related_name='reenrollments', on_delete=OnDelete.CASCADE)),
                ('enrollment', fields.ForeignKeyField('models.Enrollment', source_field='enrollment_id', db_constraint=True, to_field='id', related_name='reenrollments', on_delete=OnDelete.CASCADE)),
                ('activity', fields.ForeignKeyField('models.Activity', source_field='activity_id', db_constraint=True, to_field='id', related_name='reenrollments', on_delete=OnDelete.CASCADE)),
                ('site', fields.ForeignKeyField('models.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='reenrollments', on_delete=OnDelete.CASCADE)),
                ('next_school_class', fields.CharField(default='', description='CE1, 6e…', max_length=32)),
                ('status', fields.CharEnumField(description='PROPOSED: proposed\nCONFIRMED: confirmed\nCHANGED: changed\nDROPPED: dropped\nLEAVING: leaving\nACCEPTED: accepted\nREFUSED: refused', enum_type=ReenrollmentStatus, max_length=16)),
                ('answered_by', fields.ForeignKeyField('models.Account', source_field='answered_by_id', null=True, db_constraint=True, to_field='id', related_name='reenrollments_answered', on_delete=OnDelete.SET_NULL)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.ForeignKeyField('models.Account', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='reenrollments_decided', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('request', fields.ForeignKeyField('models.Request', source_field='request_id', null=True, db_constraint=True, to_field='id', related_name='reenrollments', on_delete=OnDelete.SET_NULL)),
                ('new_enrollment', fields.ForeignKeyField('models.Enrollment', source_field='new_enrollment_id', null=True, db_constraint=True, to_field='id', related_name='reenrolled_from', on_delete=OnDelete.SET_NULL)),
                ('reminded_at', fields.DatetimeField(null=True, description='When the family was reminded', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'reenrollment', 'app': 'models', 'unique_together': (('campaign', 'enrollment'),), 'indexes': [Index(fields=['campaign_id', 'household_id'])], 'pk_attr': 'id', 'table_description': 'One enrolment of this year proposed again for next year, and what became of it.'},
            bases=['Model'],
        ),
    ]
