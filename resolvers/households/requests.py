"""Requests (demandes) and their status history, shown to parents as 'dernières demandes'."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.functions import Count

from models.accounts import Account, AccountRole
from models.households import Household
from models.requests import Request, RequestEvent, RequestKind, RequestStatus
from resolvers.core.clock import Clock
from resolvers.core.sql import Params, fetch
from resolvers.live import live


async def record_completed_request(
    household: Household,
    kind: RequestKind,
    summary: str,
    *,
    actor: Account,
    clock: Clock,
    payload: dict[str, Any] | None = None,
    comment: str = "Traitée automatiquement",
) -> Request:
    """A request processed on submission: history 'submitted' then 'completed'."""
    now = clock.now()
    request = await Request.create(
        tenant_id=household.tenant_id,
        household=household,
        submitted_by=actor,
        kind=kind,
        status=RequestStatus.COMPLETED,
        summary=summary[:300],
        payload=payload or {},
        created_at=now,
        updated_at=now,
    )
    await RequestEvent.bulk_create(
        [
            RequestEvent(
                request=request, status=RequestStatus.SUBMITTED, actor=actor, created_at=now
            ),
            RequestEvent(
                request=request,
                status=RequestStatus.COMPLETED,
                actor=actor,
                comment=comment,
                created_at=now,
            ),
        ]
    )
    await live.record(
        [
            live.request_event(
                request,
                live.RequestChangeKind.CREATED,
                by_staff=actor.role != AccountRole.PARENT,
            )
        ],
        clock=clock,
    )
    return request


@dataclass
class Page:
    """One page of a keyset-paginated list, newest first."""

    items: list[Request]
    has_next_page: bool
    total_count: int


async def request_pages(
    household_ids: Sequence[int], *, first: int, after_id: int | None
) -> dict[int, Page]:
    """The same page of requests for several households in three statements, not two each.

    ``after_id`` is the last id already shown.
    """
    ids = list(household_ids)
    counts = dict(
        await Request.filter(household_id__in=ids)
        .group_by("household_id")
        .annotate(total=Count("id"))
        .values_list("household_id", "total")
    )
    params = Params()
    in_households = params.many(ids)
    cursor = f"AND id < {params(after_id)}" if after_id is not None else ""
    ranked = await fetch(
        f"""SELECT id FROM (
              SELECT id, ROW_NUMBER() OVER (PARTITION BY household_id ORDER BY id DESC) AS rank
              FROM request WHERE household_id IN ({in_households}) {cursor}
            ) ranked WHERE rank <= {params(first + 1)}""",
        params,
    )
    grouped: dict[int, list[Request]] = {household_id: [] for household_id in ids}
    rows = await Request.filter(id__in=[row["id"] for row in ranked]).order_by("-id")
    for row in rows:
        grouped[row.household_id].append(row)
    return {
        household_id: Page(
            items=items[:first],
            has_next_page=len(items) > first,
            total_count=counts.get(household_id, 0),
        )
        for household_id, items in grouped.items()
    }
