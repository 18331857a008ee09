"""Calendar-area mutations: the staff's catalogue, enrolments, and booking changes."""

import datetime as dt
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, cast

import strawberry
from strawberry.annotation import StrawberryAnnotation
from strawberry.types.arguments import InputContext
from strawberry.types.base import get_object_definition

from gql.calendar.types import Activity, BookingChangesPayload, Enrollment, Period, Site
from gql.context import Info
from gql.enums import (
    ActivityKind,
    BookingAction,
    DeadlineRule,
    EnrollmentStatus,
    HolidayPolicy,
    SiteKind,
    WeekParity,
)
from gql.errors import CalendarError, handles_errors
from gql.ids import decode_id, encode_id
from gql.inputs import to_form
from models.accounts import Account
from models.bookings import Enrollment as EnrollmentModel
from resolvers.calendar import bookings, catalogue, enrollments
from resolvers.core.clock import Clock


@strawberry.input(description="An activity and its booking rules.")
class ActivityInput:
    code: str = strawberry.field(description="The town's code, e.g. RS-REPAS (unique).")
    name: str = strawberry.field(description="Name shown to families.")
    kind: ActivityKind = strawberry.field(description="Family of service.")
    holiday_policy: HolidayPolicy = strawberry.field(
        default=HolidayPolicy.SCHOOL_DAYS, description="School holidays behaviour."
    )
    enrollment_required: bool = strawberry.field(
        default=True, description="Staff must accept enrolments before booking."
    )
    booking_rule: DeadlineRule = strawberry.field(
        default=DeadlineRule.DAYS_BEFORE, description="Booking deadline rule."
    )
    booking_value: int = strawberry.field(default=7, description="N days, or weekday 0-6.")
    booking_cutoff_minutes: int = strawberry.field(
        default=23 * 60 + 59, description="Town time of the deadline, minutes after midnight."
    )
    cancellation_rule: DeadlineRule = strawberry.field(
        default=DeadlineRule.DAYS_BEFORE, description="Cancellation deadline rule."
    )
    cancellation_value: int = strawberry.field(default=7, description="N days, or weekday.")
    cancellation_cutoff_minutes: int = strawberry.field(
        default=23 * 60 + 59, description="Town time of the deadline, minutes after midnight."
    )
    booking_opens_days_ahead: int | None = strawberry.field(
        default=None, description="Booking opens N days before the day; null = always."
    )


@strawberry.input(description="Book or cancel one day of one activity for one child.")
class BookingChangeInput:
    child_id: strawberry.ID = strawberry.field(description="The child.")
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    date: dt.date = strawberry.field(description="The day.")
    action: BookingAction = strawberry.field(description="BOOK or CANCEL.")


@strawberry.input(
    description="Many days of one activity for one child with one action: the compact form "
    "of `changes` for a long list of days (one object instead of one per day)."
)
class BookingDaysInput:
    child_id: strawberry.ID = strawberry.field(description="The child.")
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    action: BookingAction = strawberry.field(description="BOOK or CANCEL.")
    dates: list[dt.date] = strawberry.field(description="The days, in any order.")


@strawberry.input(description="« Every Monday, Tuesday, Thursday and Friday from … to … ».")
class RecurrenceInput:
    child_id: strawberry.ID = strawberry.field(description="The child.")
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    action: BookingAction = strawberry.field(description="BOOK or CANCEL.")
    start: date = strawberry.field(name="from", description="First day.")
    end: date = strawberry.field(name="to", description="Last day.")
    weekdays: list[int] = strawberry.field(description="0 = Monday … 6 = Sunday.")
    weeks: WeekParity = strawberry.field(
        default=WeekParity.ALL, description="Every week, or even / odd ISO weeks."
    )


@strawberry.input(description="A change set: days, recurrences, and siblings to copy it to.")
class BookingChangesInput:
    changes: list[BookingChangeInput] = strawberry.field(
        default_factory=list, description="Single days."
    )
    days: list[BookingDaysInput] = strawberry.field(
        default_factory=list,
        description="Single days grouped by child, activity and action: the same as "
        "`changes`, cheaper for hundreds of days. A day given both here and in `changes` "
        "takes its action from here.",
    )
    recurrences: list[RecurrenceInput] = strawberry.field(
        default_factory=list, description="Repeated days; closed days are skipped."
    )
    same_for_child_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="« Faire de même pour » : apply the same days to these children too, "
        "where they are enrolled (refused lines say so where not).",
    )


# `list[RecurrenceInput]` as Strawberry resolves it: once, not for every change set.
_RECURRENCES = StrawberryAnnotation(list[RecurrenceInput]).resolve()


def _changes_from_input(
    cls: type[BookingChangesInput], value: Mapping[str, Any], context: InputContext
) -> BookingChangesInput:
    """Strawberry's input hook: a change set holds up to hundreds of single days, and
    Strawberry's generic conversion inspects each field's type again for every one (about
    30 µs a day, 5 ms for 180). graphql-core has already coerced and checked their values,
    and filled in the defaults; recurrences take the generic way."""
    return cls(
        changes=[
            BookingChangeInput(
                child_id=change["childId"],
                activity_id=change["activityId"],
                date=change["date"],
                action=change["action"],
            )
            for change in value["changes"]
        ],
        days=[
            BookingDaysInput(
                child_id=days["childId"],
                activity_id=days["activityId"],
                action=days["action"],
                dates=list(days["dates"]),
            )
            for days in value["days"]
        ],
        recurrences=cast(
            list[RecurrenceInput],
            context.convert(value["recurrences"], _RECURRENCES, "recurrences"),
        ),
        same_for_child_ids=list(value["sameForChildIds"]),
    )


get_object_definition(BookingChangesInput, strict=True).from_input = _changes_from_input


@strawberry.type(description="Result of a catalogue mutation.")
class CatalogueItemPayload:
    site: Site | None = strawberry.field(default=None, description="Site created.")
    activity: Activity | None = strawberry.field(default=None, description="Activity saved.")
    period: Period | None = strawberry.field(default=None, description="Period created.")
    id: strawberry.ID | None = strawberry.field(
        default=None, description="Id of the opening, exception or holiday saved."
    )
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of an enrolment mutation.")
class EnrollmentPayload:
    enrollment: Enrollment | None = strawberry.field(default=None, description="Enrolment.")
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


async def enrollment_type(enrollment_id: int) -> Enrollment:
    row = await EnrollmentModel.get(id=enrollment_id).select_related(
        "child", "activity", "site", "period"
    )
    return Enrollment(
        id=strawberry.ID(encode_id("Enrollment", row.id)),
        child_id=strawberry.ID(encode_id("Child", row.child_id)),
        child_first_names=row.child.first_names,
        activity=Activity.from_model(row.activity),
        site=Site.from_model(row.site),
        period=Period.from_model(row.period),
        status=row.status,
        comment=row.comment,
    )


def _change_set(input: BookingChangesInput) -> bookings.ChangeSet:
    changes = [
        bookings.BookingChange(
            decode_id(c.child_id, "Child", field="changes.childId"),
            decode_id(c.activity_id, "Activity", field="changes.activityId"),
            c.date,
            c.action,
        )
        for c in input.changes
    ]
    return bookings.ChangeSet(
        changes=changes,
        days=[
            bookings.BookingDays(
                decode_id(days.child_id, "Child", field="days.childId"),
                decode_id(days.activity_id, "Activity", field="days.activityId"),
                days.action,
                days.dates,
            )
            for days in input.days
        ],
        recurrences=[
            bookings.Recurrence(
                decode_id(r.child_id, "Child", field="recurrences.childId"),
                decode_id(r.activity_id, "Activity", field="recurrences.activityId"),
                r.action,
                r.start,
                r.end,
                frozenset(r.weekdays),
                r.weeks,
            )
            for r in input.recurrences
        ],
        same_for_child_ids=[
            decode_id(c, "Child", field="sameForChildIds") for c in input.same_for_child_ids
        ],
    )


@strawberry.type
class CalendarMutations:
    @strawberry.mutation(description="Staff: add a site.")
    @handles_errors()
    async def create_site(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="Name shown to families.")],
        kind: Annotated[SiteKind, strawberry.argument(description="Kind of place.")],
        address: Annotated[str, strawberry.argument(description="Postal address.")] = "",
    ) -> CatalogueItemPayload:
        site = await catalogue.create_site(
            info.context.account, name, kind, address, clock=info.context.clock
        )
        return CatalogueItemPayload(site=Site.from_model(site))

    @strawberry.mutation(
        description="Staff: create an activity, or change its rules when `activityId` is given."
    )
    @handles_errors()
    async def save_activity(
        self,
        info: Info,
        input: Annotated[ActivityInput, strawberry.argument(description="Activity and rules.")],
        activity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Activity to change.")
        ] = None,
    ) -> CatalogueItemPayload:
        activity = await catalogue.save_activity(
            info.context.account,
            to_form(catalogue.ActivityForm, input),
            clock=info.context.clock,
            activity_id=decode_id(activity_id, "Activity", field="activityId")
            if activity_id
            else None,
        )
        return CatalogueItemPayload(activity=Activity.from_model(activity))

    @strawberry.mutation(description="Staff: create a reservation period (school year).")
    @handles_errors()
    async def create_period(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="« Année scolaire 2026-2027 ».")],
        starts_on: Annotated[date, strawberry.argument(description="First day.")],
        ends_on: Annotated[date, strawberry.argument(description="Last day.")],
    ) -> CatalogueItemPayload:
        period = await catalogue.create_period(
            info.context.account, name, starts_on, ends_on, clock=info.context.clock
        )
        return CatalogueItemPayload(period=Period.from_model(period))

    @strawberry.mutation(
        description="Staff: open an activity at a site for a period, on weekdays, with a "
        "daily capacity (null = no limit). Calling it again changes them."
    )
    @handles_errors()
    async def set_opening(
        self,
        info: Info,
        activity_id: Annotated[strawberry.ID, strawberry.argument(description="Activity.")],
        site_id: Annotated[strawberry.ID, strawberry.argument(description="Site.")],
        period_id: Annotated[strawberry.ID, strawberry.argument(description="Period.")],
        weekdays: Annotated[list[int], strawberry.argument(description="0 = Monday … 6.")],
        capacity: Annotated[
            int | None, strawberry.argument(description="Children per day; null = no limit.")
        ] = None,
    ) -> CatalogueItemPayload:
        opening = await catalogue.set_opening(
            info.context.account,
            decode_id(activity_id, "Activity", field="activityId"),
            decode_id(site_id, "Site", field="siteId"),
            decode_id(period_id, "Period", field="periodId"),
            weekdays,
            capacity,
            clock=info.context.clock,
        )
        return CatalogueItemPayload(id=strawberry.ID(encode_id("Opening", opening.id)))

    @strawberry.mutation(
        description="Staff: close (strike, teachers' day) or exceptionally open one day, for "
        "one activity and/or site, or for all."
    )
    @handles_errors()
    async def add_calendar_exception(
        self,
        info: Info,
        day: Annotated[date, strawberry.argument(description="The day.")],
        is_open: Annotated[bool, strawberry.argument(description="True opens, false closes.")],
        label: Annotated[str, strawberry.argument(description="Reason shown to families.")],
        activity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this activity.")
        ] = None,
        site_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this site.")
        ] = None,
    ) -> CatalogueItemPayload:
        exception = await catalogue.add_calendar_exception(
            info.context.account,
            day,
            is_open,
            label,
            clock=info.context.clock,
            activity_id=decode_id(activity_id, "Activity", field="activityId")
            if activity_id
            else None,
            site_id=decode_id(site_id, "Site", field="siteId") if site_id else None,
        )
        return CatalogueItemPayload(id=strawberry.ID(encode_id("CalendarException", exception.id)))

    @strawberry.mutation(description="Staff: load school holidays of the town's zone.")
    @handles_errors()
    async def add_school_holiday(
        self,
        info: Info,
        name: Annotated[str, strawberry.argument(description="« Vacances de Noël ».")],
        starts_on: Annotated[date, strawberry.argument(description="First day off.")],
        ends_on: Annotated[date, strawberry.argument(description="Last day off.")],
    ) -> CatalogueItemPayload:
        holiday = await catalogue.add_school_holiday(
            info.context.account, name, starts_on, ends_on, clock=info.context.clock
        )
        return CatalogueItemPayload(id=strawberry.ID(encode_id("SchoolHoliday", holiday.id)))

    @strawberry.mutation(
        description="Enrol a child: a parent's request waits for staff when the activity "
        "requires it; staff enrolments are active at once."
    )
    @handles_errors()
    async def enroll_child(
        self,
        info: Info,
        child_id: Annotated[strawberry.ID, strawberry.argument(description="The child.")],
        activity_id: Annotated[strawberry.ID, strawberry.argument(description="Activity.")],
        site_id: Annotated[strawberry.ID, strawberry.argument(description="Site.")],
        period_id: Annotated[strawberry.ID, strawberry.argument(description="Period.")],
    ) -> EnrollmentPayload:
        enrollment = await enrollments.enroll(
            info.context.account,
            decode_id(child_id, "Child", field="childId"),
            decode_id(activity_id, "Activity", field="activityId"),
            decode_id(site_id, "Site", field="siteId"),
            decode_id(period_id, "Period", field="periodId"),
            clock=info.context.clock,
        )
        return EnrollmentPayload(enrollment=await enrollment_type(enrollment.id))

    @strawberry.mutation(description="Staff: accept, refuse or hold an enrolment; mailed.")
    @handles_errors()
    async def decide_enrollment(
        self,
        info: Info,
        enrollment_id: Annotated[strawberry.ID, strawberry.argument(description="Enrolment.")],
        status: Annotated[
            EnrollmentStatus, strawberry.argument(description="ACTIVE, REFUSED or WAITING.")
        ],
        comment: Annotated[str, strawberry.argument(description="Told to the family.")] = "",
    ) -> EnrollmentPayload:
        enrollment = await enrollments.decide_enrollment(
            info.context.account,
            decode_id(enrollment_id, "Enrollment", field="enrollmentId"),
            status,
            comment,
            clock=info.context.clock,
        )
        return EnrollmentPayload(enrollment=await enrollment_type(enrollment.id))

    @strawberry.mutation(
        description="Show what a change set would do now, line by line (accepted or refused "
        "with the reason), without changing anything."
    )
    @handles_errors()
    async def preview_booking_changes(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        input: Annotated[BookingChangesInput, strawberry.argument(description="Changes.")],
    ) -> BookingChangesPayload:
        household = decode_id(household_id, "Household", field="householdId")
        result = await bookings.preview_changes(
            info.context.account, household, _change_set(input), clock=info.context.clock
        )
        return BookingChangesPayload.from_result(result, household)

    @strawberry.mutation(
        description="Apply a change set atomically as one request (demande), confirmed by "
        "mail. Send a fresh `idempotencyKey` per change set: a retry with the same key "
        "applies nothing again and answers the first result (`replayed: true`)."
    )
    @handles_errors()
    async def submit_booking_changes(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        input: Annotated[BookingChangesInput, strawberry.argument(description="Changes.")],
        idempotency_key: Annotated[
            str | None,
            strawberry.argument(
                description="Client-chosen key (e.g. a UUID), 64 characters at most (longer is "
                "INVALID); the same key with other changes is IDEMPOTENCY_KEY_REUSED."
            ),
        ] = None,
    ) -> BookingChangesPayload:
        return await submitted_changes(
            info.context.account, household_id, input, idempotency_key, clock=info.context.clock
        )


async def submitted_changes(
    account: Account | None,
    household_id: str,
    input: BookingChangesInput,
    idempotency_key: str | None = None,
    *,
    clock: Clock,
) -> BookingChangesPayload:
    """``submitBookingChanges``'s answer, for the field's resolver and for the mobile app's
    compiled document (gql/mobile/compiled.py), which runs it under the same
    ``handles_errors`` and serialises the payload straight to JSON: one place for the ids'
    decoding and the submit."""
    household = decode_id(household_id, "Household", field="householdId")
    result = await bookings.submit_changes(
        account,
        household,
        _change_set(input),
        clock=clock,
        idempotency_key=idempotency_key or None,
    )
    return BookingChangesPayload.from_result(result, household)
