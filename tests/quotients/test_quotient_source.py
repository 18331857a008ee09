"""One answer to where a household's quotient came from (``familyQuotientSource``): a fetch
from API Particulier says CAF or MSA with its month, an agent's typing MANUAL (or CAF read
from an attestation), a proof PROOF, and the month of an earlier fetch does not outlive
them. Migration 0021 moved the households of before to that model."""

from datetime import UTC, date, datetime
from typing import Any

from tortoise import connections
from tortoise.migrations import operations as ops

from gql.ids import encode_id
from models.households import FamilyQuotientSource, Guardian, Household
from models.quotients import QuotientConsent
from resolvers.core.clock import FrozenClock
from resolvers.quotients.api_particulier import FAKE_API_PARTICULIER
from tests.billing_factories import make_billing_town
from tests.conftest import Backend, GraphQL
from tests.factories import make_household, token_for
from tests.quotients.test_family_quotients import consent_input

FETCH = """
mutation($householdId: ID!, $consent: QuotientConsentInput) {
  fetchFamilyQuotient(householdId: $householdId, consent: $consent) {
    quotient { value source setOn month provider validUntil }
    errors { code field message }
  }
}
"""
SET = """
mutation($householdId: ID!, $quotient: Int, $source: FamilyQuotientSource!) {
  setFamilyQuotient(householdId: $householdId, quotient: $quotient, quotientSource: $source) {
    household { familyQuotient familyQuotientSource familyQuotientSetOn familyQuotientMonth }
    errors { code field message }
  }
}
"""
HOUSEHOLD = """
query($id: ID!) {
  household(id: $id) {
    familyQuotient familyQuotientSource familyQuotientSetOn familyQuotientMonth
  }
}
"""


async def test_a_fetch_says_caf_or_msa_with_its_month_and_typing_replaces_both(
    api: GraphQL, clock: FrozenClock
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    staff = await token_for(town.staff, clock)
    household = await make_household(town.staff, clock)
    household_id = encode_id("Household", household.id)
    birth_name = f"Source{household.id}"
    await FAKE_API_PARTICULIER.add_file(
        birth_name, "Jeanne", "F", provider="MSA", value=812, year=2026, month=7
    )
    # An agent had typed one from a proof in August.
    await Household.filter(id=household.id).update(
        family_quotient=900,
        family_quotient_source=FamilyQuotientSource.PROOF,
        family_quotient_set_on=date(2026, 8, 3),
    )

    # when staff fetch it from the MSA
    result = await api(
        FETCH,
        {"householdId": household_id, "consent": await consent_input(household, birth_name)},
        token=staff,
    )
    # then the source says MSA, with the month and the day; the deprecated provider agrees
    assert result["data"]["fetchFamilyQuotient"] == {
        "quotient": {
            "value": 812,
            "source": "MSA",
            "setOn": "2026-09-01",
            "month": "2026-07-01",
            "provider": "MSA",
            "validUntil": "2027-08-31",
        },
        "errors": [],
    }
    file = await api(HOUSEHOLD, {"id": household_id}, token=staff)
    assert file["data"]["household"] == {
        "familyQuotient": 812,
        "familyQuotientSource": "MSA",
        "familyQuotientSetOn": "2026-09-01",
        "familyQuotientMonth": "2026-07-01",
    }

    # when an agent types another one in October: MANUAL, and the MSA's month is gone
    clock.current = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
    staff = await token_for(town.staff, clock)
    typed = await api(
        SET, {"householdId": household_id, "quotient": 640, "source": "MANUAL"}, token=staff
    )
    assert typed["data"]["setFamilyQuotient"] == {
        "household": {
            "familyQuotient": 640,
            "familyQuotientSource": "MANUAL",
            "familyQuotientSetOn": "2026-10-05",
            "familyQuotientMonth": None,
        },
        "errors": [],
    }
    stored = await Household.get(id=household.id)
    assert (stored.family_quotient_month, stored.family_quotient_provider) == (None, None)


def data_moves() -> list[str]:
    """The statements of migration 0021 that move the quotients' data."""
    module = __import__("models.migrations.0021_credit_and_quotient_source", fromlist=["Migration"])
    return [
        str(operation.sql)
        for operation in module.Migration.operations
        if isinstance(operation, ops.RunSQL) and "household" in str(operation.sql)
    ]


async def test_migration_0021_moves_each_household_to_one_source(
    backend: Backend, clock: FrozenClock
) -> None:
    """The statements run on the whole database: on households written by this release they
    change nothing (checked with ``typed_only`` and ``current``)."""
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)

    async def household_as_before(*, last_fetch: date | None, **quotient: Any) -> Household:
        household = await make_household(town.staff, clock)
        await Household.filter(id=household.id).update(family_quotient=700, **quotient)
        if last_fetch is not None:
            guardian = await Guardian.filter(household_id=household.id).first()
            assert guardian is not None
            await QuotientConsent.create(
                tenant_id=town.tenant.id,
                household_id=household.id,
                guardian_id=guardian.id,
                birth_name="X",
                first_names="Y",
                sex="F",
                birth_date=date(1987, 6, 15),
                birth_country_code="99100",
                validity_months=12,
                consent_on=date(2026, 1, 5),
                last_attempt_on=last_fetch,
                updated_at=clock.now(),
            )
        return household

    fetched_only = await household_as_before(
        last_fetch=date(2026, 3, 2),
        family_quotient_month=date(2026, 1, 1),
        family_quotient_provider="MSA",
    )
    fetched_after_typing = await household_as_before(
        last_fetch=date(2026, 6, 1),
        family_quotient_source=FamilyQuotientSource.MANUAL,
        family_quotient_set_on=date(2026, 2, 1),
        family_quotient_month=date(2026, 5, 1),
        family_quotient_provider="CNAF",
    )
    typed_after_fetch = await household_as_before(
        last_fetch=date(2026, 3, 2),
        family_quotient_source=FamilyQuotientSource.PROOF,
        family_quotient_set_on=date(2026, 4, 20),
        family_quotient_month=date(2026, 2, 1),
        family_quotient_provider="CNAF",
    )
    typed_only = await household_as_before(
        last_fetch=None,
        family_quotient_source=FamilyQuotientSource.CAF,
        family_quotient_set_on=date(2026, 4, 20),
    )
    current = await household_as_before(
        last_fetch=date(2026, 8, 30),
        family_quotient_source=FamilyQuotientSource.CAF,
        family_quotient_set_on=date(2026, 8, 30),
        family_quotient_month=date(2026, 7, 1),
        family_quotient_provider="CNAF",
    )

    connection = connections.get("default")
    for statement in data_moves():
        await connection.execute_script(statement)

    rows = {
        row["id"]: (
            row["family_quotient_source"],
            row["family_quotient_set_on"],
            row["family_quotient_month"],
            row["family_quotient_provider"],
        )
        for row in await Household.filter(
            id__in=[
                h.id
                for h in (
                    fetched_only,
                    fetched_after_typing,
                    typed_after_fetch,
                    typed_only,
                    current,
                )
            ]
        ).values(
            "id",
            "family_quotient_source",
            "family_quotient_set_on",
            "family_quotient_month",
            "family_quotient_provider",
        )
    }
    assert rows == {
        fetched_only.id: ("msa", date(2026, 3, 2), date(2026, 1, 1), "MSA"),
        fetched_after_typing.id: ("caf", date(2026, 6, 1), date(2026, 5, 1), "CNAF"),
        typed_after_fetch.id: ("proof", date(2026, 4, 20), None, None),
        typed_only.id: ("caf", date(2026, 4, 20), None, None),
        current.id: ("caf", date(2026, 8, 30), date(2026, 7, 1), "CNAF"),
    }
