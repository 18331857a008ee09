"""Consents (autorisations parentales) per child, of the types the town defines: droit à l'image,
rentrer seul, soins d'urgence, transport…

A guardian answers yes or no; each answer is a new row with its author and time, so the
history stays (the latest answer is in force). A required type left unanswered blocks the
child's enrolments (resolvers/calendar/enrollments.py asks ``missing_required``); the
attendance sheets show the answers in force.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from models.accounts import Account, AccountRole
from models.households import Child, ConsentAnswer, ConsentType
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import (
    DomainError,
    HouseholdErrorCode,
    NotAuthenticated,
    NotFound,
)
from resolvers.core.transactions import atomic
from resolvers.households.households import household_for, require_staff

MAX_NAME = 100
MAX_DESCRIPTION = 2000


@dataclass
class ConsentTypeForm:
    name: str
    description: str = ""
    required: bool = False
    active: bool = True


@dataclass
class ChildConsent:
    """A consent type and the answer in force for one child (None: not answered yet)."""

    consent_type: ConsentType
    answer: ConsentAnswer | None


def _checked(form: ConsentTypeForm) -> ConsentTypeForm:
    form = ConsentTypeForm(form.name.strip(), form.description.strip(), form.required, form.active)
    if not form.name:
        raise DomainError(
            HouseholdErrorCode.REQUIRED, "Le nom de l'autorisation est obligatoire.", "name"
        )
    if len(form.name) > MAX_NAME:
        raise DomainError(
            HouseholdErrorCode.INVALID, f"Le nom fait {MAX_NAME} caractères au plus.", "name"
        )
    if len(form.description) > MAX_DESCRIPTION:
        raise DomainError(
            HouseholdErrorCode.INVALID,
            f"La description fait {MAX_DESCRIPTION} caractères au plus.",
            "description",
        )
    return form


async def save_consent_type(
    actor: Account | None,
    form: ConsentTypeForm,
    *,
    consent_type_id: int | None = None,
    clock: Clock,
) -> ConsentType:
    """Define a consent the town asks for every child, or change one (a retired type,
    ``active`` false, is no longer asked; its answers stay).

    Roles: ADMIN
    """
    staff = require_staff(actor)
    form = _checked(form)
    existing = None
    if consent_type_id is not None:
        existing = await ConsentType.get_or_none(id=consent_type_id, tenant_id=staff.tenant_id)
        if existing is None:
            raise NotFound("Autorisation", "consentTypeId")
    twin = ConsentType.filter(tenant_id=staff.tenant_id, name=form.name)
    if existing is not None:
        twin = twin.exclude(id=existing.id)
    if await twin.exists():
        raise DomainError(
            HouseholdErrorCode.INVALID,
            f"Une autorisation « {form.name} » existe déjà.",
            "name",
        )
    async with atomic():
        if existing is None:
            row = await ConsentType.create(
                tenant_id=staff.tenant_id,
                name=form.name,
                description=form.description,
                required=form.required,
                active=form.active,
                created_at=clock.now(),
            )
        else:
            row = existing
            row.update_from_dict(
                {
                    "name": form.name,
                    "description": form.description,
                    "required": form.required,
                    "active": form.active,
                }
            )
            await row.save()
        await audit.record(
            "consent_type.save",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="consent_type",
            target_id=row.id,
            clock=clock,
            details={"required": row.required, "active": row.active},
        )
    return row


async def consent_types(
    actor: Account | None, *, include_retired: bool = False
) -> list[ConsentType]:
    """The town's consent types, in the order it defined them; families see the active ones."""
    if actor is None:
        raise NotAuthenticated()
    query = ConsentType.filter(tenant_id=actor.tenant_id)
    if actor.role == AccountRole.PARENT or not include_retired:
        query = query.filter(active=True)
    return await query.order_by("id")


async def answer_consent(
    actor: Account | None,
    child_id: int,
    consent_type_id: int,
    granted: bool,
    *,
    clock: Clock,
) -> ConsentAnswer:
    """A guardian's yes or no for one child; an agent may type a signed paper form in (the
    author then says so). The earlier answers stay as history.

    Roles: AGENT (and the child's guardians)
    """
    if actor is None:
        raise NotAuthenticated()
    child = await Child.get_or_none(id=child_id)
    if child is None or child.archived_at is not None:
        raise NotFound("Enfant", "childId")
    try:
        household = await household_for(actor, child.household_id)
    except NotFound:
        raise NotFound("Enfant", "childId") from None
    consent_type = await ConsentType.get_or_none(
        id=consent_type_id, tenant_id=household.tenant_id, active=True
    )
    if consent_type is None:
        raise NotFound("Autorisation", "consentTypeId")
    author = f"{actor.first_names} {actor.last_name}".strip() or actor.email
    if actor.role != AccountRole.PARENT:
        author = f"{author} (formulaire papier saisi par la mairie)"
    async with atomic():
        answer = await ConsentAnswer.create(
            child=child,
            consent_type=consent_type,
            granted=granted,
            answered_by=actor,
            author_name=author[:260],
            answered_at=clock.now(),
        )
        await audit.record(
            "consent.answer",
            tenant_id=household.tenant_id,
            actor=actor,
            target_type="child",
            target_id=child.id,
            clock=clock,
            details={"consent_type": consent_type.id, "granted": granted},
        )
    return answer


async def consents_of(child_ids: Iterable[int], tenant_id: int) -> dict[int, list[ChildConsent]]:
    """Per child, every active type of the town with the answer in force (two statements)."""
    ids = list(child_ids)
    types = await ConsentType.filter(tenant_id=tenant_id, active=True).order_by("id")
    latest: dict[tuple[int, int], ConsentAnswer] = {}
    if ids and types:
        answers = await ConsentAnswer.filter(
            child_id__in=ids, consent_type_id__in=[t.id for t in types]
        ).order_by("answered_at", "id")
        for answer in answers:
            latest[(answer.child_id, answer.consent_type_id)] = answer
    return {
        child_id: [ChildConsent(t, latest.get((child_id, t.id))) for t in types] for child_id in ids
    }


async def consent_history(child_ids: Iterable[int]) -> dict[int, list[ConsentAnswer]]:
    """Every answer given for each child, newest first (one statement)."""
    found: dict[int, list[ConsentAnswer]] = defaultdict(list)
    for answer in await ConsentAnswer.filter(child_id__in=list(child_ids)).order_by(
        "-answered_at", "-id"
    ):
        found[answer.child_id].append(answer)
    return found


async def missing_required(child: Child, tenant_id: int) -> list[str]:
    """Names of the required consents not answered for the child (yes or no both count: the
    town needs to know, not that the family agrees)."""
    consents = (await consents_of([child.id], tenant_id))[child.id]
    return [c.consent_type.name for c in consents if c.consent_type.required and c.answer is None]
