"""A child's private calendar link, as a parent adds it to a phone: a valid RFC 5545 feed of
the booked days, readable by a standard parser, that stops at once when revoked."""

from datetime import date, datetime, timedelta
from typing import Any

import httpx
from icalendar import Calendar

from gql.ids import encode_id
from resolvers.calendar.bookings import BookingAction
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL
from tests.factories import token_for
from tests.ops_factories import OpsTown, change, make_ops_town

CREATE = """
mutation($childId: ID!) {
  createCalendarFeed(childId: $childId) {
    url feed { id childFirstNames revokedAt } errors { code field message }
  }
}
"""
REVOKE = """
mutation($feedId: ID!) {
  revokeCalendarFeed(feedId: $feedId) { feed { id revokedAt } errors { code message } }
}
"""
FEEDS = """
query($householdId: ID!) {
  calendarFeeds(householdId: $householdId) { id childFirstNames revokedAt }
}
"""

DAYS = [date(2026, 12, 3), date(2026, 12, 4), date(2026, 12, 7)]


async def feed_town(clock: FrozenClock) -> OpsTown:
    town = await make_ops_town(clock)
    durand = town.parents["Durand"]
    await change(town, durand, "Léa", DAYS, BookingAction.BOOK, clock)
    await change(town, durand, "Hugo", [date(2026, 12, 8)], BookingAction.BOOK, clock)
    return town


async def create(api: GraphQL, town: OpsTown, child: str, token: str) -> dict[str, Any]:
    result = await api(CREATE, {"childId": encode_id("Child", town.children[child])}, token=token)
    payload: dict[str, Any] = result["data"]["createCalendarFeed"]
    return payload


def parse(body: bytes) -> Calendar:
    calendar = Calendar.from_ical(body)
    assert isinstance(calendar, Calendar)
    return calendar


async def fetch(http: httpx.AsyncClient, url: str) -> httpx.Response:
    return await http.get(url.removeprefix("http://famille.test"))


async def test_the_feed_is_a_valid_calendar_of_the_booked_days(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await feed_town(clock)
    token = await token_for(town.parents["Durand"], clock)
    created = await create(api, town, "Léa", token)
    assert created["errors"] == []
    assert created["url"].startswith("http://famille.test/ics/")

    response = await fetch(http, created["url"])

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "DTSTART;VALUE=DATE:20261203" in response.text
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.text
    calendar = parse(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert "PRODID" in calendar
    events = calendar.events
    assert [event.DTSTART for event in events] == DAYS  # not Hugo's day
    for event in events:
        start, end, stamp = event.DTSTART, event.DTEND, event.DTSTAMP
        assert type(start) is date and type(end) is date
        assert (end - start).days == 1
        assert isinstance(stamp, datetime) and stamp.utcoffset() == timedelta(0)
        assert event.summary == "Restauration scolaire - Léa"
        assert event.location == "École Jean Jaurès"
    assert len({event.uid for event in events}) == 3

    # A cancelled day leaves the feed; the phone drops it at its next refresh.
    await change(town, town.parents["Durand"], "Léa", [DAYS[2]], BookingAction.CANCEL, clock)
    again = parse((await fetch(http, created["url"])).content)
    assert [event.DTSTART for event in again.events] == DAYS[:2]


async def test_a_revoked_link_answers_404_at_once(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await feed_town(clock)
    token = await token_for(town.parents["Durand"], clock)
    created = await create(api, town, "Léa", token)
    household_id = encode_id("Household", town.households["Durand"].id)
    listed = await api(FEEDS, {"householdId": household_id}, token=token)
    assert listed["data"]["calendarFeeds"] == [
        {"id": created["feed"]["id"], "childFirstNames": "Léa", "revokedAt": None}
    ]

    revoked = await api(REVOKE, {"feedId": created["feed"]["id"]}, token=token)

    assert revoked["data"]["revokeCalendarFeed"]["errors"] == []
    assert revoked["data"]["revokeCalendarFeed"]["feed"]["revokedAt"] is not None
    gone = await fetch(http, created["url"])
    assert gone.status_code == 404
    assert (await http.get("/ics/inconnu.ics")).status_code == 404
    listed = await api(FEEDS, {"householdId": household_id}, token=token)
    assert listed["data"]["calendarFeeds"][0]["revokedAt"] is not None
    # A new link works while the old one stays dead.
    fresh = await create(api, town, "Léa", token)
    assert (await fetch(http, fresh["url"])).status_code == 200
    assert (await fetch(http, created["url"])).status_code == 404


async def test_only_the_childs_parents_manage_its_links(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await feed_town(clock)
    durand = await token_for(town.parents["Durand"], clock)
    petit = await token_for(town.parents["Petit"], clock)
    staff = await token_for(town.staff, clock)
    created = await create(api, town, "Léa", durand)

    assert (await create(api, town, "Léa", petit))["errors"][0]["code"] == "NOT_FOUND"
    assert (await create(api, town, "Léa", staff))["errors"][0]["code"] == "FORBIDDEN"
    assert (await create(api, town, "Léa", ""))["errors"][0]["code"] == "NOT_AUTHENTICATED"
    stolen = await api(REVOKE, {"feedId": created["feed"]["id"]}, token=petit)
    assert stolen["data"]["revokeCalendarFeed"]["errors"][0]["code"] == "NOT_FOUND"
    other_list = await api(
        FEEDS, {"householdId": encode_id("Household", town.households["Durand"].id)}, token=petit
    )
    assert other_list["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await fetch(http, created["url"])).status_code == 200
