"""Requests (demandes) and their status history, shown to parents as 'dernières demandes'.

A request is opened here (``open_request``) and moves on here (``change_status``): every
domain that records or decides one goes through these, so its row, its history and its
live event are written the same way whoever decides it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.functions import Count

from models.accounts import Account
from models.households import Household
from models.requests import Request, RequestEvent, RequestKind, RequestStatus
from resolvers.core.clock import Clock
from resolvers.core.roles import is_staff
from resolvers.core.sql import Params, fetch
from resolvers.live import live

# The comment of the COMPLETED step of a request processed on submission, unless the caller
# says what was done.
PROCESSED_AT_ONCE = "Traitée automatiquement"


async def open_request(
    household: Household,
    kind: RequestKind,
    summary: str,
    *,
    actor: Account,
    clock: Clock,
    status: RequestStatus = RequestStatus.SUBMITTED,
    payload: dict[str, Any] | None = None,
    comment: str = "",
    done: str = PROCESSED_AT_ONCE,
    at: datetime | None = None,
    by_staff: bool | None = None,
) -> Request:
    """A family's request is opened: its row, the history it starts with, and the live event
    that tells the family's phones and the staff's inbox it exists.

    Every domain that records a request goes through here (or through ``create_request`` then
    ``record_opening``), so that one place decides what a new request looks like in
    « dernières demandes » and in the inbox. The booking submit writes the same rows in its
    own SQL statement (resolvers/calendar/bookings.py, the opening-day surge path).
    """
    request = await create_request(
        household,
        kind,
        summary,
        actor=actor,
        status=status,
        payload=payload,
        at=at or clock.now(),
    )
    await record_opening(
        request, actor=actor, clock=clock, comment=comment, done=done, by_staff=by_staff
    )
    return request


async def create_request(
    household: Household,
    kind: RequestKind,
    summary: str,
    *,
    actor: Account,
    status: RequestStatus,
    at: datetime,
    payload: dict[str, Any] | None = None,
) -> Request:
    """The request's row alone, for a caller whose own rows must point at the request before
    its history and live event are written (``record_opening``, in the same transaction).

    ``status`` is where the request starts: ``SUBMITTED`` for staff to decide, ``COMPLETED``
    when it was processed on submission, ``IN_REVIEW`` when part of it already waits for an
    agent (an absence reported late). The summary is cut to the column's 300 characters.
    """
    return await Request.create(
        tenant_id=household.tenant_id,
        household=household,
        submitted_by=actor,
        kind=kind,
        status=status,
        summary=summary[:300],
        payload=payload or {},
        created_at=at,
        updated_at=at,
    )


async def record_opening(
    request: Request,
    *,
    actor: Account,
    clock: Clock,
    comment: str = "",
    done: str = PROCESSED_AT_ONCE,
    by_staff: bool | None = None,
    with_events: Sequence[live.LiveEvent] = (),
) -> None:
    """The history a new request starts with and the live event of its creation.

    History: a ``SUBMITTED`` step (with the family's words, ``comment``), then a
    ``COMPLETED`` step (``done``) if the request was processed on submission, both at the
    request's creation time, in one statement. The live event says whether staff opened it
    (``by_staff``: by default, whether the actor is an agent); ``with_events`` are the
    caller's other live events of the same change, recorded before it in the same outbox row.
    """
    at = request.created_at
    events = [
        RequestEvent(
            request=request,
            status=RequestStatus.SUBMITTED,
            actor=actor,
            comment=comment,
            created_at=at,
        )
    ]
    if request.status == RequestStatus.COMPLETED:
        events.append(
            RequestEvent(
                request=request,
                status=RequestStatus.COMPLETED,
                actor=actor,
                comment=done,
                created_at=at,
            )
        )
    await RequestEvent.bulk_create(events)
    staff = is_staff(actor) if by_staff is None else by_staff
    await live.record(
        [*with_events, live.request_event(request, live.RequestChangeKind.CREATED, by_staff=staff)],
        clock=clock,
    )


async def change_status(
    request: Request,
    status: RequestStatus,
    *,
    actor: Account,
    comment: str,
    clock: Clock,
    at: datetime | None = None,
    with_events: Sequence[live.LiveEvent] = (),
    publish: bool = True,
) -> None:
    """A request moves to ``status``: its row, the step of its history, and the live event
    that tells the family's phones (``by_staff``: whether the actor is an agent).

    The caller has checked the move is allowed and does its own work around it (its
    decision's rows, audit, mails) in the same transaction. ``at`` is the time the caller
    already stamped its own rows with (default: now); ``with_events`` are the caller's other
    live events of the same change, recorded before it in the same outbox row. ``publish``
    is False only for a request closed in the same transaction as its household's new
    request is opened: that opening's event already makes the phones refetch the
    household's requests, the closed one included.
    """
    at = at or clock.now()
    request.status = status
    request.updated_at = at
    await request.save(update_fields=["status", "updated_at"])
    await RequestEvent.create(
        request=request, status=status, actor=actor, comment=comment, created_at=at
    )
    if publish:
        event = live.request_event(
            request, live.RequestChangeKind.STATUS_CHANGED, by_staff=is_staff(actor)
        )
        await live.record([*with_events, event], clock=clock)


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
