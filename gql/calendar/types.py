"""GraphQL types of the catalogue, enrolments, the calendar and booking changes.

Calendar days are ``CalendarDay`` objects built once per distinct day and process and
shared by every answer showing them (``gql.execution.Shared``): the mobile apps fetch
hundreds per request, and the executor completes each once per selection, then looks it up.
"""

import asyncio
import datetime as dt
from datetime import date

import strawberry

from gql.billing.types import Money
from gql.enums import (
    ActivityKind,
    BookingAction,
    DayReason,
    DayStatus,
    DeadlineRule,
    EnrollmentStatus,
    HolidayPolicy,
    LineOutcome,
    SiteKind,
)
from gql.errors import CalendarError
from gql.execution import Shared
from gql.ids import encode_id
from gql.node import Node
from models import catalogue as m
from models.bookings import Enrollment as EnrollmentModel
from resolvers.billing.billing import HouseholdPrices, household_prices
from resolvers.calendar.booking_rules import DayView, Deadline
from resolvers.calendar.bookings import ChangeResult
from resolvers.calendar.calendar import CalendarLine as CalendarLineRow
from resolvers.calendar.calendar import EnrollmentRow
from resolvers.calendar.costs import ChangeCost, change_cost


@strawberry.type(description="A school, restaurant or leisure centre.")
class Site(Node):
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    name: str = strawberry.field(description="Name shown to families.")
    kind: SiteKind = strawberry.field(description="What kind of place.")
    address: str = strawberry.field(description="Postal address.")

    @classmethod
    def from_model(cls, row: m.Site) -> "Site":
        return cls(
            id=strawberry.ID(encode_id("Site", row.id)),
            name=row.name,
            kind=row.kind,
            address=row.address,
        )


@strawberry.type(description="A deadline rule, with its French wording.")
class DeadlineInfo:
    rule: DeadlineRule = strawberry.field(description="How the deadline is computed.")
    value: int = strawberry.field(description="N days, or the weekday (0 = Monday).")
    cutoff: str = strawberry.field(description="Town time of day, « 23:59 ».")
    description: str = strawberry.field(description="The rule in French.")

    @classmethod
    def of(cls, deadline: Deadline) -> "DeadlineInfo":
        cutoff = f"{deadline.cutoff_minutes // 60:02d}:{deadline.cutoff_minutes % 60:02d}"
        hour = cutoff.replace(":", "h")
        if deadline.rule == DeadlineRule.DAYS_BEFORE:
            text = f"{deadline.value} jours avant, à {hour}"
        elif deadline.rule == DeadlineRule.WORKING_DAYS_BEFORE:
            text = f"{deadline.value} jours ouvrés avant, à {hour}"
        else:
            from resolvers.core.french import WEEKDAYS

            text = f"le {WEEKDAYS[deadline.value]} de la semaine précédente, à {hour}"
        return cls(rule=deadline.rule, value=deadline.value, cutoff=cutoff, description=text)


@strawberry.type(description="A bookable activity (prestation) and its rules.")
class Activity(Node):
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    code: str = strawberry.field(description="The town's code, e.g. RS-REPAS.")
    name: str = strawberry.field(description="Name shown to families.")
    kind: ActivityKind = strawberry.field(description="Family of service.")
    holiday_policy: HolidayPolicy = strawberry.field(description="School holidays behaviour.")
    enrollment_required: bool = strawberry.field(
        description="Whether staff must accept an enrolment before booking."
    )
    booking_deadline: DeadlineInfo = strawberry.field(description="Last moment to book a day.")
    cancellation_deadline: DeadlineInfo = strawberry.field(
        description="Last moment to cancel a booked day."
    )
    booking_opens_days_ahead: int | None = strawberry.field(
        description="Booking opens this many days before the day; null = as soon as enrolled."
    )

    @classmethod
    def from_model(cls, row: m.Activity) -> "Activity":
        return cls(
            id=strawberry.ID(encode_id("Activity", row.id)),
            code=row.code,
            name=row.name,
            kind=row.kind,
            holiday_policy=row.holiday_policy,
            enrollment_required=row.enrollment_required,
            booking_deadline=DeadlineInfo.of(
                Deadline(row.booking_rule, row.booking_value, row.booking_cutoff_minutes)
            ),
            cancellation_deadline=DeadlineInfo.of(
                Deadline(
                    row.cancellation_rule, row.cancellation_value, row.cancellation_cutoff_minutes
                )
            ),
            booking_opens_days_ahead=row.booking_opens_days_ahead,
        )


@strawberry.type(description="A reservation period, usually the school year.")
class Period:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    name: str = strawberry.field(description="« Année scolaire 2026-2027 ».")
    starts_on: date = strawberry.field(description="First day.")
    ends_on: date = strawberry.field(description="Last day.")

    @classmethod
    def from_model(cls, row: m.Period) -> "Period":
        return cls(
            id=strawberry.ID(encode_id("Period", row.id)),
            name=row.name,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
        )


@strawberry.type(description="A child's enrolment in an activity at a site for a period.")
class Enrollment:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    child_id: strawberry.ID = strawberry.field(description="The child's id.")
    child_first_names: str = strawberry.field(description="The child's first names.")
    activity: Activity = strawberry.field(description="The activity.")
    site: Site = strawberry.field(description="Where.")
    period: Period = strawberry.field(description="When.")
    status: EnrollmentStatus = strawberry.field(description="Where it stands.")
    comment: str = strawberry.field(description="Staff comment on the decision.")

    @classmethod
    def from_model(cls, row: EnrollmentModel) -> "Enrollment":
        """``row`` comes with its child, activity, site and period loaded."""
        return cls(
            id=strawberry.ID(encode_id("Enrollment", row.id)),
            child_id=strawberry.ID(encode_id("Child", row.child_id)),
            child_first_names=row.child.first_names,
            activity=Activity.from_model(row.activity),
            site=Site.from_model(row.site),
            period=Period.from_model(row.period),
            status=row.status,
            comment=row.comment,
        )


@strawberry.type(description="A child as the calendar names it.")
class CalendarChild:
    id: strawberry.ID = strawberry.field(description="Child id.")
    first_names: str = strawberry.field(description="Prénom(s).")


@strawberry.type(description="An activity as the calendar names it.")
class CalendarActivity:
    id: strawberry.ID = strawberry.field(description="Activity id.")
    code: str = strawberry.field(description="The town's code.")
    name: str = strawberry.field(description="Name shown to families.")

    @classmethod
    def of(cls, row: EnrollmentRow) -> "CalendarActivity":
        return cls(
            id=strawberry.ID(encode_id("Activity", row.activity_id)),
            code=row.activity_code,
            name=row.activity_name,
        )


@strawberry.type(description="A site as the calendar names it.")
class CalendarSite:
    id: strawberry.ID = strawberry.field(description="Site id.")
    name: str = strawberry.field(description="Name shown to families.")

    @classmethod
    def of(cls, row: EnrollmentRow) -> "CalendarSite":
        return cls(id=strawberry.ID(encode_id("Site", row.site_id)), name=row.site_name)


@strawberry.type(
    description="One day of one activity for one child: its state, until when it can "
    "change, and why (or why not) in French. Built once per distinct day and shared by "
    "the answers showing it: never changed once built."
)
class CalendarDay(Shared):
    date: dt.date = strawberry.field(description="The day.")
    status: DayStatus = strawberry.field(description="What the family sees on that day.")
    can_change: bool = strawberry.field(
        description="Whether the family can book or cancel it now (staff: see `reason`)."
    )
    changeable_until: dt.datetime | None = strawberry.field(
        description="The last moment it can change (UTC), past or not; null for a closed "
        "day or an enrolment that does not allow booking."
    )
    reason: DayReason = strawberry.field(
        description="Why it can or cannot change: a stable code to branch on."
    )
    message: str = strawberry.field(
        description="The reason in French: « Modifiable jusqu'au lundi 23 novembre 2026 à "
        "23h59 », « Délai de 7 jours dépassé », « Fermé : vacances de Noël », « Complet… »."
    )


class CalendarPrices:
    """The household's prices of a calendar's activities, loaded once for all its lines by
    the first that asks (the others await the same load)."""

    def __init__(self, household_id: int, activity_ids: list[int]) -> None:
        self.household_id, self.activity_ids = household_id, activity_ids
        self._loading: asyncio.Future[HouseholdPrices] | None = None

    async def get(self) -> HouseholdPrices:
        if self._loading is None:
            self._loading = asyncio.ensure_future(
                household_prices(self.household_id, self.activity_ids)
            )
        return await self._loading


# Days without a price to show: nothing can be booked there.
_UNPRICED = frozenset({DayStatus.CLOSED, DayStatus.NOT_ENROLLED})


@strawberry.type(description="The days of one child in one activity.")
class CalendarLine:
    enrollment_id: strawberry.ID = strawberry.field(description="The enrolment behind them.")
    child: CalendarChild = strawberry.field(description="Whose days.")
    activity: CalendarActivity = strawberry.field(description="Which activity.")
    site: CalendarSite = strawberry.field(description="Where.")
    days: list[CalendarDay] = strawberry.field(
        description="Every day of the range inside the enrolment's period, in order."
    )
    activity_pk: strawberry.Private[int] = 0
    pricing: strawberry.Private[CalendarPrices | None] = None

    @strawberry.field(
        description="The household's price of each day, in the order of `days`: its family "
        "quotient's bracket while valid, resident or not at the activity's régie, the tariff "
        "in force that day, as the invoice run bills a booked day. Null for a closed day, a "
        "day without enrolment, and where no tariff applies (or the activity is not "
        "invoiced). Computed only when asked: one SQL statement for the whole calendar."
    )
    async def prices(self) -> list[Money | None]:
        if self.pricing is None:
            return [None] * len(self.days)
        prices = await self.pricing.get()
        shown: list[Money | None] = []
        for day in self.days:
            cents = (
                None if day.status in _UNPRICED else prices.day_price(self.activity_pk, day.date)
            )
            shown.append(None if cents is None else Money.of(cents))
        return shown

    @classmethod
    def from_row(
        cls, line: CalendarLineRow[CalendarDay], pricing: CalendarPrices | None = None
    ) -> "CalendarLine":
        row = line.enrollment
        return cls(
            enrollment_id=strawberry.ID(encode_id("Enrollment", row.enrollment_id)),
            child=CalendarChild(
                id=strawberry.ID(encode_id("Child", row.child_id)),
                first_names=row.child_first_names,
            ),
            activity=CalendarActivity.of(row),
            site=CalendarSite.of(row),
            days=line.days,
            activity_pk=row.activity_id,
            pricing=pricing,
        )


def calendar_day(view: DayView) -> CalendarDay:
    """A day as the API shows it (the calendar builds each distinct one once)."""
    return CalendarDay(
        date=view.day,
        status=view.status,
        can_change=view.can_change,
        changeable_until=view.changeable_until,
        reason=view.reason,
        message=view.message,
    )


@strawberry.type(description="What one line of a change set did, or would do.")
class BookingLineResult:
    child: CalendarChild = strawberry.field(description="Whose day.")
    activity_id: strawberry.ID = strawberry.field(description="Which activity.")
    activity_name: str = strawberry.field(description="Its name.")
    date: dt.date = strawberry.field(description="The day.")
    action: BookingAction = strawberry.field(description="What was asked.")
    outcome: LineOutcome = strawberry.field(description="What happened.")
    accepted: bool = strawberry.field(description="False when the line was refused.")
    reason: str = strawberry.field(
        description="Stable code: a DayReason, NOT_ENROLLED, ALREADY_BOOKED or NOT_BOOKED."
    )
    message: str = strawberry.field(description="The outcome in French.")


@strawberry.type(description="One child's share of what a change set costs.")
class ChildChangeCost:
    child: CalendarChild = strawberry.field(description="Whose days.")
    booked_days: int = strawberry.field(description="Days booked, that a tariff prices.")
    cancelled_days: int = strawberry.field(
        description="Booked days cancelled in time, that a tariff prices."
    )
    unpriced_days: int = strawberry.field(
        description="Days booked or cancelled that no tariff prices (or of an activity not "
        "invoiced): not counted in `amount`."
    )
    amount: Money = strawberry.field(
        description="What they add to the invoices (negative: what they take off)."
    )
    label: str = strawberry.field(
        description="In French: « + 48,60 € pour 18 repas de Léa », « - 7,20 € pour 3 repas "
        "annulés de Léa », « + 41,40 € pour Léa : 18 repas réservés, 3 annulés »."
    )


@strawberry.type(
    description="What a change set adds to or takes from the household's invoices, at its "
    "price (its family quotient's bracket while valid, resident or not at each activity's "
    "régie, the tariff in force each day), as the monthly invoice run will bill it. Days on "
    "a waiting list cost nothing until a place comes."
)
class BookingChangesCost:
    children: list[ChildChangeCost] = strawberry.field(
        description="Each child whose days are booked or cancelled, in the lines' order."
    )
    total: Money = strawberry.field(description="The children's amounts together.")
    label: str = strawberry.field(
        description="In French: « Coût des changements : + 56,60 € », or « Ces changements "
        "ne modifient pas les factures »."
    )

    @classmethod
    def of(cls, cost: ChangeCost) -> "BookingChangesCost":
        return cls(
            children=[
                ChildChangeCost(
                    child=CalendarChild(
                        id=strawberry.ID(encode_id("Child", child.child_id)),
                        first_names=child.child_name,
                    ),
                    booked_days=child.booked_days,
                    cancelled_days=child.cancelled_days,
                    unpriced_days=child.unpriced_days,
                    amount=Money.of(child.cents),
                    label=child.label,
                )
                for child in cost.children
            ],
            total=Money.of(cost.cents),
            label=cost.label,
        )


@strawberry.type(description="Result of previewing or submitting booking changes.")
class BookingChangesPayload:
    lines: list[BookingLineResult] = strawberry.field(
        default_factory=list, description="Every resulting line, in date order."
    )
    summary: str = strawberry.field(default="", description="One French sentence.")
    skipped_closed_days: int = strawberry.field(
        default=0, description="Days of the recurrences skipped because closed (holidays…)."
    )
    request_id: strawberry.ID | None = strawberry.field(
        default=None, description="The request (demande) created by a submit; null in preview."
    )
    replayed: bool = strawberry.field(
        default=False,
        description="True when this idempotency key was already used: nothing was applied "
        "again, this is the first submit's result.",
    )
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why the whole change set was refused."
    )
    # What `cost` prices: the household and the lines (none for a refused change set).
    household_id: strawberry.Private[int | None] = None
    result: strawberry.Private[ChangeResult | None] = None

    @strawberry.field(
        description="What the change set adds to or takes from the household's invoices, "
        "per child and in total; null when it was refused. Computed only when asked (one "
        "SQL statement, none when no day is booked or cancelled)."
    )
    async def cost(self) -> BookingChangesCost | None:
        if self.household_id is None or self.result is None:
            return None
        return BookingChangesCost.of(await change_cost(self.household_id, self.result.lines))

    @classmethod
    def from_result(cls, result: ChangeResult, household_id: int) -> "BookingChangesPayload":
        """The answer to a change set. A long one names the same child and few activities
        on every line: each child's object and each activity's id are built once per
        answer and shared by its lines (half the cost of 180 lines)."""
        children: dict[tuple[int, str], CalendarChild] = {}
        activity_ids: dict[int, strawberry.ID] = {}
        lines = []
        for line in result.lines:
            child = children.get((line.child_id, line.child_name))
            if child is None:
                child = children[line.child_id, line.child_name] = CalendarChild(
                    id=strawberry.ID(encode_id("Child", line.child_id)),
                    first_names=line.child_name,
                )
            activity_id = activity_ids.get(line.activity_id)
            if activity_id is None:
                activity_id = activity_ids[line.activity_id] = strawberry.ID(
                    encode_id("Activity", line.activity_id)
                )
            lines.append(
                BookingLineResult(
                    child=child,
                    activity_id=activity_id,
                    activity_name=line.activity_name,
                    date=line.day,
                    action=line.action,
                    outcome=line.outcome,
                    accepted=line.accepted,
                    reason=line.reason,
                    message=line.message,
                )
            )
        return cls(
            lines=lines,
            summary=result.summary(),
            skipped_closed_days=result.skipped_closed_days,
            request_id=strawberry.ID(encode_id("Request", result.request_id))
            if result.request_id
            else None,
            replayed=result.replayed,
            household_id=household_id,
            result=result,
        )
