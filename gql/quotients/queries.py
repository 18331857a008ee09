"""CAF/MSA quotient queries: a household's consent and last lookup."""

from typing import Annotated

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.quotients.types import QuotientConsent
from resolvers.quotients import family_quotients


@strawberry.type
class QuotientQueries:
    @strawberry.field(
        description="Staff: the parent's consent to ask the CAF/MSA for the household's "
        "quotient, with the last lookup's outcome; null = no consent recorded."
    )
    async def quotient_consent(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
    ) -> QuotientConsent | None:
        row = await family_quotients.consent_of(
            info.context.account, decode_id(household_id, "Household", field="householdId")
        )
        return QuotientConsent.from_model(row) if row else None
