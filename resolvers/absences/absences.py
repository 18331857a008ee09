"""Absence reports: days still within the cancellation deadline are simply cancelled;
days past it wait for staff, who justify them (not billed) or not (billed)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.absences import AbsenceDay, AbsenceOutcome, AbsenceReason, AbsenceReport, AbsenceStatus
from models.accounts import Account, AccountRole
from models.households import Household
from models.requests import Request, RequestKind, RequestStatus
from models.tenants import Tenant
from resolvers.calendar.booking_rules import DayStatus
from resolvers.calendar.bookings import cancel_in_time
from resolvers.calendar.calendar import days_of, load_context, load_day_rows
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import (
    CalendarErrorCode,
    CommonErrorCode,
    DomainError,
    NotFound,
    ValidationErrors,
)
from resolvers.core.french import format_date
from resolvers.core.outbox import queue_mail
from resolvers.core.transactions import atomic
from resolvers.documents import documents
from resolvers.households.households import guardian_emails, household_for, require_staff
from resolvers.households.requests import change_status, create_request, record_opening
from resolvers.live import live

_REASONS = {
    AbsenceReason.ILLNESS: "maladie",
    AbsenceReason.DEROGATION: "dérogation",
    AbsenceReason.BEREAVEMENT: "deuil",
    AbsenceReason.TEACHER_ABSENT: "enseignant absent",
    AbsenceReason.OTHER: "autre motif",
}


class DatePreset(StrEnum):
    """The form's shortcuts, resolved in the town's time zone."""

    TODAY = "today"
    YESTERDAY = "yesterday"
    TOMORROW = "tomorrow"
    THIS_WEEK = "this_week"
    LAST_WEEK = "last_week"
    NEXT_WEEK = "next_week"
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    NEXT_MONTH = "next_month"
    DAY = "day"
    RANGE = "range"


@dataclass
class NewAttachment:
    """A document uploaded with the report; copied into the storage if asked."""

    form: documents.DocumentForm
    uploads: list[documents.Upload]
    keep_in_storage: bool = False


@dataclass
class AbsenceForm:
    child_id: int
    reason: AbsenceReason
    preset: DatePreset
    day: date | None = None
    end: date | None = None
    activity_ids: list[int] | None = None  # None: every activity booked on those days
    comment: str = ""
    stored_document_ids: list[int] = field(default_factory=list)
    new_attachments: list[NewAttachment] = field(default_factory=list)


@dataclass
class AbsenceResult:
    report: AbsenceReport
    cancelled: list[AbsenceDay]
    pending: list[AbsenceDay]
    justified: list[AbsenceDay]


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    next_first = date(year + month // 12, month % 12 + 1, 1)
    return first, next_first - timedelta(days=1)


def resolve_dates(form: AbsenceForm, today: date) -> tuple[date, date]:
    """The range a preset means, seen from ``today`` (the town's date)."""
    monday = today - timedelta(days=today.weekday())
    preset = form.preset
    if preset == DatePreset.TODAY:
        return today, today
    if preset == DatePreset.YESTERDAY:
        return today - timedelta(days=1), today - timedelta(days=1)
    if preset == DatePreset.TOMORROW:
        return today + timedelta(days=1), today + timedelta(days=1)
    if preset in (DatePreset.THIS_WEEK, DatePreset.LAST_WEEK, DatePreset.NEXT_WEEK):
        shift = {DatePreset.THIS_WEEK: 0, DatePreset.LAST_WEEK: -7, DatePreset.NEXT_WEEK: 7}
        start = monday + timedelta(days=shift[preset])
        return start, start + timedelta(days=6)
    if preset == DatePreset.THIS_MONTH:
        return _month_bounds(today.year, today.month)
    if preset == DatePreset.LAST_MONTH:
        previous = today.replace(day=1) - timedelta(days=1)
        return _month_bounds(previous.year, previous.month)
    if preset == DatePreset.NEXT_MONTH:
        following = _month_bounds(today.year, today.month)[1] + timedelta(days=1)
        return _month_bounds(following.year, following.month)
    if form.day is None:
        raise DomainError(CommonErrorCode.INVALID, "Indiquez le jour de l'absence.", "day")
    if preset == DatePreset.DAY:
        return form.day, form.day
    if form.end is None or form.end < form.day:
        raise DomainError(
            CommonErrorCode.INVALID, "La fin de l'absence doit suivre son début.", "end"
        )
    return form.day, form.end


async def report_absence(
    actor: Account | None, household_id: int, form: AbsenceForm, *, clock: Clock
) -> AbsenceResult:
    """Cancel what can still be cancelled; submit the rest to staff, as one request."""
    household = await household_for(actor, household_id)
    assert actor is not None
    tenant = await Tenant.get(id=household.tenant_id)
    today = clock.now().astimezone(ZoneInfo(tenant.timezone)).date()
    start, end = resolve_dates(form, today)
    context = await load_context(actor, household_id, start, end, child_ids=[form.child_id])
    if form.child_id not in context.children:
        raise NotFound("Enfant", "childId")
    # Only booked days matter here, which no booked count changes; cancel_in_time counts.
    await load_day_rows(context, [])
    now = clock.now()
    in_time: list[tuple[int, int, date]] = []
    late: list[tuple[int, int, date]] = []
    for row in context.enrollments:
        if form.activity_ids and row.activity_id not in form.activity_ids:
            continue
        for day in days_of(row, start, end):
            view = context.evaluate(row, day, now, staff=False)
            if view.status not in (DayStatus.BOOKED, DayStatus.WAITING_LIST):
                continue  # closed, not booked, or already reported: nothing to cancel
            target = in_time if view.can_change else late
            target.append((row.child_id, row.activity_id, day))
    if not in_time and not late:
        raise DomainError(
            CommonErrorCode.INVALID,
            "Aucun jour réservé à signaler sur cette période (jours fermés, non "
            "réservés ou déjà signalés).",
            "day",
        )
    first_name = context.children[form.child_id][0]
    stored_ids, new_files = await _check_attachments(actor, household.id, form)
    free_first_day = (
        form.reason == AbsenceReason.ILLNESS and tenant.first_illness_day_without_certificate
    )
    first_late_day = min((day for _, _, day in late), default=None)
    status = AbsenceStatus.PENDING if late else AbsenceStatus.CANCELLED_IN_TIME
    summary = (
        f"Absence de {first_name} du {format_date(start)} au {format_date(end)} "
        f"({_REASONS[form.reason]})"
    )
    async with atomic():
        request = await create_request(
            household,
            RequestKind.ABSENCE_REPORT,
            summary,
            actor=actor,
            status=RequestStatus.IN_REVIEW if late else RequestStatus.COMPLETED,
            at=now,
        )
        report = await AbsenceReport.create(
            household=household,
            child_id=form.child_id,
            reason=form.reason,
            comment=form.comment.strip(),
            starts_on=start,
            ends_on=end,
            status=status,
            request=request,
            submitted_by=actor,
            created_at=now,
        )
        days = [
            AbsenceDay(
                report=report,
                child_id=c,
                activity_id=a,
                day=d,
                outcome=AbsenceOutcome.CANCELLED_IN_TIME,
            )
            for c, a, d in in_time
        ]
        for child_id, activity_id, day in late:
            outcome = (
                AbsenceOutcome.JUSTIFIED
                if free_first_day and day == first_late_day
                else AbsenceOutcome.PENDING_REVIEW
            )
            days.append(
                AbsenceDay(
                    report=report,
                    child_id=child_id,
                    activity_id=activity_id,
                    day=day,
                    outcome=outcome,
                )
            )
        await AbsenceDay.bulk_create(days)
        attached = list(stored_ids)
        for attachment, files in zip(form.new_attachments, new_files, strict=True):
            document = await documents.store_document(
                actor,
                household.id,
                attachment.form,
                files,
                in_storage=attachment.keep_in_storage,
                clock=clock,
            )
            attached.append(document.id)
        await documents.attach(request, attached, clock=clock)
        if in_time:
            await cancel_in_time(context, in_time, request_id=request.id, clock=clock)
        staff = actor.role != AccountRole.PARENT
        reported = live.CalendarChanges(
            live.CalendarChangeKind.ABSENCE_REPORTED, by_staff=staff, request_id=request.id
        )
        for child_id, activity_id, day in [*in_time, *late]:
            reported.add(child_id, activity_id, day)
        await record_opening(
            request,
            actor=actor,
            clock=clock,
            comment=f"{len(in_time)} jour(s) annulé(s) dans les délais, "
            f"{len(late)} jour(s) hors délai soumis au service",
            done="Jours annulés",
            with_events=reported.events({form.child_id: household.id}),
        )
        saved = await AbsenceDay.filter(report=report).order_by("day", "activity_id")
        await queue_mail(
            actor.email,
            "absence_received",
            {
                "town": tenant.name,
                "child": first_name,
                "summary": summary,
                "cancelled": [
                    format_date(d.day)
                    for d in saved
                    if d.outcome == AbsenceOutcome.CANCELLED_IN_TIME
                ],
                "pending": [
                    format_date(d.day) for d in saved if d.outcome == AbsenceOutcome.PENDING_REVIEW
                ],
                "justified": [
                    format_date(d.day) for d in saved if d.outcome == AbsenceOutcome.JUSTIFIED
                ],
            },
            clock=clock,
        )
    return AbsenceResult(
        report,
        [d for d in saved if d.outcome == AbsenceOutcome.CANCELLED_IN_TIME],
        [d for d in saved if d.outcome == AbsenceOutcome.PENDING_REVIEW],
        [d for d in saved if d.outcome == AbsenceOutcome.JUSTIFIED],
    )


MAX_ATTACHMENTS = 4


async def _check_attachments(
    actor: Account, household_id: int, form: AbsenceForm
) -> tuple[list[int], list[list[documents.CheckedFile]]]:
    """Stored documents must be the household's; new files pass every check before
    anything is written. All refusals are reported at once."""
    if len(form.stored_document_ids) + len(form.new_attachments) > MAX_ATTACHMENTS:
        raise DomainError(
            CalendarErrorCode.TOO_MANY_FILES,
            f"Joignez au plus {MAX_ATTACHMENTS} documents à un signalement.",
            "attachments",
        )
    stored = await documents.owned_documents(actor, household_id, form.stored_document_ids)
    errors: list[DomainError] = []
    checked: list[list[documents.CheckedFile]] = []
    for index, attachment in enumerate(form.new_attachments):
        field_path = f"attachments.{index}"
        try:
            attachment.form = documents.check_form(attachment.form, f"{field_path}.document")
            checked.append(await documents.check_files(attachment.uploads, f"{field_path}.files"))
        except ValidationErrors as failure:
            errors.extend(failure.errors)
        except DomainError as failure:
            errors.append(failure)
    if errors:
        raise ValidationErrors(
            [DomainError(CalendarErrorCode(e.code.value), e.message, e.field) for e in errors]
        )
    return stored, checked


async def pending_reports(
    actor: Account | None, *, first: int, after_id: int | None
) -> tuple[list[AbsenceReport], bool, int]:
    """Staff's review queue, oldest first: their town's reports waiting for a decision."""
    staff = require_staff(actor)
    query = AbsenceReport.filter(status=AbsenceStatus.PENDING, household__tenant_id=staff.tenant_id)
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    rows = await query.order_by("id").limit(first + 1)
    return rows[:first], len(rows) > first, total


async def decide_absence(
    actor: Account | None, report_id: int, accept: bool, comment: str, *, clock: Clock
) -> AbsenceReport:
    """Justify the pending days (not billed) or not (billed); the family is mailed."""
    staff = require_staff(actor)
    report = await AbsenceReport.get_or_none(id=report_id).select_related(
        "household", "child", "request"
    )
    if report is None or report.household.tenant_id != staff.tenant_id:
        raise NotFound("Signalement", "reportId")
    if report.status != AbsenceStatus.PENDING:
        raise DomainError(CommonErrorCode.INVALID, "Ce signalement a déjà été traité.", "reportId")
    now = clock.now()
    outcome = AbsenceOutcome.JUSTIFIED if accept else AbsenceOutcome.UNJUSTIFIED
    household: Household = report.household
    async with atomic():
        report.status = AbsenceStatus.ACCEPTED if accept else AbsenceStatus.REJECTED
        report.decided_by, report.decided_at = staff, now
        report.decision_comment = comment.strip()[:500]
        await report.save()
        await AbsenceDay.filter(report=report, outcome=AbsenceOutcome.PENDING_REVIEW).update(
            outcome=outcome
        )
        request: Request = report.request
        word = (
            "acceptée : jours justifiés, non facturés"
            if accept
            else ("refusée : jours non justifiés, facturés")
        )
        days = await AbsenceDay.filter(report=report, outcome=outcome).order_by("day")
        decided = live.CalendarChanges(
            live.CalendarChangeKind.ABSENCE_DECIDED, by_staff=True, request_id=request.id
        )
        for absence_day in days:
            decided.add(absence_day.child_id, absence_day.activity_id, absence_day.day)
        await change_status(
            request,
            RequestStatus.COMPLETED if accept else RequestStatus.REJECTED,
            actor=staff,
            comment=comment.strip() or f"Absence {word}",
            clock=clock,
            at=now,
            with_events=decided.events({report.child_id: household.id}),
        )
        await audit.record(
            "absence.decide",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="absence_report",
            target_id=report.id,
            clock=clock,
            details={"accepted": accept},
        )
        tenant = await Tenant.get(id=household.tenant_id)
        for email in await guardian_emails(household.id):
            await queue_mail(
                email,
                "absence_decision",
                {
                    "town": tenant.name,
                    "child": report.child.first_names,
                    "decision": word,
                    "days": list(dict.fromkeys(format_date(d.day) for d in days)),
                    "comment": comment.strip(),
                },
                clock=clock,
            )
    return report
