"""GraphQL types of the CAF/MSA quotients: what a household's quotient is and where it
came from, and the parent's consent with the last lookup's outcome."""

import datetime as dt

import strawberry

from gql.ids import encode_id
from models.households import Household
from models.quotients import QuotientConsent as ConsentModel


@strawberry.type(description="A household's family quotient and where it came from.")
class FamilyQuotient:
    household_id: strawberry.ID = strawberry.field(description="The household.")
    value: int | None = strawberry.field(description="Quotient familial in euros; null = none.")
    valid_until: dt.date | None = strawberry.field(description="Last day it prices invoices.")
    month: dt.date | None = strawberry.field(
        description="First day of the month the CAF/MSA computed it for; null = typed by staff."
    )
    provider: str | None = strawberry.field(
        description="CNAF or MSA when fetched through API Particulier; null = typed by staff."
    )

    @classmethod
    def from_model(cls, household: Household) -> "FamilyQuotient":
        return cls(
            household_id=strawberry.ID(encode_id("Household", household.id)),
            value=household.family_quotient,
            valid_until=household.family_quotient_valid_until,
            month=household.family_quotient_month,
            provider=household.family_quotient_provider,
        )


@strawberry.type(description="A parent's consent to ask the CAF/MSA, and the last lookup.")
class QuotientConsent:
    guardian_id: strawberry.ID = strawberry.field(description="The guardian who agreed.")
    consent_on: dt.date = strawberry.field(description="Day they agreed.")
    validity_months: int = strawberry.field(description="Months a fetched quotient is kept.")
    last_attempt_on: dt.date | None = strawberry.field(description="Last lookup (any outcome).")
    last_error: str | None = strawberry.field(
        description="Why the last lookup failed, in French (the provider's reason); null = it "
        "worked."
    )

    @classmethod
    def from_model(cls, model: ConsentModel) -> "QuotientConsent":
        return cls(
            guardian_id=strawberry.ID(encode_id("Guardian", model.guardian_id)),
            consent_on=model.consent_on,
            validity_months=model.validity_months,
            last_attempt_on=model.last_attempt_on,
            last_error=model.last_error or None,
        )
