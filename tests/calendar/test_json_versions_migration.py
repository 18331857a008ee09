"""Migration 0009 stamps the grouped replay copies and queued confirmations written before
versions existed, so their readers take them for what they are (version 2), not version 1."""

import importlib
from types import SimpleNamespace
from typing import Any

from tortoise import connections

from models.accounts import AccountRole
from models.outbox import OutboxJob
from models.requests import Request, RequestKind, RequestStatus
from resolvers.core.clock import FrozenClock
from tests.conftest import Backend
from tests.factories import make_account, make_household, make_town

migration = importlib.import_module("models.migrations.0009_json_versions")

GROUPED = {"groups": [{"child": 1, "activity": 2, "days": ["2026-12-07"]}]}
BY_DAY = {"lines": [{"child": 1, "activity": 2, "day": "2026-12-07"}]}


def confirmation(lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {"to": "a@exemple.fr", "template": "booking_confirmation", "context": {"lines": lines}}


async def test_grouped_rows_without_a_version_become_version_2(
    backend: Backend, clock: FrozenClock
) -> None:
    # given rows stored before versions: grouped and per-day shapes, mails sent and not
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    household = await make_household(staff, clock)

    async def request(payload: dict[str, Any]) -> Request:
        return await Request.create(
            tenant=town,
            household=household,
            kind=RequestKind.BOOKING_CHANGE,
            status=RequestStatus.COMPLETED,
            summary="x",
            payload=payload,
            created_at=clock.now(),
            updated_at=clock.now(),
        )

    grouped, by_day = await request(GROUPED), await request(BY_DAY)
    stamped = await request({**GROUPED, "version": 2})

    async def mail(lines: list[dict[str, Any]], **fields: Any) -> OutboxJob:
        return await OutboxJob.create(
            function="send_mail", kwargs=confirmation(lines), created_at=clock.now(), **fields
        )

    queued = await mail([{"child": "Léa", "days": ["2026-12-07"]}])
    queued_by_day = await mail([{"child": "Léa", "day": "lundi 7 décembre"}])
    sent = await mail([{"child": "Léa", "days": ["2026-12-07"]}], completed_at=clock.now())

    # when the migration runs (twice: it must be safe to run again)
    editor = SimpleNamespace(client=connections.get("default"))
    await migration.stamp_versions(None, editor)
    await migration.stamp_versions(None, editor)

    # then only the grouped, unversioned rows still to be read carry version 2
    assert (await Request.get(id=grouped.id)).payload == {**GROUPED, "version": 2}
    assert (await Request.get(id=by_day.id)).payload == BY_DAY
    assert (await Request.get(id=stamped.id)).payload == {**GROUPED, "version": 2}
    assert (await OutboxJob.get(id=queued.id)).kwargs["context"]["version"] == 2
    assert "version" not in (await OutboxJob.get(id=queued_by_day.id)).kwargs["context"]
    assert "version" not in (await OutboxJob.get(id=sent.id)).kwargs["context"]

    # (these mails are not real: later tests run the worker over every pending row. Marked
    # done rather than deleted: SQLite would hand their ids to later rows, whose arq job ids
    # would then meet these jobs' results.)
    await OutboxJob.filter(id__in=[queued.id, queued_by_day.id]).update(completed_at=clock.now())
