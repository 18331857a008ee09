"""Domain enums registered with GraphQL once, with their descriptions.

The model enums themselves are the GraphQL enums: import them from here in gql/ so the
registration has always run.
"""

import strawberry

from models.accounts import AccountRole, Civility
from models.households import ContactKind, Diet
from models.requests import RequestKind, RequestStatus

strawberry.enum(
    AccountRole, description="PARENT reaches their household; AGENT and ADMIN their town."
)
strawberry.enum(Civility, description="Civilité: MADAME (Mme) or MONSIEUR (M.).")
strawberry.enum(Diet, description="Meal regime the canteen follows for a child.")
strawberry.enum(
    ContactKind,
    description="DOCTOR (médecin), EMERGENCY (personne à prévenir), "
    "AUTHORISED_PICKUP (personne autorisée à récupérer l'enfant).",
)
strawberry.enum(RequestKind, description="What a request (demande) asks for.")
strawberry.enum(
    RequestStatus,
    description="Where a request stands: SUBMITTED, IN_REVIEW, COMPLETED, REJECTED.",
)

__all__ = ["AccountRole", "Civility", "ContactKind", "Diet", "RequestKind", "RequestStatus"]
