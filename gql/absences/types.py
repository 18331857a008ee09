"""GraphQL types of absence reports."""

import datetime as dt
from datetime import datetime

import strawberry

from gql.context import Info
from gql.documents.types import Document
from gql.enums import AbsenceOutcome, AbsenceReason, AbsenceStatus
from gql.ids import encode_id
from models.absences import AbsenceDay as AbsenceDayModel
from models.absences import AbsenceReport as AbsenceReportModel


@strawberry.type(description="One booked day concerned by an absence report.")
class AbsenceDay:
    date: dt.date = strawberry.field(description="The day.")
    activity_id: strawberry.ID = strawberry.field(description="The activity booked that day.")
    activity_name: str = strawberry.field(description="Its name.")
    outcome: AbsenceOutcome = strawberry.field(description="What became of it.")


@strawberry.type(description="An absence report (signalement d'absence) for one child.")
class AbsenceReport:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    household_id: strawberry.ID = strawberry.field(description="The household.")
    child_id: strawberry.ID = strawberry.field(description="The child.")
    child_first_names: str = strawberry.field(description="The child's first names.")
    reason: AbsenceReason = strawberry.field(description="Why.")
    comment: str = strawberry.field(description="The parent's comment.")
    starts_on: dt.date = strawberry.field(description="First day of the absence.")
    ends_on: dt.date = strawberry.field(description="Last day of the absence.")
    status: AbsenceStatus = strawberry.field(description="Where it stands.")
    decision_comment: str = strawberry.field(description="Staff's comment on the decision.")
    created_at: datetime = strawberry.field(description="Reported at (UTC).")
    request_id: strawberry.ID = strawberry.field(description="Its request (demande).")
    days: list[AbsenceDay] = strawberry.field(description="The booked days concerned.")
    request_pk: strawberry.Private[int]

    @strawberry.field(description="Documents given to justify it, for the family and staff.")
    async def attachments(self, info: Info) -> list[Document]:
        rows = await info.context.loaders.documents_by_request.load(self.request_pk)
        return [Document.from_model(row) for row in rows]

    @classmethod
    def from_model(
        cls, report: AbsenceReportModel, days: list[AbsenceDayModel], child_first_names: str
    ) -> "AbsenceReport":
        """``days`` come with their activity loaded."""
        return cls(
            id=strawberry.ID(encode_id("AbsenceReport", report.id)),
            household_id=strawberry.ID(encode_id("Household", report.household_id)),
            child_id=strawberry.ID(encode_id("Child", report.child_id)),
            child_first_names=child_first_names,
            reason=report.reason,
            comment=report.comment,
            starts_on=report.starts_on,
            ends_on=report.ends_on,
            status=report.status,
            decision_comment=report.decision_comment,
            created_at=report.created_at,
            request_id=strawberry.ID(encode_id("Request", report.request_id)),
            request_pk=report.request_id,
            days=[
                AbsenceDay(
                    date=day.day,
                    activity_id=strawberry.ID(encode_id("Activity", day.activity_id)),
                    activity_name=day.activity.name,
                    outcome=day.outcome,
                )
                for day in days
            ],
        )


async def load_reports(reports: list[AbsenceReportModel]) -> list[AbsenceReport]:
    """Reports with their days and children, in two statements whatever their number."""
    ids = [report.id for report in reports]
    days = (
        await AbsenceDayModel.filter(report_id__in=ids)
        .select_related("activity", "child")
        .order_by("day", "activity_id")
    )
    by_report: dict[int, list[AbsenceDayModel]] = {report_id: [] for report_id in ids}
    for day in days:
        by_report[day.report_id].append(day)
    from models.households import Child

    names = dict(
        await Child.filter(id__in={r.child_id for r in reports}).values_list("id", "first_names")
    )
    return [
        AbsenceReport.from_model(r, by_report[r.id], str(names.get(r.child_id, "")))
        for r in reports
    ]
