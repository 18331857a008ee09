"""The mobile app's compiled booking submit answers exactly what the general executor
answers (status, headers, bytes), applies the change set as the executor would, once, and
hands its confirmation mail to the queue after the answer.

Twin towns, built alike, receive the same random sequence of submits: one through the
general executor, the other through the compiled path. Their rows differ only by their
ids, so the executor's answer is compared byte for byte with the compiled one once each of
the first town's ids is swapped for its twin's (households, children, the activity, and
the requests each submit made, paired in the order they were made)."""

import random
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest

from gql.ids import encode_id
from gql.mobile import compiled
from models.accounts import AccountRole
from models.bookings import Booking
from models.outbox import OutboxJob
from models.requests import Request
from resolvers.calendar import bookings
from resolvers.calendar.catalogue import add_calendar_exception
from resolvers.core.clock import FrozenClock
from tests.calendar.test_bookings import parent_of
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)
from tests.gql.test_compiled_documents import REQUEST_ID, shipped

MOBILE_SUBMIT = (compiled.DOCUMENTS_DIR / "submit.graphql").read_text()
SUBMIT = shipped("SubmitBookingChanges")
# The same document with a comment: the general executor answers it.
GENERAL_SUBMIT = MOBILE_SUBMIT + "# general executor\n"
# Mondays to Fridays of the canteen as of the test clock (Monday 23 November 2026, 7 days'
# notice): too late, bookable, a Wednesday (not open), the strike day (closed), Christmas.
DAYS = ["2026-11-25", "2026-11-27", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
DAYS += ["2026-12-07", "2026-12-08", "2026-12-10", "2026-12-11", "2026-12-21"]
# A global id's JSON string, in an answer.
_STRING = re.compile(rb'"([^"\\]*)"')


@dataclass
class Family:
    id: str
    children: list[str]
    token: str
    pk: int


@dataclass
class Town:
    families: list[Family]
    activity: str
    staff: str
    stranger: str

    def ids(self) -> list[str]:
        """Every global id a submit's answer can show, in an order its twin shares."""
        return [self.activity, *(i for f in self.families for i in (f.id, *f.children))]

    async def requests(self) -> list[str]:
        pks = await Request.filter(household_id__in=[f.pk for f in self.families]).order_by("id")
        return [encode_id("Request", r.id) for r in pks]


async def town(clock: FrozenClock) -> Town:
    """A canteen of 1 place a day with a strike on 10 December; two families (1 and 2
    children); an agent; a parent of another town."""
    place = await make_town()
    staff = await make_account(place, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock, capacity=1)
    await add_calendar_exception(staff, date(2026, 12, 10), False, "grève", clock=clock)
    families = []
    for children in (1, 2):
        household = await make_household(staff, clock, children=children, guardians=1)
        child_ids = await enroll_all(staff, household, catalogue, clock)
        _, token = await parent_of(household, place, clock)
        families.append(
            Family(
                encode_id("Household", household.id),
                [encode_id("Child", c) for c in child_ids],
                token,
                household.id,
            )
        )
    stranger = await make_account(await make_town(), clock)
    return Town(
        families,
        encode_id("Activity", catalogue.canteen.id),
        await token_for(staff, clock),
        await token_for(stranger, clock),
    )


@dataclass
class Case:
    """One submit: its variables and headers in the first town's terms."""

    variables: dict[str, Any]
    token: str | None
    accept: str | None


def random_case(rng: random.Random, first: Town, keys: list[tuple[str, Any, Any]]) -> Case:
    """A submit right or wrong in every way a phone can get it wrong."""
    mine, other = rng.sample(first.families, 2)
    token: str | None = mine.token
    household = mine.id
    children, activities = mine.children, [first.activity]
    if rng.random() < 0.5:  # wrong somewhere (or staff's)
        token = rng.choice([mine.token, mine.token, first.staff, first.stranger, None, "bogus"])
        household = rng.choice([mine.id, mine.id, other.id, "bm9wZQ"])
        children = [*mine.children, other.children[0], "pas-un-id"]
        activities = [first.activity, first.activity, encode_id("Activity", 10**6)]
    changes = [
        {
            "childId": rng.choice(children),
            "activityId": rng.choice(activities),
            "date": rng.choice(DAYS),
            "action": rng.choice(["BOOK", "BOOK", "CANCEL"]),
        }
        for _ in range(rng.randint(1, 3))
    ]
    change_set: dict[str, Any] = {"changes": changes}
    if rng.random() < 0.2:
        change_set["sameForChildIds"] = [rng.choice(children)]
    variables: dict[str, Any] = {"householdId": household, "input": change_set}
    reuse = rng.random()
    if keys and reuse < 0.3:  # a retry, or (with another day) the key reused for other changes
        key, variables, token = rng.choice(keys)
        if reuse < 0.15:
            first_change = {**variables["input"]["changes"][0], "date": rng.choice(DAYS)}
            changes = [first_change, *variables["input"]["changes"][1:]]
            variables = {**variables, "input": {**variables["input"], "changes": changes}}
    elif reuse < 0.7:
        variables["idempotencyKey"] = key = f"cle-{len(keys)}"
        keys.append((key, variables, token))
    accept = "application/graphql-response+json, application/json"
    return Case(variables, token, accept if rng.random() < 0.3 else None)


def translated(value: Any, twins: dict[str, str]) -> Any:
    """``value`` (variables) with each id of the first town replaced by its twin's."""
    if isinstance(value, dict):
        return {key: translated(item, twins) for key, item in value.items()}
    if isinstance(value, list):
        return [translated(item, twins) for item in value]
    return twins.get(value, value) if isinstance(value, str) else value


def swapped(body: bytes, twins: dict[str, str]) -> bytes:
    """``body`` with each JSON string that is an id of the first town replaced by its
    twin's id."""

    def twin(string: re.Match[bytes]) -> bytes:
        text = string[1].decode()
        return b'"' + twins.get(text, text).encode() + b'"'

    return _STRING.sub(twin, body)


def headers_of(case: Case, token: str | None) -> dict[str, str]:
    headers = dict(REQUEST_ID)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if case.accept:
        headers["Accept"] = case.accept
    return headers


def twin_token(case: Case, first: Town, second: Town) -> str | None:
    tokens = {f.token: s.token for f, s in zip(first.families, second.families, strict=True)}
    tokens |= {first.staff: second.staff, first.stranger: second.stranger}
    return tokens.get(case.token, case.token) if case.token else None


async def test_the_compiled_submit_answers_byte_for_byte_as_the_executor(
    http: httpx.AsyncClient,
    clock: FrozenClock,
    compiled_answers: list[int],
) -> None:
    # Given twin towns and the mobile submit registered
    first, second = await town(clock), await town(clock)
    await compiled.register_shipped_documents(now=clock.now())
    by_hash = {"persistedQuery": {"version": 1, "sha256Hash": SUBMIT.sha256}}
    rng = random.Random(23)
    keys: list[tuple[str, Any, Any]] = []
    codes: set[str] = set()
    outcomes: set[str] = set()
    for n in range(60):
        case = random_case(rng, first, keys)
        # when the first town's family submits through the general executor
        general = await http.post(
            "/graphql",
            json={"query": GENERAL_SUBMIT, "variables": case.variables},
            headers=headers_of(case, case.token),
        )
        # and the second town's family the same, as the phone sends it (text or hash)
        twins = dict(zip(first.ids(), second.ids(), strict=True))
        variables = translated(case.variables, twins)
        phone: dict[str, Any] = {"variables": variables}
        if n % 2:
            phone |= {"query": MOBILE_SUBMIT, "operationName": "SubmitBookingChanges"}
        else:
            phone["extensions"] = by_hash
        mine = await http.post(
            "/graphql", json=phone, headers=headers_of(case, twin_token(case, first, second))
        )

        # then the answers are the same bytes, with the same status and headers, once the
        # first town's ids (and its requests', in the order they were made) are the twin's
        twins |= dict(zip(await first.requests(), await second.requests(), strict=True))
        expected = swapped(general.content, twins)
        assert mine.content == expected, case
        assert mine.status_code == general.status_code
        general_headers = dict(general.headers) | {"content-length": str(len(expected))}
        assert dict(mine.headers) == general_headers
        body = general.json()
        codes |= {e["extensions"]["code"] for e in body.get("errors", ())}
        payload = (body.get("data") or {}).get("submitBookingChanges") or {}
        codes |= {e["code"] for e in payload.get("errors", ())}
        outcomes |= {line["outcome"] for line in payload.get("lines", ())}
        outcomes |= {"REPLAYED"} if payload.get("replayed") else set()

    # and the compiled path answered each, through every kind of success and refusal
    assert len(compiled_answers) == 60
    assert {"NOT_AUTHENTICATED", "NOT_FOUND", "INVALID", "IDEMPOTENCY_KEY_REUSED"} <= codes
    assert {"BOOKED", "WAITING_LIST", "REJECTED", "REPLAYED"} <= outcomes


async def test_the_confirmation_mail_is_handed_to_the_queue_after_the_answer(
    http: httpx.AsyncClient,
    clock: FrozenClock,
    compiled_answers: list[int],
) -> None:
    # Given a family
    place = await town(clock)
    family = place.families[0]
    before = await OutboxJob.filter(function="send_mail").count()

    # when its phone submits a day
    answer = await _submit(http, place, family, "2026-12-03")

    # then it is booked, confirmed by a mail already relayed to the queue
    assert answer["lines"][0]["outcome"] == "BOOKED" and answer["errors"] == []
    assert compiled_answers == [200]
    mails = await OutboxJob.filter(function="send_mail").order_by("id")
    assert len(mails) == before + 1
    assert mails[-1].relayed_at is not None


async def test_a_submit_whose_answer_fails_after_the_commit_is_applied_once(
    http: httpx.AsyncClient,
    clock: FrozenClock,
    compiled_answers: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a family, and the compiled path failing once the change set is committed
    place = await town(clock)
    family = place.families[1]

    complete = compiled._complete

    def broken(field: Any, value: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(compiled, "_complete", broken)

    # when its phone submits a day
    response = await _post(http, place, family, "2026-12-04", key="une-fois")

    # then the answer is the executor's for a bug (masked, with the reference), from the
    # compiled path, not a second run by the executor
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert body["errors"][0]["path"] == ["submitBookingChanges"]
    assert compiled_answers == [200]
    # and the day is booked once, by one request
    [request] = await Request.filter(household_id=family.pk, idempotency_key="une-fois")
    assert await Booking.filter(child__household_id=family.pk, day=date(2026, 12, 4)).count() == 1

    # and the phone's retry with the same key answers the first result, applying nothing
    monkeypatch.setattr(compiled, "_complete", complete)
    retried = await _post(http, place, family, "2026-12-04", key="une-fois")
    payload = retried.json()["data"]["submitBookingChanges"]
    assert payload["replayed"] is True and compiled_answers == [200, 200]
    assert payload["requestId"] == encode_id("Request", request.id)
    assert await Request.filter(household_id=family.pk, idempotency_key="une-fois").count() == 1
    assert await Booking.filter(child__household_id=family.pk, day=date(2026, 12, 4)).count() == 1


async def test_a_submit_failing_before_the_commit_is_answered_as_the_executor_answers(
    http: httpx.AsyncClient,
    clock: FrozenClock,
    compiled_answers: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a family, and the submit failing with a bug inside its transaction
    place = await town(clock)
    family = place.families[0]
    requests = await Request.filter(household_id=family.pk).count()
    calls: list[int] = []

    async def failing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise RuntimeError("a bug")

    monkeypatch.setattr(bookings, "submit_changes", failing)

    # when the phone submits, and the same goes to the general executor
    general = await _post(http, place, family, "2026-12-07", query=GENERAL_SUBMIT)
    mine = await _post(http, place, family, "2026-12-07")

    # then both answer the same masked error, each running the submit once, nothing applied
    assert mine.content == general.content
    assert mine.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert (compiled_answers, calls) == ([200], [1, 1])
    assert await Request.filter(household_id=family.pk).count() == requests


async def _post(
    http: httpx.AsyncClient,
    place: Town,
    family: Family,
    day: str,
    *,
    key: str | None = None,
    query: str = MOBILE_SUBMIT,
) -> httpx.Response:
    change = {"childId": family.children[0], "activityId": place.activity, "date": day}
    variables = {
        "householdId": family.id,
        "input": {"changes": [{**change, "action": "BOOK"}]},
        "idempotencyKey": key,
    }
    return await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={**REQUEST_ID, "Authorization": f"Bearer {family.token}"},
    )


async def _submit(http: httpx.AsyncClient, place: Town, family: Family, day: str) -> dict[str, Any]:
    response = await _post(http, place, family, day)
    answer: dict[str, Any] = response.json()["data"]["submitBookingChanges"]
    return answer
