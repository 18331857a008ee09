"""Several API processes and several workers on one PostgreSQL database and one Redis
(docs/deployment.md, *Several API processes and workers*), as real processes:
`famille serve --workers 2` (two uvicorn processes on one port), a second `famille serve`
on another port, and two `famille worker`s on the machine's Redis with a queue of this
test's own.

- Twelve families submit the same canteen day at once, half through each port, for three
  places: three are booked, nine wait, never a fourth place; the waiting list follows the
  product's order (``ORDER BY updated_at, id``, the time each submit was applied), and two
  cancellations, one through each port, book the first two waiting children.
- Twenty registrations, half through each port, queue twenty activation mails: each is
  delivered once, whichever worker takes it.
Every mail of the test (confirmations, places freed, activations) reaches the SMTP
collector exactly once, by its outbox Message-ID.
"""

import asyncio
import signal
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from gql.ids import encode_id
from models.accounts import AccountRole
from models.bookings import Booking, BookingStatus
from models.catalogue import ActivityKind, SiteKind
from models.outbox import OutboxJob
from resolvers.calendar.catalogue import (
    ActivityForm,
    create_period,
    create_site,
    save_activity,
    set_opening,
)
from resolvers.calendar.enrollments import enroll
from resolvers.core.clock import FrozenClock
from tests.calendar.test_bookings import SUBMIT, parent_of
from tests.conftest import Backend
from tests.factories import make_account, make_household, make_town
from tests.faults.services import (
    Collector,
    Famille,
    free_port,
    service_env,
    wait_for_log,
    wait_until_answering,
)
from tests.jobs.test_outbox import REGISTER, registration

PLACES = 3
FAMILIES = 12
REGISTRATIONS = 20
CANCELLED = 2


def booking_day(today: date) -> date:
    """An open day (Monday, Tuesday, Thursday or Friday) past the 7 days' notice."""
    day = today + timedelta(days=10)
    while day.weekday() not in (0, 1, 3, 4):
        day += timedelta(days=1)
    return day


def uvicorn_workers(serve: Famille) -> list[int]:
    """The processes `famille serve` spawned to serve (not multiprocessing's tracker)."""
    pid = serve.process.pid
    children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [
        child
        for child in children
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_api_processes_and_two_workers_overbook_nothing_and_mail_once(
    backend: Backend, tmp_path: Path
) -> None:
    # given a town whose canteen has 3 places a day, and 12 families enrolled in it, on the
    # real clock (the processes run on it)
    clock = FrozenClock(datetime.now(UTC))
    today = clock.now().date()
    day = booking_day(today)
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    site = await create_site(staff, "École Jean Jaurès", SiteKind.SCHOOL, "", clock=clock)
    canteen = await save_activity(
        staff,
        ActivityForm(
            code="RS-REPAS",
            name="Restauration scolaire",
            kind=ActivityKind.CANTEEN,
            booking_value=7,
            cancellation_value=7,
        ),
        clock=clock,
    )
    period = await create_period(
        staff, "Période", today - timedelta(days=7), today + timedelta(days=60), clock=clock
    )
    await set_opening(staff, canteen.id, site.id, period.id, [0, 1, 3, 4], PLACES, clock=clock)
    families: list[dict[str, Any]] = []
    for n in range(FAMILIES):
        household = await make_household(staff, clock, children=1, guardians=1, name=f"F{n}")
        [child_id] = [child.id for child in await household.children.all()]  # type: ignore[attr-defined]
        await enroll(staff, child_id, canteen.id, site.id, period.id, clock=clock)
        parent, token = await parent_of(household, town, clock)
        families.append(
            {"household": household, "child_id": child_id, "token": token, "email": parent.email}
        )

    # and two API processes on one port, one on another, two workers, one Redis queue
    collector = Collector()
    smtp = Controller(collector, hostname="127.0.0.1", port=free_port())
    smtp.start()
    env = service_env(
        FAMILLE_QUEUE_NAME=f"several-{town.slug}:queue",
        FAMILLE_SECRET_KEY=f"several-processes-{town.slug}",
        FAMILLE_SMTP_HOST="127.0.0.1",
        FAMILLE_SMTP_PORT=str(smtp.port),
        FAMILLE_SMTP_SECURITY="none",
        FAMILLE_JOB_RETRY_SECONDS="1",
    )
    assert env["FAMILLE_REDIS_URL"] and env["FAMILLE_DATABASE_URL"].startswith("postgres")
    ports = [free_port(), free_port()]
    apis = [
        Famille(["serve", "--workers", "2", "--port", str(ports[0])], env, tmp_path / "a.log"),
        Famille(["serve", "--port", str(ports[1])], env, tmp_path / "b.log"),
    ]
    workers = [Famille(["worker"], env, tmp_path / f"worker{i}.log") for i in (1, 2)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]

    async def submit(client: httpx.AsyncClient, family: dict[str, Any], action: str) -> str:
        change = {
            "childId": encode_id("Child", family["child_id"]),
            "activityId": encode_id("Activity", canteen.id),
            "date": day.isoformat(),
            "action": action,
        }
        variables = {
            "householdId": encode_id("Household", family["household"].id),
            "input": {"changes": [change]},
        }
        response = await client.post(
            "/graphql",
            json={"query": SUBMIT, "variables": variables},
            headers={"Authorization": f"Bearer {family['token']}"},
        )
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        result = body["data"]["submitBookingChanges"]
        assert result["errors"] == [], result
        outcome: str = result["lines"][0]["outcome"]
        return outcome

    async def register(client: httpx.AsyncClient, address: str) -> None:
        response = await client.post(
            "/graphql", json={"query": REGISTER, "variables": registration(town.slug, address)}
        )
        body = response.json()
        assert response.status_code == 200 and body["data"]["register"]["errors"] == [], body

    addresses = [f"inscrit-{i}-{town.slug}@exemple.fr" for i in range(REGISTRATIONS)]
    try:
        for url, api in zip(urls, apis, strict=True):
            await wait_until_answering(url, api)
        # --workers 2: two processes serve the first port, each with its own lifespan
        await wait_for_log(apis[0], "Application startup complete.", count=2)
        assert len(uvicorn_workers(apis[0])) == 2, apis[0].text()
        clients = [httpx.AsyncClient(base_url=url, timeout=30) for url in urls]
        try:
            # when the 12 families submit the day at once, through both ports
            outcomes = await asyncio.gather(
                *(submit(clients[n % 2], family, "BOOK") for n, family in enumerate(families))
            )
            # then 3 get a place and 9 wait, and the database agrees
            assert Counter(outcomes) == {"BOOKED": PLACES, "WAITING_LIST": FAMILIES - PLACES}
            rows = {
                row.child_id: row for row in await Booking.filter(activity_id=canteen.id, day=day)
            }
            for family, outcome in zip(families, outcomes, strict=True):
                expected = BookingStatus.BOOKED if outcome == "BOOKED" else BookingStatus.WAITING
                assert rows[family["child_id"]].status == expected
            waiting = sorted(
                (row for row in rows.values() if row.status == BookingStatus.WAITING),
                key=lambda row: (row.updated_at, row.id),
            )

            # when two booked families cancel at once, one through each port
            booked = [f for f, o in zip(families, outcomes, strict=True) if o == "BOOKED"]
            cancelled = await asyncio.gather(
                *(submit(clients[n], booked[n], "CANCEL") for n in range(CANCELLED))
            )
            assert cancelled == ["CANCELLED"] * CANCELLED
            # then the first two waiting children (the product's order) get the places
            after = {
                row.child_id: row.status
                for row in await Booking.filter(activity_id=canteen.id, day=day)
            }
            promoted = [row.child_id for row in waiting[:CANCELLED]]
            still_waiting = [row.child_id for row in waiting[CANCELLED:]]
            assert all(after[child] == BookingStatus.BOOKED for child in promoted), after
            assert all(after[child] == BookingStatus.WAITING for child in still_waiting)
            assert list(after.values()).count(BookingStatus.BOOKED) == PLACES

            # and 20 registrations at once, through both ports
            await asyncio.gather(
                *(register(clients[i % 2], address) for i, address in enumerate(addresses))
            )
        finally:
            for client in clients:
                await client.aclose()

        # every mail of the test is sent, by either worker, exactly once
        recipients = {family["email"] for family in families} | set(addresses)

        async def ours() -> list[OutboxJob]:
            return [
                row
                for row in await OutboxJob.filter(function="send_mail")
                if row.kwargs.get("to") in recipients
            ]

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            jobs = await ours()
            if jobs and all(row.completed_at is not None for row in jobs):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)  # room for a duplicate to show up
        jobs = await ours()
        assert all(row.completed_at is not None for row in jobs), [
            (row.id, row.kwargs.get("to"), row.last_error) for row in jobs
        ]
        delivered = Counter(str(message["Message-ID"]) for message in collector.messages)
        sent = {row.id: delivered[f"<outbox-{row.id}@famille.test>"] for row in jobs}
        print(
            f"\nseveral processes: {len(jobs)} mails of the test, "
            f"delivered {sum(sent.values())}, "
            f"'send_mail' lines in each worker's log: "
            f"{[worker.text().count('send_mail') for worker in workers]}"
        )
        assert set(sent.values()) == {1}, sent
        activations = Counter(str(message["To"]) for message in collector.messages)
        assert all(activations[address] == 1 for address in addresses), activations
        # a confirmation per submit (14) and a mail per place given (2), plus activations
        assert len(jobs) == FAMILIES + CANCELLED + CANCELLED + REGISTRATIONS
        assert all(process.running() for process in (*apis, *workers))
    finally:
        exits = [process.stop() for process in (*workers, *apis)]
        smtp.stop()
    assert exits[:2] == [0, 0], [worker.text() for worker in workers]
    assert all(code in (0, -signal.SIGTERM) for code in exits[2:]), [api.text() for api in apis]
