"""Apollo Client and graphql-ws, pinned in tests/clients/package-lock.json, against the real
app on a free port: what a web or React Native front end does first."""

import asyncio

from gql.ids import decode_id, encode_id
from jobs.live import channel
from resolvers.core.clock import FrozenClock
from resolvers.live.live import Topic
from tests.calendar.test_bookings import setup
from tests.conftest import Backend
from tests.factories import PASSWORD
from tests.frontdoors.conftest import WAIT, NodeStarter

DAY = "2026-12-10"  # a Thursday, within the canteen's deadline on the tests' clock


async def until_subscribed(backend: Backend, household_id: str) -> None:
    """Pub/sub keeps nothing: wait until the server listens for the household's events."""
    name = channel(Topic.CALENDAR, decode_id(household_id, "Household", field="householdId"))
    async with asyncio.timeout(WAIT):
        while not dict(await backend.redis.pubsub_numsub(name)).get(name.encode()):
            await asyncio.sleep(0.01)


async def test_apollo_books_and_graphql_ws_hears_it(
    backend: Backend, clock: FrozenClock, live_url: str, node: NodeStarter
) -> None:
    # given a parent with an account, a child enrolled in the canteen
    f = await setup(clock)
    child_id = encode_id("Child", f["child_ids"][0])

    # when Apollo Client logs in, graphql-ws subscribes to calendarChanges, Apollo reads the
    # calendar and books a day
    script = await node(
        "apollo_graphql_ws.mjs",
        {
            "FAMILLE_URL": live_url,
            "TOWN": f["town"].slug,
            "EMAIL": f["parent"].email,
            "PASSWORD": PASSWORD,
            "HOUSEHOLD_ID": f["household_id"],
            "CHILD_ID": child_id,
            "ACTIVITY_ID": f["activity_id"],
            "DAY": DAY,
        },
    )
    assert await script.receive() == {"step": "subscribed"}
    await until_subscribed(backend, f["household_id"])
    await script.go()
    result = await script.receive()
    await script.finish()

    # then the calendar came back with the day bookable
    [line] = result["calendar"]
    assert line["child"]["id"] == child_id
    [day] = line["days"]
    assert (day["date"], day["status"], day["canChange"]) == (DAY, "NOT_BOOKED", True)
    # a typed object, as Apollo's cache reads it (it asks each object's __typename)
    assert day["__typename"] == "CalendarDay" and day["reason"] == "CHANGEABLE"
    assert day["changeableUntil"].endswith("+00:00") and day["message"].startswith("Modifiable")
    # the booking went through
    submitted = result["submitted"]
    assert submitted["errors"] == []
    assert [(line["date"], line["outcome"]) for line in submitted["lines"]] == [(DAY, "BOOKED")]
    # the graphql-ws client heard of it
    assert result["event"] == {
        "next": {
            "data": {
                "calendarChanges": {
                    "kind": "BOOKINGS_CHANGED",
                    "householdId": f["household_id"],
                    "childId": child_id,
                    "activityId": f["activity_id"],
                    "dates": [DAY],
                    "requestId": submitted["requestId"],
                    "byStaff": False,
                }
            }
        }
    }
    # and a subscription without a token came back as errors the client reads a code from
    refusal = result["refusal"]["error"]
    assert [error["extensions"]["code"] for error in refusal] == ["NOT_AUTHENTICATED"]
