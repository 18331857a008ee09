"""Appointment requests (« Solliciter un rendez-vous », e.g. for a crèche place): a parent
asks for a meeting with a subject and the slots that suit them; an agent answers with a
date, a time and a place (the request is completed), or refuses it with a reason (the
inbox's ordinary ``REJECT``). Both land in the request history and are mailed in French to
the family (``requests_inbox.move_request``).
"""

from dataclasses import dataclass
from datetime import datetime

from models.accounts import Account, AccountRole
from models.requests import Request, RequestKind, RequestStatus
from models.tenants import Tenant
from resolvers.core.clock import Clock
from resolvers.core.errors import CommunicationErrorCode, DomainError, Forbidden, NotFound
from resolvers.core.french import format_datetime
from resolvers.core.transactions import atomic
from resolvers.households.households import household_for, require_staff
from resolvers.households.requests import open_request
from resolvers.requests.requests_inbox import MAX_COMMENT, move_request

PAYLOAD_VERSION = 1
MAX_SUBJECT = 150
MAX_SLOT = 100
MAX_SLOTS = 5
MAX_PLACE = 200


@dataclass(frozen=True)
class Appointment:
    """The meeting an agent set: when (UTC) and where, as told to the family."""

    starts_at: datetime
    place: str


def _text(value: str, limit: int, field: str, label: str, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        raise DomainError(CommunicationErrorCode.REQUIRED, f"Indiquez {label}.", field)
    if len(value) > limit:
        raise DomainError(
            CommunicationErrorCode.INVALID,
            f"{label[0].upper()}{label[1:]} dépasse {limit} caractères.",
            field,
        )
    return value


async def request_appointment(
    actor: Account | None,
    household_id: int,
    subject: str,
    preferred_slots: list[str],
    message: str,
    *,
    clock: Clock,
) -> Request:
    """A guardian asks the town for an appointment: submitted for staff to answer."""
    household = await household_for(actor, household_id)
    assert actor is not None
    if actor.role != AccountRole.PARENT:
        raise Forbidden("Les agents fixent un rendez-vous directement avec la famille.")
    subject = _text(subject, MAX_SUBJECT, "subject", "l'objet du rendez-vous", required=True)
    slots = [
        _text(slot, MAX_SLOT, "preferredSlots", "un créneau souhaité", required=False)
        for slot in preferred_slots
    ]
    slots = [slot for slot in slots if slot]
    if not slots:
        raise DomainError(
            CommunicationErrorCode.REQUIRED,
            "Indiquez au moins un créneau qui vous convient (par exemple « mardi matin »).",
            "preferredSlots",
        )
    if len(slots) > MAX_SLOTS:
        raise DomainError(
            CommunicationErrorCode.INVALID,
            f"Proposez {MAX_SLOTS} créneaux au plus.",
            "preferredSlots",
        )
    message = _text(message, MAX_COMMENT, "message", "le message", required=False)
    async with atomic():
        # The parent's own words live in the history step, as for the other requests.
        return await open_request(
            household,
            RequestKind.APPOINTMENT,
            f"Demande de rendez-vous : {subject}",
            actor=actor,
            clock=clock,
            payload={"version": PAYLOAD_VERSION, "subject": subject, "slots": slots},
            comment=f"Créneaux souhaités : {', '.join(slots)}. {message}".strip()[:MAX_COMMENT],
        )


async def answer_appointment(
    actor: Account | None,
    request_id: int,
    starts_at: datetime,
    place: str,
    comment: str,
    *,
    clock: Clock,
) -> Request:
    """Set the appointment's date, time and place and complete the request (history,
    audit, mail to the family).

    Roles: AGENT
    """
    staff = require_staff(actor)
    request = await Request.get_or_none(
        id=request_id, tenant_id=staff.tenant_id, kind=RequestKind.APPOINTMENT
    )
    if request is None:
        raise NotFound("Demande", "requestId")
    if starts_at.tzinfo is None or starts_at <= clock.now():
        raise DomainError(
            CommunicationErrorCode.INVALID,
            "Le rendez-vous doit être fixé à une date et une heure à venir.",
            "startsAt",
        )
    place = _text(place, MAX_PLACE, "place", "le lieu du rendez-vous", required=True)
    comment = _text(comment, MAX_COMMENT, "comment", "le commentaire", required=False)
    tenant = await Tenant.get(id=request.tenant_id)
    told = f"Rendez-vous fixé le {format_datetime(starts_at, tenant.timezone)}, lieu : {place}."
    if comment:
        told = f"{told} {comment}"
    async with atomic():
        request.payload = {
            **request.payload,
            "appointment": {"starts_at": starts_at.isoformat(), "place": place},
        }
        await request.save(update_fields=["payload"])
        return await move_request(
            staff, request, RequestStatus.COMPLETED, told[:MAX_COMMENT], clock=clock
        )


def appointment_of(request: Request) -> Appointment | None:
    """The appointment an agent set on an ``APPOINTMENT`` request, if any."""
    found = (
        (request.payload or {}).get("appointment")
        if request.kind == RequestKind.APPOINTMENT
        else None
    )
    if not found:
        return None
    return Appointment(datetime.fromisoformat(found["starts_at"]), found["place"])
