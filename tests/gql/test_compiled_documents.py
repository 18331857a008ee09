"""The mobile app's compiled documents (the calendar, the home screen) answer exactly what
the general executor answers: same status, same headers, same bytes, errors included, on
random families, ranges and children; anything they do not handle is the executor's."""

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from gql.ids import encode_id
from gql.manifests import read_manifest
from gql.mobile import compiled
from gql.persisted import _Known
from models.accounts import AccountRole
from models.persisted import PersistedDocument
from models.requests import RequestKind, RequestStatus
from resolvers.calendar.bookings import BookingAction, BookingChange, ChangeSet, submit_changes
from resolvers.calendar.catalogue import add_calendar_exception
from resolvers.core.clock import FrozenClock
from resolvers.households.requests import open_request
from resolvers.messages.messages import start_thread
from settings import get_settings
from tests.billing_factories import make_billing_town
from tests.calendar.test_bookings import parent_of
from tests.conftest import GraphQL
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)
from tests.payment_factories import make_invoice

MOBILE_CALENDAR = (compiled.DOCUMENTS_DIR / "calendar.graphql").read_text()
MOBILE_HOME = (compiled.DOCUMENTS_DIR / "home.graphql").read_text()
# The same document with a comment: a text the compiled path does not know, so the general
# executor answers it (its errors' locations are the same: the comment comes last).
GENERAL = "# general executor\n"
GENERAL_CALENDAR = MOBILE_CALENDAR + GENERAL
SUBMIT = """
mutation($householdId: ID!, $input: BookingChangesInput!) {
  submitBookingChanges(householdId: $householdId, input: $input) { errors { code } }
}
"""
REQUEST_ID = {"X-Request-ID": "compiled-test"}


def shipped(name: str) -> compiled.CompiledDocument:
    [document] = [d for d in compiled.COMPILED.values() if d.name == name]
    return document


async def families(api: GraphQL, clock: FrozenClock) -> dict[str, Any]:
    """A town whose canteen has 2 places a day, three families (1, 2 and 3 children), some
    December days booked by every child (the third and later on the waiting list), a strike
    day; and a parent of another town."""
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock, capacity=2)
    await add_calendar_exception(staff, date(2026, 12, 10), False, "grève", clock=clock)
    activity = encode_id("Activity", catalogue.canteen.id)
    found: list[dict[str, Any]] = []
    rng = random.Random(7)
    for children in (1, 2, 3):
        household = await make_household(staff, clock, children=children, guardians=1)
        child_ids = await enroll_all(staff, household, catalogue, clock)
        _, token = await parent_of(household, town, clock)
        household_id = encode_id("Household", household.id)
        days = sorted(rng.sample([f"2026-12-{d:02d}" for d in (1, 3, 4, 7, 8, 11, 14, 15)], 4))
        changes = [
            {"childId": encode_id("Child", child), "activityId": activity, "date": day,
             "action": "BOOK"}
            for child in child_ids for day in days
        ]  # fmt: skip
        result = await api(
            SUBMIT, {"householdId": household_id, "input": {"changes": changes}}, token=token
        )
        assert result["data"]["submitBookingChanges"]["errors"] == []
        found.append({"id": household_id, "children": child_ids, "token": token})
    elsewhere = await make_town()
    stranger = await make_account(elsewhere, clock)
    return {
        "families": found,
        "staff": await token_for(staff, clock),
        "stranger": await token_for(stranger, clock),
    }


def random_request(
    rng: random.Random, town: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Variables and headers of one calendar request, right or wrong in every way a phone
    can get it wrong."""
    mine, other = rng.sample(town["families"], 2)
    token = rng.choice([mine["token"], mine["token"], town["staff"], town["stranger"], None, "x"])
    household = rng.choice(
        [mine["id"], mine["id"], mine["id"], other["id"], "bm9wZQ", encode_id("Child", 1)]
    )
    start = date(2026, 8, 15) + timedelta(days=rng.randrange(340))
    end = start + timedelta(days=rng.choice([0, 6, 30, 45, 120, 320, 399, 400, -1]))
    variables: dict[str, Any] = {
        "householdId": household,
        "from": start.isoformat(),
        "to": end.isoformat(),
    }
    children = rng.choice(["all", "none", "some", "some", "other", "bad", "empty"])
    if children == "none":
        variables["childIds"] = None
    elif children == "some":
        count = rng.randint(1, len(mine["children"]))
        variables["childIds"] = [encode_id("Child", c) for c in rng.sample(mine["children"], count)]
    elif children == "other":
        variables["childIds"] = [encode_id("Child", other["children"][0])]
    elif children == "bad":
        variables["childIds"] = ["pas-un-id"]
    elif children == "empty":
        variables["childIds"] = []
    headers = dict(REQUEST_ID)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if rng.random() < 0.3:
        headers["Accept"] = "application/graphql-response+json, application/json"
    return variables, headers


def same(general: httpx.Response, mine: httpx.Response) -> None:
    assert mine.status_code == general.status_code
    assert sorted(mine.headers.multi_items()) == sorted(general.headers.multi_items())
    assert mine.content == general.content


async def test_the_compiled_calendar_answers_byte_for_byte_as_the_executor(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock, compiled_answers: list[int]
) -> None:
    # Given three families with booked days and waiting lists, the mobile document registered
    town = await families(api, clock)
    await compiled.register_shipped_documents(now=clock.now())
    document = shipped("Calendar")
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": document.sha256}}
    rng = random.Random(17)
    codes: set[str] = set()
    for _ in range(40):
        variables, headers = random_request(rng, town)

        # when the phone sends the registered document, by text and by hash, and the same
        # request goes to the general executor
        general = await http.post(
            "/graphql", json={"query": GENERAL_CALENDAR, "variables": variables}, headers=headers
        )
        by_text = await http.post(
            "/graphql",
            json={"query": MOBILE_CALENDAR, "variables": variables, "operationName": "Calendar"},
            headers=headers,
        )
        by_hash = await http.post(
            "/graphql", json={"extensions": persisted, "variables": variables}, headers=headers
        )

        # then the answers are the same bytes, with the same status and headers
        same(general, by_text)
        same(general, by_hash)
        body = general.json()
        codes |= {error["extensions"]["code"] for error in body.get("errors", ())}

    # and the compiled path gave every one of them, successes and each kind of failure
    assert len(compiled_answers) == 80
    assert codes == {"NOT_AUTHENTICATED", "NOT_FOUND", "INVALID"}


async def test_what_the_compiled_path_does_not_handle_is_the_executors(
    http: httpx.AsyncClient,
    api: GraphQL,
    clock: FrozenClock,
    compiled_answers: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    town = await families(api, clock)
    mine = town["families"][0]
    headers = {**REQUEST_ID, "Authorization": f"Bearer {mine['token']}"}
    good = {"householdId": mine["id"], "from": "2026-12-01", "to": "2026-12-31"}
    for body in (
        # variables the executor refuses: a date that is none, a missing one, too many children
        {"query": MOBILE_CALENDAR, "variables": {**good, "from": "2026-13-01"}},
        {"query": MOBILE_CALENDAR, "variables": {"householdId": mine["id"], "to": "2026-12-31"}},
        {"query": MOBILE_CALENDAR, "variables": {**good, "childIds": ["x"] * 500}},
        # another operation name; an unknown hash (not registered: a miss)
        {"query": MOBILE_CALENDAR, "variables": good, "operationName": "Other"},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
    ):
        # when the phone sends them, then the general executor answers, as it always did
        response = await http.post("/graphql", json=body, headers=headers)
        assert response.json()["errors"], body
    assert compiled_answers == []

    # and when the compiled path fails unexpectedly, the general executor answers instead
    def broken(field: Any, value: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(compiled, "_complete", broken)
    answer = await http.post(
        "/graphql", json={"query": MOBILE_CALENDAR, "variables": good}, headers=headers
    )
    assert answer.json()["data"]["calendar"][0]["days"][0]["date"] == "2026-12-01"
    assert compiled_answers == []


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Turns trusted-documents mode on when called; off again after the test."""

    def turn_on() -> None:
        monkeypatch.setenv("FAMILLE_PERSISTED_ONLY", "true")
        get_settings.cache_clear()
        _Known.texts.clear()

    yield turn_on
    monkeypatch.undo()
    get_settings.cache_clear()
    _Known.texts.clear()


async def test_in_trusted_mode_only_the_registered_document_is_compiled(
    http: httpx.AsyncClient,
    api: GraphQL,
    clock: FrozenClock,
    compiled_answers: list[int],
    trusted: Callable[[], None],
) -> None:
    # Given a town in trusted-documents mode whose database has not registered the app yet
    town = await families(api, clock)
    trusted()
    mine = town["families"][1]
    headers = {**REQUEST_ID, "Authorization": f"Bearer {mine['token']}"}
    variables = {"householdId": mine["id"], "from": "2026-12-01", "to": "2026-12-31"}
    document = shipped("Calendar")
    by_hash = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": document.sha256}}}
    await PersistedDocument.filter(sha256__in=list(compiled.COMPILED)).delete()  # earlier tests'
    _Known.texts.clear()

    # when the phone sends the mobile calendar, then it is refused as any unregistered one
    for body in ({"query": MOBILE_CALENDAR}, by_hash):
        refused = await http.post(
            "/graphql", json={**body, "variables": variables}, headers=headers
        )
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    assert compiled_answers == []

    # and once the shipped manifest is registered (twice: idempotent), the compiled path
    # answers it
    await compiled.register_shipped_documents(now=clock.now())
    again = await compiled.register_shipped_documents(now=clock.now())
    assert (again.added, again.known) == (0, len(compiled.COMPILED))
    answered = await http.post(
        "/graphql", json={**by_hash, "variables": variables}, headers=headers
    )
    assert [line["child"]["id"] for line in answered.json()["data"]["calendar"]] == [
        encode_id("Child", child) for child in mine["children"]
    ]
    assert compiled_answers == [200]


def test_the_shipped_manifest_is_the_shipped_documents() -> None:
    assert json.loads(compiled.MANIFEST.read_text()) == compiled.mobile_manifest()
    documents = read_manifest(json.loads(compiled.MANIFEST.read_text()))
    assert [(d.name, d.body) for d in documents] == [
        ("Calendar", MOBILE_CALENDAR),
        ("Home", MOBILE_HOME),
        ("SubmitBookingChanges", (compiled.DOCUMENTS_DIR / "submit.graphql").read_text()),
    ]
    assert [d.operation_type for d in documents] == ["query", "query", "mutation"]


async def households(clock: FrozenClock, rng: random.Random) -> dict[str, Any]:
    """A town that bills, with families of 0 to 3 children: some days booked, invoices
    paid, unpaid or none, messages from either side, a few requests; a régisseur (whom a
    family file refuses) and an agent of another town."""
    town = await make_billing_town(clock)
    found: list[dict[str, Any]] = []
    for children in (0, 1, 2, 3):
        household = await make_household(town.staff, clock, children=children, guardians=1)
        child_ids = await enroll_all(town.staff, household, town.catalogue, clock)
        parent, token = await parent_of(household, town.tenant, clock)
        for child in rng.sample(child_ids, rng.randint(0, children)):
            days = sorted(rng.sample([date(2026, 11, d) for d in (23, 24, 26, 27, 30)], 3))
            await submit_changes(
                town.staff,
                household.id,
                ChangeSet(
                    changes=[
                        BookingChange(child, town.catalogue.canteen.id, day, BookingAction.BOOK)
                        for day in days
                    ]
                ),
                clock=clock,
            )
        for revision in range(rng.randint(0, 3)):
            invoice = await make_invoice(
                town.tenant,
                town.authority,
                household,
                rng.choice([1250, 4250, -300]),
                f"{household.id:04d}{revision:06d}",
                revision,
            )
            invoice.settled_cents = rng.choice([0, 0, 500, invoice.total_cents])
            await invoice.save()
        for n in range(rng.randint(0, 3)):
            author = rng.choice([town.staff, parent])
            await start_thread(author, household.id, f"Objet {n}", "Bonjour", clock=clock)
        for n in range(rng.randint(0, 4)):
            await open_request(
                household,
                RequestKind.CONTACT_UPDATE,
                f"Changement {n}",
                actor=parent,
                clock=clock,
                status=RequestStatus.COMPLETED,
            )
        found.append({"id": encode_id("Household", household.id), "token": token})
    regisseur = await make_account(town.tenant, clock, role=AccountRole.REGISSEUR)
    stranger = await make_account(await make_town(), clock, role=AccountRole.AGENT)
    return {
        "families": found,
        "staff": await token_for(town.staff, clock),
        "regisseur": await token_for(regisseur, clock),
        "stranger": await token_for(stranger, clock),
    }


async def test_the_compiled_home_screen_answers_byte_for_byte_as_the_executor(
    http: httpx.AsyncClient, clock: FrozenClock, compiled_answers: list[int]
) -> None:
    # Given families of every size with or without bookings, bills, messages and
    # requests, the mobile documents registered
    rng = random.Random(23)
    town = await households(clock, rng)
    await compiled.register_shipped_documents(now=clock.now())
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": shipped("Home").sha256}}
    codes: set[str] = set()
    for _ in range(40):
        # when a phone opens the app, at some moment of the next two weeks (the town's
        # today, a day late in UTC, the Christmas holidays' eve), rightly or not
        clock.current = rng.choice(
            [
                datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
                datetime(2026, 11, 24, 23, 30, tzinfo=UTC),
                datetime(2026, 12, 4, 16, 0, tzinfo=UTC),
            ]
        )
        mine, other = rng.sample(town["families"], 2)
        token = rng.choice(
            [mine["token"], mine["token"], mine["token"], town["staff"], town["regisseur"],
             town["stranger"], None, "x"]
        )  # fmt: skip
        household = rng.choice(
            [mine["id"], mine["id"], mine["id"], other["id"], "bm9wZQ", encode_id("Child", 1),
             encode_id("Household", 999_999)]
        )  # fmt: skip
        headers = dict(REQUEST_ID)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        variables = {"householdId": household}

        # and the same request goes to the general executor
        general = await http.post(
            "/graphql", json={"query": MOBILE_HOME + GENERAL, "variables": variables},
            headers=headers,
        )  # fmt: skip
        by_text = await http.post(
            "/graphql",
            json={"query": MOBILE_HOME, "variables": variables, "operationName": "Home"},
            headers=headers,
        )
        by_hash = await http.post(
            "/graphql", json={"extensions": persisted, "variables": variables}, headers=headers
        )

        # then the answers are the same bytes, with the same status and headers
        same(general, by_text)
        same(general, by_hash)
        body = general.json()
        codes |= {error["extensions"]["code"] for error in body.get("errors", ())}
        if "errors" not in body:
            codes.add("OK")

    # and the compiled path gave every one of them, successes and each kind of failure
    assert len(compiled_answers) == 80
    assert codes == {"OK", "NOT_AUTHENTICATED", "NOT_FOUND", "INVALID", "FORBIDDEN"}
