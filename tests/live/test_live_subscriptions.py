"""Live updates as a phone gets them: a websocket (graphql-transport-ws) on a real uvicorn
server, while the changes are posted to another instance of the API, as if to another
process; the events travel through Redis pub/sub (real Redis on PostgreSQL, the embedded
fakeredis on SQLite)."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import pytest
from tortoise.transactions import in_transaction
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from gql.app import create_app
from gql.ids import decode_id, encode_id
from jobs.live import channel
from jobs.outbox import relay_outbox
from models.outbox import OutboxJob
from resolvers.calendar.bookings import BookingAction, BookingChange, ChangeSet, submit_changes
from resolvers.core.clock import FrozenClock
from resolvers.live.live import Topic
from tests.calendar.test_bookings import SUBMIT, day_change, parent_of, setup
from tests.conftest import Backend, GraphQL
from tests.factories import enroll_all, make_household
from tests.served import served

CALENDAR_CHANGES = """
subscription($householdId: ID!) {
  calendarChanges(householdId: $householdId) {
    kind householdId childId activityId dates from to requestId byStaff
  }
}
"""
REQUEST_CHANGES = """
subscription($householdId: ID!) {
  requestChanges(householdId: $householdId) { kind householdId requestId status byStaff }
}
"""
REPORT_ABSENCE = """
mutation($householdId: ID!, $input: AbsenceInput!) {
  reportAbsence(householdId: $householdId, input: $input) {
    report { id status } errors { code message }
  }
}
"""
DECIDE_ABSENCE = """
mutation($reportId: ID!) {
  decideAbsenceReport(reportId: $reportId, accept: true, comment: "Certificat reçu") {
    report { status } errors { code message }
  }
}
"""
CATALOGUE_QUERY = 'query { catalogue(town: "x") { sites { name } } }'

# Generous bounds for a loaded CI machine; a passing test never waits for them.
WAIT = 10.0


@pytest.fixture
async def ws_url(backend: Backend, clock: FrozenClock) -> AsyncIterator[str]:
    """The API served by uvicorn on a free port, in the tests' event loop and database."""
    async with served(create_app(clock=clock, redis=backend.redis)) as port:
        yield f"ws://127.0.0.1:{port}/graphql"


class Phone:
    """A graphql-transport-ws client, as a mobile app's GraphQL client speaks it."""

    def __init__(self, socket: ClientConnection, backend: Backend) -> None:
        self.socket = socket
        self.backend = backend
        self.next_id = 0

    async def subscribe(self, document: str, household_id: str) -> str:
        self.next_id += 1
        operation = str(self.next_id)
        await self.send(
            {
                "id": operation,
                "type": "subscribe",
                "payload": {"query": document, "variables": {"householdId": household_id}},
            }
        )
        return operation

    async def subscribed(self, document: str, household_id: str) -> str:
        """Subscribe, and wait until Redis has the subscription (pub/sub keeps nothing)."""
        operation = await self.subscribe(document, household_id)
        topic = Topic.CALENDAR if "calendarChanges" in document else Topic.REQUESTS
        name = channel(topic, decode_id(household_id, "Household", field="householdId"))
        async with asyncio.timeout(WAIT):
            while not dict(await self.backend.redis.pubsub_numsub(name)).get(name.encode()):
                await asyncio.sleep(0.01)
        return operation

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), WAIT))
        return message


@asynccontextmanager
async def phone(
    url: str, backend: Backend, clock: FrozenClock, token: str | None = None
) -> AsyncIterator[Phone]:
    # The factories wrote their rows without an API around them: publish their events now,
    # so that a phone hears only of what the test does next.
    await relay_outbox(backend.redis, clock=clock)
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as socket:
        client = Phone(socket, backend)
        await client.send(
            {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {token}"} if token else {},
            }
        )
        assert (await client.receive())["type"] == "connection_ack"
        yield client


async def test_a_staff_change_reaches_the_family_phone(
    api: GraphQL, backend: Backend, clock: FrozenClock, ws_url: str
) -> None:
    # given a parent whose phone follows the household's calendar and requests
    f = await setup(clock)
    async with phone(ws_url, backend, clock, f["token"]) as parents_phone:
        calendar = await parents_phone.subscribed(CALENDAR_CHANGES, f["household_id"])
        requests = await parents_phone.subscribed(REQUEST_CHANGES, f["household_id"])

        # when a town agent books two days through a normal POST to another API instance
        result = await api(
            SUBMIT,
            {
                "householdId": f["household_id"],
                "input": {"changes": [day_change(f, "2026-12-10"), day_change(f, "2026-12-03")]},
            },
            token=f["staff_token"],
        )
        request_id = result["data"]["submitBookingChanges"]["requestId"]

        # then the phone hears of both days and of the new request, without asking
        received = [await parents_phone.receive(), await parents_phone.receive()]
    by_operation = {message["id"]: message for message in received}
    assert {message["type"] for message in received} == {"next"}
    assert by_operation[calendar]["payload"] == {
        "data": {
            "calendarChanges": {
                "kind": "BOOKINGS_CHANGED",
                "householdId": f["household_id"],
                "childId": encode_id("Child", f["child_ids"][0]),
                "activityId": f["activity_id"],
                "dates": ["2026-12-03", "2026-12-10"],
                "from": "2026-12-03",
                "to": "2026-12-10",
                "requestId": request_id,
                "byStaff": True,
            }
        }
    }
    assert by_operation[requests]["payload"]["data"]["requestChanges"] == {
        "kind": "CREATED",
        "householdId": f["household_id"],
        "requestId": request_id,
        "status": "COMPLETED",
        "byStaff": True,
    }


async def test_a_waiting_list_promotion_reaches_the_waiting_family(
    api: GraphQL, backend: Backend, clock: FrozenClock, ws_url: str
) -> None:
    # given a canteen day with one place, taken by a first family, a second one waiting
    first = await setup(clock, capacity=1)
    household = await make_household(first["staff"], clock, children=1, guardians=1)
    children = await enroll_all(first["staff"], household, first["catalogue"], clock)
    _, token = await parent_of(household, first["town"], clock)
    second = {**first, "child_ids": children, "household_id": encode_id("Household", household.id)}
    for family, family_token in ((first, first["token"]), (second, token)):
        await api(
            SUBMIT,
            {
                "householdId": family["household_id"],
                "input": {"changes": [day_change(family, "2026-12-01")]},
            },
            token=family_token,
        )
    async with phone(ws_url, backend, clock, token) as waiting_phone:
        await waiting_phone.subscribed(CALENDAR_CHANGES, second["household_id"])

        # when the first family cancels
        await api(
            SUBMIT,
            {
                "householdId": first["household_id"],
                "input": {"changes": [day_change(first, "2026-12-01", "CANCEL")]},
            },
            token=first["token"],
        )

        # then the waiting family's phone learns that its child got the place
        message = await waiting_phone.receive()
    assert message["payload"]["data"]["calendarChanges"] == {
        "kind": "WAITING_LIST_PROMOTED",
        "householdId": second["household_id"],
        "childId": encode_id("Child", children[0]),
        "activityId": first["activity_id"],
        "dates": ["2026-12-01"],
        "from": "2026-12-01",
        "to": "2026-12-01",
        "requestId": None,
        "byStaff": False,
    }


async def test_an_absence_and_its_decision_reach_the_family(
    api: GraphQL, backend: Backend, clock: FrozenClock, ws_url: str
) -> None:
    # given a booked day already past its deadline, and the parent's phone following requests
    f = await setup(clock)
    await api(
        SUBMIT,
        {"householdId": f["household_id"], "input": {"changes": [day_change(f, "2026-11-26")]}},
        token=f["staff_token"],
    )
    async with phone(ws_url, backend, clock, f["token"]) as parents_phone:
        calendar = await parents_phone.subscribed(CALENDAR_CHANGES, f["household_id"])
        requests = await parents_phone.subscribed(REQUEST_CHANGES, f["household_id"])

        # when the parent reports an absence (on another phone), then staff accept it
        reported = await api(
            REPORT_ABSENCE,
            {
                "householdId": f["household_id"],
                "input": {
                    "childId": encode_id("Child", f["child_ids"][0]),
                    "reason": "ILLNESS",
                    "dates": "DAY",
                    "day": "2026-11-26",
                },
            },
            token=f["token"],
        )
        report_id = reported["data"]["reportAbsence"]["report"]["id"]
        first = [await parents_phone.receive(), await parents_phone.receive()]
        await api(DECIDE_ABSENCE, {"reportId": report_id}, token=f["staff_token"])
        second = [await parents_phone.receive(), await parents_phone.receive()]

    # then the phone heard of the report and of the decision, on both subscriptions
    def payload(messages: list[dict[str, Any]], operation: str) -> dict[str, Any]:
        [message] = [m for m in messages if m["id"] == operation]
        change: dict[str, Any] = message["payload"]["data"][
            "calendarChanges" if operation == calendar else "requestChanges"
        ]
        return change

    assert payload(first, calendar)["kind"] == "ABSENCE_REPORTED"
    assert payload(first, calendar)["dates"] == ["2026-11-26"]
    assert payload(first, calendar)["byStaff"] is False
    assert (payload(first, requests)["kind"], payload(first, requests)["status"]) == (
        "CREATED",
        "IN_REVIEW",
    )
    assert payload(second, calendar)["kind"] == "ABSENCE_DECIDED"
    assert payload(second, calendar)["byStaff"] is True
    assert (payload(second, requests)["kind"], payload(second, requests)["status"]) == (
        "STATUS_CHANGED",
        "COMPLETED",
    )


@pytest.mark.parametrize("intruder", ["parent", "staff of another town"])
async def test_another_households_subscription_is_refused(
    backend: Backend, clock: FrozenClock, ws_url: str, intruder: str
) -> None:
    mine = await setup(clock)
    theirs = await setup(clock)
    token = mine["token"] if intruder == "parent" else mine["staff_token"]
    async with phone(ws_url, backend, clock, token) as intruders_phone:
        for document in (CALENDAR_CHANGES, REQUEST_CHANGES):
            operation = await intruders_phone.subscribe(document, theirs["household_id"])
            refusal = await intruders_phone.receive()
            assert (refusal["id"], refusal["type"]) == (operation, "error")
            [error] = refusal["payload"]
            assert error["extensions"]["code"] == "NOT_FOUND"
            assert error["message"] == "Foyer introuvable."


@pytest.mark.parametrize("document", [CALENDAR_CHANGES, REQUEST_CHANGES])
@pytest.mark.parametrize("token", [None, "jeton-inconnu"])
async def test_a_subscription_without_a_valid_token_is_refused(
    backend: Backend, clock: FrozenClock, ws_url: str, token: str | None, document: str
) -> None:
    f = await setup(clock)
    async with phone(ws_url, backend, clock, token) as anonymous:
        operation = await anonymous.subscribe(document, f["household_id"])
        refusal = await anonymous.receive()
    assert (refusal["id"], refusal["type"]) == (operation, "error")
    assert [error["extensions"]["code"] for error in refusal["payload"]] == ["NOT_AUTHENTICATED"]


async def test_queries_and_mutations_go_through_http(
    backend: Backend, clock: FrozenClock, ws_url: str
) -> None:
    f = await setup(clock)
    async with phone(ws_url, backend, clock, f["token"]) as client:
        await client.send({"id": "q", "type": "subscribe", "payload": {"query": CATALOGUE_QUERY}})
        refusal = await client.receive()
    assert (refusal["id"], refusal["type"]) == ("q", "error")
    assert refusal["payload"][0]["extensions"]["code"] == "INVALID"


async def test_a_subscription_over_http_is_sent_to_the_websocket(
    api: GraphQL, clock: FrozenClock
) -> None:
    f = await setup(clock)
    result = await api(CALENDAR_CHANGES, {"householdId": f["household_id"]}, token=f["token"])
    assert result["data"] is None
    [error] = result["errors"]
    assert error["extensions"]["code"] == "INVALID"
    assert "websocket" in error["message"]


async def test_an_event_of_one_household_never_reaches_another(
    api: GraphQL, backend: Backend, clock: FrozenClock, ws_url: str
) -> None:
    # given two families of the same town, each phone following its own household
    a = await setup(clock)
    b = await setup(clock)
    async with (
        phone(ws_url, backend, clock, a["token"]) as phone_a,
        phone(ws_url, backend, clock, b["token"]) as phone_b,
    ):
        await phone_a.subscribed(CALENDAR_CHANGES, a["household_id"])
        await phone_b.subscribed(CALENDAR_CHANGES, b["household_id"])

        # when family A books a day, then family B another one
        for family, day in ((a, "2026-12-07"), (b, "2026-12-08")):
            await api(
                SUBMIT,
                {
                    "householdId": family["household_id"],
                    "input": {"changes": [day_change(family, day)]},
                },
                token=family["token"],
            )

        # then each phone's first event is its own family's: B never saw A's
        heard_by_a = (await phone_a.receive())["payload"]["data"]["calendarChanges"]
        heard_by_b = (await phone_b.receive())["payload"]["data"]["calendarChanges"]
    assert (heard_by_a["householdId"], heard_by_a["dates"]) == (a["household_id"], ["2026-12-07"])
    assert (heard_by_b["householdId"], heard_by_b["dates"]) == (b["household_id"], ["2026-12-08"])


async def test_a_rolled_back_change_publishes_nothing(
    api: GraphQL, backend: Backend, clock: FrozenClock, ws_url: str
) -> None:
    # given a parent's phone following the household's calendar
    f = await setup(clock)
    async with phone(ws_url, backend, clock, f["token"]) as parents_phone:
        await parents_phone.subscribed(CALENDAR_CHANGES, f["household_id"])
        outbox_before = await OutboxJob.all().count()

        # when a booking change is made, then its transaction rolls back
        with pytest.raises(RuntimeError):
            async with in_transaction():
                await submit_changes(
                    f["staff"],
                    f["household"].id,
                    ChangeSet(
                        changes=[
                            BookingChange(
                                f["child_ids"][0],
                                f["catalogue"].canteen.id,
                                date(2026, 12, 14),
                                BookingAction.BOOK,
                            )
                        ]
                    ),
                    clock=clock,
                )
                raise RuntimeError("la transaction échoue après coup")
        await relay_outbox(backend.redis, clock=clock)

        # then nothing was recorded for the relay, and the next event the phone gets is
        # that of the next change that did commit
        assert await OutboxJob.all().count() == outbox_before
        await api(
            SUBMIT,
            {"householdId": f["household_id"], "input": {"changes": [day_change(f, "2026-12-15")]}},
            token=f["token"],
        )
        heard = (await parents_phone.receive())["payload"]["data"]["calendarChanges"]
    assert heard["dates"] == ["2026-12-15"]


async def test_a_logged_out_phone_stops_receiving(
    api: GraphQL, backend: Backend, clock: FrozenClock, ws_url: str
) -> None:
    # given a parent's phone following the calendar
    f = await setup(clock)
    async with phone(ws_url, backend, clock, f["token"]) as parents_phone:
        operation = await parents_phone.subscribed(CALENDAR_CHANGES, f["household_id"])

        # when the parent logs out that token, then an agent changes a day
        await api("mutation { logout { errors { code } } }", token=f["token"])
        await api(
            SUBMIT,
            {"householdId": f["household_id"], "input": {"changes": [day_change(f, "2026-12-17")]}},
            token=f["staff_token"],
        )

        # then the phone gets NOT_AUTHENTICATED instead of the event, and the subscription ends
        refusal = await parents_phone.receive()
        ended = await parents_phone.receive()
    assert (refusal["id"], refusal["type"]) == (operation, "next")
    assert refusal["payload"]["data"] is None
    assert [e["extensions"]["code"] for e in refusal["payload"]["errors"]] == ["NOT_AUTHENTICATED"]
    assert ended == {"id": operation, "type": "complete"}
