"""Every page and file the service answers says: never framed, never sniffed, no Referer,
not stored (gql/security_headers.py), GraphiQL included; routes that choose their own
caching keep it."""

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from gql.ids import encode_id
from resolvers.calendar.bookings import BookingAction
from resolvers.core.clock import FrozenClock
from tests.accounts.test_accounts_register import REGISTER, activation_token, form
from tests.conftest import GraphQL, Mailbox
from tests.factories import make_town, token_for
from tests.ops_factories import OpsTown, change, make_ops_town

SECURITY = {
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
THURSDAY = date(2026, 12, 3)


def assert_protected(response: httpx.Response, cache_control: str = "no-store") -> None:
    seen = {name: response.headers.get(name) for name in (*SECURITY, "cache-control")}
    assert seen == {**SECURITY, "cache-control": cache_control}, response.request.url


async def test_graphiql_and_graphql_answers(http: httpx.AsyncClient) -> None:
    graphiql = await http.get("/graphql", headers={"Accept": "text/html"})
    assert graphiql.status_code == 200
    assert "famille — GraphiQL" in graphiql.text
    assert_protected(graphiql)
    # Only frame-ancestors: GraphiQL's inline script still runs.
    assert "script-src" not in graphiql.headers["content-security-policy"]
    assert "<script>" in graphiql.text or "<script " in graphiql.text

    answer = await http.post("/graphql", json={"query": "{ __typename }"})
    assert answer.json() == {"data": {"__typename": "Query"}}
    assert_protected(answer)


async def test_static_assets_stay_cacheable(http: httpx.AsyncClient) -> None:
    asset = await http.get("/static/graphiql/graphiql.min.js")
    assert asset.status_code == 200
    assert asset.headers["x-content-type-options"] == "nosniff"
    assert "cache-control" not in asset.headers or "no-store" not in asset.headers["cache-control"]


async def test_activation_and_password_reset_pages(
    api: GraphQL, http: httpx.AsyncClient, mailbox: Mailbox, run_jobs: Any
) -> None:
    town = await make_town()
    address = f"entetes-{uuid.uuid4().hex[:8]}@exemple.fr"
    await api(REGISTER, {"input": form(town.slug, email=address)})
    await run_jobs()
    link = f"/activation/{activation_token(mailbox, address)}"

    shown = await http.get(link)
    activated = await http.post(link)
    reset_form = await http.get(f"/mot-de-passe/{uuid.uuid4().hex}")
    reset_refused = await http.post(f"/mot-de-passe/{uuid.uuid4().hex}", data={"password": "x"})

    assert [r.status_code for r in (shown, activated, reset_form, reset_refused)] == [
        200,
        200,
        200,
        400,
    ]
    for page in (shown, activated, reset_form, reset_refused):
        assert page.headers["content-type"].startswith("text/html")
        assert_protected(page)


async def test_payment_return_page(http: httpx.AsyncClient) -> None:
    for method in ("GET", "POST"):
        page = await http.request(method, f"/paiement/retour/{uuid.uuid4().hex}")
        assert page.status_code == 404
        assert "Paiement introuvable" in page.text
        assert_protected(page)


@pytest.mark.parametrize(
    "path", ["/files/x.y", "/factures/x.y", "/prelevements/x.y", "/attestations/x.y", "/export/x"]
)
async def test_signed_file_routes(http: httpx.AsyncClient, path: str) -> None:
    refused = await http.get(path)
    assert refused.status_code == 403
    assert_protected(refused)


async def booked(clock: FrozenClock) -> OpsTown:
    town = await make_ops_town(clock)
    await change(town, town.parents["Durand"], "Léa", [THURSDAY], BookingAction.BOOK, clock)
    return town


async def test_kitchen_csv_and_attendance_pdf(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await booked(clock)
    token = await token_for(town.staff, clock)
    kitchen = await api(
        'query { kitchenForecastExport(from: "2026-12-03", to: "2026-12-03") { url } }',
        token=token,
    )
    sheets = await api(
        'query($siteId: ID!) { attendanceSheetsPdf(siteId: $siteId, date: "2026-12-03") { url } }',
        {"siteId": encode_id("Site", town.catalogue.site.id)},
        token=token,
    )
    urls = [
        kitchen["data"]["kitchenForecastExport"]["url"],
        sheets["data"]["attendanceSheetsPdf"]["url"],
    ]

    csv_file, pdf = [await http.get(url.removeprefix("http://famille.test")) for url in urls]

    assert csv_file.status_code == pdf.status_code == 200
    assert csv_file.headers["content-type"] == "text/csv; charset=utf-8"
    assert pdf.headers["content-type"] == "application/pdf"
    assert_protected(csv_file)
    assert_protected(pdf)


async def test_ics_feed_keeps_its_own_caching(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await booked(clock)
    parent = town.parents["Durand"]
    created = await api(
        "mutation($childId: ID!) { createCalendarFeed(childId: $childId) { url } }",
        {"childId": encode_id("Child", town.children["Léa"])},
        token=await token_for(parent, clock),
    )

    feed = await http.get(
        created["data"]["createCalendarFeed"]["url"].removeprefix("http://famille.test")
    )

    assert feed.status_code == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert_protected(feed, cache_control="private, max-age=300")


async def test_health_and_errors(http: httpx.AsyncClient) -> None:
    assert_protected(await http.get("/healthz"))
    assert_protected(await http.get("/ics/inconnu.ics"))
    assert_protected(await http.get("/exports/kitchen-forecast.csv?token=abc.def"))
