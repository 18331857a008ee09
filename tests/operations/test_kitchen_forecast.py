"""The kitchen forecast: meals per site and day with the diets, as the kitchen manager reads
it on screen, in the CSV export and in the mail that arrives at the booking cut-off."""

import asyncio
import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from gql.ids import encode_id
from jobs.kitchen import kitchen_forecast_cron
from models.absences import AbsenceReason
from models.accounts import AccountRole
from models.bookings import Booking, BookingStatus
from models.kitchen import KitchenMailing
from resolvers.absences.absences import AbsenceForm, DatePreset, report_absence
from resolvers.calendar.bookings import BookingAction
from resolvers.calendar.catalogue import add_calendar_exception
from resolvers.core.clock import FrozenClock
from resolvers.operations.kitchen import queue_kitchen_mails
from tests.conftest import Backend, GraphQL, Mailbox
from tests.factories import make_account, make_catalogue, make_town, token_for
from tests.ops_factories import OpsTown, change, make_ops_town

FORECAST = """
query($from: Date!, $to: Date!, $siteId: ID) {
  kitchenForecast(from: $from, to: $to, siteId: $siteId) {
    siteName date meals standard noPork vegetarian packedMeal pai reportedAbsent
  }
}
"""
EXPORT = """
query($from: Date!, $to: Date!) {
  kitchenForecastExport(from: $from, to: $to) { url expiresAt }
}
"""
SET_EMAIL = """
mutation($siteId: ID!, $email: String!) {
  setKitchenEmail(siteId: $siteId, email: $email) {
    siteId kitchenEmail errors { code field message }
  }
}
"""

THURSDAY, FRIDAY = date(2026, 12, 3), date(2026, 12, 4)
EVERYONE = ["Léa", "Hugo", "Inès", "Noé", "Jade"]


async def booked_town(clock: FrozenClock) -> OpsTown:
    """Five children booked on Thursday 3 and Friday 4 December by their parents; Tom booked
    Thursday and cancelled it in time."""
    town = await make_ops_town(clock)
    for child in EVERYONE:
        parent = town.parents[town.household_of(child).name.removeprefix("Famille ")]
        await change(town, parent, child, [THURSDAY, FRIDAY], BookingAction.BOOK, clock)
    await change(town, town.parents["Blanc"], "Tom", [THURSDAY], BookingAction.BOOK, clock)
    await change(town, town.parents["Blanc"], "Tom", [THURSDAY], BookingAction.CANCEL, clock)
    return town


def by_day(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert "errors" not in result, result
    return {row["date"]: row for row in result["data"]["kitchenForecast"]}


async def meals_booked(town: OpsTown, day: date) -> int:
    """The bookings themselves, counted independently of the forecast."""
    return await Booking.filter(
        site_id=town.catalogue.site.id, day=day, status=BookingStatus.BOOKED
    ).count()


async def test_a_busy_day_counts_every_booked_meal_with_its_diet(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await booked_town(clock)
    token = await token_for(town.staff, clock)
    # Jade is reported ill after the deadline: booked (billed unless justified), not eaten.
    clock.current = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    await report_absence(
        town.parents["Morel"],
        town.households["Morel"].id,
        AbsenceForm(town.children["Jade"], AbsenceReason.ILLNESS, DatePreset.DAY, THURSDAY),
        clock=clock,
    )

    days = by_day(await api(FORECAST, {"from": "2026-12-01", "to": "2026-12-04"}, token=token))

    # Wednesday has no canteen: not listed; Tuesday is open with nobody booked.
    assert list(days) == ["2026-12-01", "2026-12-03", "2026-12-04"]
    assert days["2026-12-01"]["meals"] == 0
    assert days["2026-12-03"] == {
        "siteName": "École Jean Jaurès",
        "date": "2026-12-03",
        "meals": 4,
        "standard": 1,
        "noPork": 1,
        "vegetarian": 1,
        "packedMeal": 1,
        "pai": 2,
        "reportedAbsent": 1,
    }
    assert days["2026-12-03"]["meals"] == await meals_booked(town, THURSDAY) - 1
    assert days["2026-12-04"]["meals"] == await meals_booked(town, FRIDAY) == 5
    assert days["2026-12-04"]["standard"] == 2


async def test_school_holidays_have_no_canteen_day(api: GraphQL, clock: FrozenClock) -> None:
    town = await booked_town(clock)
    token = await token_for(town.staff, clock)

    # Christmas holidays start on Saturday 19 December: Thursday 17 and Friday 18 are the
    # last canteen days, Monday 21 and Tuesday 22 are not listed.
    days = by_day(await api(FORECAST, {"from": "2026-12-17", "to": "2026-12-22"}, token=token))

    assert list(days) == ["2026-12-17", "2026-12-18"]


async def test_late_staff_changes_show_at_once(api: GraphQL, clock: FrozenClock) -> None:
    town = await booked_town(clock)
    token = await token_for(town.staff, clock)
    clock.current = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # the day before: locked for parents

    # Past the deadline only staff can change: Tom is added, Hugo removed, Friday is closed.
    await change(town, town.staff, "Tom", [THURSDAY], BookingAction.BOOK, clock)
    await change(town, town.staff, "Hugo", [THURSDAY], BookingAction.CANCEL, clock)
    await add_calendar_exception(town.staff, FRIDAY, False, "Grève", clock=clock)

    days = by_day(await api(FORECAST, {"from": "2026-12-03", "to": "2026-12-04"}, token=token))

    assert list(days) == ["2026-12-03"]
    assert days["2026-12-03"]["meals"] == await meals_booked(town, THURSDAY) == 5
    assert (days["2026-12-03"]["standard"], days["2026-12-03"]["noPork"]) == (3, 0)


async def test_the_kitchen_is_mailed_once_at_the_booking_cut_off(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any, backend: Backend
) -> None:
    town = await booked_town(clock)
    token = await token_for(town.staff, clock)
    kitchen = f"cuisine-{town.tenant.slug}@exemple.fr"
    site_id = encode_id("Site", town.catalogue.site.id)
    saved = await api(SET_EMAIL, {"siteId": site_id, "email": f" {kitchen.upper()} "}, token=token)
    assert saved["data"]["setKitchenEmail"] == {
        "siteId": site_id,
        "kitchenEmail": kitchen,
        "errors": [],
    }

    # Thursday's deadline: Thursday 26 November, 23:59 in Paris (22:59 UTC in winter).
    clock.current = datetime(2026, 11, 26, 22, 59, 0, tzinfo=UTC)
    await queue_kitchen_mails(clock=clock)
    assert not await KitchenMailing.exists(site_id=town.catalogue.site.id)
    clock.current = datetime(2026, 11, 26, 23, 0, 30, tzinfo=UTC)
    ctx = {"clock": clock, "redis": backend.redis}
    await kitchen_forecast_cron(ctx)
    await kitchen_forecast_cron(ctx)  # a second run (or a second worker) queues nothing
    await run_jobs()
    clock.advance(timedelta(minutes=1))
    await kitchen_forecast_cron(ctx)
    await run_jobs()

    [mail] = mailbox.to(kitchen)
    assert mail["Subject"] == (
        "Prévision des repas – École Jean Jaurès – jeudi 3 décembre 2026 : 5 repas"
    )
    text = Mailbox.text(mail)
    for line in (
        "Repas à préparer : 5",
        "- standard : 2",
        "- sans porc : 1",
        "- végétarien : 1",
        "- panier-repas : 1",
        "Dont enfants avec PAI (projet d'accueil individualisé) : 2",
    ):
        assert line in text
    assert await KitchenMailing.filter(site_id=town.catalogue.site.id).count() == 1


async def test_two_workers_at_the_cut_off_send_one_mail(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    town = await booked_town(clock)
    token = await token_for(town.staff, clock)
    kitchen = f"cuisine-{town.tenant.slug}@exemple.fr"
    site_id = encode_id("Site", town.catalogue.site.id)
    await api(SET_EMAIL, {"siteId": site_id, "email": kitchen}, token=token)
    clock.current = datetime(2026, 11, 26, 23, 0, 30, tzinfo=UTC)

    await asyncio.gather(*(queue_kitchen_mails(clock=clock) for _ in range(3)))
    await run_jobs()

    assert len(mailbox.to(kitchen)) == 1
    assert await KitchenMailing.filter(site_id=town.catalogue.site.id).count() == 1


async def test_late_staff_changes_are_mailed_as_updates_until_the_day(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any, backend: Backend
) -> None:
    town = await booked_town(clock)
    token = await token_for(town.staff, clock)
    kitchen = f"cuisine-{town.tenant.slug}@exemple.fr"
    site_id = encode_id("Site", town.catalogue.site.id)
    await api(SET_EMAIL, {"siteId": site_id, "email": kitchen}, token=token)
    ctx = {"clock": clock, "redis": backend.redis}

    async def revision() -> int:
        mailing = await KitchenMailing.get(site_id=town.catalogue.site.id, day=THURSDAY)
        return mailing.revision

    clock.current = datetime(2026, 11, 26, 23, 0, 30, tzinfo=UTC)
    await kitchen_forecast_cron(ctx)  # the cut-off mail: 5 meals
    assert await revision() == 0

    # Monday: staff swap Hugo (no pork) for Tom (standard): same total, other diets.
    clock.current = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    await change(town, town.staff, "Tom", [THURSDAY], BookingAction.BOOK, clock)
    await change(town, town.staff, "Hugo", [THURSDAY], BookingAction.CANCEL, clock)
    await kitchen_forecast_cron(ctx)
    await kitchen_forecast_cron(ctx)  # nothing changed since: no second update
    assert await revision() == 1
    # Wednesday: Léa's place is cancelled by staff.
    clock.current = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    await change(town, town.staff, "Léa", [THURSDAY], BookingAction.CANCEL, clock)
    await kitchen_forecast_cron(ctx)
    assert await revision() == 2
    await run_jobs()

    thursday = [m for m in mailbox.to(kitchen) if "jeudi 3 décembre 2026" in m["Subject"]]
    first, swap, cancel = thursday
    assert first["Subject"].endswith("jeudi 3 décembre 2026 : 5 repas")
    assert swap["Subject"] == (
        "Mise à jour – Prévision des repas – École Jean Jaurès – jeudi 3 décembre 2026 : 5 repas"
    )
    assert "- standard : 3" in Mailbox.text(swap) and "- sans porc : 0" in Mailbox.text(swap)
    assert cancel["Subject"].endswith(": 4 repas (au lieu de 5)")
    assert "modifiées par le service depuis le dernier envoi" in Mailbox.text(cancel)

    # Once the day is over, changes (corrections for billing) no longer reach the kitchen.
    clock.current = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
    await change(town, town.staff, "Léa", [THURSDAY], BookingAction.BOOK, clock)
    await kitchen_forecast_cron(ctx)
    assert await revision() == 2


async def test_a_site_without_kitchen_address_gets_no_mail(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await booked_town(clock)
    token = await token_for(town.staff, clock)
    site_id = encode_id("Site", town.catalogue.site.id)
    await api(SET_EMAIL, {"siteId": site_id, "email": "cuisine@exemple.fr"}, token=token)
    cleared = await api(SET_EMAIL, {"siteId": site_id, "email": ""}, token=token)
    assert cleared["data"]["setKitchenEmail"]["kitchenEmail"] is None

    clock.current = datetime(2026, 11, 26, 23, 0, 30, tzinfo=UTC)
    await queue_kitchen_mails(clock=clock)

    assert not await KitchenMailing.exists(site_id=town.catalogue.site.id)


async def test_the_csv_export_is_a_short_lived_signed_link(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await booked_town(clock)
    token = await token_for(town.staff, clock)
    link = (await api(EXPORT, {"from": "2026-12-03", "to": "2026-12-04"}, token=token))["data"][
        "kitchenForecastExport"
    ]
    path = link["url"].removeprefix("http://famille.test")

    response = await http.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "prevision-repas-2026-12-03-2026-12-04.csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Date",
        "Lieu",
        "Repas",
        "Standard",
        "Sans porc",
        "Végétarien",
        "Panier-repas",
        "Dont PAI",
        "Absences signalées",
    ]
    assert rows[1:] == [
        ["2026-12-03", "École Jean Jaurès", "5", "2", "1", "1", "1", "2", "0"],
        ["2026-12-04", "École Jean Jaurès", "5", "2", "1", "1", "1", "2", "0"],
    ]
    # A forged or expired link is refused.
    assert (await http.get(path[:-1] + ("0" if path[-1] != "0" else "1"))).status_code == 403
    clock.advance(timedelta(minutes=16))
    expired = await http.get(path)
    assert expired.status_code == 403
    assert "expiré" in expired.text


async def test_only_the_towns_staff_read_forecasts(api: GraphQL, clock: FrozenClock) -> None:
    town = await booked_town(clock)
    staff_token = await token_for(town.staff, clock)
    parent_token = await token_for(town.parents["Durand"], clock)
    other = await make_town()
    other_staff = await make_account(other, clock, role=AccountRole.AGENT)
    other_site = encode_id("Site", (await make_catalogue(other_staff, clock)).site.id)
    week = {"from": "2026-12-01", "to": "2026-12-04"}

    as_parent = await api(FORECAST, week, token=parent_token)
    assert as_parent["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    link = await api(EXPORT, week, token=parent_token)
    assert link["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await api(FORECAST, week)
    assert anonymous["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    elsewhere = await api(FORECAST, {**week, "siteId": other_site}, token=staff_token)
    assert elsewhere["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    too_long = await api(FORECAST, {"from": "2026-12-01", "to": "2027-01-31"}, token=staff_token)
    assert too_long["errors"][0]["extensions"]["code"] == "INVALID"

    bad = await api(
        SET_EMAIL,
        {"siteId": encode_id("Site", town.catalogue.site.id), "email": "cuisine@"},
        token=staff_token,
    )
    assert bad["data"]["setKitchenEmail"]["errors"] == [
        {"code": "INVALID", "field": "email", "message": "L'adresse e-mail n'est pas valide."}
    ]
    foreign = await api(SET_EMAIL, {"siteId": other_site, "email": "a@b.fr"}, token=staff_token)
    assert foreign["data"]["setKitchenEmail"]["errors"][0]["code"] == "NOT_FOUND"
    by_parent = await api(
        SET_EMAIL,
        {"siteId": encode_id("Site", town.catalogue.site.id), "email": "a@b.fr"},
        token=parent_token,
    )
    assert by_parent["data"]["setKitchenEmail"]["errors"][0]["code"] == "FORBIDDEN"
