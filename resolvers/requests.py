"""Requests (demandes) and their status history, shown to parents as 'dernières demandes'."""

from dataclasses import dataclass
from typing import Any

from models.accounts import Account
from models.households import Household
from models.requests import Request, RequestEvent, RequestKind, RequestStatus
from resolvers.clock import Clock


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
    return request


@dataclass
class Page:
    """One page of a keyset-paginated list, newest first."""

    items: list[Any]
    has_next_page: bool
    total_count: int


async def list_requests(household_id: int, *, first: int, after_id: int | None) -> Page:
    """The household's requests, newest first; ``after_id`` is the last id already shown."""
    query = Request.filter(household_id=household_id)
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(first + 1)
    return Page(items=rows[:first], has_next_page=len(rows) > first, total_count=total)
