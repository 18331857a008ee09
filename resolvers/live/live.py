"""Live events: what changed in a household's calendar or requests, for phones to refetch.

An event is a hint, not data: it names what changed (child, activity, days, request) so the
client refetches the calendar or the request, which stay the source of truth.

Where events are published, and why there: a resolver records them with ``record`` in the
transaction that makes the change, as one row of the transactional outbox
(``LIVE_EVENTS_FUNCTION``). The row exists only if the change committed, so a rolled-back
mutation publishes nothing, and it does not depend on who made the change: an API process,
another one, or the worker all write the same row. The outbox relay (jobs/outbox.py), which
runs right after each mutation in the API and every 20 s in the worker, publishes the row on
Redis pub/sub itself rather than handing it to arq: one PUBLISH, without waiting behind the
mails in the worker's queue. A Redis outage delays the events, like the mails, until the
relay gets through. A post-commit hook in memory was the other option; it would lose the
events of a process that dies between the commit and the publish, and Tortoise has no such
hook, so every transaction would have needed a wrapper of ours.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from models.requests import Request, RequestStatus
from resolvers.core.clock import Clock
from resolvers.core.outbox import record_job

LIVE_EVENTS_FUNCTION = "publish_live_events"


class Topic(StrEnum):
    """What a subscriber follows for one household."""

    CALENDAR = "calendar"
    REQUESTS = "requests"


class CalendarChangeKind(StrEnum):
    """Why days of a child's calendar changed."""

    BOOKINGS_CHANGED = "bookings_changed"  # booked, cancelled or put on the waiting list
    WAITING_LIST_PROMOTED = "waiting_list_promoted"  # a freed place went to this child
    ABSENCE_REPORTED = "absence_reported"
    ABSENCE_DECIDED = "absence_decided"  # staff justified (or not) the reported days


class RequestChangeKind(StrEnum):
    """What happened to a household's request."""

    CREATED = "created"
    STATUS_CHANGED = "status_changed"  # a new step in its history


@dataclass(frozen=True)
class LiveEvent:
    """One change of one household; serialised as JSON on the Redis channel."""

    topic: Topic
    kind: str
    household_id: int
    child_id: int | None = None
    activity_id: int | None = None
    dates: tuple[date, ...] = ()
    request_id: int | None = None
    status: RequestStatus | None = None
    by_staff: bool = False

    def to_json(self) -> dict[str, Any]:
        """Built by hand: ``dataclasses.asdict`` deep-copies every date of ``dates`` first
        (about 3 ms for the events of a 180-day submit). For orjson, which writes the
        dates as ISO days in C (``isoformat`` is a slow Python call per day)."""
        return {
            "topic": self.topic.value,
            "kind": self.kind,
            "household_id": self.household_id,
            "child_id": self.child_id,
            "activity_id": self.activity_id,
            "dates": list(self.dates),
            "request_id": self.request_id,
            "status": self.status.value if self.status is not None else None,
            "by_staff": self.by_staff,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LiveEvent":
        return cls(
            topic=Topic(data["topic"]),
            kind=data["kind"],
            household_id=int(data["household_id"]),
            child_id=data.get("child_id"),
            activity_id=data.get("activity_id"),
            dates=tuple(date.fromisoformat(day) for day in data.get("dates", ())),
            request_id=data.get("request_id"),
            status=RequestStatus(data["status"]) if data.get("status") else None,
            by_staff=bool(data.get("by_staff", False)),
        )


@dataclass
class CalendarChanges:
    """Days changed in one transaction, grouped into one event per child and activity."""

    kind: CalendarChangeKind
    by_staff: bool = False
    request_id: int | None = None
    days: dict[tuple[int, int], set[date]] = field(default_factory=lambda: defaultdict(set))

    def add(self, child_id: int, activity_id: int, day: date) -> None:
        self.days[(child_id, activity_id)].add(day)

    def events(self, household_of: dict[int, int]) -> list[LiveEvent]:
        """``household_of`` maps each child to its household."""
        return [
            LiveEvent(
                topic=Topic.CALENDAR,
                kind=self.kind.value,
                household_id=household_of[child_id],
                child_id=child_id,
                activity_id=activity_id,
                dates=tuple(sorted(days)),
                request_id=self.request_id,
                by_staff=self.by_staff,
            )
            for (child_id, activity_id), days in sorted(self.days.items())
        ]


def request_event(request: Request, kind: RequestChangeKind, *, by_staff: bool) -> LiveEvent:
    """A request created, or moved to a new status."""
    return request_change(
        request.household_id, request.id, RequestStatus(request.status), kind, by_staff=by_staff
    )


def request_change(
    household_id: int,
    request_id: int,
    status: RequestStatus,
    kind: RequestChangeKind,
    *,
    by_staff: bool,
) -> LiveEvent:
    """``request_event`` for a caller that wrote the request without a model instance."""
    return LiveEvent(
        topic=Topic.REQUESTS,
        kind=kind.value,
        household_id=household_id,
        request_id=request_id,
        status=status,
        by_staff=by_staff,
    )


async def record(events: Iterable[LiveEvent], *, clock: Clock) -> None:
    """Write the events in the caller's transaction: published after commit, or never."""
    job = events_job(events)
    if job:
        await record_job(*job, clock=clock)


def events_job(events: Iterable[LiveEvent]) -> tuple[str, dict[str, Any]] | None:
    """The outbox job ``record`` writes (None without events), for a caller that records
    it with others in one statement (resolvers.core.outbox.record_jobs)."""
    payload = [event.to_json() for event in events]
    return (LIVE_EVENTS_FUNCTION, {"events": payload}) if payload else None
