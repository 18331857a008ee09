"""GraphQL types of the CAF/MSA quotients: what a household's quotient is and where it
came from, and the parent's consent with the last lookup's outcome."""

import datetime as dt

import strawberry

from gql.enums import FamilyQuotientSource
from gql.ids import encode_id
from models.households import Household
from models.quotients import QuotientConsent as ConsentModel

# What the deprecated ``provider`` said, from the source.
PROVIDERS = {FamilyQuotientSource.CAF: "CNAF", FamilyQuotientSource.MSA: "MSA"}


@strawberry.type(
    description="A household's family quotient and where it came from: `source` says it for "
    "every quotient (typed by an agent, read from a proof, or fetched from the CAF or the "
    "MSA through API Particulier, then with `month`)."
)
class FamilyQuotient:
    household_id: strawberry.ID = strawberry.field(description="The household.")
    value: int | None = strawberry.field(description="Quotient familial in euros; null = none.")
    valid_until: dt.date | None = strawberry.field(description="Last day it prices invoices.")
    source: FamilyQuotientSource | None = strawberry.field(
        description="Where it came from: CAF or MSA when fetched through API Particulier (or "
        "read by an agent from their attestation), PROOF, MANUAL; null = none."
    )
    set_on: dt.date | None = strawberry.field(description="Day it was last set, typed or fetched.")
    month: dt.date | None = strawberry.field(
        description="First day of the month the CAF/MSA computed it for, when fetched through "
        "API Particulier; null otherwise."
    )
    provider: str | None = strawberry.field(
        description="CNAF or MSA when fetched through API Particulier; null otherwise.",
        deprecation_reason="Use source (CAF or MSA) and month.",
    )

    @classmethod
    def from_model(cls, household: Household) -> "FamilyQuotient":
        source = household.family_quotient_source
        fetched = household.family_quotient_month is not None
        return cls(
            household_id=strawberry.ID(encode_id("Household", household.id)),
            value=household.family_quotient,
            valid_until=household.family_quotient_valid_until,
            source=source,
            set_on=household.family_quotient_set_on,
            month=household.family_quotient_month,
            provider=PROVIDERS.get(source) if fetched and source is not None else None,
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
