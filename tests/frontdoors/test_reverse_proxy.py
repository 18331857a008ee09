"""The documented reverse proxy, tested: Debian's nginx, started unprivileged with exactly
docs/deploy/nginx-famille.conf (listen port, API port and log directory replaced), in front
of a real `famille serve`. Through it a family queries, uploads (the largest document, a
body just under the limit that the API itself answers, one over it that nginx refuses),
downloads, hears a booking on a graphql-ws subscription, and PayZen posts a callback whose
stored source address is the caller's, not the proxy's.

The clients connect from 127.0.0.2, nginx reaches the API from 127.0.0.1 (the default
FAMILLE_FORWARDED_ALLOW_IPS), so the address the API records tells whose it is.
scripts/clients installs nginx; a missing one fails this test, it never skips.
"""

import asyncio
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets

from gql.access_log import TOKEN_PREFIXES
from gql.ids import encode_id
from models.accounts import AccountRole, LoginAttempt
from models.catalogue import ActivityKind, SiteKind
from models.payments import NotificationOutcome, PaymentNotification
from resolvers.calendar.catalogue import (
    ActivityForm,
    create_period,
    create_site,
    save_activity,
    set_opening,
)
from resolvers.calendar.enrollments import enroll
from resolvers.core.clock import FrozenClock
from settings import Settings
from tests import samples
from tests.calendar.test_bookings import SUBMIT, parent_of
from tests.conftest import Backend, GraphQL
from tests.documents.test_documents import UPLOAD
from tests.factories import make_account, make_household, make_town
from tests.faults.services import Famille, free_port, service_env, wait_until_answering
from tests.payment_factories import form_fields, paying_family, payzen_ipn, start

ROOT = Path(__file__).resolve().parents[2]
SITE_CONF = ROOT / "docs" / "deploy" / "nginx-famille.conf"
NGINX = os.environ.get("FAMILLE_TEST_NGINX", "/usr/sbin/nginx")
CLIENT_ADDRESS = "127.0.0.2"  # the family's phone, PayZen: anyone but the proxy
OTHER_ADDRESS = "127.0.0.3"  # someone reaching the API's port without the proxy
FILE_LIMIT = 3200 * 1024
WAIT = 60.0

DOCUMENTS = "query($id: ID!) { documents(householdId: $id) { totalCount } }"
LOGIN = """
mutation($town: String!, $email: String!, $password: String!) {
  login(input: {town: $town, email: $email, password: $password}) { token errors { code } }
}
"""
CALENDAR_CHANGES = """
subscription($householdId: ID!) {
  calendarChanges(householdId: $householdId) { kind householdId dates byStaff }
}
"""


def site_configuration(listen: int, api: int, logs: Path) -> str:
    """The documented file, with only the ports and the log directory replaced."""
    text = SITE_CONF.read_text()
    replaced = (
        text.replace("listen 80;", f"listen 127.0.0.1:{listen};")
        .replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{api};")
        .replace("/var/log/nginx/", f"{logs}/")
    )
    assert replaced.count(f"127.0.0.1:{listen}") == 1 and replaced.count(f"{logs}/") == 2
    return replaced


class Nginx:
    """nginx in the foreground with a prefix of its own: its pid file, temp directories and
    logs under ``prefix``; the master as an unprivileged user (``nobody`` when the tests
    run as root, as nginx's workers would be)."""

    def __init__(self, prefix: Path, api_port: int) -> None:
        if not os.access(NGINX, os.X_OK):
            pytest.fail(f"{NGINX} is missing: scripts/clients installs Debian's nginx")
        self.prefix = prefix
        self.port = free_port()
        self.logs = prefix / "logs"
        self.logs.mkdir(parents=True)
        (prefix / "famille.conf").write_text(site_configuration(self.port, api_port, self.logs))
        temp = " ".join(
            f"{kind}_temp_path {prefix / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (prefix / "nginx.conf").write_text(
            f"daemon off;\npid {prefix / 'nginx.pid'};\nerror_log stderr warn;\n"
            "events { worker_connections 256; }\n"
            f"http {{\n  {temp}\n  include {prefix / 'famille.conf'};\n}}\n"
        )
        user: str | None = None
        if os.geteuid() == 0:
            user = "nobody"
            owner = pwd.getpwnam(user)
            for path in [prefix, *prefix.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self.stderr = (prefix / "stderr").open("wb")
        self.process = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "stderr"],
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            user=user,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_listening(self) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.errors()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nginx did not listen:\n{self.errors()}")

    def errors(self) -> str:
        return (self.prefix / "stderr").read_text(errors="replace") + (
            (self.logs / "famille-error.log").read_text(errors="replace")
            if (self.logs / "famille-error.log").exists()
            else ""
        )

    def access_log(self) -> str:
        return (self.logs / "famille-access.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish, then exit
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.stderr.close()


@dataclass
class Deployment:
    serve: Famille
    api_url: str
    nginx: Nginx


@pytest.fixture
def prefix() -> Iterator[Path]:
    """nginx's prefix, right under /tmp: pytest's tmp_path sits in a directory only its
    owner may enter, which nginx's unprivileged user could not."""
    path = Path(tempfile.mkdtemp(prefix="famille-nginx-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def behind_nginx(backend: Backend, prefix: Path, tmp_path: Path) -> AsyncIterator[Deployment]:
    """`famille serve` on a free port, nginx in front of it with the documented file."""
    api_port = free_port()
    nginx = Nginx(prefix, api_port)
    env = service_env(
        FAMILLE_PORT=str(api_port),
        FAMILLE_PUBLIC_URL=nginx.url,
        FAMILLE_SECRET_KEY=f"proxy-{uuid.uuid4().hex}",
    )
    serve = Famille(["serve"], env, tmp_path / "serve.log")
    try:
        api_url = f"http://127.0.0.1:{api_port}"
        await wait_until_answering(api_url, serve)
        await asyncio.to_thread(nginx.wait_until_listening)
        yield Deployment(serve, api_url, nginx)
    finally:
        nginx.stop()
        serve.stop()


def client(base_url: str, address: str = CLIENT_ADDRESS) -> httpx.AsyncClient:
    """An HTTP client whose connections leave from ``address``."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=WAIT)


def multipart(household_id: str, *files: tuple[str, bytes]) -> dict[str, Any]:
    """An uploadDocument request as the GraphQL multipart spec shapes it (httpx kwargs)."""
    operations = {
        "query": UPLOAD,
        "variables": {
            "householdId": household_id,
            "input": {"kind": "MEDICAL_CERTIFICATE", "title": "Certificat"},
            "files": [None] * len(files),
        },
    }
    mapping = {str(i): [f"variables.files.{i}"] for i in range(len(files))}
    return {
        "data": {"operations": orjson.dumps(operations).decode(), "map": orjson.dumps(mapping)},
        "files": {str(i): content for i, content in enumerate(files)},
    }


def booking_day(today: date) -> date:
    """An open day (Monday, Tuesday, Thursday or Friday) past the 7 days' notice."""
    day = today + timedelta(days=10)
    while day.weekday() not in (0, 1, 3, 4):
        day += timedelta(days=1)
    return day


async def bookable_family(clock: FrozenClock) -> dict[str, Any]:
    """A parent whose child is enrolled in a canteen open on the real clock's days."""
    today = clock.now().date()
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
    await set_opening(staff, canteen.id, site.id, period.id, [0, 1, 3, 4], 10, clock=clock)
    household = await make_household(staff, clock, children=1, guardians=1)
    [child_id] = [child.id for child in await household.children.all()]  # type: ignore[attr-defined]
    await enroll(staff, child_id, canteen.id, site.id, period.id, clock=clock)
    parent, token = await parent_of(household, town, clock)
    return {
        "town": town.slug,
        "email": parent.email,
        "token": token,
        "household_id": encode_id("Household", household.id),
        "child_id": encode_id("Child", child_id),
        "activity_id": encode_id("Activity", canteen.id),
        "day": booking_day(today).isoformat(),
    }


async def first_event(
    url: str, token: str, household_id: str, subscribed: asyncio.Event
) -> dict[str, Any]:
    """graphql-ws (graphql-transport-ws) through the proxy: init, subscribe, first next."""
    ws_url = url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(
        ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(
            orjson.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            ).decode()
        )
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            orjson.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": CALENDAR_CHANGES,
                        "variables": {"householdId": household_id},
                    },
                }
            ).decode()
        )
        subscribed.set()
        while True:
            message: dict[str, Any] = orjson.loads(await ws.recv())
            if message["type"] != "ping":
                return message


async def until_listening(backend: Backend, household_id: str) -> None:
    """Pub/sub keeps nothing: wait until the API listens for the household's events."""
    from gql.ids import decode_id
    from jobs.live import channel
    from resolvers.live.live import Topic

    name = channel(Topic.CALENDAR, decode_id(household_id, "Household", field="householdId"))
    async with asyncio.timeout(WAIT):
        while not dict(await backend.redis.pubsub_numsub(name)).get(name.encode()):
            await asyncio.sleep(0.02)


def test_the_body_limit_of_nginx_is_the_apis() -> None:
    [limit] = re.findall(r"client_max_body_size (\d+)m;", SITE_CONF.read_text())
    assert int(limit) == Settings().request_max_mb


def test_nginx_logs_no_token_the_api_keeps_out_of_its_own_log() -> None:
    """The site file's access-log map names the routes gql/access_log.py redacts."""
    [alternation] = re.findall(r"\(\?<famille_prefix>/\(([^)]+)\)/\)", SITE_CONF.read_text())
    logged = {f"/{name}/" for name in alternation.split("|")}
    assert logged == set(TOKEN_PREFIXES)


def test_no_location_drops_the_forwarded_headers() -> None:
    """A proxy_set_header in a location replaces all those of the server for it: the
    client's own X-Forwarded-For would reach the API as nginx's (the login below
    caught it on /graphql)."""
    locations = re.findall(r"location [^{]+\{([^}]*)\}", SITE_CONF.read_text())
    assert len(locations) >= 4
    assert [body for body in locations if "proxy_set_header" in body] == []


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_family_and_payzen_through_the_documented_nginx(
    backend: Backend, behind_nginx: Deployment, api: GraphQL
) -> None:
    nginx = behind_nginx.nginx
    clock = FrozenClock(datetime.now(UTC))  # `famille serve` runs on the real clock
    family = await bookable_family(clock)
    auth = {"Authorization": f"Bearer {family['token']}"}
    preflight = {**auth, "Apollo-Require-Preflight": "true"}

    async with client(nginx.url) as phone:
        # a query
        response = await phone.post(
            "/graphql",
            json={"query": DOCUMENTS, "variables": {"id": family["household_id"]}},
            headers=auth,
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"documents": {"totalCount": 0}}}

        # a wrong password on /graphql is counted against the family's address, whatever
        # X-Forwarded-For it sends (the login slow-down throttles by address)
        response = await phone.post(
            "/graphql",
            json={
                "query": LOGIN,
                "variables": {"town": family["town"], "email": family["email"], "password": "x"},
            },
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert response.json()["data"]["login"]["token"] is None, response.text
        failed = await LoginAttempt.filter(email=family["email"], succeeded=False)
        assert [attempt.client_address for attempt in failed] == [CLIENT_ADDRESS]

        # the largest document (4 files of 3,200 KB) goes up, and comes back down intact
        pdf = samples.pdf(FILE_LIMIT)
        files = [(f"page{i}.pdf", pdf) for i in range(4)]
        response = await phone.post(
            "/graphql", **multipart(family["household_id"], *files), headers=preflight
        )
        assert response.status_code == 200, response.text
        uploaded = response.json()["data"]["uploadDocument"]
        assert uploaded["errors"] == []
        assert [f["size"] for f in uploaded["document"]["files"]] == [FILE_LIMIT] * 4
        link = uploaded["document"]["files"][0]["downloadUrl"]
        assert link.startswith(f"{nginx.url}/files/")
        download = await phone.get(link.removeprefix(nginx.url))
        assert download.status_code == 200 and download.content == pdf
        assert download.headers["content-type"] == "application/pdf"

        # a body just under FAMILLE_REQUEST_MAX_MB passes nginx: the API itself answers
        limit = Settings().request_max_mb * 1024 * 1024
        big = samples.pdf(limit - 64 * 1024)
        response = await phone.post(
            "/graphql", **multipart(family["household_id"], ("gros.pdf", big)), headers=preflight
        )
        assert response.status_code == 200, response.text
        refused = response.json()["data"]["uploadDocument"]
        assert [e["code"] for e in refused["errors"]] == ["FILE_TOO_LARGE"]
        # one over it is refused by nginx before the API reads a byte of it
        response = await phone.post(
            "/graphql",
            **multipart(family["household_id"], ("trop.pdf", samples.pdf(limit + 1))),
            headers=preflight,
        )
        assert response.status_code == 413
        assert "nginx" in response.text

        # a subscription on the websocket through nginx hears the booking made over HTTP
        subscribed = asyncio.Event()
        listening = asyncio.create_task(
            first_event(nginx.url, family["token"], family["household_id"], subscribed)
        )
        async with asyncio.timeout(WAIT):
            await subscribed.wait()
        await until_listening(backend, family["household_id"])
        change = {
            "childId": family["child_id"],
            "activityId": family["activity_id"],
            "date": family["day"],
            "action": "BOOK",
        }
        response = await phone.post(
            "/graphql",
            json={
                "query": SUBMIT,
                "variables": {
                    "householdId": family["household_id"],
                    "input": {"changes": [change]},
                },
            },
            headers=auth,
        )
        submitted = response.json()["data"]["submitBookingChanges"]
        assert submitted["errors"] == [] and submitted["lines"][0]["outcome"] == "BOOKED"
        async with asyncio.timeout(WAIT):
            event = await listening
        assert event == {
            "id": "1",
            "type": "next",
            "payload": {
                "data": {
                    "calendarChanges": {
                        "kind": "BOOKINGS_CHANGED",
                        "householdId": family["household_id"],
                        "dates": [family["day"]],
                        "byStaff": False,
                    }
                }
            },
        }

    # PayZen's callback, through nginx, from PayZen's address, with an X-Forwarded-For of
    # its own making: stored with the address nginx saw
    paying = await paying_family(FrozenClock(datetime.now(UTC)))
    request = (await start(api, paying))["request"]
    ipn = payzen_ipn(request, "CAPTURED")
    async with client(nginx.url) as payzen:
        response = await payzen.post(
            "/payments/payzen/ipn", data=ipn, headers={"X-Forwarded-For": "203.0.113.9"}
        )
    assert response.status_code == 200, response.text
    order = form_fields(request)["vads_order_id"]
    [notification] = await PaymentNotification.filter(attempt__order_ref=order)
    assert notification.outcome == NotificationOutcome.VERIFIED
    assert notification.source_ip == CLIENT_ADDRESS

    # straight to the API's port, not from the proxy: its X-Forwarded-For is not believed
    async with client(behind_nginx.api_url, OTHER_ADDRESS) as direct:
        response = await direct.post(
            "/payments/payzen/ipn",
            data=payzen_ipn(request, "CAPTURED", source="RETRY"),
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    assert response.status_code == 200, response.text
    stored = await PaymentNotification.filter(attempt__order_ref=order).order_by("id")
    addresses = [row.source_ip for row in stored]
    assert addresses == [CLIENT_ADDRESS, OTHER_ADDRESS]

    # nginx logged the family's address, never the download link's token
    log = nginx.access_log()
    assert f"{CLIENT_ADDRESS} - [" in log
    token = link.removeprefix(f"{nginx.url}/files/")
    assert token and token not in log and "/files/... HTTP/1.1" in log
    assert behind_nginx.serve.running(), behind_nginx.serve.text()
