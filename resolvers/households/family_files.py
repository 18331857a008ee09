"""Family files for life: staff keep children, guardians and the household's data up to date
after ``create_household``, archive a file when the family leaves and restore it.

Every change is audited (who, what, which fields: the values of health data stay out of the
audit log). A child with a history (bookings, attendance, invoices, absences) is archived,
not deleted: the town must still print their invoices, tax certificates and past sheets. A
removed guardian's account loses the file at once: the access rule (``household_for``)
reads the guardian rows on every request.
"""

from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum
from typing import Any

from models.absences import AbsenceReport
from models.accounts import Account, AccountRole, Civility
from models.billing import Attendance, InvoiceLine
from models.bookings import Booking, BookingStatus
from models.feeds import CalendarFeed
from models.households import Child, Diet, FamilyQuotientSource, Guardian, Household
from models.requests import RequestKind, RequestStatus
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import (
    DomainError,
    HouseholdErrorCode,
    NotFound,
    ValidationErrors,
)
from resolvers.core.transactions import atomic
from resolvers.households.households import (
    ChildForm,
    GuardianForm,
    household_for,
    require_staff,
)
from resolvers.households.requests import open_request


class Residency(StrEnum):
    """How the town prices the household: by its postal code, or decided by an agent."""

    BY_POSTAL_CODE = "by_postal_code"
    RESIDENT = "resident"
    NON_RESIDENT = "non_resident"


_RESIDENT_OVERRIDE: dict[Residency, bool | None] = {
    Residency.BY_POSTAL_CODE: None,
    Residency.RESIDENT: True,
    Residency.NON_RESIDENT: False,
}


def residency_of(household: Household) -> Residency:
    if household.resident_override is None:
        return Residency.BY_POSTAL_CODE
    return Residency.RESIDENT if household.resident_override else Residency.NON_RESIDENT


@dataclass
class ChildChanges:
    """A child's fields to change; None leaves a field as it is."""

    last_name: str | None = None
    first_names: str | None = None
    birth_date: date | None = None
    school: str | None = None
    school_class: str | None = None
    health_notes: str | None = None
    has_pai: bool | None = None
    pai_details: str | None = None
    diet: Diet | None = None


@dataclass
class GuardianChanges:
    """A guardian's fields to change; None leaves a field as it is."""

    civility: Civility | None = None
    last_name: str | None = None
    first_names: str | None = None
    relationship: str | None = None
    email: str | None = None
    phone_mobile: str | None = None
    phone_work: str | None = None
    is_payer: bool | None = None
    receives_mail: bool | None = None


@dataclass
class HouseholdChanges:
    """The household's own data to change; None leaves a field as it is."""

    name: str | None = None
    address_line: str | None = None
    address_complement: str | None = None
    postal_code: str | None = None
    city: str | None = None
    phone: str | None = None
    email: str | None = None
    residency: Residency | None = None
    paperless: bool | None = None


@dataclass
class ChildRemoval:
    """What ``remove_child`` did: deleted (entered by mistake) or archived (has a history)."""

    child: Child
    archived: bool


def _trimmed(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _apply(row: Any, changes: Any) -> list[str]:
    """Set the fields given; the names of those that really changed, for the audit."""
    changed = []
    for item in fields(changes):
        value = _trimmed(getattr(changes, item.name))
        if value is not None and value != getattr(row, item.name):
            setattr(row, item.name, value)
            changed.append(item.name)
    return changed


def check_child(child: ChildForm | ChildChanges | Child, today: date, field: str = "") -> None:
    """The rules a child's file follows, whoever edits it (staff or an accepted request)."""
    prefix = f"{field}." if field else ""
    problems = []
    if child.first_names is not None and not child.first_names.strip():
        problems.append(
            DomainError(
                HouseholdErrorCode.REQUIRED,
                "Le prénom de l'enfant est obligatoire.",
                f"{prefix}firstNames",
            )
        )
    if child.last_name is not None and not child.last_name.strip():
        problems.append(
            DomainError(
                HouseholdErrorCode.REQUIRED,
                "Le nom de l'enfant est obligatoire.",
                f"{prefix}lastName",
            )
        )
    if child.birth_date is not None and child.birth_date > today:
        problems.append(
            DomainError(
                HouseholdErrorCode.INVALID,
                "La date de naissance est dans le futur.",
                f"{prefix}birthDate",
            )
        )
    if problems:
        raise ValidationErrors(problems)


async def _staff_household(actor: Account | None, household_id: int) -> tuple[Account, Household]:
    staff = require_staff(actor)
    household = await Household.get_or_none(id=household_id, tenant_id=staff.tenant_id)
    if household is None:
        raise NotFound("Foyer", "householdId")
    return staff, household


async def _staff_child(actor: Account | None, child_id: int) -> tuple[Account, Child, Household]:
    staff = require_staff(actor)
    child = await Child.get_or_none(id=child_id, household__tenant_id=staff.tenant_id)
    if child is None:
        raise NotFound("Enfant", "childId")
    return staff, child, await Household.get(id=child.household_id)


async def _staff_guardian(
    actor: Account | None, guardian_id: int
) -> tuple[Account, Guardian, Household]:
    staff = require_staff(actor)
    guardian = await Guardian.get_or_none(id=guardian_id, household__tenant_id=staff.tenant_id)
    if guardian is None:
        raise NotFound("Responsable", "guardianId")
    return staff, guardian, await Household.get(id=guardian.household_id)


def _refuse_archived(household: Household, field: str = "householdId") -> None:
    if household.archived_at is not None:
        raise DomainError(
            HouseholdErrorCode.ARCHIVED,
            "Ce dossier est archivé : restaurez-le avant de le modifier.",
            field,
        )


async def _audit(
    action: str, staff: Account, kind: str, target_id: int, clock: Clock, **details: Any
) -> None:
    await audit.record(
        action,
        tenant_id=staff.tenant_id,
        actor=staff,
        target_type=kind,
        target_id=target_id,
        clock=clock,
        details=details,
    )


async def add_child(
    actor: Account | None, household_id: int, form: ChildForm, *, clock: Clock
) -> Child:
    """A new child in the file (a birth, a child coming to the town's school).

    Roles: AGENT
    """
    staff, household = await _staff_household(actor, household_id)
    _refuse_archived(household)
    check_child(form, clock.now().date())
    async with atomic():
        child = await Child.create(
            household=household,
            last_name=form.last_name.strip(),
            first_names=form.first_names.strip(),
            birth_date=form.birth_date,
            school_class=form.school_class.strip(),
            health_notes=form.health_notes.strip(),
            has_pai=form.has_pai,
            pai_details=form.pai_details.strip(),
            diet=form.diet,
        )
        await _audit("child.add", staff, "child", child.id, clock, household=household.id)
    return child


async def update_child(
    actor: Account | None, child_id: int, changes: ChildChanges, *, clock: Clock
) -> Child:
    """Class, school, health notes, PAI, diet… as the family or the school tell the town.

    Roles: AGENT
    """
    staff, child, household = await _staff_child(actor, child_id)
    _refuse_archived(household)
    check_child(changes, clock.now().date())
    async with atomic():
        changed = _apply(child, changes)
        if changed:
            await child.save(update_fields=changed)
        await _audit("child.update", staff, "child", child.id, clock, fields=changed)
    return child


async def remove_child(actor: Account | None, child_id: int, *, clock: Clock) -> ChildRemoval:
    """Take a child out of the file.

    A child entered by mistake (no booking, attendance, invoice line or absence) is deleted.
    A child with a history is archived instead: kept for the invoices, tax certificates and
    past attendance sheets, hidden from the file and the calendar, never bookable again. Days
    still booked from today on are refused with a reason: cancelling them is a calendar
    decision (deadlines, waiting lists, billing) the agent makes first.

    Roles: AGENT
    """
    staff, child, _household = await _staff_child(actor, child_id)
    if child.archived_at is not None:
        return ChildRemoval(child, archived=True)
    today = clock.now().date()
    if await Booking.exists(
        child_id=child.id,
        day__gte=today,
        status__in=[BookingStatus.BOOKED, BookingStatus.WAITING],
    ):
        raise DomainError(
            HouseholdErrorCode.FUTURE_BOOKINGS,
            f"{child.first_names} a encore des jours réservés à partir d'aujourd'hui : "
            "annulez-les avant de retirer l'enfant du dossier.",
            "childId",
        )
    has_history = (
        await Booking.exists(child_id=child.id)
        or await Attendance.exists(child_id=child.id)
        or await InvoiceLine.exists(child_id=child.id)
        or await AbsenceReport.exists(child_id=child.id)
    )
    async with atomic():
        if has_history:
            child.archived_at = clock.now()
            await child.save(update_fields=["archived_at"])
            await _audit("child.archive", staff, "child", child.id, clock)
        else:
            await _audit("child.delete", staff, "child", child.id, clock, name=child.first_names)
            await child.delete()
    return ChildRemoval(child, archived=has_history)


async def add_guardian(
    actor: Account | None, household_id: int, form: GuardianForm, *, clock: Clock
) -> Guardian:
    """A new adult responsible for the children (a new partner, a tutor). They link their own
    account with an access key (``issueAccessKey``).

    Roles: AGENT
    """
    staff, household = await _staff_household(actor, household_id)
    _refuse_archived(household)
    problems = []
    if not form.last_name.strip():
        problems.append(
            DomainError(HouseholdErrorCode.REQUIRED, "Le nom est obligatoire.", "lastName")
        )
    if not form.first_names.strip():
        problems.append(
            DomainError(HouseholdErrorCode.REQUIRED, "Le prénom est obligatoire.", "firstNames")
        )
    if form.email.strip() and "@" not in form.email:
        problems.append(
            DomainError(HouseholdErrorCode.INVALID, "L'adresse e-mail n'est pas valide.", "email")
        )
    if problems:
        raise ValidationErrors(problems)
    async with atomic():
        guardian = await Guardian.create(
            household=household,
            civility=form.civility,
            last_name=form.last_name.strip(),
            first_names=form.first_names.strip(),
            relationship=form.relationship.strip(),
            email=form.email.strip().lower(),
            phone_mobile=form.phone_mobile.strip(),
            phone_work=form.phone_work.strip(),
            is_payer=form.is_payer,
        )
        await _audit("guardian.add", staff, "guardian", guardian.id, clock, household=household.id)
    return guardian


async def _check_payer_left(household_id: int, leaving: Guardian) -> None:
    """Invoices name a payer: the file's last payer cannot stop paying without a successor."""
    if (
        leaving.is_payer
        and not await Guardian.filter(household_id=household_id, is_payer=True)
        .exclude(id=leaving.id)
        .exists()
    ):
        raise DomainError(
            HouseholdErrorCode.PAYER_REQUIRED,
            f"{leaving.first_names} {leaving.last_name} est le seul payeur du dossier : "
            "désignez d'abord un autre payeur.",
            "isPayer",
        )


async def update_guardian(
    actor: Account | None, guardian_id: int, changes: GuardianChanges, *, clock: Clock
) -> Guardian:
    """Contact details, who pays (``isPayer``) and who receives the town's mails.

    Roles: AGENT
    """
    staff, guardian, household = await _staff_guardian(actor, guardian_id)
    _refuse_archived(household, "guardianId")
    if changes.email is not None and changes.email.strip() and "@" not in changes.email:
        raise DomainError(HouseholdErrorCode.INVALID, "L'adresse e-mail n'est pas valide.", "email")
    for name in ("last_name", "first_names"):
        if getattr(changes, name) is not None and not getattr(changes, name).strip():
            raise DomainError(
                HouseholdErrorCode.REQUIRED,
                "Nom et prénom du responsable obligatoires.",
                "lastName" if name == "last_name" else "firstNames",
            )
    if changes.is_payer is False:
        await _check_payer_left(household.id, guardian)
    if changes.email is not None:
        changes.email = changes.email.strip().lower()
    async with atomic():
        changed = _apply(guardian, changes)
        if changed:
            await guardian.save(update_fields=changed)
        await _audit("guardian.update", staff, "guardian", guardian.id, clock, fields=changed)
    return guardian


async def remove_guardian(actor: Account | None, guardian_id: int, *, clock: Clock) -> Household:
    """Take a guardian off the file (after a separation, a tutorship ending): their account,
    if linked, loses access to the file at once, their calendar feed links of its children
    stop; the other guardians keep theirs.

    Roles: AGENT
    """
    staff, guardian, household = await _staff_guardian(actor, guardian_id)
    if not await Guardian.filter(household_id=household.id).exclude(id=guardian.id).exists():
        raise DomainError(
            HouseholdErrorCode.LAST_GUARDIAN,
            "Un dossier garde au moins un responsable : ajoutez l'autre responsable avant de "
            "retirer celui-ci, ou archivez le dossier.",
            "guardianId",
        )
    await _check_payer_left(household.id, guardian)
    async with atomic():
        await _audit(
            "guardian.remove",
            staff,
            "guardian",
            guardian.id,
            clock,
            household=household.id,
            account=guardian.account_id,
        )
        if guardian.account_id is not None:
            # Their private calendar links show the children's days: they end with the access.
            await CalendarFeed.filter(
                created_by_id=guardian.account_id,
                child__household_id=household.id,
                revoked_at__isnull=True,
            ).update(revoked_at=clock.now())
        await guardian.delete()
    return household


async def update_household(
    actor: Account | None, household_id: int, changes: HouseholdChanges, *, clock: Clock
) -> Household:
    """The household's name, address, residency for pricing and paperless invoices.

    Roles: AGENT
    """
    staff, household = await _staff_household(actor, household_id)
    _refuse_archived(household)
    if changes.name is not None and not changes.name.strip():
        raise DomainError(HouseholdErrorCode.REQUIRED, "Le nom du foyer est obligatoire.", "name")
    postal_code = _trimmed(changes.postal_code)
    if postal_code and not (postal_code.isdigit() and len(postal_code) == 5):
        raise DomainError(
            HouseholdErrorCode.INVALID, "Le code postal doit avoir 5 chiffres.", "postalCode"
        )
    if changes.email is not None and changes.email.strip() and "@" not in changes.email:
        raise DomainError(HouseholdErrorCode.INVALID, "L'adresse e-mail n'est pas valide.", "email")
    residency = changes.residency
    changes.residency = None
    if changes.email is not None:
        changes.email = changes.email.strip().lower()
    async with atomic():
        changed = _apply(household, changes)
        if residency is not None and _RESIDENT_OVERRIDE[residency] != household.resident_override:
            household.resident_override = _RESIDENT_OVERRIDE[residency]
            changed.append("resident_override")
        if changed:
            await household.save(update_fields=changed)
        await _audit("household.update", staff, "household", household.id, clock, fields=changed)
    return household


async def set_family_quotient(
    actor: Account | None,
    household_id: int,
    quotient: int | None,
    valid_until: date | None,
    source: FamilyQuotientSource,
    *,
    clock: Clock,
) -> Household:
    """Record the family quotient with where it came from and when: the invoices of every day
    it is valid on use it (resolvers/billing reads quotient and validity per day).

    Roles: AGENT
    """
    staff, household = await _staff_household(actor, household_id)
    _refuse_archived(household)
    today = clock.now().date()
    if quotient is not None and quotient < 0:
        raise DomainError(
            HouseholdErrorCode.INVALID, "Le quotient ne peut pas être négatif.", "quotient"
        )
    if valid_until is not None and valid_until < today:
        raise DomainError(
            HouseholdErrorCode.INVALID,
            "La date de fin de validité du quotient est déjà passée.",
            "validUntil",
        )
    before = household.family_quotient
    async with atomic():
        household.family_quotient = quotient
        household.family_quotient_valid_until = valid_until if quotient is not None else None
        household.family_quotient_source = source if quotient is not None else None  # type: ignore[assignment]
        household.family_quotient_set_on = today
        # Typed or read from a proof: no longer the quotient API Particulier gave.
        household.family_quotient_month = None
        household.family_quotient_provider = None
        await household.save(
            update_fields=[
                "family_quotient",
                "family_quotient_valid_until",
                "family_quotient_source",
                "family_quotient_set_on",
                "family_quotient_month",
                "family_quotient_provider",
            ]
        )
        await _audit(
            "household.family_quotient",
            staff,
            "household",
            household.id,
            clock,
            before=before,
            after=quotient,
            source=source.value,
        )
    return household


async def set_archived(
    actor: Account | None, household_id: int, archived: bool, *, clock: Clock
) -> Household:
    """Archive a file (the family left): hidden from the staff's default list, no new booking
    or enrolment, kept for billing, payments and certificates. Refused while days are booked
    from today on, as for a child. Restoring reopens it.

    Roles: AGENT
    """
    staff, household = await _staff_household(actor, household_id)
    if (household.archived_at is not None) == archived:
        return household
    if archived and await Booking.exists(
        child__household_id=household.id,
        day__gte=clock.now().date(),
        status__in=[BookingStatus.BOOKED, BookingStatus.WAITING],
    ):
        raise DomainError(
            HouseholdErrorCode.FUTURE_BOOKINGS,
            "Des jours sont encore réservés à partir d'aujourd'hui pour ce foyer : "
            "annulez-les avant d'archiver le dossier (la cuisine et les listes de présence "
            "les comptent encore).",
            "householdId",
        )
    async with atomic():
        household.archived_at = clock.now() if archived else None
        await household.save(update_fields=["archived_at"])
        await _audit(
            "household.archive" if archived else "household.restore",
            staff,
            "household",
            household.id,
            clock,
        )
    return household


async def set_paperless(
    actor: Account | None, household_id: int, paperless: bool, *, clock: Clock
) -> Household:
    """Invoices by e-mail only, or on paper: the family decides it themselves (recorded in
    their requests, done at once); an agent may set it too (audited).

    Roles: AGENT (and the household's guardians)
    """
    household = await household_for(actor, household_id)
    assert actor is not None
    if household.paperless == paperless:
        return household
    async with atomic():
        household.paperless = paperless
        await household.save(update_fields=["paperless"])
        if actor.role == AccountRole.PARENT:
            await open_request(
                household,
                RequestKind.CONTACT_DETAILS_UPDATE,
                "Facture en ligne activée" if paperless else "Factures papier demandées",
                actor=actor,
                clock=clock,
                status=RequestStatus.COMPLETED,
                payload={"changes": {"paperless": {"before": not paperless, "after": paperless}}},
            )
        else:
            await _audit(
                "household.update", actor, "household", household.id, clock, fields=["paperless"]
            )
    return household
