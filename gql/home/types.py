"""GraphQL types of the family app's home screen: plain attributes only, so that the
mobile document (gql/mobile/home.graphql) is answered by the compiled path."""

from datetime import datetime

import strawberry

from gql.billing.types import Money
from gql.calendar.types import CalendarActivity, CalendarDay, CalendarSite
from gql.enums import RequestKind, RequestStatus
from gql.ids import encode_id
from models.requests import Request
from resolvers.home.home import ChildDay, ChildHome, HouseholdHome


@strawberry.type(description="A household as the home screen names it.")
class HomeHousehold:
    id: strawberry.ID = strawberry.field(description="Household id.")
    name: str = strawberry.field(description="Label such as « Famille Martin ».")


@strawberry.type(
    description="One activity of a child on one of the days the home screen shows: the "
    "calendar's day, as `calendar` answers it."
)
class HomeDay:
    activity: CalendarActivity = strawberry.field(description="Which activity.")
    site: CalendarSite = strawberry.field(description="Where.")
    day: CalendarDay = strawberry.field(
        description="The day: its date, whether it is booked (`status`), until when it can "
        "change and why, in French."
    )

    @classmethod
    def of(cls, item: ChildDay[CalendarDay]) -> "HomeDay":
        return cls(
            activity=CalendarActivity.of(item.enrollment),
            site=CalendarSite.of(item.enrollment),
            day=item.day,
        )


@strawberry.type(description="A child of the household with their next days.")
class HomeChild:
    id: strawberry.ID = strawberry.field(description="Child id.")
    first_names: str = strawberry.field(description="Prénom(s).")
    next_days: list[HomeDay] = strawberry.field(
        description="Today and the next school days: the child's activities on the first 3 "
        "days, within two weeks from today (town time), on which one of them is open; by "
        "day, then activity as in the calendar. Closed days are left out; empty when "
        "nothing is open in those two weeks or the child has no enrolment."
    )

    @classmethod
    def of(cls, child: ChildHome[CalendarDay]) -> "HomeChild":
        return cls(
            id=strawberry.ID(encode_id("Child", child.child_id)),
            first_names=child.first_names,
            next_days=[HomeDay.of(item) for item in child.days],
        )


@strawberry.type(description="A request (demande) as the home screen lists it.")
class HomeRequest:
    id: strawberry.ID = strawberry.field(description="Request id (`node(id)` gives it all).")
    kind: RequestKind = strawberry.field(description="What it asks for.")
    status: RequestStatus = strawberry.field(description="Where it stands now.")
    summary: str = strawberry.field(description="One line in French for the list.")
    updated_at: datetime = strawberry.field(description="Last status change (UTC).")

    @classmethod
    def of(cls, row: Request) -> "HomeRequest":
        return cls(
            id=strawberry.ID(encode_id("Request", row.id)),
            kind=row.kind,
            status=row.status,
            summary=row.summary,
            updated_at=row.updated_at,
        )


@strawberry.type(
    description="What a parent opens the app to see: the children's next days, what is "
    "left to pay, the messages to read, the latest requests."
)
class Home:
    household: HomeHousehold = strawberry.field(description="The household.")
    children: list[HomeChild] = strawberry.field(
        description="Children, eldest first (those who left the file are not shown)."
    )
    unpaid_invoice_count: int = strawberry.field(
        description="« Vous avez N facture(s) non réglée(s) »: invoices with something "
        "still to pay, as `unpaidInvoiceCount` counts them."
    )
    amount_due: Money = strawberry.field(
        description="What those invoices still owe together (each invoice's `amountDue`)."
    )
    unread_message_count: int = strawberry.field(
        description="« Échanges à lire »: the other side's messages the caller has not "
        "read, as `unreadMessageCount` counts them."
    )
    latest_requests: list[HomeRequest] = strawberry.field(
        description="The 3 latest requests (« dernières demandes »), newest first."
    )
    request_count: int = strawberry.field(
        description="How many requests the household has made in all."
    )

    @classmethod
    def of(cls, home: HouseholdHome[CalendarDay]) -> "Home":
        return cls(
            household=HomeHousehold(
                id=strawberry.ID(encode_id("Household", home.household_id)),
                name=home.household_name,
            ),
            children=[HomeChild.of(child) for child in home.children],
            unpaid_invoice_count=home.unpaid.count,
            amount_due=Money.of(home.unpaid.due_cents),
            unread_message_count=home.unread_messages,
            latest_requests=[HomeRequest.of(row) for row in home.requests.items],
            request_count=home.requests.total_count,
        )
