"""/metrics as Prometheus scrapes it (docs/monitoring.md): off without a token, refused
without the right one, and its figures move with what the API and the worker did."""

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gql.ids import encode_id
from gql.mobile import compiled
from jobs.outbox import relay_outbox
from models import pool_metrics
from models.payments import PaymentProvider
from resolvers.core.outbox import record_job
from resolvers.live.live import LIVE_EVENTS_FUNCTION
from resolvers.payments.payments import CALLBACK_PATHS
from settings import get_settings
from tests.calendar.test_bookings import setup
from tests.conftest import Backend, GraphQL
from tests.factories import make_account, make_town
from tests.jobs.test_outbox import REGISTER, registration

TOKEN = "jeton-de-prometheus-" + uuid.uuid4().hex
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}
LOGIN = """
mutation Login($town: String!, $email: String!, $password: String!) {
  login(input: {town: $town, email: $email, password: $password}) { token errors { code } }
}
"""

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def metrics_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("FAMILLE_METRICS_TOKEN", TOKEN)
    get_settings.cache_clear()
    yield TOKEN
    monkeypatch.delenv("FAMILLE_METRICS_TOKEN")
    get_settings.cache_clear()


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return parse(response.text)


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_no_token_set_means_no_metrics_endpoint(http: httpx.AsyncClient) -> None:
    assert get_settings().metrics_token == ""
    response = await http.get("/metrics", headers=SCRAPER)
    assert response.status_code == 404


async def test_metrics_need_the_token(http: httpx.AsyncClient, metrics_token: str) -> None:
    assert (await http.get("/metrics")).status_code == 401
    wrong = await http.get("/metrics", headers={"Authorization": "Bearer devine"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert (await http.get("/metrics", headers=SCRAPER)).status_code == 200


async def test_operations_are_counted_by_bounded_name_outcome_and_code(
    http: httpx.AsyncClient, api: GraphQL, clock: Any, metrics_token: str
) -> None:
    town = await make_town()
    parent = await make_account(town, clock)
    before = await scrape(http)

    # when a login fails, one succeeds, and queries come under names of the client's own
    credentials = {"town": town.slug, "email": parent.email}
    await api(LOGIN, {**credentials, "password": "intrus2026"})
    token = (await api(LOGIN, {**credentials, "password": "motdepasse1"}))["data"]["login"]
    await api("query MonCompte { me { email } }", token=token["token"])
    await api("query Invente123 { me { email } __typename }", token=token["token"])
    await api("query { nimporte }")
    after = await scrape(http)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "famille_graphql_requests_total"
    # then each is counted under the root field it names or selects, else "other"
    assert moved(requests, operation="login", type="mutation", outcome="client_error") == 1
    assert moved(requests, operation="login", type="mutation", outcome="ok") == 1
    assert moved(requests, operation="me", type="query", outcome="ok") == 1
    assert moved(requests, operation="other", type="query", outcome="ok") == 1
    assert moved(requests, operation="other", type="query", outcome="client_error") == 1
    assert not any("MonCompte" in str(labels) or "Invente123" in str(labels) for _, labels in after)
    # the payload's code and the validation failure's code are counted
    assert moved("famille_graphql_errors_total", code="INVALID_CREDENTIALS") == 1
    assert moved("famille_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    # and each query or mutation is timed
    duration = "famille_graphql_request_duration_seconds_count"
    assert moved(duration, operation="login", type="mutation") == 2
    assert moved(duration, operation="me", type="query") == 1


async def test_outbox_lag_queue_depth_jobs_and_mails(
    backend: Backend,
    http: httpx.AsyncClient,
    api: GraphQL,
    clock: Any,
    run_jobs: Any,
    metrics_token: str,
) -> None:
    # given an outbox with nothing waiting
    while await relay_outbox(backend.redis, clock=clock, stale=False):
        pass
    idle = await scrape(http)
    assert value(idle, "famille_outbox_lag_seconds") == 0
    assert value(idle, "famille_outbox_pending_rows") == 0

    # when a row is recorded and not handed over for 90 s
    await record_job(LIVE_EVENTS_FUNCTION, {"events": []}, clock=clock)
    clock.advance(timedelta(seconds=90))
    late = await scrape(http)
    # then the lag says so, until the relay hands it over
    assert value(late, "famille_outbox_lag_seconds") == 90
    assert value(late, "famille_outbox_pending_rows") == 1
    await relay_outbox(backend.redis, clock=clock, stale=False)
    assert value(await scrape(http), "famille_outbox_lag_seconds") == 0

    # when a family registers (its activation mail goes to the queue)
    town = await make_town()
    answer = await api(REGISTER, registration(town.slug, f"metrics-{town.slug}@exemple.fr"))
    assert answer["data"]["register"]["errors"] == []
    queued = await scrape(http)
    # then the queue's depth is what Redis holds
    depth = await backend.redis.zcard(backend.settings.queue_name)
    assert depth >= 1 and value(queued, "famille_queue_depth") == depth

    # when the worker runs the queue
    await run_jobs()
    done = await scrape(http)

    def moved(name: str, **labels: str) -> float:
        return value(done, name, **labels) - value(queued, name, **labels)

    # then the mail and the job run are counted, and the queue is empty
    assert moved("famille_mails_total", outcome="sent") >= 1
    assert moved("famille_jobs_total", function="send_mail", outcome="success") >= 1
    assert moved("famille_job_duration_seconds_count", function="send_mail") >= 1
    assert moved("famille_mails_total", outcome="sent") == moved(
        "famille_jobs_total", function="send_mail", outcome="success"
    )
    assert value(done, "famille_queue_depth") == 0


async def test_payment_callbacks_throttled_logins_and_the_pool(
    backend: Backend, http: httpx.AsyncClient, api: GraphQL, clock: Any, metrics_token: str
) -> None:
    pool_metrics.instrument()  # the app's lifespan does it; httpx's transport runs none
    town = await make_town()
    parent = await make_account(town, clock)
    before = await scrape(http)

    # when a forged PayZen callback comes, and one e-mail fails its logins past the lock
    forged = await http.post(
        CALLBACK_PATHS[PaymentProvider.PAYZEN], data={"vads_trans_status": "AUTHORISED"}
    )
    assert forged.status_code == 400
    credentials = {"town": town.slug, "email": parent.email, "password": "intrus2026"}
    for _ in range(get_settings().login_max_failures_per_account + 1):
        await api(LOGIN, credentials)
    after = await scrape(http)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # then the refused callback and the locked login are counted
    assert moved("famille_payment_callbacks_total", provider="payzen", outcome="refused") == 1
    assert moved("famille_logins_throttled_total", kind="locked") == 1
    assert moved("famille_graphql_errors_total", code="TOO_MANY_ATTEMPTS") == 1
    # and PostgreSQL's pool measured its connections (SQLite has none)
    acquired = moved("famille_db_pool_acquire_seconds_count")
    if backend.name == "postgres":
        assert acquired > 0
        assert value(after, "famille_db_pool_connections_in_use") >= 0
    else:
        assert acquired == 0


async def test_the_compiled_calendar_is_counted_like_the_executors_answers(
    http: httpx.AsyncClient,
    clock: Any,
    metrics_token: str,
    compiled_answers: list[int],
) -> None:
    # given a family, and the mobile app's calendar document (gql/mobile/compiled.py)
    f = await setup(clock)
    document = (Path(compiled.__file__).parent / "calendar.graphql").read_text()
    variables = {"householdId": f["household_id"], "from": "2026-12-07", "to": "2026-12-11"}
    before = await scrape(http)

    # when the app asks for a week, and for another family's week
    for household_id in (f["household_id"], encode_id("Household", 0)):
        response = await http.post(
            "/graphql",
            json={"query": document, "variables": {**variables, "householdId": household_id}},
            headers={"Authorization": f"Bearer {f['token']}"},
        )
        assert response.status_code == 200
    after = await scrape(http)

    # then the compiled path answered both, and both are counted and timed
    assert compiled_answers == [200, 200]
    requests = "famille_graphql_requests_total"
    ok = {"operation": "calendar", "type": "query", "outcome": "ok"}
    refused = {**ok, "outcome": "client_error"}
    assert value(after, requests, **ok) - value(before, requests, **ok) == 1
    assert value(after, requests, **refused) - value(before, requests, **refused) == 1
    duration = "famille_graphql_request_duration_seconds_count"
    timed = {"operation": "calendar", "type": "query"}
    assert value(after, duration, **timed) - value(before, duration, **timed) == 2


async def test_the_compiled_submit_is_counted_like_the_executors_answers(
    http: httpx.AsyncClient,
    clock: Any,
    metrics_token: str,
    compiled_answers: list[int],
) -> None:
    # given a family, and the mobile app's submit document (gql/mobile/compiled.py)
    f = await setup(clock)
    document = (Path(compiled.__file__).parent / "submit.graphql").read_text()
    change = {"activityId": f["activity_id"], "date": "2026-12-07", "action": "BOOK"}
    before = await scrape(http)

    # when the app books a day, then one for a child that is not an id
    for child_id in (encode_id("Child", f["child_ids"][0]), "pas-un-id"):
        variables = {
            "householdId": f["household_id"],
            "input": {"changes": [{**change, "childId": child_id}]},
        }
        response = await http.post(
            "/graphql",
            json={"query": document, "variables": variables},
            headers={"Authorization": f"Bearer {f['token']}"},
        )
        assert response.status_code == 200
    after = await scrape(http)

    # then the compiled path answered both, counted as mutations, the refusal by its code
    assert compiled_answers == [200, 200]
    requests = "famille_graphql_requests_total"
    ok = {"operation": "submitBookingChanges", "type": "mutation", "outcome": "ok"}
    refused = {**ok, "outcome": "client_error"}
    assert value(after, requests, **ok) - value(before, requests, **ok) == 1
    assert value(after, requests, **refused) - value(before, requests, **refused) == 1
    invalid = {"code": "INVALID"}
    errors = "famille_graphql_errors_total"
    assert value(after, errors, **invalid) - value(before, errors, **invalid) == 1
    duration = "famille_graphql_request_duration_seconds_count"
    timed = {"operation": "submitBookingChanges", "type": "mutation"}
    assert value(after, duration, **timed) - value(before, duration, **timed) == 2
