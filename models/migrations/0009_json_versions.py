"""Stamps a ``version`` on stored JSON that code reads back, written before versions existed.

Requests' replay copies and queued booking confirmations written in the grouped shape
(``groups`` / lines with ``days``) become version 2; everything else stays without one,
which readers take as version 1, the shape it was written in.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGRES = [
    """UPDATE request SET payload = payload || '{"version": 2}'::jsonb
       WHERE payload ? 'groups' AND NOT payload ? 'version'""",
    """UPDATE outbox_job
       SET kwargs = jsonb_set(kwargs, '{context,version}', '2'::jsonb)
       WHERE function = 'send_mail' AND completed_at IS NULL
         AND kwargs->>'template' = 'booking_confirmation'
         AND NOT (kwargs->'context') ? 'version'
         AND (kwargs->'context'->'lines'->0) ? 'days'""",
]
SQLITE = [
    """UPDATE request SET payload = json_set(payload, '$.version', 2)
       WHERE json_type(payload, '$.groups') IS NOT NULL
         AND json_type(payload, '$.version') IS NULL""",
    """UPDATE outbox_job SET kwargs = json_set(kwargs, '$.context.version', 2)
       WHERE function = 'send_mail' AND completed_at IS NULL
         AND json_extract(kwargs, '$.template') = 'booking_confirmation'
         AND json_type(kwargs, '$.context.version') IS NULL
         AND json_type(kwargs, '$.context.lines[0].days') IS NOT NULL""",
]


async def stamp_versions(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    statements = SQLITE if client.capabilities.dialect == "sqlite" else POSTGRES
    for statement in statements:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('models', '0008_enrollment_slot_index')]

    initial = False

    operations = [
        ops.RunPython(stamp_versions, ops.RunPython.noop),
    ]
