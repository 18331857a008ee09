"""Enrolments (inscriptions): parents request them, staff create and decide them."""

from tortoise.exceptions import IntegrityError

from models.accounts import Account, AccountRole
from models.bookings import Enrollment, EnrollmentStatus
from models.catalogue import Activity, Opening, Period, Site
from models.households import Child
from models.requests import Request, RequestKind, RequestStatus
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CalendarErrorCode, CommonErrorCode, DomainError, NotFound
from resolvers.core.outbox import queue_mail
from resolvers.core.transactions import atomic
from resolvers.households import consents
from resolvers.households.households import guardian_emails, household_for, require_staff
from resolvers.households.requests import change_status, create_request, record_opening

_DECISIONS = {
    EnrollmentStatus.ACTIVE: ("acceptée", RequestStatus.COMPLETED),
    EnrollmentStatus.REFUSED: ("refusée", RequestStatus.REJECTED),
    EnrollmentStatus.WAITING: ("mise en liste d'attente", RequestStatus.IN_REVIEW),
}


async def enroll(
    actor: Account | None,
    child_id: int,
    activity_id: int,
    site_id: int,
    period_id: int,
    *,
    clock: Clock,
) -> Enrollment:
    """A parent's request (staff review it unless the activity needs no enrolment), or a
    staff enrolment, active at once. Either way it is a request in the household's list."""
    child = await Child.get_or_none(id=child_id)
    if child is None:
        raise NotFound("Enfant", "childId")
    try:
        household = await household_for(actor, child.household_id)
    except DomainError as error:
        if error.code == CommonErrorCode.NOT_FOUND:
            raise NotFound("Enfant", "childId") from None
        raise
    assert actor is not None
    if household.archived_at is not None or child.archived_at is not None:
        raise DomainError(
            CalendarErrorCode.ARCHIVED,
            "Ce dossier est archivé : aucune nouvelle inscription."
            if household.archived_at is not None
            else f"{child.first_names} ne fait plus partie du dossier : aucune inscription.",
            "childId",
        )
    activity = await Activity.get_or_none(id=activity_id, tenant_id=household.tenant_id)
    if activity is None:
        raise NotFound("Activité", "activityId")
    if missing := await consents.missing_required(child, household.tenant_id):
        raise DomainError(
            CalendarErrorCode.CONSENT_MISSING,
            f"Avant d'inscrire {child.first_names}, répondez aux autorisations obligatoires : "
            f"{', '.join(missing)} (fiche de l'enfant, rubrique Autorisations).",
            "childId",
        )
    site = await Site.get_or_none(id=site_id, tenant_id=household.tenant_id)
    period = await Period.get_or_none(id=period_id, tenant_id=household.tenant_id)
    if (
        site is None
        or period is None
        or not await Opening.exists(activity_id=activity_id, site_id=site_id, period_id=period_id)
    ):
        raise DomainError(
            CommonErrorCode.INVALID,
            f"{activity.name} n'est pas proposée à ce lieu pour cette période.",
            "siteId",
        )
    staff = actor.role != AccountRole.PARENT
    status = (
        EnrollmentStatus.ACTIVE
        if staff or not activity.enrollment_required
        else (EnrollmentStatus.REQUESTED)
    )
    now = clock.now()
    summary = f"Inscription de {child.first_names} : {activity.name} ({site.name}, {period.name})"
    try:
        async with atomic():
            request = await create_request(
                household,
                RequestKind.ENROLLMENT,
                summary,
                actor=actor,
                status=RequestStatus.COMPLETED
                if status == EnrollmentStatus.ACTIVE
                else RequestStatus.SUBMITTED,
                at=now,
            )
            enrollment = await Enrollment.create(
                child=child,
                activity=activity,
                site=site,
                period=period,
                status=status,
                requested_by=actor,
                created_at=now,
                request=request,
                decided_by=actor if status == EnrollmentStatus.ACTIVE else None,
                decided_at=now if status == EnrollmentStatus.ACTIVE else None,
            )
            # The enrolment's row first: a duplicate fails before the history is written.
            await record_opening(request, actor=actor, clock=clock, done="Inscription active")
    except IntegrityError:
        raise DomainError(
            CommonErrorCode.INVALID,
            f"{child.first_names} est déjà inscrit(e) à {activity.name} pour cette période.",
            "activityId",
        ) from None
    return enrollment


async def decide_enrollment(
    actor: Account | None,
    enrollment_id: int,
    status: EnrollmentStatus,
    comment: str,
    *,
    clock: Clock,
) -> Enrollment:
    """Staff accept, refuse or put on hold; the family is mailed the decision."""
    staff = require_staff(actor)
    enrollment = await Enrollment.get_or_none(id=enrollment_id).select_related(
        "child__household__tenant", "activity"
    )
    if enrollment is None or enrollment.child.household.tenant_id != staff.tenant_id:
        raise NotFound("Inscription", "enrollmentId")
    if status not in _DECISIONS:
        raise DomainError(CommonErrorCode.INVALID, "Décision inconnue.", "status")
    word, request_status = _DECISIONS[status]
    household = enrollment.child.household
    now = clock.now()
    async with atomic():
        enrollment.status = status
        enrollment.decided_by = staff
        enrollment.decided_at = now
        enrollment.comment = comment.strip()
        await enrollment.save()
        request = await Request.get_or_none(id=enrollment.request_id)
        if request is not None:
            await change_status(
                request,
                request_status,
                actor=staff,
                comment=comment.strip() or f"Inscription {word}",
                clock=clock,
                at=now,
            )
        await audit.record(
            "enrollment.decide",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="enrollment",
            target_id=enrollment.id,
            clock=clock,
            details={"status": status.value},
        )
        for email in await guardian_emails(household.id):
            await queue_mail(
                email,
                "enrollment_decision",
                {
                    "town": household.tenant.name,
                    "child": enrollment.child.first_names,
                    "activity": enrollment.activity.name,
                    "decision": word,
                    "comment": comment.strip(),
                },
                clock=clock,
            )
    return enrollment
