"""GraphiQL at /graphql in a real Chromium (Debian's, driven by playwright-core from
tests/clients/graphiql.mjs), every request to another host refused: the page renders, the
Docs explorer knows the schema, a query runs with the token typed in the Headers tab and a
subscription typed there receives an event of a booking made over HTTP."""

import json
import re
from pathlib import Path

import httpx
import pytest

from gql.graphiql import DEFAULT_QUERY, MARKER, json_for_script, render_page
from resolvers.core.clock import FrozenClock
from tests.calendar.test_bookings import SUBMIT, day_change, setup
from tests.conftest import Backend
from tests.frontdoors.conftest import CHROMIUM, NodeStarter
from tests.frontdoors.test_js_clients import until_subscribed

ME = "{ me { email households { name } } }"
CALENDAR_CHANGES = 'subscription { calendarChanges(householdId: "{id}") { kind dates byStaff } }'
DAY = "2026-12-10"


def test_the_welcome_text_is_json_in_a_data_block() -> None:
    # given a text with everything that once ended the page's script, or would
    hostile = "`famille dev` ${alert(1)} </script><script>alert(2)</script> <!-- & \\ \"'"

    # when the page is rendered with it
    page = render_page(hostile)

    # then it is one JSON string in a data block that the browser cannot end early
    [block] = re.findall(
        r'<script type="application/json" id="famille-default-query">(.*?)</script>',
        page,
        re.S,
    )
    assert json.loads(block) == hostile
    assert MARKER not in page
    # and the welcome text itself goes the same way (it has backticks: `famille dev`)
    assert "`famille dev`" in DEFAULT_QUERY
    assert json_for_script(DEFAULT_QUERY) in render_page()


def test_no_text_is_pasted_into_the_page_script() -> None:
    # A template literal in the inline script is where the welcome text broke the page.
    source = (Path(__file__).parents[2] / "gql/static/graphiql/index.html").read_text()
    inline_scripts = re.findall(r"<script>(.*?)</script>", source, re.S)
    assert inline_scripts
    assert all("`" not in script for script in inline_scripts)


async def test_graphiql_in_chromium(
    backend: Backend, clock: FrozenClock, live_url: str, node: NodeStarter
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/test does)")
    # given a logged-in parent (the token they would get from login) and a bookable day
    f = await setup(clock)

    # when they open GraphiQL, look at the Docs, run a query with their token in the
    # Headers tab and a subscription to their calendar
    script = await node(
        "graphiql.mjs",
        {
            "FAMILLE_URL": live_url,
            "TOKEN": f["token"],
            "QUERY": ME,
            "SUBSCRIPTION": CALENDAR_CHANGES.replace("{id}", f["household_id"]),
            "CHROMIUM": CHROMIUM,
        },
    )
    page = await script.receive()
    assert page["step"] == "subscribed"
    await until_subscribed(backend, f["household_id"])
    # and the family books a day over HTTP
    async with httpx.AsyncClient(base_url=live_url) as http:
        booked = await http.post(
            "/graphql",
            json={
                "query": SUBMIT,
                "variables": {
                    "householdId": f["household_id"],
                    "input": {"changes": [day_change(f, DAY)]},
                },
            },
            headers={"Authorization": f"Bearer {f['token']}"},
        )
    assert booked.json()["data"]["submitBookingChanges"]["errors"] == []
    await script.go()
    done = await script.receive()
    await script.finish()

    # then the page rendered, with its welcome text, and never failed
    assert page["welcome"] == DEFAULT_QUERY
    assert page["pageErrors"] == done["pageErrors"] == []
    # the Docs explorer listed Query's fields
    assert {"me", "calendar", "catalogue", "invoices"} <= set(page["queryFields"])
    # the query ran as the parent of the Headers tab
    assert page["queryResult"] == {
        "data": {"me": {"email": f["parent"].email, "households": [{"name": f["household"].name}]}}
    }
    # the subscription received the booking
    assert done["event"] == {
        "data": {"calendarChanges": {"kind": "BOOKINGS_CHANGED", "dates": [DAY], "byStaff": False}}
    }
    # and nothing left the server under test
    assert done["refused"] == []
    assert done["websockets"] == [live_url.replace("http", "ws", 1) + "/graphql"]
