"""CAF/MSA quotients through API Particulier: staff fetch one with the parent's consent and it
prices the next invoice; failures give the provider's reason in French; the HTTP client
speaks the API's protocol; the nightly refresh keeps to the rate limits and runs twice
harmlessly."""

from datetime import UTC, date, datetime
from typing import Any

import httpx

from gql.ids import encode_id
from jobs.quotients import refresh_family_quotients
from models.accounts import AccountRole
from models.billing import InvoiceLine
from models.households import Guardian, Household
from models.quotients import QuotientConsent
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from resolvers.quotients.api_particulier import (
    FAKE_API_PARTICULIER,
    UNREACHABLE,
    ApiParticulier,
    QuotientAnswer,
    QuotientFailure,
    QuotientQuery,
)
from resolvers.quotients.family_quotients import (
    ConsentForm,
    RateLimit,
    add_months,
    record_consent,
    refresh_lapsing_quotients,
)
from tests.billing_factories import (
    HIGH_PRICE,
    LOW_PRICE,
    BillingTown,
    make_billing_town,
    make_family,
)
from tests.conftest import Backend, GraphQL
from tests.factories import make_account, make_household, make_town, token_for

FETCH = """
mutation($householdId: ID!, $consent: QuotientConsentInput) {
  fetchFamilyQuotient(householdId: $householdId, consent: $consent) {
    quotient { value validUntil month provider }
    errors { code field message }
  }
}
"""
CONSENT = """
query($householdId: ID!) {
  quotientConsent(householdId: $householdId) { consentOn validityMonths lastAttemptOn lastError }
}
"""
SEPTEMBER_FIRST = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


async def consent_input(household: Household, birth_name: str, **overrides: Any) -> dict[str, Any]:
    guardian = await Guardian.filter(household_id=household.id).order_by("id").first()
    assert guardian is not None
    return {
        "guardianId": encode_id("Guardian", guardian.id),
        "consentOn": "2026-08-28",
        "birthName": birth_name,
        "firstNames": "Jeanne Stéphanie",
        "sex": "F",
        "birthDate": "1987-06-15",
        "birthCommuneCode": "08480",
        **overrides,
    }


async def town_and_staff(clock: FrozenClock) -> tuple[BillingTown, str]:
    clock.current = SEPTEMBER_FIRST
    town = await make_billing_town(clock)
    return town, await token_for(town.staff, clock)


async def test_a_quotient_fetched_from_the_fake_prices_the_next_invoice(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, staff = await town_and_staff(clock)
    family = await make_family(town, clock, quotient=None, quotient_valid_until=None)
    birth_name = f"Roux{family.household.id}"
    await FAKE_API_PARTICULIER.add_file(
        birth_name, "Jeanne", "F", provider="MSA", value=600, year=2026, month=8
    )

    result = await api(
        FETCH,
        {
            "householdId": encode_id("Household", family.household.id),
            "consent": await consent_input(family.household, birth_name),
        },
        token=staff,
    )
    consent = await api(
        CONSENT, {"householdId": encode_id("Household", family.household.id)}, token=staff
    )
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)

    assert result["data"]["fetchFamilyQuotient"] == {
        "quotient": {
            "value": 600,
            "validUntil": "2027-08-31",
            "month": "2026-08-01",
            "provider": "MSA",
        },
        "errors": [],
    }
    prices = {
        int(str(price))
        for price in await InvoiceLine.filter(
            invoice__household_id=family.household.id
        ).values_list("unit_price_cents", flat=True)
    }
    # Without a quotient the canteen costs the top price (4,00 €); 600 € is the low bracket.
    assert prices == {LOW_PRICE} and LOW_PRICE < HIGH_PRICE
    assert consent["data"]["quotientConsent"] == {
        "consentOn": "2026-08-28",
        "validityMonths": 12,
        "lastAttemptOn": "2026-09-01",
        "lastError": None,
    }


async def test_a_failure_gives_the_providers_reason_in_french_and_keeps_the_consent(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, staff = await town_and_staff(clock)
    household = await make_household(town.staff, clock)
    household_id = encode_id("Household", household.id)
    timeout_name = f"Situdi{household.id}"
    await FAKE_API_PARTICULIER.add_file(timeout_name, "Jeanne", "F", status=504)

    unknown = await api(
        FETCH,
        {"householdId": household_id, "consent": await consent_input(household, "Lefebvre")},
        token=staff,
    )
    recorded = await api(CONSENT, {"householdId": household_id}, token=staff)
    timed_out = await api(
        FETCH,
        {"householdId": household_id, "consent": await consent_input(household, timeout_name)},
        token=staff,
    )

    not_found = (
        "Aucun dossier allocataire n'a été trouvé à la CAF ni à la MSA pour cette identité. "
        "Réponse de CNAF & MSA : « Le dossier allocataire n'a pas été trouvé auprès de la "
        "CNAF ni de la MSA. »"
    )
    assert unknown["data"]["fetchFamilyQuotient"] == {
        "quotient": None,
        "errors": [{"code": "PROVIDER_ERROR", "field": None, "message": not_found}],
    }
    assert recorded["data"]["quotientConsent"]["lastError"] == not_found
    assert timed_out["data"]["fetchFamilyQuotient"]["errors"] == [
        {
            "code": "PROVIDER_ERROR",
            "field": None,
            "message": "La CAF ou la MSA n'a pas répondu à temps.",
        }
    ]
    stored = await Household.get(id=household.id)
    assert (stored.family_quotient, stored.family_quotient_provider) == (None, None)


async def test_consent_is_required_the_identity_checked_and_access_refused_outside(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, staff = await town_and_staff(clock)
    household = await make_household(town.staff, clock, guardians=1)
    household_id = encode_id("Household", household.id)
    parent = await make_account(town.tenant, clock)
    await Guardian.filter(household_id=household.id).update(account_id=parent.id)
    stranger = await token_for(
        await make_account(await make_town(), clock, role=AccountRole.AGENT), clock
    )

    without = await api(FETCH, {"householdId": household_id}, token=staff)
    wrong = await api(
        FETCH,
        {
            "householdId": household_id,
            "consent": await consent_input(
                household,
                " ",
                sex="X",
                birthCommuneCode="",
                consentOn="2026-09-02",
                validityMonths=36,
            ),
        },
        token=staff,
    )
    as_parent = await api(
        FETCH, {"householdId": household_id}, token=await token_for(parent, clock)
    )
    as_stranger = await api(FETCH, {"householdId": household_id}, token=stranger)

    assert without["data"]["fetchFamilyQuotient"]["errors"] == [
        {
            "code": "CONSENT_REQUIRED",
            "field": "consent",
            "message": "Enregistrez d'abord l'accord du parent et son identité (nom de "
            "naissance, prénoms, sexe, date et lieu de naissance).",
        }
    ]
    assert {e["field"]: e["code"] for e in wrong["data"]["fetchFamilyQuotient"]["errors"]} == {
        "consent.birthName": "INVALID",
        "consent.sex": "INVALID",
        "consent.birthCommuneCode": "INVALID",
        "consent.consentOn": "INVALID",
        "consent.validityMonths": "INVALID",
    }
    assert not await QuotientConsent.exists(household_id=household.id)
    assert [e["code"] for e in as_parent["data"]["fetchFamilyQuotient"]["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in as_stranger["data"]["fetchFamilyQuotient"]["errors"]] == [
        "NOT_FOUND"
    ]


ROUX = QuotientQuery(
    birth_name="ROUX",
    first_names=("JEANNE", "STEPHANIE"),
    sex="F",
    birth_date=date(1987, 6, 1),
    birth_country_code="99100",
    birth_commune_code="08480",
)


async def test_the_http_client_speaks_api_particulier() -> None:
    seen: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.params.get("nomNaissance") == "ROUX":
            return httpx.Response(
                200,
                json={
                    "data": {
                        "quotient_familial": {
                            "fournisseur": "MSA",
                            "valeur": 150,
                            "annee": 2023,
                            "mois": 5,
                            "annee_calcul": 2024,
                            "mois_calcul": 12,
                        },
                        "allocataires": [],
                        "enfants": [],
                    },
                    "links": {},
                    "meta": {},
                },
            )
        return httpx.Response(
            502,
            json={
                "errors": [
                    {
                        "code": "37999",
                        "title": "Erreur inattendue du fournisseur de données",
                        "detail": "La réponse retournée par le fournisseur de données est "
                        "invalide et inconnue de notre service.",
                        "meta": {"provider": "CNAF & MSA"},
                    }
                ]
            },
        )

    client = ApiParticulier(
        "https://staging.particulier.api.gouv.fr/",
        "jeton",
        "21810065400019",
        httpx.MockTransport(provider),
    )

    answer = await client.quotient(ROUX)
    try:
        await client.quotient(ROUX.__class__(**{**ROUX.__dict__, "birth_name": "DELANOUE"}))
    except QuotientFailure as failure:
        provider_error = failure
    unreachable = ApiParticulier(
        "https://staging.particulier.api.gouv.fr",
        "jeton",
        "21810065400019",
        httpx.MockTransport(lambda request: (_ for _ in ()).throw(httpx.ConnectError("down"))),
    )
    try:
        await unreachable.quotient(ROUX)
    except QuotientFailure as failure:
        down = failure

    assert answer == QuotientAnswer("MSA", 150, 2023, 5)
    request = seen[0]
    assert request.url.path == "/v3/dss/quotient_familial/identite"
    assert request.headers["Authorization"] == "Bearer jeton"
    assert request.url.params.get_list("prenoms[]") == ["JEANNE", "STEPHANIE"]
    assert dict(request.url.params) | {"prenoms[]": "…"} == {
        "recipient": "21810065400019",
        "nomNaissance": "ROUX",
        "prenoms[]": "…",
        "sexeEtatCivil": "F",
        "codeCogInseePaysNaissance": "99100",
        "codeCogInseeCommuneNaissance": "08480",
        "anneeDateNaissance": "1987",
        "moisDateNaissance": "6",
        "jourDateNaissance": "1",
    }
    assert (provider_error.status, provider_error.reason) == (
        502,
        "La CAF ou la MSA a répondu par une erreur. Réponse de CNAF & MSA : « La réponse "
        "retournée par le fournisseur de données est invalide et inconnue de notre service. »",
    )
    assert (down.status, down.reason) == (0, UNREACHABLE)


class Clockwork:
    """Monotonic time that only moves when the limiter pauses."""

    def __init__(self) -> None:
        self.time = 0.0
        self.pauses: list[float] = []

    def now(self) -> float:
        return self.time

    async def pause(self, seconds: float) -> None:
        self.pauses.append(round(seconds, 3))
        self.time += seconds


async def test_the_rate_limit_waits_for_the_oldest_call_to_leave_the_window() -> None:
    clockwork = Clockwork()
    limit = RateLimit(per_second=20, per_minute=30, pause=clockwork.pause, now=clockwork.now)

    for _ in range(31):
        await limit.wait()

    # 20 at once, then a second's wait; 30 in the minute, then the rest of the minute.
    assert clockwork.pauses == [1.0, 59.0]


async def test_the_nightly_job_refreshes_what_lapses_soon_and_twice_is_harmless(
    backend: Backend, clock: FrozenClock
) -> None:
    town, _ = await town_and_staff(clock)
    households = [await make_household(town.staff, clock) for _ in range(4)]
    lapsing, lapsed, later, failing = households
    for household, valid_until in zip(
        households,
        (date(2026, 9, 10), date(2026, 8, 1), date(2026, 12, 31), date(2026, 9, 5)),
        strict=True,
    ):
        await Household.filter(id=household.id).update(
            family_quotient=900, family_quotient_valid_until=valid_until
        )
        guardian = await Guardian.filter(household_id=household.id).first()
        assert guardian is not None
        await record_consent(
            town.staff,
            household.id,
            ConsentForm(
                guardian_id=guardian.id,
                birth_name=f"Nuit{household.id}",
                first_names="Jeanne",
                sex="F",
                birth_date=date(1987, 6, 1),
                consent_on=date(2026, 8, 1),
                birth_commune_code="81065",
                validity_months=6,
            ),
            clock=clock,
        )
        if household is not failing:
            await FAKE_API_PARTICULIER.add_file(
                f"Nuit{household.id}", "Jeanne", "F", value=400, year=2026, month=8
            )
    clockwork = Clockwork()
    limit = RateLimit(per_second=2, per_minute=100, pause=clockwork.pause, now=clockwork.now)

    first = await refresh_lapsing_quotients(
        FAKE_API_PARTICULIER, clock=clock, limit=limit, tenant_id=town.tenant.id
    )
    second = await refresh_family_quotients({"clock": clock})

    assert (first.refreshed, first.failed, first.stopped) == (2, 1, False)
    assert clockwork.pauses == [1.0]  # three calls at 2 a second
    assert second == "0 quotients refreshed, 0 failed"
    rows = {
        row["id"]: (row["family_quotient"], row["family_quotient_valid_until"])
        for row in await Household.filter(id__in=[h.id for h in households]).values(
            "id", "family_quotient", "family_quotient_valid_until"
        )
    }
    renewed = date(2027, 2, 28)  # six months from 1 September, the last day included
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert rows == {
        lapsing.id: (400, renewed),
        lapsed.id: (400, renewed),
        later.id: (900, date(2026, 12, 31)),
        failing.id: (900, date(2026, 9, 5)),
    }
    failed = await QuotientConsent.get(household_id=failing.id)
    assert failed.last_error.startswith("Aucun dossier allocataire")


async def test_a_429_stops_the_night_and_the_rest_waits_for_the_next(
    backend: Backend, clock: FrozenClock
) -> None:
    town, _ = await town_and_staff(clock)

    class Busy:
        calls = 0

        async def quotient(self, query: QuotientQuery) -> QuotientAnswer:
            self.calls += 1
            raise QuotientFailure(429, "Trop d'appels")

    households = [await make_household(town.staff, clock) for _ in range(2)]
    for household in households:
        guardian = await Guardian.filter(household_id=household.id).first()
        assert guardian is not None
        await record_consent(
            town.staff,
            household.id,
            ConsentForm(
                guardian_id=guardian.id,
                birth_name="Desfouin",
                first_names="René",
                sex="M",
                birth_date=date(2002, 12, 5),
                consent_on=date(2026, 8, 1),
                birth_commune_code="08480",
            ),
            clock=clock,
        )
    busy = Busy()

    summary = await refresh_lapsing_quotients(busy, clock=clock, tenant_id=town.tenant.id)

    assert (summary.refreshed, summary.failed, summary.stopped, busy.calls) == (0, 0, True, 1)
    assert not await QuotientConsent.filter(
        household_id__in=[h.id for h in households], last_attempt_on__not_isnull=True
    ).exists()


EXPORT_DATA = """
mutation($householdId: ID!) {
  exportHouseholdData(householdId: $householdId) { url errors { code message } }
}
"""


async def test_the_familys_data_export_holds_the_identity_given_for_the_quotient(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    import io
    import zipfile

    import orjson

    town, staff = await town_and_staff(clock)
    family = await make_family(town, clock)
    await api(
        FETCH,
        {
            "householdId": encode_id("Household", family.household.id),
            "consent": await consent_input(family.household, "Personne"),
        },
        token=staff,
    )
    parent = await token_for(family.parent, clock)

    link = await api(
        EXPORT_DATA, {"householdId": encode_id("Household", family.household.id)}, token=parent
    )
    response = await http.get(link["data"]["exportHouseholdData"]["url"])

    data = orjson.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("data.json"))
    [consent] = data["quotient_consents"]
    assert (consent["birth_name"], consent["birth_commune_code"], consent["consent_on"]) == (
        "Personne",
        "08480",
        "2026-08-28",
    )
    assert consent["last_error"].startswith("Aucun dossier allocataire")
