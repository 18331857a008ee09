"""PostgreSQL connections cut under the API: a TCP proxy of the test's own sits between the
API and the real PostgreSQL (never stopped) and cuts every connection in the middle of a
booking submit and of a payment callback, then refuses new ones for a while.

Each request in flight gets a clear answer — a GraphQL error with code
SERVICE_UNAVAILABLE, or a 503 the provider retries — never a hang or a crash; nothing is
half-written; and once the proxy forwards again the next request works, without restart
(asyncpg's pool drops the dead connections).
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tortoise import connections

from gql.app import create_app
from models.bookings import Booking
from models.outbox import OutboxJob
from models.payments import PaymentNotification
from models.requests import Request
from resolvers.core.clock import FrozenClock
from tests.calendar.test_bookings import SUBMIT, setup, winter_recurrence
from tests.conftest import Backend, GraphQL
from tests.faults.proxy import CuttableProxy
from tests.payment_factories import paying_family, payzen_ipn, start

# Sent after the first writes of the request under test and before what commits them: in
# the submit's transaction; the callback's outcome with its job (one statement on
# PostgreSQL), after its notification was stored.
SUBMIT_MARKER = b"INSERT INTO booking"
CALLBACK_MARKER = b"INSERT INTO outbox_job"
ANSWER_WITHIN = 10  # seconds: an answer later than this is a hang


@pytest.fixture
async def proxied(backend: Backend) -> AsyncIterator[CuttableProxy]:
    """Point the ORM's PostgreSQL pool at a proxy in front of the same database."""
    proxy = CuttableProxy("127.0.0.1", 5432)
    await proxy.start()
    client: Any = connections.get("default")
    direct_port = client.port
    await client.close()
    client.port = proxy.port
    try:
        yield proxy
    finally:
        proxy.restore()
        await client.close()
        client.port = direct_port
        await proxy.stop()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_connections_cut_mid_submit_and_mid_callback(
    backend: Backend, clock: FrozenClock, proxied: CuttableProxy
) -> None:
    f = await setup(clock)
    family = await paying_family(clock)
    app = create_app(clock=clock, redis=backend.redis)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://famille.test") as http:
        api = GraphQL(http)
        payment = await start(api, family)
        ipn = payzen_ipn(payment["request"])
        submit = {
            "householdId": f["household_id"],
            "input": {"recurrences": [winter_recurrence(f)]},
            "key": "coupure-1",
        }
        counts = {"attempted": 0, "answered_with_code": 0, "completed": 0}
        requests_before = await Request.filter(household_id=f["household"].id).count()
        notifications_before = await PaymentNotification.all().count()
        jobs_before = await OutboxJob.filter(function="reconcile_payment").count()

        async def post_submit() -> httpx.Response:
            counts["attempted"] += 1
            return await asyncio.wait_for(
                http.post(
                    "/graphql",
                    json={"query": SUBMIT, "variables": submit},
                    headers={"Authorization": f"Bearer {f['token']}"},
                ),
                ANSWER_WITHIN,
            )

        async def post_callback() -> httpx.Response:
            counts["attempted"] += 1
            return await asyncio.wait_for(
                http.post("/payments/payzen/ipn", data=ipn), ANSWER_WITHIN
            )

        # 1. The submit's connection dies inside its transaction.
        proxied.cut_when(SUBMIT_MARKER)
        response = await post_submit()
        assert response.status_code == 200
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", error
        assert "momentanément indisponible" in error["message"]
        counts["answered_with_code"] += 1

        # 2. The database stays unreachable: the next requests are refused clearly too,
        #    even before GraphQL runs (the bearer token cannot be checked).
        response = await post_submit()
        assert response.status_code == 503 and response.headers["retry-after"]
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        counts["answered_with_code"] += 1
        assert (await http.get("/readyz")).status_code == 503
        health = (await http.get("/healthz")).json()
        assert health["status"] == "down" and health["database"] == "down", health

        # 3. The callback's connection dies as it records the outcome: 503, PayZen retries.
        proxied.restore()
        proxied.cut_when(CALLBACK_MARKER)
        response = await post_callback()
        assert response.status_code == 503 and response.headers["retry-after"], response.text
        counts["answered_with_code"] += 1
        proxied.restore()

        # Nothing half-written: no request, booking or job of either; the callback was
        # stored first, as received, before the cut (its retry is stored again below).
        assert await Booking.filter(child_id=f["child_ids"][0]).count() == 0
        assert await Request.filter(household_id=f["household"].id).count() == requests_before
        assert await PaymentNotification.all().count() == notifications_before + 1
        assert await OutboxJob.filter(function="reconcile_payment").count() == jobs_before

        # 4. Back without a restart: the same submit (same key: nothing was stored, so it
        #    is not a replay) and the same callback work.
        response = await post_submit()
        result = response.json()["data"]["submitBookingChanges"]
        assert result["errors"] == [] and result["replayed"] is False, result
        assert result["summary"] == "Réservations : 12 jours réservés"
        counts["completed"] += 1
        response = await post_callback()
        assert response.status_code == 200, response.text
        counts["completed"] += 1
        assert (await http.get("/readyz")).status_code == 200

    assert await Booking.filter(child_id=f["child_ids"][0]).count() == 12
    assert await Request.filter(household_id=f["household"].id).count() == requests_before + 1
    assert await PaymentNotification.all().count() == notifications_before + 2
    print(f"\npostgres cuts: {counts} cuts={proxied.cuts}")
    assert counts == {"attempted": 5, "answered_with_code": 3, "completed": 2}
