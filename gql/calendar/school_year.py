"""The new school year in GraphQL: rolling a period over, the re-enrolment campaign (families
answer, staff decide), read by families and staff."""

from datetime import date, datetime
from typing import Annotated

import strawberry

from gql.calendar.types import Activity, Period, Site
from gql.context import Info
from gql.enums import ReenrollmentChoice, ReenrollmentStatus
from gql.errors import CalendarError, handles_errors
from gql.households.types import Child
from gql.ids import decode_id, encode_id
from gql.pagination import EDGES, PAGE_INFO, Edge, PageInfo, after_pk, connection_fields, page_size
from models import catalogue as m
from resolvers.calendar import reenrollment, school_year


@strawberry.type(description="One of this year's enrolments proposed for next year.")
class Reenrollment:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    household_id: strawberry.ID = strawberry.field(description="The child's household.")
    child: Child = strawberry.field(description="The child.")
    next_school_class: str = strawberry.field(
        description="The child's class next year (CE1…; « 6e » leaves elementary school)."
    )
    current_activity: Activity = strawberry.field(description="This year's activity.")
    current_site: Site = strawberry.field(description="This year's site.")
    activity: Activity = strawberry.field(
        description="Next year's activity: this year's unless the family changed it."
    )
    site: Site = strawberry.field(description="Next year's site.")
    from_period: Period = strawberry.field(description="This year's period.")
    to_period: Period = strawberry.field(description="Next year's period.")
    status: ReenrollmentStatus = strawberry.field(description="Where it stands.")
    until: date = strawberry.field(description="Last day the family can answer (town time).")
    can_answer: bool = strawberry.field(
        description="Whether the family can still answer it (open, not decided, not leaving)."
    )
    answered_at: datetime | None = strawberry.field(description="When the family answered.")

    @classmethod
    def from_model(cls, row: m.Reenrollment, today: date) -> "Reenrollment":
        rollover = row.campaign.rollover
        return cls(
            id=strawberry.ID(encode_id("Reenrollment", row.id)),
            household_id=strawberry.ID(encode_id("Household", row.household_id)),
            child=Child.from_model(row.child),
            next_school_class=row.next_school_class,
            current_activity=Activity.from_model(row.enrollment.activity),
            current_site=Site.from_model(row.enrollment.site),
            activity=Activity.from_model(row.activity),
            site=Site.from_model(row.site),
            from_period=Period.from_model(rollover.source_period),
            to_period=Period.from_model(rollover.next_period),
            status=row.status,
            until=row.campaign.until,
            can_answer=reenrollment.answerable(row, today),
            answered_at=row.answered_at,
        )


@strawberry.type(description="A page of a campaign's re-enrolment lines, in id order.")
class ReenrollmentConnection:
    nodes: list[Reenrollment] = strawberry.field(description="The lines of this page.")
    edges: list[Edge[Reenrollment]] = strawberry.field(description=EDGES)
    page_info: PageInfo = strawberry.field(description=PAGE_INFO)
    total_count: int = strawberry.field(description="Number of matching lines.")


@strawberry.input(description="A family's answer to one re-enrolment line.")
class ReenrollmentAnswerInput:
    reenrollment_id: strawberry.ID = strawberry.field(description="The line.")
    choice: ReenrollmentChoice = strawberry.field(description="CONFIRM, CHANGE or DROP.")
    activity_id: strawberry.ID | None = strawberry.field(
        default=None, description="CHANGE: next year's activity (default: the same)."
    )
    site_id: strawberry.ID | None = strawberry.field(
        default=None, description="CHANGE: next year's site (default: the same)."
    )


@strawberry.type(description="Result of `rolloverYear`.")
class RolloverPayload:
    period: Period | None = strawberry.field(default=None, description="Next year's period.")
    source_period: Period | None = strawberry.field(
        default=None, description="The period rolled over."
    )
    created: bool = strawberry.field(
        default=False,
        description="False when the period had been rolled over already: the period answered "
        "is the one created then, nothing was copied again.",
    )
    openings_copied: int = strawberry.field(
        default=0, description="Openings (activity × site, weekdays, capacity) of next year."
    )
    warnings: list[str] = strawberry.field(
        default_factory=list, description="What is left to set up for next year, in French."
    )
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of `openReenrollment`.")
class ReenrollmentCampaignPayload:
    period: Period | None = strawberry.field(default=None, description="This year's period.")
    next_period: Period | None = strawberry.field(
        default=None, description="The period families re-enrol for."
    )
    until: date | None = strawberry.field(default=None, description="Last day to answer.")
    proposed: int = strawberry.field(
        default=0, description="Lines proposed by this call (enrolments not proposed before)."
    )
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type(description="Result of a re-enrolment answer or decision.")
class ReenrollmentsPayload:
    reenrollments: list[Reenrollment] = strawberry.field(
        default_factory=list, description="The lines answered or decided."
    )
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


async def _lines(ids: list[int], info: Info) -> list[Reenrollment]:
    account = info.context.account
    assert account is not None  # the mutation answered, so someone is signed in
    rows, today = await reenrollment.load_lines(ids, account.tenant_id, clock=info.context.clock)
    return [Reenrollment.from_model(row, today) for row in rows]


@strawberry.type
class SchoolYearQueries:
    @strawberry.field(
        description="A family's enrolments proposed for next year (every campaign, latest "
        "first), with what it answered and whether it can still answer."
    )
    async def reenrollments(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
    ) -> list[Reenrollment]:
        rows, today = await reenrollment.household_reenrollments(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            clock=info.context.clock,
        )
        return [Reenrollment.from_model(row, today) for row in rows]

    @strawberry.field(description="Staff: the re-enrolment lines of a rolled-over period.")
    async def town_reenrollments(
        self,
        info: Info,
        period_id: Annotated[strawberry.ID, strawberry.argument(description="This year's period.")],
        statuses: Annotated[
            list[ReenrollmentStatus] | None,
            strawberry.argument(description="Only these statuses (default all)."),
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
    ) -> ReenrollmentConnection:
        page = await reenrollment.town_reenrollments(
            info.context.account,
            decode_id(period_id, "Period", field="periodId"),
            statuses=statuses or (),
            first=page_size(first),
            after_id=after_pk(after),
            clock=info.context.clock,
        )
        return ReenrollmentConnection(
            **connection_fields(
                [Reenrollment.from_model(row, page.today) for row in page.items],
                [row.id for row in page.items],
                page.has_next,
                after,
            ),
            total_count=page.total,
        )


@strawberry.type
class SchoolYearMutations:
    @strawberry.mutation(
        description="Admins: copy a period and its openings (weekdays, capacities) to next "
        "year's dates, a year later unless given. Rolling the same period over again answers "
        "the period made the first time (`created: false`). School holidays and closures of "
        "the new year are loaded as for any year (`addSchoolHoliday`, `addCalendarException`)."
    )
    @handles_errors()
    async def rollover_year(
        self,
        info: Info,
        period_id: Annotated[
            strawberry.ID, strawberry.argument(description="The period to roll over.")
        ],
        name: Annotated[
            str | None,
            strawberry.argument(description="Next year's name (default: the years moved on)."),
        ] = None,
        starts_on: Annotated[
            date | None, strawberry.argument(description="First day (default: a year later).")
        ] = None,
        ends_on: Annotated[
            date | None, strawberry.argument(description="Last day (default: a year later).")
        ] = None,
    ) -> RolloverPayload:
        result = await school_year.rollover_year(
            info.context.account,
            decode_id(period_id, "Period", field="periodId"),
            clock=info.context.clock,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        return RolloverPayload(
            period=Period.from_model(result.period),
            source_period=Period.from_model(result.source),
            created=result.created,
            openings_copied=result.openings,
            warnings=result.warnings,
        )

    @strawberry.mutation(
        description="Staff: open the re-enrolment of a rolled-over period: each active "
        "enrolment is proposed to its family for next year until `until` (town time, "
        "through 23h59). Calling it again moves the last day and adds new enrolments."
    )
    @handles_errors()
    async def open_reenrollment(
        self,
        info: Info,
        period_id: Annotated[strawberry.ID, strawberry.argument(description="This year's period.")],
        until: Annotated[date, strawberry.argument(description="Last day to answer.")],
    ) -> ReenrollmentCampaignPayload:
        campaign = await reenrollment.open_reenrollment(
            info.context.account,
            decode_id(period_id, "Period", field="periodId"),
            until,
            clock=info.context.clock,
        )
        return ReenrollmentCampaignPayload(
            period=Period.from_model(campaign.source),
            next_period=Period.from_model(campaign.period),
            until=campaign.campaign.until,
            proposed=campaign.proposed,
        )

    @strawberry.mutation(
        description="A family confirms, changes or drops its proposed enrolments in one go: "
        "one request in its « dernières demandes », confirmed by mail. A line can be "
        "answered again until the last day, unless staff decided it."
    )
    @handles_errors()
    async def answer_reenrollments(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        answers: Annotated[
            list[ReenrollmentAnswerInput], strawberry.argument(description="One per line.")
        ],
    ) -> ReenrollmentsPayload:
        rows = await reenrollment.answer_reenrollments(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            [
                reenrollment.ReenrollmentAnswer(
                    decode_id(
                        a.reenrollment_id, "Reenrollment", field=f"answers.{n}.reenrollmentId"
                    ),
                    a.choice,
                    decode_id(a.activity_id, "Activity", field=f"answers.{n}.activityId")
                    if a.activity_id
                    else None,
                    decode_id(a.site_id, "Site", field=f"answers.{n}.siteId")
                    if a.site_id
                    else None,
                )
                for n, a in enumerate(answers)
            ],
            clock=info.context.clock,
        )
        return ReenrollmentsPayload(reenrollments=await _lines([r.id for r in rows], info))

    @strawberry.mutation(
        description="Staff: accept every confirmed line (`acceptAllWithoutReview`: same "
        "activity and site as this year) and/or the lines given by id; refuse others with a "
        "comment. Accepting writes next year's active enrolment; each family is mailed once."
    )
    @handles_errors()
    async def decide_reenrollments(
        self,
        info: Info,
        period_id: Annotated[strawberry.ID, strawberry.argument(description="This year's period.")],
        accept_all_without_review: Annotated[
            bool, strawberry.argument(description="Accept every CONFIRMED line.")
        ] = False,
        accept_ids: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="Lines to accept.")
        ] = None,
        refuse_ids: Annotated[
            list[strawberry.ID] | None, strawberry.argument(description="Lines to refuse.")
        ] = None,
        comment: Annotated[
            str, strawberry.argument(description="Told to the families (required to refuse).")
        ] = "",
    ) -> ReenrollmentsPayload:
        decisions = await reenrollment.decide_reenrollments(
            info.context.account,
            decode_id(period_id, "Period", field="periodId"),
            accept_all_without_review=accept_all_without_review,
            accept_ids=[
                decode_id(i, "Reenrollment", field=f"acceptIds.{n}")
                for n, i in enumerate(accept_ids or [])
            ],
            refuse_ids=[
                decode_id(i, "Reenrollment", field=f"refuseIds.{n}")
                for n, i in enumerate(refuse_ids or [])
            ],
            comment=comment,
            clock=info.context.clock,
        )
        ids = [row.id for row in [*decisions.accepted, *decisions.refused]]
        return ReenrollmentsPayload(reenrollments=await _lines(ids, info))
