"""What parents change in their children's files goes through staff: a change of name, birth
date, class, health notes, PAI or diet is a ``CHILD_UPDATE`` request that an agent accepts
(the change is applied then) or refuses, in the request history and mailed to the guardians
(resolvers/requests). Health data and PAI commit the town's staff (a doctor's protocol, the
kitchen's menus): a parent's word alone does not change them.
"""

from dataclasses import asdict
from datetime import date
from typing import Any

from models.accounts import Account, AccountRole
from models.households import Child, Diet
from models.requests import Request, RequestKind
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import DomainError, Forbidden, HouseholdErrorCode, NotFound
from resolvers.core.transactions import atomic
from resolvers.households.family_files import ChildChanges, check_child
from resolvers.households.households import household_for
from resolvers.households.requests import open_request

PAYLOAD_VERSION = 1
_LABELS = {
    "last_name": "nom",
    "first_names": "prénom",
    "birth_date": "date de naissance",
    "school": "école",
    "school_class": "classe",
    "health_notes": "informations de santé",
    "has_pai": "PAI",
    "pai_details": "PAI",
    "diet": "régime alimentaire",
}


def _as_json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Diet):
        return value.value
    return value.strip() if isinstance(value, str) else value


def _from_json(changes: dict[str, Any]) -> ChildChanges:
    values = dict(changes)
    if values.get("birth_date") is not None:
        values["birth_date"] = date.fromisoformat(values["birth_date"])
    if values.get("diet") is not None:
        values["diet"] = Diet(values["diet"])
    return ChildChanges(**values)


async def request_child_update(
    actor: Account | None, child_id: int, changes: ChildChanges, *, clock: Clock
) -> Request:
    """A parent asks to change their child's details: submitted for staff to decide."""
    child = await Child.get_or_none(id=child_id)
    if child is None or child.archived_at is not None:
        raise NotFound("Enfant", "childId")
    try:
        household = await household_for(actor, child.household_id)
    except NotFound:
        raise NotFound("Enfant", "childId") from None
    assert actor is not None
    if actor.role != AccountRole.PARENT:
        raise Forbidden("Les agents modifient la fiche directement (updateChild).")
    check_child(changes, clock.now().date())
    wanted = {
        name: _as_json(value)
        for name, value in asdict(changes).items()
        if value is not None and _as_json(value) != _as_json(getattr(child, name))
    }
    if not wanted:
        raise DomainError(
            HouseholdErrorCode.INVALID,
            "La demande ne change rien à la fiche de l'enfant.",
            "input",
        )
    labels = list(dict.fromkeys(_LABELS[name] for name in wanted))
    summary = f"Modification de la fiche de {child.first_names} : {', '.join(labels)}"
    async with atomic():
        return await open_request(
            household,
            RequestKind.CHILD_UPDATE,
            summary,
            actor=actor,
            clock=clock,
            payload={"version": PAYLOAD_VERSION, "child": child.id, "changes": wanted},
        )


async def apply_child_update(staff: Account, request: Request, *, clock: Clock) -> Child:
    """An agent accepted a ``CHILD_UPDATE`` request: the asked values replace the file's."""
    child = await Child.get_or_none(
        id=request.payload.get("child"), household_id=request.household_id, archived_at=None
    )
    if child is None:
        raise DomainError(
            HouseholdErrorCode.INVALID,
            "L'enfant de cette demande n'est plus dans le dossier : refusez la demande.",
            "requestId",
        )
    changes = _from_json(request.payload.get("changes", {}))
    check_child(changes, clock.now().date())
    changed = []
    for name, value in asdict(changes).items():
        if value is not None and value != getattr(child, name):
            setattr(child, name, value)
            changed.append(name)
    if changed:
        await child.save(update_fields=changed)
    await audit.record(
        "child.update",
        tenant_id=staff.tenant_id,
        actor=staff,
        target_type="child",
        target_id=child.id,
        clock=clock,
        details={"fields": changed, "request": request.id},
    )
    return child
