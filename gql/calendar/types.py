"""GraphQL types of the catalogue, enrolments, the calendar and booking changes.

Calendar days are CalendarDay scalars (fixed-key JSON objects) built from plain rows: the
mobile apps fetch hundreds of them per request, and a scalar costs one completion where an
object type costs one per field (about 30 ms instead of 9 for a year of four activities).
"""

import datetime as dt
from datetime import date
from typing import NewType

import strawberry

from gql.enums import (
    ActivityKind,
    BookingAction,
    DeadlineRule,
    EnrollmentStatus,
    HolidayPolicy,
    LineOutcome,
    SiteKind,
)
from gql.errors import CalendarError
from gql.ids import encode_id
from gql.node import Node
from models import catalogue as m
from models.bookings import Enrollment as EnrollmentModel
from resolvers.calendar.booking_rules import DayReason, DayStatus, DayView, Deadline
from resolvers.calendar.bookings import ChangeResult
from resolvers.calendar.calendar import CalendarLine as CalendarLineRow


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


@strawberry.type(description="A site as the calendar names it.")
class CalendarSite:
    id: strawberry.ID = strawberry.field(description="Site id.")
    name: str = strawberry.field(description="Name shown to families.")


# A scalar, not an object type: a school year is hundreds of days per request, and
# graphql-core costs a few microseconds per field of every object. Its keys are fixed.
CalendarDay = NewType("CalendarDay", dict)  # type: ignore[type-arg]
CALENDAR_DAY_SCALAR = strawberry.scalar(
    name="CalendarDay",
    description="One day of one activity, as a JSON object with always these keys: "
    "`date` (YYYY-MM-DD), `status` (a DayStatus name), `canChange` (Boolean: can it be "
    "booked or cancelled now), `changeableUntil` (last moment it can change, ISO 8601 UTC, "
    "or null for closed days), `reason` (a DayReason name) and `message` (the reason in "
    "French: « Modifiable jusqu'au lundi 23 novembre 2026 à 23h59 », « Délai de 7 jours "
    "dépassé », « Fermé : vacances de Noël », « Complet… »). Output only.",
)


@strawberry.type(description="The days of one child in one activity.")
class CalendarLine:
    enrollment_id: strawberry.ID = strawberry.field(description="The enrolment behind them.")
    child: CalendarChild = strawberry.field(description="Whose days.")
    activity: CalendarActivity = strawberry.field(description="Which activity.")
    site: CalendarSite = strawberry.field(description="Where.")
    days: list[CalendarDay] = strawberry.field(
        description="Every day of the range inside the enrolment's period, in order."
    )

    @classmethod
    def from_row(cls, line: CalendarLineRow[CalendarDay]) -> "CalendarLine":
        row = line.enrollment
        return cls(
            enrollment_id=strawberry.ID(encode_id("Enrollment", row.enrollment_id)),
            child=CalendarChild(
                id=strawberry.ID(encode_id("Child", row.child_id)),
                first_names=row.child_first_names,
            ),
            activity=CalendarActivity(
                id=strawberry.ID(encode_id("Activity", row.activity_id)),
                code=row.activity_code,
                name=row.activity_name,
            ),
            site=CalendarSite(id=strawberry.ID(encode_id("Site", row.site_id)), name=row.site_name),
            days=line.days,
        )


# Enum members' ``.name`` is a Python-level descriptor: looked up once here, not twice a day.
_STATUS_NAMES = {status: status.name for status in DayStatus}
_REASON_NAMES = {reason: reason.name for reason in DayReason}


def calendar_day(view: DayView) -> CalendarDay:
    """A day as the API shows it (the calendar builds each distinct one once)."""
    until = view.changeable_until
    return CalendarDay(
        {
            "date": view.day.isoformat(),
            "status": _STATUS_NAMES[view.status],
            "canChange": view.can_change,
            "changeableUntil": until.isoformat() if until else None,
            "reason": _REASON_NAMES[view.reason],
            "message": view.message,
        }
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

    @classmethod
    def from_result(cls, result: ChangeResult) -> "BookingChangesPayload":
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
        )
