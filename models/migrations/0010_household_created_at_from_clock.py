from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class StateOnlyAlterField(ops.AlterField):
    """An AlterField of the model state only. Household.created_at loses auto_now_add (the
    app's Clock stamps it now): the column itself (timestamp, not null, no default) is the
    same on PostgreSQL and SQLite, and SQLite's generic AlterField would rebuild the table,
    dropping its unique (tenant, reference) constraint and, foreign keys on, cascading the
    DROP TABLE to guardians and children."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0009_json_versions')]

    initial = False

    operations = [
        StateOnlyAlterField(
            model_name='Household',
            name='created_at',
            field=fields.DatetimeField(auto_now=False, auto_now_add=False),
        ),
    ]
