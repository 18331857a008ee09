"""The staff's requests inbox: every request (demande) of the town, and the actions that move
its status.

A request's kind says who decides it. Absence reports and enrolments have their own
decisions (``absences.decide_absence``, ``enrollments.decide_enrollment``): completing or
rejecting them here calls those, so billing of absence days and enrolment statuses follow
the one rule. Other kinds (contact changes, booking changes) have no object of their own
to decide: staff apply or reject the request itself; accepting a child's change
(``CHILD_UPDATE``) applies it to the file, and a ``FAMILY_QUOTIENT`` request is completed
with the quotient read on its proof (``family_quotient.complete_family_quotient``), an
``APPOINTMENT`` request with the meeting's date and place (``appointments``). A
finished request (completed or rejected) does not move again. Every change adds a history
step, an audit entry and a French mail to the family's guardians.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from tortoise.expressions import Q

from models.absences import AbsenceReport
from models.accounts import Account
from models.bookings import Enrollment, EnrollmentStatus
from models.requests import Request, RequestKind, RequestStatus
from models.tenants import Tenant
from resolvers.absences.absences import decide_absence
from resolvers.calendar.enrollments import decide_enrollment
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CommunicationErrorCode, DomainError, NotFound
from resolvers.core.outbox import queue_mail
from resolvers.core.transactions import atomic
from resolvers.households.change_requests import apply_child_update
from resolvers.households.households import guardian_emails, require_staff
from resolvers.households.requests import change_status

MAX_COMMENT = 500
FINAL = (RequestStatus.COMPLETED, RequestStatus.REJECTED)


class RequestAction(StrEnum):
    """What an agent does with a request."""

    TAKE_IN_REVIEW = "take_in_review"
    COMPLETE = "complete"
    REJECT = "reject"


_STATUS_OF = {
    RequestAction.TAKE_IN_REVIEW: RequestStatus.IN_REVIEW,
    RequestAction.COMPLETE: RequestStatus.COMPLETED,
    RequestAction.REJECT: RequestStatus.REJECTED,
}
_WORDS = {
    RequestStatus.IN_REVIEW: "prise en charge par le service",
    RequestStatus.COMPLETED: "traitée",
    RequestStatus.REJECTED: "refusée",
}


@dataclass
class InboxPage:
    items: list[Request]
    has_next: bool
    total: int


async def town_requests(
    actor: Account | None,
    *,
    statuses: Sequence[RequestStatus] = (),
    kinds: Sequence[RequestKind] = (),
    search: str = "",
    first: int,
    after_id: int | None,
) -> InboxPage:
    """Staff: the town's requests, newest first, by status, kind and household (part of its
    name or its exact dossier number). Two statements whatever the page size."""
    staff = require_staff(actor)
    query = Request.filter(tenant_id=staff.tenant_id)
    if statuses:
        query = query.filter(status__in=list(statuses))
    if kinds:
        query = query.filter(kind__in=list(kinds))
    term = search.strip()
    if term:
        query = query.filter(
            Q(household__name__icontains=term) | Q(household__reference__iexact=term)
        )
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(first + 1)
    return InboxPage(rows[:first], len(rows) > first, total)


async def change_request_status(
    actor: Account | None,
    request_id: int,
    action: RequestAction,
    comment: str,
    *,
    clock: Clock,
) -> Request:
    """Take a request in review, complete or reject it, as its kind allows."""
    staff = require_staff(actor)
    request = await Request.get_or_none(id=request_id, tenant_id=staff.tenant_id)
    if request is None:
        raise NotFound("Demande", "requestId")
    target = _STATUS_OF[action]
    _check_movable(request, target)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(
            CommunicationErrorCode.INVALID,
            f"Le commentaire dépasse {MAX_COMMENT} caractères.",
            "comment",
        )
    if action == RequestAction.REJECT and not comment:
        raise DomainError(
            CommunicationErrorCode.REQUIRED,
            "Indiquez à la famille pourquoi la demande est refusée.",
            "comment",
        )
    if action != RequestAction.TAKE_IN_REVIEW:
        if request.kind == RequestKind.ABSENCE_REPORT:
            report = await AbsenceReport.get(request_id=request.id)
            await decide_absence(
                staff, report.id, action == RequestAction.COMPLETE, comment, clock=clock
            )
            return await Request.get(id=request.id)
        if request.kind == RequestKind.ENROLLMENT:
            enrollment = await Enrollment.get_or_none(request_id=request.id)
            if enrollment is not None:
                decision = (
                    EnrollmentStatus.ACTIVE
                    if action == RequestAction.COMPLETE
                    else EnrollmentStatus.REFUSED
                )
                await decide_enrollment(staff, enrollment.id, decision, comment, clock=clock)
                return await Request.get(id=request.id)
        if request.kind == RequestKind.FAMILY_QUOTIENT and action == RequestAction.COMPLETE:
            raise DomainError(
                CommunicationErrorCode.INVALID,
                "Indiquez le quotient lu sur le justificatif (completeFamilyQuotientRequest).",
                "action",
            )
        if request.kind == RequestKind.APPOINTMENT and action == RequestAction.COMPLETE:
            raise DomainError(
                CommunicationErrorCode.INVALID,
                "Indiquez la date, l'heure et le lieu du rendez-vous (answerAppointmentRequest).",
                "action",
            )
        if request.kind == RequestKind.CHILD_UPDATE and action == RequestAction.COMPLETE:
            async with atomic():
                await apply_child_update(staff, request, clock=clock)
                return await move_request(staff, request, target, comment, clock=clock)
    return await move_request(staff, request, target, comment, clock=clock)


def _check_movable(request: Request, target: RequestStatus) -> None:
    if request.status in FINAL:
        raise DomainError(
            CommunicationErrorCode.INVALID,
            "Cette demande est déjà terminée : son statut ne change plus.",
            "requestId",
        )
    if target == request.status:
        raise DomainError(
            CommunicationErrorCode.INVALID, "La demande est déjà à ce statut.", "action"
        )


async def move_request(
    staff: Account, request: Request, status: RequestStatus, comment: str, *, clock: Clock
) -> Request:
    """The status change of a request decided on its own: history, audit, mails, at once."""
    now = clock.now()
    word = _WORDS[status]
    async with atomic():
        # Two agents on the same request: the second waits, then finds it moved.
        [request] = await Request.filter(id=request.id).select_for_update()
        _check_movable(request, status)
        previous = request.status
        await change_status(
            request, status, actor=staff, comment=comment or f"Demande {word}", clock=clock, at=now
        )
        await audit.record(
            "request.status",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="request",
            target_id=request.id,
            clock=clock,
            details={"from": previous.value, "to": status.value},
        )
        tenant = await Tenant.get(id=request.tenant_id)
        for email in await guardian_emails(request.household_id):
            await queue_mail(
                email,
                "request_status",
                {
                    "town": tenant.name,
                    "summary": request.summary,
                    "decision": word,
                    "comment": comment,
                },
                clock=clock,
            )
    return request
