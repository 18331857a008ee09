"""CAF/MSA quotient mutations: fetch a household's quotient through API Particulier."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.context import Info
from gql.errors import QuotientError, handles_errors
from gql.ids import decode_id
from gql.quotients.types import FamilyQuotient
from resolvers.quotients import family_quotients
from resolvers.quotients.api_particulier import quotient_client


@strawberry.input(
    description="The parent's consent and the identity API Particulier matches them by."
)
class QuotientConsentInput:
    guardian_id: strawberry.ID = strawberry.field(description="The guardian who agreed.")
    consent_on: dt.date = strawberry.field(description="Day they agreed.")
    birth_name: str = strawberry.field(description="Nom de naissance.")
    first_names: str = strawberry.field(description="Given names, in civil-status order.")
    sex: str = strawberry.field(description="Sexe à l'état civil: M or F.")
    birth_date: dt.date = strawberry.field(description="Date of birth.")
    birth_country_code: str = strawberry.field(
        default="99100", description="INSEE code of the birth country (99100 = France)."
    )
    birth_commune_code: str = strawberry.field(
        default="", description="INSEE code of the birth commune, when born in France."
    )
    validity_months: int = strawberry.field(
        default=12, description="Months a fetched quotient prices invoices (1 to 24)."
    )


@strawberry.type(description="Result of `fetchFamilyQuotient`.")
class FamilyQuotientPayload:
    quotient: FamilyQuotient | None = strawberry.field(default=None, description="Stored.")
    errors: list[QuotientError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type
class QuotientMutations:
    @strawberry.mutation(
        description="Staff: ask the CAF/MSA (API Particulier) for a household's quotient; "
        "it then prices its invoices until the validity ends. `consent` records (or "
        "replaces) the parent's consent first; without it the recorded one is used. A "
        "refusal is PROVIDER_ERROR with the provider's reason, also kept on the consent."
    )
    @handles_errors(atomic=False)
    async def fetch_family_quotient(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        consent: Annotated[
            QuotientConsentInput | None,
            strawberry.argument(description="The parent's consent and identity, if new."),
        ] = None,
    ) -> FamilyQuotientPayload:
        # Not one transaction: the consent and the provider's refusal are kept when the
        # lookup fails, and no transaction stays open during the call to the provider.
        form = (
            family_quotients.ConsentForm(
                guardian_id=decode_id(consent.guardian_id, "Guardian", field="consent.guardianId"),
                birth_name=consent.birth_name,
                first_names=consent.first_names,
                sex=consent.sex,
                birth_date=consent.birth_date,
                consent_on=consent.consent_on,
                birth_country_code=consent.birth_country_code,
                birth_commune_code=consent.birth_commune_code,
                validity_months=consent.validity_months,
            )
            if consent is not None
            else None
        )
        household = await family_quotients.fetch_family_quotient(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            form,
            quotient_client(),
            clock=info.context.clock,
        )
        return FamilyQuotientPayload(quotient=FamilyQuotient.from_model(household))
