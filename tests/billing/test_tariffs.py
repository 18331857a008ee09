"""Price grids, régies and attendance sheets as staff manage them, and the public price
simulation as a family uses it before enrolling."""

from datetime import UTC, date, datetime

from gql.ids import encode_id
from models.accounts import AccountRole
from resolvers.core.clock import FrozenClock
from tests.billing_factories import make_billing_town, make_family
from tests.conftest import GraphQL
from tests.factories import make_account, make_catalogue, make_town, token_for

SIMULATION = """
query($town: String!, $quotient: Int, $pattern: [WeeklyChoiceInput!]!, $resident: Boolean!) {
  priceSimulation(town: $town, quotient: $quotient, pattern: $pattern, resident: $resident) {
    quotient weekly { cents text } monthly { cents text } label
    activities { activityName daysPerWeek unitPrice { text } weekly { text } label }
  }
}
"""
ADD_TARIFF = """
mutation($input: TariffInput!) {
  addTariff(input: $input) {
    tariff { id validFrom quotientMin quotientMax unitPrice { cents text } }
    errors { code field message }
  }
}
"""
TARIFFS = "query($a: ID) { tariffs(activityId: $a) { id quotientMin unitPrice { cents } } }"
DELETE_TARIFF = "mutation($id: ID!) { deleteTariff(id: $id) { ok errors { code } } }"
SAVE_AUTHORITY = """
mutation($input: BillingAuthorityInput!) {
  saveBillingAuthority(input: $input) {
    authority { id name dueDay paymentOpensMinutes residentPostalCodes }
    errors { code field message }
  }
}
"""
ASSIGN = """
mutation($a: ID!, $r: ID) {
  setActivityBillingAuthority(activityId: $a, authorityId: $r) { ok errors { code } }
}
"""
RECORD = """
mutation($input: AttendanceInput!) {
  recordAttendance(input: $input) { recorded errors { code field message } }
}
"""
SHEET = """
query($site: ID!, $activity: ID!, $day: Date!) {
  attendance(siteId: $site, activityId: $activity, day: $day) {
    firstNames booked present
  }
}
"""


async def test_a_family_simulates_its_prices_without_logging_in(
    api: GraphQL, clock: FrozenClock
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    canteen = encode_id("Activity", town.catalogue.canteen.id)
    pattern = [{"activityId": canteen, "weekdays": [0, 1, 3, 4]}]

    low = await api(
        SIMULATION,
        {"town": town.tenant.slug, "quotient": 500, "pattern": pattern, "resident": True},
    )
    unknown = await api(
        SIMULATION,
        {"town": town.tenant.slug, "quotient": None, "pattern": pattern, "resident": True},
    )

    result = low["data"]["priceSimulation"]
    assert result["weekly"] == {"cents": 1000, "text": "10,00 €"}
    # 36 school weeks over 10 months
    assert result["monthly"] == {"cents": 3600, "text": "36,00 €"}
    assert result["activities"][0]["label"] == (
        "Restauration scolaire : 2,50 € × 4 jour(s) par semaine = 10,00 € par semaine"
    )
    assert result["label"] == (
        "Estimation (quotient familial 500 €) : 10,00 € par semaine, environ 36,00 € par "
        "mois (36 semaines d'école sur 10 mois)."
    )
    maximum = unknown["data"]["priceSimulation"]
    assert maximum["activities"][0]["unitPrice"] == {"text": "4,00 €"}
    assert "sans quotient familial (tarif maximal)" in maximum["label"]
    # No tariff for non-residents: said in French, not guessed.
    outsider = await api(
        SIMULATION,
        {"town": town.tenant.slug, "quotient": 500, "pattern": pattern, "resident": False},
    )
    line = outsider["data"]["priceSimulation"]["activities"][0]
    assert line["unitPrice"] is None
    assert "pas de tarif en vigueur" in line["label"]
    missing = await api(
        SIMULATION, {"town": "nulle-part", "quotient": 1, "pattern": pattern, "resident": True}
    )
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    sunday_plus_one = await api(
        SIMULATION,
        {
            "town": town.tenant.slug,
            "quotient": 1,
            "pattern": [{"activityId": canteen, "weekdays": [7]}],
            "resident": True,
        },
    )
    assert sunday_plus_one["errors"][0]["extensions"]["code"] == "INVALID"
    assert sunday_plus_one["errors"][0]["message"] == (
        "Les jours vont de 0 (lundi) à 6 (dimanche)."
    )


async def test_staff_add_brackets_and_overlaps_are_refused(
    api: GraphQL, clock: FrozenClock
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    staff_token = await token_for(town.staff, clock)
    canteen = encode_id("Activity", town.catalogue.canteen.id)

    added = await api(
        ADD_TARIFF,
        {
            "input": {
                "activityId": canteen,
                "validFrom": "2026-09-01",
                "resident": False,
                "unitPriceCents": 520,
            }
        },
        token=staff_token,
    )
    overlapping = await api(
        ADD_TARIFF,
        {
            "input": {
                "activityId": canteen,
                "validFrom": "2027-01-01",
                "quotientMin": 500,
                "quotientMax": 900,
                "unitPriceCents": 300,
            }
        },
        token=staff_token,
    )
    invalid = await api(
        ADD_TARIFF,
        {
            "input": {
                "activityId": canteen,
                "validFrom": "2027-09-01",
                "quotientMin": 900,
                "quotientMax": 500,
                "unitPriceCents": -1,
            }
        },
        token=staff_token,
    )

    assert added["data"]["addTariff"]["errors"] == []
    assert added["data"]["addTariff"]["tariff"]["unitPrice"] == {"cents": 520, "text": "5,20 €"}
    [error] = overlapping["data"]["addTariff"]["errors"]
    assert error["code"] == "TARIFF_OVERLAP"
    assert "chevauche" in error["message"]
    assert {e["field"] for e in invalid["data"]["addTariff"]["errors"]} == {
        "unitPriceCents",
        "quotientMax",
    }
    grid = await api(TARIFFS, {"a": canteen}, token=staff_token)
    assert sorted(t["unitPrice"]["cents"] for t in grid["data"]["tariffs"]) == [250, 400, 520]
    deleted = await api(
        DELETE_TARIFF, {"id": added["data"]["addTariff"]["tariff"]["id"]}, token=staff_token
    )
    assert deleted["data"]["deleteTariff"] == {"ok": True, "errors": []}
    grid = await api(TARIFFS, {"a": canteen}, token=staff_token)
    assert sorted(t["unitPrice"]["cents"] for t in grid["data"]["tariffs"]) == [250, 400]


async def test_parents_cannot_manage_prices_or_attendance(api: GraphQL, clock: FrozenClock) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    parent_token = await token_for(family.parent, clock)
    canteen = encode_id("Activity", town.catalogue.canteen.id)

    tariff = await api(
        ADD_TARIFF,
        {"input": {"activityId": canteen, "validFrom": "2027-09-01", "unitPriceCents": 1}},
        token=parent_token,
    )
    authority = await api(SAVE_AUTHORITY, {"input": {"name": "Régie"}}, token=parent_token)
    sheet = await api(
        RECORD,
        {
            "input": {
                "siteId": encode_id("Site", town.catalogue.site.id),
                "activityId": canteen,
                "day": "2026-09-01",
                "entries": [],
            }
        },
        token=parent_token,
    )

    assert tariff["data"]["addTariff"]["errors"][0]["code"] == "FORBIDDEN"
    assert authority["data"]["saveBillingAuthority"]["errors"][0]["code"] == "FORBIDDEN"
    assert sheet["data"]["recordAttendance"]["errors"][0]["code"] == "FORBIDDEN"
    # Another town's agent does not reach this town's activity.
    foreign = await make_account(await make_town(), clock, role=AccountRole.ADMIN)
    other = await api(
        ADD_TARIFF,
        {"input": {"activityId": canteen, "validFrom": "2027-09-01", "unitPriceCents": 1}},
        token=await token_for(foreign, clock),
    )
    assert other["data"]["addTariff"]["errors"][0]["code"] == "NOT_FOUND"


async def test_a_regie_is_created_and_bills_an_activity(api: GraphQL, clock: FrozenClock) -> None:
    tenant = await make_town()
    staff = await make_account(tenant, clock, role=AccountRole.ADMIN)
    catalogue = await make_catalogue(staff, clock)
    token = await token_for(staff, clock)

    saved = await api(
        SAVE_AUTHORITY,
        {
            "input": {
                "name": "Régie enfance",
                "dueDay": 15,
                "paymentOpensMinutes": 480,
                "residentPostalCodes": ["81100", "81290"],
            }
        },
        token=token,
    )
    wrong = await api(
        SAVE_AUTHORITY,
        {"input": {"name": "Régie bis", "dueDay": 32, "paymentOpensDay": 31}},
        token=token,
    )
    authority = saved["data"]["saveBillingAuthority"]["authority"]
    assigned = await api(
        ASSIGN,
        {"a": encode_id("Activity", catalogue.canteen.id), "r": authority["id"]},
        token=token,
    )

    assert authority["dueDay"] == 15
    assert authority["residentPostalCodes"] == ["81100", "81290"]
    assert {e["field"] for e in wrong["data"]["saveBillingAuthority"]["errors"]} == {
        "dueDay",
        "paymentClosesDay",
    }
    assert assigned["data"]["setActivityBillingAuthority"] == {"ok": True, "errors": []}


async def test_the_attendance_sheet_is_recorded_in_bulk_and_again_without_harm(
    api: GraphQL, clock: FrozenClock
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    booked = await make_family(town, clock)
    walk_in = await make_family(town, clock, book_from=date(2026, 11, 2), book_to=date(2026, 11, 3))
    clock.current = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    token = await token_for(town.staff, clock)
    sheet_input = {
        "siteId": encode_id("Site", town.catalogue.site.id),
        "activityId": encode_id("Activity", town.catalogue.canteen.id),
        "day": "2026-10-01",
        "entries": [
            {"childId": encode_id("Child", booked.child_id), "present": False},
            {"childId": encode_id("Child", walk_in.child_id), "present": True},
        ],
    }

    first = await api(RECORD, {"input": sheet_input}, token=token)
    again = await api(RECORD, {"input": sheet_input}, token=token)
    sheet_input["entries"][0]["present"] = True  # type: ignore[index]
    corrected = await api(RECORD, {"input": sheet_input}, token=token)
    future = await api(RECORD, {"input": {**sheet_input, "day": "2026-10-02"}}, token=token)

    assert first["data"]["recordAttendance"] == {"recorded": 2, "errors": []}
    assert again["data"]["recordAttendance"]["recorded"] == 2
    assert corrected["data"]["recordAttendance"]["errors"] == []
    assert future["data"]["recordAttendance"]["errors"][0]["field"] == "day"
    # A child of another town is not on this town's sheets.
    elsewhere = await make_billing_town(clock)
    stranger = await make_family(
        elsewhere, clock, book_from=date(2026, 11, 2), book_to=date(2026, 11, 3)
    )
    foreign = await api(
        RECORD,
        {
            "input": {
                **sheet_input,
                "entries": [{"childId": encode_id("Child", stranger.child_id), "present": True}],
            }
        },
        token=token,
    )
    assert foreign["data"]["recordAttendance"]["errors"][0]["code"] == "NOT_FOUND"
    rows = await api(
        SHEET,
        {
            "site": sheet_input["siteId"],
            "activity": sheet_input["activityId"],
            "day": "2026-10-01",
        },
        token=token,
    )
    assert sorted((row["booked"], row["present"]) for row in rows["data"]["attendance"]) == [
        (False, True),
        (True, True),
    ]
