"""Domain enums exposed to GraphQL, registered once with their descriptions."""

import strawberry

from models.accounts import AccountRole, Civility
from models.households import ContactKind, Diet
from models.requests import RequestKind, RequestStatus

AccountRoleEnum = strawberry.enum(
    AccountRole, description="PARENT reaches their household; AGENT and ADMIN their town."
)
CivilityEnum = strawberry.enum(Civility, description="Civilité: MADAME (Mme) or MONSIEUR (M.).")
DietEnum = strawberry.enum(Diet, description="Meal regime the canteen follows for a child.")
ContactKindEnum = strawberry.enum(
    ContactKind,
    description="DOCTOR (médecin), EMERGENCY (personne à prévenir), "
    "AUTHORISED_PICKUP (personne autorisée à récupérer l'enfant).",
)
RequestKindEnum = strawberry.enum(RequestKind, description="What a request (demande) asks for.")
RequestStatusEnum = strawberry.enum(
    RequestStatus, description="Where a request stands: SUBMITTED, IN_REVIEW, COMPLETED, REJECTED."
)
