"""What a subscriber receives: a small typed hint of what to refetch, never the data."""

from datetime import date

import strawberry

from gql.enums import RequestStatus
from gql.ids import encode_id
from resolvers.live.live import CalendarChangeKind, LiveEvent, RequestChangeKind

strawberry.enum(
    CalendarChangeKind,
    description="BOOKINGS_CHANGED (days booked, cancelled or put on the waiting list, by the "
    "family or by staff), WAITING_LIST_PROMOTED (a freed place went to the child), "
    "ABSENCE_REPORTED, ABSENCE_DECIDED (staff justified the reported days, or not).",
)
strawberry.enum(
    RequestChangeKind,
    description="CREATED (a new request), STATUS_CHANGED (a new step in its history).",
)


def _id(type_name: str, pk: int | None) -> strawberry.ID | None:
    return strawberry.ID(encode_id(type_name, pk)) if pk is not None else None


@strawberry.type(
    description="Days of a child's calendar changed: refetch `calendar` over `from`…`to` "
    "(the calendar stays the source of truth)."
)
class CalendarChange:
    kind: CalendarChangeKind = strawberry.field(description="Why the days changed.")
    household_id: strawberry.ID = strawberry.field(description="The household followed.")
    child_id: strawberry.ID = strawberry.field(description="The child whose days changed.")
    activity_id: strawberry.ID = strawberry.field(description="The activity concerned.")
    dates: list[date] = strawberry.field(description="The days that changed, in order.")
    start: date = strawberry.field(name="from", description="First day that changed.")
    end: date = strawberry.field(name="to", description="Last day that changed.")
    request_id: strawberry.ID | None = strawberry.field(
        description="The request that made the change, when there is one (not for a "
        "waiting-list promotion, which is the consequence of another family's change)."
    )
    by_staff: bool = strawberry.field(description="True when a town agent made the change.")

    @classmethod
    def from_event(cls, event: LiveEvent) -> "CalendarChange":
        assert event.child_id is not None and event.activity_id is not None and event.dates
        return cls(
            kind=CalendarChangeKind(event.kind),
            household_id=strawberry.ID(encode_id("Household", event.household_id)),
            child_id=strawberry.ID(encode_id("Child", event.child_id)),
            activity_id=strawberry.ID(encode_id("Activity", event.activity_id)),
            dates=list(event.dates),
            start=event.dates[0],
            end=event.dates[-1],
            request_id=_id("Request", event.request_id),
            by_staff=event.by_staff,
        )


@strawberry.type(
    description="A request of the household was created or moved on: refetch it "
    "(`household.requests`) for its history."
)
class RequestChange:
    kind: RequestChangeKind = strawberry.field(description="What happened.")
    household_id: strawberry.ID = strawberry.field(description="The household followed.")
    request_id: strawberry.ID = strawberry.field(description="The request concerned.")
    status: RequestStatus = strawberry.field(description="Its status now.")
    by_staff: bool = strawberry.field(description="True when a town agent made the change.")

    @classmethod
    def from_event(cls, event: LiveEvent) -> "RequestChange":
        assert event.request_id is not None and event.status is not None
        return cls(
            kind=RequestChangeKind(event.kind),
            household_id=strawberry.ID(encode_id("Household", event.household_id)),
            request_id=strawberry.ID(encode_id("Request", event.request_id)),
            status=event.status,
            by_staff=event.by_staff,
        )
