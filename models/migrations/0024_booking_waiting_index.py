"""The waiting rows of ``booking`` indexed apart (``Booking.Meta``: ``booking_waiting``):
a submit asks, for each day it cancels, whether anybody waits for it, one probe a day in
an index of the waiting rows alone rather than in the one of every booking.

Built with ``CREATE INDEX CONCURRENTLY`` on PostgreSQL, so that bookings go on while it
builds (docs/upgrades.md, no long locks): outside a transaction, hence ``atomic = False``;
SQLite has no ``CONCURRENTLY`` and one writer: the plain statements there. A concurrent
build that failed leaves an invalid index of that name behind: dropped first, so that a
second run of the migration builds it again rather than keep it.
"""

from typing import Any

from tortoise import migrations
from tortoise.indexes import PartialIndex
from tortoise.migrations import operations as ops

INDEX = PartialIndex(
    fields=("activity_id", "site_id", "day"),
    name="booking_waiting",
    condition={"status": "waiting"},
)
DROP = 'DROP INDEX {concurrently}IF EXISTS "booking_waiting"'
CREATE = (
    'CREATE INDEX {concurrently}"booking_waiting" '
    "ON \"booking\" (\"activity_id\", \"site_id\", \"day\") WHERE status = 'waiting'"
)


class StateOnlyAddIndex(ops.AddIndex):
    """The model state gains the index; ``create_index`` builds it."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


async def create_index(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    concurrently = "" if client.capabilities.dialect == "sqlite" else "CONCURRENTLY "
    await client.execute_script(DROP.format(concurrently=concurrently))
    await client.execute_script(CREATE.format(concurrently=concurrently))


async def drop_index(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_script(DROP.format(concurrently=""))


class Migration(migrations.Migration):
    dependencies = [('models', '0023_franceconnect')]

    initial = False
    atomic = False

    operations = [
        StateOnlyAddIndex(model_name='Booking', index=INDEX),
        ops.RunPython(create_index, drop_index, atomic=False),
    ]
