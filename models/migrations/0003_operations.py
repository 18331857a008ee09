from tortoise import migrations
from tortoise.migrations import operations as ops
from models.news import NewsAudience
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_documents')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CalendarFeed',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('child', fields.ForeignKeyField('models.Child', source_field='child_id', db_constraint=True, to_field='id', related_name='calendar_feeds', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='calendar_feeds', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, description='Set once: the link answers 404', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'calendar_feed', 'app': 'models', 'pk_attr': 'id', 'table_description': "A revocable link to a child's booked days: only the SHA-256 of its token is kept."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='KitchenMailing',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('site', fields.ForeignKeyField('models.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='kitchen_mailings', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField(description='The day whose meals are announced')),
                ('recipient', fields.CharField(max_length=254)),
                ('queued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('figures', fields.JSONField(default=dict, description='Counts in the latest mail', encoder=JSON_DUMPS, decoder=loads)),
                ('revision', fields.IntField(default=0, description='Update mails sent after the first')),
            ],
            options={'table': 'kitchen_mailing', 'app': 'models', 'unique_together': (('site', 'day'),), 'pk_attr': 'id', 'table_description': 'The daily forecast of one site for one day, queued once at the booking cut-off.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageThread',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='message_threads', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='message_threads', on_delete=OnDelete.CASCADE)),
                ('request', fields.ForeignKeyField('models.Request', source_field='request_id', null=True, db_constraint=True, to_field='id', related_name='message_threads', on_delete=OnDelete.SET_NULL)),
                ('subject', fields.CharField(max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_message_at', fields.DatetimeField(description='Orders the inboxes, latest first', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message_thread', 'app': 'models', 'indexes': [Index(fields=['household_id', 'last_message_at']), Index(fields=['tenant_id', 'last_message_at'])], 'pk_attr': 'id', 'table_description': 'A conversation about one request (demande), or about anything else.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.ForeignKeyField('models.MessageThread', source_field='thread_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.Account', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.SET_NULL)),
                ('from_staff', fields.BooleanField(description="Written by the town's services")),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message', 'app': 'models', 'indexes': [Index(fields=['thread_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One message of a thread, written by a guardian or an agent.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageRead',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('thread', fields.ForeignKeyField('models.MessageThread', source_field='thread_id', db_constraint=True, to_field='id', related_name='reads', on_delete=OnDelete.CASCADE)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='message_reads', on_delete=OnDelete.CASCADE)),
                ('read_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'message_read', 'app': 'models', 'unique_together': (('thread', 'account'),), 'pk_attr': 'id', 'table_description': 'Up to when an account read a thread: newer messages from the other side are unread.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='News',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='news', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=200)),
                ('body', fields.TextField(unique=False)),
                ('audience', fields.CharEnumField(description='PUBLIC: public\nSITE: site\nACTIVITY: activity', enum_type=NewsAudience, max_length=16)),
                ('site', fields.ForeignKeyField('models.Site', source_field='site_id', null=True, db_constraint=True, to_field='id', related_name='news', on_delete=OnDelete.CASCADE)),
                ('activity', fields.ForeignKeyField('models.Activity', source_field='activity_id', null=True, db_constraint=True, to_field='id', related_name='news', on_delete=OnDelete.CASCADE)),
                ('publish_from', fields.DateField()),
                ('publish_until', fields.DateField(null=True, description='Null: no end')),
                ('created_by', fields.ForeignKeyField('models.Account', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='news', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'news', 'app': 'models', 'indexes': [Index(fields=['tenant_id', 'publish_from'])], 'pk_attr': 'id', 'table_description': 'One news item, shown from ``publish_from`` to ``publish_until`` (both included).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Site',
            name='kitchen_email',
            field=fields.CharField(null=True, description='Where the daily meal forecast is mailed', max_length=254),
        ),
    ]
