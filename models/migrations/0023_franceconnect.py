from tortoise import migrations
from tortoise.migrations import operations as ops
from models.accounts import ContactChannel, TokenPurpose
from tortoise.fields.base import OnDelete
from tortoise import fields


class StateOnlyAlterField(ops.AlterField):
    """An AlterField of the model state only: TokenPurpose gained EMAIL_CHANGE, which changes
    the column's description (comment) and nothing else (same VARCHAR length), and
    AccountToken.created_at is no longer auto_now_add (set from the clock by the code: the
    same column). SQLite's generic AlterField would rebuild the table, dropping its unique
    constraints (see 0014)."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class StateOnlyAddField(ops.AddField):
    """The model state gains the field; the column is added by the RunSQL after it, with a
    DEFAULT for the accounts already there (Tortoise's AddField has none, which both
    PostgreSQL and SQLite refuse for a NOT NULL column of a table with rows)."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0022_town_questions_logo')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FranceConnectAttempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='franceconnect_attempts', on_delete=OnDelete.CASCADE)),
                ('state_hash', fields.CharField(unique=True, max_length=64)),
                ('nonce', fields.CharField(max_length=64)),
                ('link_account', fields.ForeignKeyField('models.Account', source_field='link_account_id', null=True, db_constraint=True, to_field='id', related_name='franceconnect_attempts', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('consumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'franceconnect_attempt', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A redirection to FranceConnect under way: its state and nonce, kept server-side and'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FranceConnectLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('tenant', fields.ForeignKeyField('models.Tenant', source_field='tenant_id', db_constraint=True, to_field='id', related_name='franceconnect_links', on_delete=OnDelete.RESTRICT)),
                ('account', fields.OneToOneField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='franceconnect_link', on_delete=OnDelete.CASCADE)),
                ('subject', fields.CharField(description="The ID token's sub claim", max_length=255)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'franceconnect_link', 'app': 'models', 'unique_together': (('tenant', 'subject'),), 'pk_attr': 'id', 'table_description': 'An account reachable through a FranceConnect identity: ``sub`` is the pseudonymous,'},
            bases=['Model'],
        ),
        StateOnlyAddField(
            model_name='Account',
            name='birth_city',
            field=fields.CharField(default='', description='Commune de naissance', max_length=100),
        ),
        ops.RunSQL(
            'ALTER TABLE "account" ADD COLUMN "birth_city" VARCHAR(100) NOT NULL DEFAULT \'\'',
            'ALTER TABLE "account" DROP COLUMN "birth_city"',
        ),
        StateOnlyAddField(
            model_name='Account',
            name='birth_country',
            field=fields.CharField(default='', description='Pays de naissance', max_length=100),
        ),
        ops.RunSQL(
            'ALTER TABLE "account" ADD COLUMN "birth_country" VARCHAR(100) NOT NULL DEFAULT \'\'',
            'ALTER TABLE "account" DROP COLUMN "birth_country"',
        ),
        ops.AddField(
            model_name='Account',
            name='birth_date',
            field=fields.DateField(null=True, description='Date de naissance (optional)'),
        ),
        StateOnlyAddField(
            model_name='Account',
            name='birth_department',
            field=fields.CharField(default='', description='Département de naissance', max_length=100),
        ),
        ops.RunSQL(
            'ALTER TABLE "account" ADD COLUMN "birth_department" VARCHAR(100) NOT NULL DEFAULT \'\'',
            'ALTER TABLE "account" DROP COLUMN "birth_department"',
        ),
        StateOnlyAddField(
            model_name='Account',
            name='birth_place_code',
            field=fields.CharField(default='', description='INSEE code of the birth place as FranceConnect gives it (commune, or country for people born abroad)', max_length=5),
        ),
        ops.RunSQL(
            'ALTER TABLE "account" ADD COLUMN "birth_place_code" VARCHAR(5) NOT NULL DEFAULT \'\'',
            'ALTER TABLE "account" DROP COLUMN "birth_place_code"',
        ),
        StateOnlyAddField(
            model_name='Account',
            name='preferred_contact',
            field=fields.CharEnumField(default=ContactChannel.EMAIL, description='EMAIL: email\nSMS: sms\nPHONE: phone\nPOST: post', enum_type=ContactChannel, max_length=8),
        ),
        ops.RunSQL(
            'ALTER TABLE "account" ADD COLUMN "preferred_contact" VARCHAR(8) NOT NULL DEFAULT \'email\'',
            'ALTER TABLE "account" DROP COLUMN "preferred_contact"',
        ),
        StateOnlyAlterField(
            model_name='AccountToken',
            name='purpose',
            field=fields.CharEnumField(description='ACTIVATION: activation\nPASSWORD_RESET: password_reset\nSESSION: session\nSTAFF_INVITATION: staff_invite\nEMAIL_CHANGE: email_change', enum_type=TokenPurpose, max_length=16),
        ),
        ops.AddField(
            model_name='AccountToken',
            name='new_email',
            field=fields.CharField(null=True, description='EMAIL_CHANGE: the address to confirm', max_length=254),
        ),
        StateOnlyAlterField(
            model_name='AccountToken',
            name='created_at',
            field=fields.DatetimeField(auto_now=False, auto_now_add=False),
        ),
    ]
