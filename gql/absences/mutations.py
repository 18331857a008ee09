"""Absence mutations: a parent reports, an agent decides."""

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.file_uploads import Upload

from gql.absences.types import AbsenceDay, AbsenceReport, load_reports
from gql.context import Info
from gql.documents.types import DocumentInput
from gql.enums import AbsenceReason, DatePreset
from gql.errors import CalendarError, handles_errors
from gql.ids import decode_id
from gql.inputs import to_form
from resolvers.absences import absences
from resolvers.documents.documents import DocumentForm


@strawberry.input(description="The absence form: child, activities, dates, reason.")
class AbsenceInput:
    child_id: strawberry.ID = strawberry.field(description="The child.")
    reason: AbsenceReason = strawberry.field(description="Why.")
    dates: DatePreset = strawberry.field(description="Which days (town time).")
    day: dt.date | None = strawberry.field(
        default=None, description="The day (DAY) or first day (RANGE)."
    )
    end: dt.date | None = strawberry.field(default=None, description="Last day (RANGE).")
    activity_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Activities concerned; default every booked one."
    )
    comment: str = strawberry.field(default="", description="Told to the service.")
    attachments: list["AttachmentInput"] = strawberry.field(
        default_factory=list,
        description="Justifications (at most 4): documents from the storage or new uploads. "
        "The town's staff can read them once the report is sent.",
    )


@strawberry.input(description="A new document uploaded with an absence report.")
class NewAttachmentInput:
    document: DocumentInput = strawberry.field(description="Its metadata.")
    files: list[Upload] = strawberry.field(
        description="Its files (1 to 4), in the multipart request; same checks as `uploadDocument`."
    )
    keep_in_storage: bool = strawberry.field(
        default=False, description="Also keep a copy in the household's storage for reuse."
    )


@strawberry.input(
    one_of=True, description="One justification: exactly one of `documentId` or `upload`."
)
class AttachmentInput:
    document_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="A document already in the household's storage."
    )
    upload: NewAttachmentInput | None = strawberry.field(
        default=strawberry.UNSET, description="A new document uploaded now."
    )


@strawberry.type(description="Result of `reportAbsence`.")
class ReportAbsencePayload:
    report: AbsenceReport | None = strawberry.field(default=None, description="The report.")
    cancelled_days: list[AbsenceDay] = strawberry.field(
        default_factory=list,
        description="Days still within the deadline: simply cancelled, not billed.",
    )
    pending_days: list[AbsenceDay] = strawberry.field(
        default_factory=list, description="Days past the deadline, waiting for the service."
    )
    justified_days: list[AbsenceDay] = strawberry.field(
        default_factory=list,
        description="Days justified at once by a town rule (first day of illness).",
    )
    message: str = strawberry.field(default="", description="What happened, in French.")
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why it was refused."
    )


@strawberry.type(description="Result of `decideAbsenceReport`.")
class AbsenceDecisionPayload:
    report: AbsenceReport | None = strawberry.field(default=None, description="The report.")
    errors: list[CalendarError] = strawberry.field(
        default_factory=list, description="Why it failed."
    )


@strawberry.type
class AbsenceMutations:
    @strawberry.mutation(
        description="Report an absence: booked days still within the cancellation deadline "
        "are cancelled (not billed); later days go to the service for review, as one request."
    )
    @handles_errors()
    async def report_absence(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        input: Annotated[AbsenceInput, strawberry.argument(description="The form.")],
    ) -> ReportAbsencePayload:
        form = absences.AbsenceForm(
            child_id=decode_id(input.child_id, "Child", field="childId"),
            reason=input.reason,
            preset=input.dates,
            day=input.day,
            end=input.end,
            activity_ids=[decode_id(a, "Activity", field="activityIds") for a in input.activity_ids]
            if input.activity_ids
            else None,
            comment=input.comment,
            stored_document_ids=[
                decode_id(a.document_id, "Document", field="attachments")
                for a in input.attachments
                if a.document_id
            ],
            new_attachments=[
                absences.NewAttachment(
                    form=to_form(DocumentForm, a.upload.document),
                    uploads=list(a.upload.files),  # type: ignore[arg-type]
                    keep_in_storage=a.upload.keep_in_storage,
                )
                for a in input.attachments
                if a.upload
            ],
        )
        result = await absences.report_absence(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            form,
            clock=info.context.clock,
        )
        [report] = await load_reports([result.report])
        by_outcome = {
            outcome: [d for d in report.days if d.outcome == outcome]
            for outcome in ("cancelled_in_time", "pending_review", "justified")
        }
        parts = []
        if by_outcome["cancelled_in_time"]:
            parts.append(
                f"{len(by_outcome['cancelled_in_time'])} jour(s) annulé(s) dans les délais"
            )
        if by_outcome["justified"]:
            parts.append(f"{len(by_outcome['justified'])} jour(s) justifié(s) d'office")
        if by_outcome["pending_review"]:
            parts.append(
                f"{len(by_outcome['pending_review'])} jour(s) hors délai transmis au service"
            )
        return ReportAbsencePayload(
            report=report,
            cancelled_days=by_outcome["cancelled_in_time"],
            pending_days=by_outcome["pending_review"],
            justified_days=by_outcome["justified"],
            message=", ".join(parts).capitalize() + ".",
        )

    @strawberry.mutation(
        description="Staff: accept (days justified, not billed) or reject (billed) a pending "
        "report; the family is mailed."
    )
    @handles_errors()
    async def decide_absence_report(
        self,
        info: Info,
        report_id: Annotated[strawberry.ID, strawberry.argument(description="The report.")],
        accept: Annotated[bool, strawberry.argument(description="True justifies the days.")],
        comment: Annotated[str, strawberry.argument(description="Told to the family.")] = "",
    ) -> AbsenceDecisionPayload:
        report = await absences.decide_absence(
            info.context.account,
            decode_id(report_id, "AbsenceReport", field="reportId"),
            accept,
            comment,
            clock=info.context.clock,
        )
        [loaded] = await load_reports([report])
        return AbsenceDecisionPayload(report=loaded)
