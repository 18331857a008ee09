from tortoise import migrations
from tortoise.migrations import operations as ops
from models.accounts import AccountRole, TokenPurpose
from tortoise.fields.base import OnDelete
from tortoise import fields


class StateOnlyAlterField(ops.AlterField):
    """An AlterField of the model state only: AccountRole gained REGISSEUR and SITE and
    TokenPurpose STAFF_INVITATION, which changes the columns' descriptions and nothing else
    (VARCHAR(16) either way). SQLite's generic AlterField would rebuild the tables (see 0014)."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None

class Migration(migrations.Migration):
    dependencies = [('models', '0016_child_school')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StaffAuthority',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='staff_authorities', on_delete=OnDelete.CASCADE)),
                ('authority', fields.ForeignKeyField('models.BillingAuthority', source_field='authority_id', db_constraint=True, to_field='id', related_name='staff_members', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'staff_authority', 'app': 'models', 'unique_together': (('account', 'authority'),), 'pk_attr': 'id', 'table_description': 'A régie a régisseur handles: they see and act on its money only.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffSite',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='staff_sites', on_delete=OnDelete.CASCADE)),
                ('site', fields.ForeignKeyField('models.Site', source_field='site_id', db_constraint=True, to_field='id', related_name='staff_members', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'staff_site', 'app': 'models', 'unique_together': (('account', 'site'),), 'pk_attr': 'id', 'table_description': 'A site a site member works at: its attendance sheets and kitchen forecasts only.'},
            bases=['Model'],
        ),
        StateOnlyAlterField(
            model_name='Account',
            name='role',
            field=fields.CharEnumField(default=AccountRole.PARENT, description='PARENT: parent\nAGENT: agent\nADMIN: admin\nREGISSEUR: regisseur\nSITE: site', enum_type=AccountRole, max_length=16),
        ),
        StateOnlyAlterField(
            model_name='AccountToken',
            name='purpose',
            field=fields.CharEnumField(description='ACTIVATION: activation\nPASSWORD_RESET: password_reset\nSESSION: session\nSTAFF_INVITATION: staff_invite', enum_type=TokenPurpose, max_length=16),
        ),
        ops.AddField(
            model_name='Tenant',
            name='cgu_text',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Tenant',
            name='postal_address',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Tenant',
            name='unpaid_block_days',
            field=fields.SmallIntField(null=True, description='Days past due that block new bookings (null: never)'),
        ),
    ]
