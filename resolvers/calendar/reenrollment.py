"""The re-enrolment campaign (« réinscription »): each child's enrolments of this year proposed
for next year, answered by the family in one go, decided by staff in batches.

Staff open it on a rolled-over period (``open_reenrollment``) with a last day to answer:
every ACTIVE enrolment of the period becomes a proposal for the next period, with the same
activity and site and the child's next class (a CM2 child leaves elementary school:
``LEAVING``, not proposed); each family is mailed its lines. Until that day (town time,
through 23h59) the family confirms, drops or changes each line (another activity or site
open next year) in one mutation, which is one request of its « dernières demandes ». Staff
then accept, in one call, every confirmation that needs no review (same activity, same
site), and decide the changes line by line; accepting writes the ACTIVE enrolment of next
year. Families who have not answered are reminded once,
``FAMILLE_REENROLLMENT_REMINDER_DAYS`` before the last day.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from models.accounts import Account
from models.bookings import Enrollment, EnrollmentStatus
from models.catalogue import (
    Activity,
    Opening,
    Period,
    Reenrollment,
    ReenrollmentCampaign,
    ReenrollmentStatus,
    YearRollover,
)
from models.households import Child, Guardian
from models.requests import Request, RequestKind, RequestStatus
from models.tenants import Tenant
from resolvers.calendar.school_year import leaves_elementary, next_school_class, town_today
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import CalendarErrorCode, CommonErrorCode, DomainError, NotFound
from resolvers.core.french import format_date
from resolvers.core.outbox import mail_job, queue_mail, record_jobs
from resolvers.core.transactions import atomic
from resolvers.households.households import guardian_emails, household_for, require_staff
from resolvers.households.requests import change_status, open_request
from settings import get_settings

ANSWERED = (ReenrollmentStatus.CONFIRMED, ReenrollmentStatus.CHANGED)
DECIDED = (ReenrollmentStatus.ACCEPTED, ReenrollmentStatus.REFUSED)
MAX_COMMENT = 500


class ReenrollmentChoice(StrEnum):
    """What a family answers for one proposed enrolment."""

    CONFIRM = "confirm"
    CHANGE = "change"
    DROP = "drop"


@dataclass(frozen=True)
class ReenrollmentAnswer:
    reenrollment_id: int
    choice: ReenrollmentChoice
    activity_id: int | None = None
    site_id: int | None = None


@dataclass(frozen=True)
class Campaign:
    campaign: ReenrollmentCampaign
    source: Period
    period: Period
    proposed: int


async def _rollover_of(staff: Account, period_id: int) -> YearRollover:
    if not await Period.exists(id=period_id, tenant_id=staff.tenant_id):
        raise NotFound("Période", "periodId")
    rollover = await YearRollover.get_or_none(source_period_id=period_id).select_related(
        "source_period", "next_period"
    )
    if rollover is None:
        raise DomainError(
            CommonErrorCode.INVALID,
            "Cette période n'est pas encore reconduite : reconduisez d'abord l'année "
            "(rolloverYear), puis ouvrez les réinscriptions.",
            "periodId",
        )
    return rollover


async def open_reenrollment(
    actor: Account | None, period_id: int, until: date, *, clock: Clock
) -> Campaign:
    """Propose every active enrolment of the period for next year, answerable until ``until``.

    Roles: AGENT. Opening it again moves the last day and proposes the enrolments made since;
    lines already proposed stay as they are (answers kept).
    """
    staff = require_staff(actor)
    rollover = await _rollover_of(staff, period_id)
    tenant = await Tenant.get(id=staff.tenant_id)
    if until < town_today(tenant, clock):
        raise DomainError(
            CommonErrorCode.INVALID, "La date limite de réponse est déjà passée.", "until"
        )
    if until >= rollover.next_period.starts_on:
        raise DomainError(
            CommonErrorCode.INVALID,
            f"La date limite doit précéder le début de « {rollover.next_period.name} » "
            f"({format_date(rollover.next_period.starts_on)}).",
            "until",
        )
    async with atomic():
        campaign = await ReenrollmentCampaign.get_or_none(rollover_id=rollover.id)
        if campaign is None:
            campaign = await ReenrollmentCampaign.create(
                tenant_id=staff.tenant_id,
                rollover=rollover,
                until=until,
                opened_by=staff,
                opened_at=clock.now(),
            )
        else:
            campaign.until = until
            await campaign.save(update_fields=["until"])
        proposed: set[int] = set(
            await Reenrollment.filter(campaign_id=campaign.id).values_list(  # type: ignore[arg-type]
                "enrollment_id", flat=True
            )
        )
        enrollments = await Enrollment.filter(
            period_id=period_id, status=EnrollmentStatus.ACTIVE
        ).select_related("child")
        new = [
            Reenrollment(
                campaign_id=campaign.id,
                household_id=row.child.household_id,
                child_id=row.child_id,
                enrollment_id=row.id,
                activity_id=row.activity_id,
                site_id=row.site_id,
                next_school_class=next_school_class(row.child.school_class),
                status=ReenrollmentStatus.LEAVING
                if leaves_elementary(row.child.school_class)
                else ReenrollmentStatus.PROPOSED,
            )
            for row in enrollments
            if row.id not in proposed
        ]
        await Reenrollment.bulk_create(new)
        await _announce(tenant, rollover.next_period, until, new, clock)
        await audit.record(
            "reenrollment.open",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="period",
            target_id=period_id,
            clock=clock,
            details={"until": until.isoformat(), "proposed": len(new)},
        )
    return Campaign(campaign, rollover.source_period, rollover.next_period, len(new))


async def _announce(
    tenant: Tenant, period: Period, until: date, lines: list[Reenrollment], clock: Clock
) -> None:
    """Mail each family its newly proposed lines: one INSERT of outbox jobs for the town."""
    proposed = [line for line in lines if line.status == ReenrollmentStatus.PROPOSED]
    if not proposed:
        return
    households = {line.household_id for line in proposed}
    children = dict(
        await Child.filter(id__in={line.child_id for line in proposed}).values_list(
            "id", "first_names"
        )
    )
    activities = dict(
        await Activity.filter(id__in={line.activity_id for line in proposed}).values_list(
            "id", "name"
        )
    )
    emails: dict[int, set[str]] = defaultdict(set)
    for household_id, email in await Guardian.filter(
        household_id__in=households, account_id__not_isnull=True
    ).values_list("household_id", "account__email"):
        emails[int(household_id)].add(str(email))
    by_household: dict[int, list[dict[str, str]]] = defaultdict(list)
    for line in proposed:
        by_household[line.household_id].append(
            {"child": str(children[line.child_id]), "activity": str(activities[line.activity_id])}
        )
    context = {"town": tenant.name, "period": period.name, "until": format_date(until)}
    await record_jobs(
        [
            mail_job(email, "reenrollment_open", {**context, "lines": by_household[household]})
            for household in sorted(by_household)
            for email in sorted(emails[household])
        ],
        clock=clock,
    )


_RELATED = (
    "child",
    "activity",
    "site",
    "enrollment__activity",
    "enrollment__site",
    "campaign__rollover__source_period",
    "campaign__rollover__next_period",
)


async def load_lines(
    ids: Sequence[int], tenant_id: int, *, clock: Clock
) -> tuple[list[Reenrollment], date]:
    """Lines by id in the given order, read for display, and the town's today."""
    rows = {
        row.id: row
        for row in await Reenrollment.filter(
            id__in=list(ids), campaign__tenant_id=tenant_id
        ).select_related(*_RELATED)
    }
    today = town_today(await Tenant.get(id=tenant_id), clock)
    return [rows[pk] for pk in ids if pk in rows], today


def answerable(row: Reenrollment, today: date) -> bool:
    """Whether the family can still answer this line (read with its campaign)."""
    return row.status not in (ReenrollmentStatus.LEAVING, *DECIDED) and today <= row.campaign.until


async def household_reenrollments(
    actor: Account | None, household_id: int, *, clock: Clock
) -> tuple[list[Reenrollment], date]:
    """A family's proposals, latest campaign first, then by child and activity; and the
    town's today, to tell which lines can still be answered."""
    household = await household_for(actor, household_id)
    tenant = await Tenant.get(id=household.tenant_id)
    rows = (
        await Reenrollment.filter(household_id=household.id)
        .select_related(*_RELATED)
        .order_by("-campaign_id", "child_id", "enrollment_id")
    )
    return rows, town_today(tenant, clock)


@dataclass
class ReenrollmentPage:
    items: list[Reenrollment]
    has_next: bool
    total: int
    today: date


async def town_reenrollments(
    actor: Account | None,
    period_id: int,
    *,
    statuses: Sequence[ReenrollmentStatus] = (),
    first: int,
    after_id: int | None,
    clock: Clock,
) -> ReenrollmentPage:
    """Staff: the campaign's lines in id order, by status. Roles: AGENT."""
    staff = require_staff(actor)
    rollover = await _rollover_of(staff, period_id)
    query = Reenrollment.filter(campaign__rollover_id=rollover.id)
    if statuses:
        query = query.filter(status__in=list(statuses))
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    rows = await query.select_related(*_RELATED).order_by("id").limit(first + 1)
    today = town_today(await Tenant.get(id=staff.tenant_id), clock)
    return ReenrollmentPage(rows[:first], len(rows) > first, total, today)


async def answer_reenrollments(
    actor: Account | None,
    household_id: int,
    answers: Sequence[ReenrollmentAnswer],
    *,
    clock: Clock,
) -> list[Reenrollment]:
    """The family confirms, changes or drops its proposed enrolments, all in one request.

    A line can be answered again until the last day, as long as staff have not decided it.
    """
    household = await household_for(actor, household_id)
    assert actor is not None
    if not answers:
        raise DomainError(CalendarErrorCode.REQUIRED, "Répondez au moins à une ligne.", "answers")
    tenant = await Tenant.get(id=household.tenant_id)
    today = town_today(tenant, clock)
    rows = {
        row.id: row
        for row in await Reenrollment.filter(
            id__in=[a.reenrollment_id for a in answers], household_id=household.id
        ).select_related(*_RELATED)
    }
    for index, answer in enumerate(answers):
        row = rows.get(answer.reenrollment_id)
        field = f"answers.{index}"
        if row is None:
            raise NotFound("Réinscription", f"{field}.reenrollmentId")
        campaign = row.campaign
        if today > campaign.until:
            raise DomainError(
                CalendarErrorCode.DEADLINE_PASSED,
                f"Les réinscriptions étaient ouvertes jusqu'au {format_date(campaign.until)} : "
                "contactez le service pour inscrire votre enfant.",
                field,
            )
        if row.status == ReenrollmentStatus.LEAVING:
            raise DomainError(
                CommonErrorCode.INVALID,
                f"{row.child.first_names} entre en 6e : pas de réinscription aux services "
                "de l'école élémentaire.",
                field,
            )
        if row.status in DECIDED:
            raise DomainError(
                CommonErrorCode.INVALID,
                f"La réinscription de {row.child.first_names} à {row.activity.name} a déjà "
                "été traitée par le service.",
                field,
            )
        await _apply(row, answer, field)
    _check_one_line_per_activity(list(rows.values()), await _others(household.id, rows))
    now = clock.now()
    async with atomic():
        # Staff deciding these lines meanwhile: the answer waits for them, then is refused.
        decided = await Reenrollment.filter(
            id__in=list(rows), status__in=DECIDED
        ).select_for_update()
        if decided:
            raise DomainError(
                CommonErrorCode.INVALID,
                "Le service vient de traiter une de ces réinscriptions : rechargez la page.",
                "answers",
            )
        replaced = {row.request_id for row in rows.values() if row.request_id is not None}
        next_period = next(iter(rows.values())).campaign.rollover.next_period
        summary = f"Réinscriptions {next_period.name} : " + ", ".join(
            f"{row.child.first_names} — {row.activity.name} ({_WORDS[row.status]})"
            for row in rows.values()
        )
        dropped_only = all(row.status == ReenrollmentStatus.DROPPED for row in rows.values())
        request = await open_request(
            household,
            RequestKind.ENROLLMENT,
            summary,
            actor=actor,
            clock=clock,
            # Nothing for staff to decide when every line is dropped: done at once.
            status=RequestStatus.COMPLETED if dropped_only else RequestStatus.SUBMITTED,
            done="Inscriptions arrêtées pour l'année prochaine",
            at=now,
        )
        for row in rows.values():
            row.answered_by_id = actor.id
            row.answered_at = now
            row.request_id = request.id
            await row.save(
                update_fields=[
                    "status",
                    "activity_id",
                    "site_id",
                    "answered_by_id",
                    "answered_at",
                    "request_id",
                ]
            )
        await _close_replaced(replaced, request, actor, clock)
        for email in await guardian_emails(household.id):
            await queue_mail(
                email,
                "reenrollment_received",
                {
                    "town": tenant.name,
                    "period": next_period.name,
                    "lines": [
                        {
                            "child": row.child.first_names,
                            "activity": row.activity.name,
                            "site": row.site.name,
                            "answer": _WORDS[row.status],
                        }
                        for row in rows.values()
                    ],
                },
                clock=clock,
            )
    return list(rows.values())


async def _close_replaced(request_ids: set[int], by: Request, actor: Account, clock: Clock) -> None:
    """An earlier answer whose lines all moved to the new one is done: replaced."""
    still = set(
        await Reenrollment.filter(request_id__in=list(request_ids)).values_list(
            "request_id", flat=True
        )
    )
    now = clock.now()
    for request in await Request.filter(
        id__in=list(request_ids - still), status=RequestStatus.SUBMITTED
    ).order_by("id"):
        await change_status(
            request,
            RequestStatus.COMPLETED,
            actor=actor,
            comment=f"Réponse remplacée par la demande n° {by.id}",
            clock=clock,
            at=now,
            publish=False,  # ``by``'s opening event makes the phones refetch this one too
        )


_WORDS = {
    ReenrollmentStatus.CONFIRMED: "reconduite",
    ReenrollmentStatus.CHANGED: "modifiée, à valider par le service",
    ReenrollmentStatus.DROPPED: "arrêtée",
    ReenrollmentStatus.ACCEPTED: "acceptée",
    ReenrollmentStatus.REFUSED: "refusée",
    ReenrollmentStatus.PROPOSED: "sans réponse",
    ReenrollmentStatus.LEAVING: "entrée en 6e",
}


async def _apply(row: Reenrollment, answer: ReenrollmentAnswer, field: str) -> None:
    """Set the line's status, activity and site from the answer (not saved)."""
    original = row.enrollment
    if answer.choice == ReenrollmentChoice.DROP:
        row.status = ReenrollmentStatus.DROPPED
        row.activity, row.site = original.activity, original.site
        return
    activity, site = original.activity, original.site
    if answer.choice == ReenrollmentChoice.CHANGE:
        if answer.activity_id is None and answer.site_id is None:
            raise DomainError(
                CalendarErrorCode.REQUIRED,
                "Indiquez la nouvelle activité ou le nouveau lieu.",
                f"{field}.activityId",
            )
        opening = await Opening.get_or_none(
            activity_id=answer.activity_id or original.activity_id,
            site_id=answer.site_id or original.site_id,
            period_id=row.campaign.rollover.next_period_id,
        ).select_related("activity", "site")
        if opening is None:
            raise DomainError(
                CommonErrorCode.INVALID,
                "Cette activité n'est pas proposée à ce lieu l'an prochain.",
                f"{field}.activityId",
            )
        activity, site = opening.activity, opening.site
    elif not await Opening.exists(
        activity_id=original.activity_id,
        site_id=original.site_id,
        period_id=row.campaign.rollover.next_period_id,
    ):
        raise DomainError(
            CommonErrorCode.INVALID,
            f"{original.activity.name} n'est plus proposée à {original.site.name} l'an "
            "prochain : choisissez une autre activité ou un autre lieu.",
            field,
        )
    row.activity, row.site = activity, site
    same = activity.id == original.activity_id and site.id == original.site_id
    row.status = ReenrollmentStatus.CONFIRMED if same else ReenrollmentStatus.CHANGED


async def _others(household_id: int, answered: dict[int, Reenrollment]) -> list[Reenrollment]:
    """The family's other lines of the same campaigns, kept as they are."""
    campaigns = {row.campaign_id for row in answered.values()}
    return await Reenrollment.filter(
        household_id=household_id,
        campaign_id__in=campaigns,
        status__in=[*ANSWERED, ReenrollmentStatus.ACCEPTED],
    ).exclude(id__in=list(answered))


def _check_one_line_per_activity(answered: list[Reenrollment], others: list[Reenrollment]) -> None:
    """A child is enrolled once per activity and period: two lines may not end on the same."""
    seen: dict[tuple[int, int, int], Reenrollment] = {}
    for row in [*others, *answered]:
        if row.status not in (*ANSWERED, ReenrollmentStatus.ACCEPTED):
            continue
        key = (row.campaign_id, row.child_id, row.activity_id)
        if key in seen and seen[key].id != row.id:
            raise DomainError(
                CommonErrorCode.INVALID,
                "Deux lignes inscriraient le même enfant deux fois à la même activité.",
                "answers",
            )
        seen[key] = row


@dataclass(frozen=True)
class Decisions:
    accepted: list[Reenrollment]
    refused: list[Reenrollment]


async def decide_reenrollments(
    actor: Account | None,
    period_id: int,
    *,
    accept_all_without_review: bool,
    accept_ids: Sequence[int],
    refuse_ids: Sequence[int],
    comment: str,
    clock: Clock,
) -> Decisions:
    """Staff accept or refuse answered lines; accepting writes next year's ACTIVE enrolment.

    Roles: AGENT. ``accept_all_without_review`` takes every confirmed line (same activity,
    same site as this year); changed lines are decided by id. Each family is mailed once.
    """
    staff = require_staff(actor)
    rollover = await _rollover_of(staff, period_id)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(
            CommonErrorCode.INVALID, f"Le commentaire dépasse {MAX_COMMENT} caractères.", "comment"
        )
    if refuse_ids and not comment:
        raise DomainError(
            CalendarErrorCode.REQUIRED,
            "Indiquez aux familles pourquoi la réinscription est refusée.",
            "comment",
        )
    if set(accept_ids) & set(refuse_ids):
        raise DomainError(
            CommonErrorCode.INVALID, "Une ligne ne peut être acceptée et refusée.", "refuseIds"
        )
    now = clock.now()
    campaign = await ReenrollmentCampaign.get_or_none(rollover_id=rollover.id)
    if campaign is None:
        raise DomainError(
            CommonErrorCode.INVALID,
            "Les réinscriptions de cette période ne sont pas ouvertes (openReenrollment).",
            "periodId",
        )
    async with atomic():
        wanted = {*accept_ids, *refuse_ids}
        rows = {
            row.id: row
            for row in await Reenrollment.filter(campaign_id=campaign.id, id__in=list(wanted))
            .select_for_update()
            .order_by("id")
        }
        for ids, name in ((accept_ids, "acceptIds"), (refuse_ids, "refuseIds")):
            for index, line_id in enumerate(ids):
                row = rows.get(line_id)
                if row is None:
                    raise NotFound("Réinscription", f"{name}.{index}")
                if row.status not in ANSWERED:
                    raise DomainError(
                        CommonErrorCode.INVALID,
                        "Seules les lignes confirmées ou modifiées par la famille, et pas "
                        "encore traitées, peuvent être décidées.",
                        f"{name}.{index}",
                    )
        accepted = [rows[i] for i in accept_ids]
        if accept_all_without_review:
            accepted += [
                row
                for row in await Reenrollment.filter(
                    campaign_id=campaign.id, status=ReenrollmentStatus.CONFIRMED
                )
                .exclude(id__in=list(wanted))
                .select_for_update()
                .order_by("id")
            ]
        refused = [rows[i] for i in refuse_ids]
        await _write_enrollments(accepted, rollover.next_period_id, staff, now)
        for row in refused:
            row.status = ReenrollmentStatus.REFUSED
        for row in [*accepted, *refused]:
            row.decided_by_id, row.decided_at = staff.id, now
        for row in refused:
            await row.save(update_fields=["status", "decided_by_id", "decided_at"])
        await _close_requests([*accepted, *refused], staff, comment, clock)
        await _mail_decisions([*accepted, *refused], rollover.next_period, comment, clock)
        await audit.record(
            "reenrollment.decide",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="period",
            target_id=period_id,
            clock=clock,
            details={"accepted": [r.id for r in accepted], "refused": [r.id for r in refused]},
        )
    return Decisions(accepted, refused)


async def _write_enrollments(
    accepted: list[Reenrollment], period_id: int, staff: Account, now: object
) -> None:
    """Next year's enrolments, set-based; one already there (staff enrolled the child by
    hand) is activated and linked, not duplicated."""
    if not accepted:
        return
    child_ids = {row.child_id for row in accepted}
    existing = {
        (row.child_id, row.activity_id): row
        for row in await Enrollment.filter(period_id=period_id, child_id__in=list(child_ids))
    }
    await Enrollment.bulk_create(
        [
            Enrollment(
                child_id=row.child_id,
                activity_id=row.activity_id,
                site_id=row.site_id,
                period_id=period_id,
                status=EnrollmentStatus.ACTIVE,
                requested_by_id=row.answered_by_id,
                decided_by_id=staff.id,
                decided_at=now,
                request_id=row.request_id,
                created_at=now,
                comment="Réinscription",
            )
            for row in accepted
            if (row.child_id, row.activity_id) not in existing
        ]
    )
    stale = [row.id for row in existing.values() if row.status != EnrollmentStatus.ACTIVE]
    if stale:
        await Enrollment.filter(id__in=stale).update(
            status=EnrollmentStatus.ACTIVE, decided_by_id=staff.id, decided_at=now
        )
    written = {
        (row.child_id, row.activity_id): row.id
        for row in await Enrollment.filter(period_id=period_id, child_id__in=list(child_ids))
    }
    for row in accepted:
        row.status = ReenrollmentStatus.ACCEPTED
        row.new_enrollment_id = written[(row.child_id, row.activity_id)]
        await row.save(update_fields=["status", "new_enrollment_id", "decided_by_id", "decided_at"])


async def _close_requests(
    decided: list[Reenrollment], staff: Account, comment: str, clock: Clock
) -> None:
    """A family's request is finished once none of its lines waits for staff."""
    request_ids = {row.request_id for row in decided if row.request_id is not None}
    if not request_ids:
        return
    waiting = set(
        await Reenrollment.filter(request_id__in=list(request_ids), status__in=ANSWERED)
        .exclude(id__in=[row.id for row in decided])
        .values_list("request_id", flat=True)
    )
    now = clock.now()
    for request in await Request.filter(id__in=list(request_ids - waiting)).order_by("id"):
        statuses = set(
            await Reenrollment.filter(request_id=request.id).values_list("status", flat=True)
        )
        refused_only = statuses <= {ReenrollmentStatus.REFUSED, ReenrollmentStatus.DROPPED}
        await change_status(
            request,
            RequestStatus.REJECTED if refused_only else RequestStatus.COMPLETED,
            actor=staff,
            comment=comment or "Réinscriptions traitées",
            clock=clock,
            at=now,
        )


async def _mail_decisions(
    decided: list[Reenrollment], period: Period, comment: str, clock: Clock
) -> None:
    by_household: dict[int, list[Reenrollment]] = defaultdict(list)
    for row in decided:
        by_household[row.household_id].append(row)
    if not by_household:
        return
    lines = {
        row.id: row
        for row in await Reenrollment.filter(id__in=[r.id for r in decided]).select_related(
            "child", "activity", "site"
        )
    }
    tenant = await Tenant.get(id=period.tenant_id)
    for household_id, rows in sorted(by_household.items()):
        for email in await guardian_emails(household_id):
            await queue_mail(
                email,
                "reenrollment_decision",
                {
                    "town": tenant.name,
                    "period": period.name,
                    "comment": comment,
                    "lines": [
                        {
                            "child": lines[row.id].child.first_names,
                            "activity": lines[row.id].activity.name,
                            "site": lines[row.id].site.name,
                            "decision": _WORDS[row.status],
                        }
                        for row in rows
                    ],
                },
                clock=clock,
            )


async def queue_reenrollment_reminders(*, clock: Clock) -> int:
    """Mail the families of open campaigns who have not answered, once, in the last days.

    Safe to run twice: the lines reminded are marked in the transaction that queues the
    mails, under a row lock, so a second run (or a second worker) finds nothing to do.
    Returns how many households were mailed.
    """
    days = get_settings().reenrollment_reminder_days
    utc_today = clock.now().date()
    campaigns = await ReenrollmentCampaign.filter(
        until__gte=utc_today - timedelta(days=1), until__lte=utc_today + timedelta(days=days + 1)
    ).select_related("tenant", "rollover__next_period")
    mailed = 0
    for campaign in campaigns:
        today = town_today(campaign.tenant, clock)
        if not today <= campaign.until <= today + timedelta(days=days):
            continue
        unanswered = await Reenrollment.filter(
            campaign_id=campaign.id,
            status=ReenrollmentStatus.PROPOSED,
            reminded_at__isnull=True,
        ).values_list("household_id", flat=True)
        households = sorted({int(str(pk)) for pk in unanswered})
        for household_id in households:
            if await _remind(campaign, household_id, clock):
                mailed += 1
    return mailed


async def _remind(campaign: ReenrollmentCampaign, household_id: int, clock: Clock) -> bool:
    async with atomic():
        rows = (
            await Reenrollment.filter(
                campaign_id=campaign.id,
                household_id=household_id,
                status=ReenrollmentStatus.PROPOSED,
                reminded_at__isnull=True,
            )
            .select_for_update()
            .order_by("id")
        )
        if not rows:
            return False  # another run got there first
        await Reenrollment.filter(id__in=[row.id for row in rows]).update(reminded_at=clock.now())
        lines = await Reenrollment.filter(id__in=[row.id for row in rows]).select_related(
            "child", "activity"
        )
        for email in await guardian_emails(household_id):
            await queue_mail(
                email,
                "reenrollment_reminder",
                {
                    "town": campaign.tenant.name,
                    "period": campaign.rollover.next_period.name,
                    "until": format_date(campaign.until),
                    "lines": [
                        {"child": row.child.first_names, "activity": row.activity.name}
                        for row in lines
                    ],
                },
                clock=clock,
            )
    return True
