"""The family quotient from a proof: a parent sends an avis d'imposition or an attestation CAF
(documents of their storage) with a ``FAMILY_QUOTIENT`` request; an agent reads it and
completes the request by setting the quotient, its validity and source, which prices the
invoices of every day it is valid on. Refusing it is the inbox's ordinary ``REJECT``.
"""

from datetime import date

from models.accounts import Account, AccountRole
from models.households import FamilyQuotientSource
from models.requests import Request, RequestKind, RequestStatus
from resolvers.core.clock import Clock
from resolvers.core.errors import DomainError, Forbidden, HouseholdErrorCode, NotFound
from resolvers.core.transactions import atomic
from resolvers.documents import documents
from resolvers.households.family_files import set_family_quotient
from resolvers.households.households import household_for, require_staff
from resolvers.households.requests import open_request
from resolvers.requests.requests_inbox import MAX_COMMENT, move_request

PAYLOAD_VERSION = 1


async def request_family_quotient(
    actor: Account | None,
    household_id: int,
    document_ids: list[int],
    comment: str,
    *,
    clock: Clock,
) -> Request:
    """A parent sends proofs of income for the town to set the household's quotient."""
    household = await household_for(actor, household_id)
    assert actor is not None
    if actor.role != AccountRole.PARENT:
        raise Forbidden("Les agents fixent le quotient directement (setFamilyQuotient).")
    if not document_ids:
        raise DomainError(
            HouseholdErrorCode.REQUIRED,
            "Joignez votre avis d'imposition ou votre attestation CAF.",
            "documentIds",
        )
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(
            HouseholdErrorCode.INVALID,
            f"Le commentaire dépasse {MAX_COMMENT} caractères.",
            "comment",
        )
    try:
        attached = await documents.owned_documents(actor, household.id, document_ids)
    except NotFound:
        raise NotFound("Document", "documentIds") from None
    async with atomic():
        request = await open_request(
            household,
            RequestKind.FAMILY_QUOTIENT,
            "Mise à jour du quotient familial (justificatif joint)",
            actor=actor,
            clock=clock,
            # The parent's words live in the history step (erased with it by retention).
            payload={"version": PAYLOAD_VERSION},
            comment=comment,
        )
        await documents.attach(request, attached, clock=clock)
    return request


async def complete_family_quotient(
    actor: Account | None,
    request_id: int,
    quotient: int,
    valid_until: date | None,
    source: FamilyQuotientSource,
    comment: str,
    *,
    clock: Clock,
) -> Request:
    """Set the quotient read on the proof and complete the request (history, audit, mail).

    Roles: AGENT
    """
    staff = require_staff(actor)
    request = await Request.get_or_none(
        id=request_id, tenant_id=staff.tenant_id, kind=RequestKind.FAMILY_QUOTIENT
    )
    if request is None:
        raise NotFound("Demande", "requestId")
    async with atomic():
        await set_family_quotient(
            staff, request.household_id, quotient, valid_until, source, clock=clock
        )
        word = f"Quotient familial fixé à {quotient} €"
        if valid_until is not None:
            word += f" jusqu'au {valid_until:%d/%m/%Y}"
        text = f"{word}. {comment.strip()}" if comment.strip() else word
        return await move_request(staff, request, RequestStatus.COMPLETED, text, clock=clock)
