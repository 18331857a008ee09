"""The outbox: a Redis outage delays mail but loses none; jobs run once; failures retry."""

import asyncio
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from arq import ArqRedis, Retry

from gql import outbox_relay
from gql.app import create_app
from gql.outbox_relay import relay_after_commit
from jobs import outbox
from jobs.mail import send_mail
from jobs.outbox import backoff_seconds, relay_outbox
from models.outbox import OutboxJob
from resolvers.core.outbox import queue_mail
from resolvers.core.sql import fetch
from settings import get_settings
from tests.conftest import Backend, Mailbox
from tests.factories import make_town
from tests.sql_count import count_queries

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { account { email } errors { code } }
}
"""


def registration(town: str, email: str) -> dict[str, Any]:
    return {
        "input": {
            "town": town,
            "email": email,
            "password": "soleil2026",
            "civility": "MONSIEUR",
            "lastName": "Durand",
            "firstNames": "Paul",
            "acceptCgu": True,
            "addressLine": "2 rue Haute",
            "postalCode": "81100",
            "city": "Castres",
        }
    }


@pytest.fixture
def smtp_down(backend: Backend) -> Iterator[None]:
    """Point the mailer at a port where nothing listens, then restore the settings."""
    saved = {
        k: os.environ.get(k)
        for k in ("FAMILLE_SMTP_HOST", "FAMILLE_SMTP_PORT", "FAMILLE_SMTP_SECURITY")
    }
    os.environ.update(
        {
            "FAMILLE_SMTP_HOST": "127.0.0.1",
            "FAMILLE_SMTP_PORT": "1",
            "FAMILLE_SMTP_SECURITY": "none",
        }
    )
    get_settings.cache_clear()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


async def test_redis_outage_delays_the_mail_but_loses_none(
    backend: Backend, clock: Any, mailbox: Mailbox, run_jobs: Any
) -> None:
    town = await make_town()
    address = f"panne-{town.slug}@exemple.fr"
    # given an API whose Redis is unreachable
    dead_redis = ArqRedis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    app = create_app(clock=clock, redis=dead_redis)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://famille.test"
    ) as client:
        # when a parent signs up
        response = await client.post(
            "/graphql", json={"query": REGISTER, "variables": registration(town.slug, address)}
        )
    # then the sign-up succeeds and the activation mail waits in the outbox
    assert response.json()["data"]["register"]["errors"] == []
    [pending] = [
        job
        for job in await OutboxJob.filter(function="send_mail", relayed_at__isnull=True)
        if job.kwargs["to"] == address
    ]
    assert pending.completed_at is None
    assert mailbox.to(address) == []
    await dead_redis.aclose()

    # when Redis is back, the relay (the worker's cron) hands it over and the worker sends it
    await run_jobs()
    [message] = mailbox.to(address)
    assert "Activez votre espace famille" in message["Subject"]
    await pending.refresh_from_db()
    assert pending.relayed_at is not None and pending.completed_at is not None


async def test_a_job_run_twice_sends_one_mail(
    backend: Backend, clock: Any, mailbox: Mailbox
) -> None:
    job = await queue_mail(
        "deux-fois@exemple.fr",
        "password_changed",
        {"town": "Ville de Test", "first_names": "Anne"},
        clock=clock,
    )
    ctx = {"clock": clock, "job_try": 1}
    first = await send_mail(ctx, outbox_id=job.id, **job.kwargs)
    second = await send_mail(ctx, outbox_id=job.id, **job.kwargs)
    assert first == "sent password_changed to deux-fois@exemple.fr"
    assert second == "already done"
    assert len(mailbox.to("deux-fois@exemple.fr")) == 1


async def test_a_double_relay_enqueues_once(
    backend: Backend, clock: Any, mailbox: Mailbox, run_jobs: Any
) -> None:
    job = await queue_mail(
        "relais@exemple.fr",
        "password_changed",
        {"town": "Ville de Test", "first_names": "Anne"},
        clock=clock,
    )
    await relay_outbox(backend.redis, clock=clock)
    await OutboxJob.filter(id=job.id).update(relayed_at=None)  # as if a second API relayed too
    await relay_outbox(backend.redis, clock=clock)
    await run_jobs()
    assert len(mailbox.to("relais@exemple.fr")) == 1


@pytest.mark.parametrize("given_up", ["cancelled", "timed-out"])
async def test_a_relay_given_up_while_redis_is_slow_gives_its_rows_back(
    backend: Backend,
    clock: Any,
    mailbox: Mailbox,
    run_jobs: Any,
    monkeypatch: pytest.MonkeyPatch,
    given_up: str,
) -> None:
    # given a mail waiting in the outbox and a Redis that takes the pipeline but never answers
    job = await queue_mail(
        f"lent-{given_up}@exemple.fr",
        "password_changed",
        {"town": "Ville de Test", "first_names": "Anne"},
        clock=clock,
    )
    real_pipeline = backend.redis.pipeline

    def stalled_pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = real_pipeline(*args, **kwargs)

        async def never_answers(raise_on_error: bool = True) -> list[Any]:
            await asyncio.sleep(3600)
            return []

        monkeypatch.setattr(pipe, "execute", never_answers)
        return pipe

    monkeypatch.setattr(backend.redis, "pipeline", stalled_pipeline)
    # when the relay gives up mid-pipeline: cancelled (a shutdown), or its time for Redis
    # run out (the API's ``redis_timeout``)
    with pytest.raises(TimeoutError):
        if given_up == "cancelled":
            await asyncio.wait_for(relay_outbox(backend.redis, clock=clock, stale=False), 0.2)
        else:
            await relay_outbox(backend.redis, clock=clock, stale=False, redis_timeout=0.2)
    # then the row is not left claimed: the next relay hands it over at once, not after
    # the 10-minute stale delay, and the mail goes once
    await job.refresh_from_db()
    assert job.relayed_at is None
    monkeypatch.setattr(backend.redis, "pipeline", real_pipeline)
    assert await relay_outbox(backend.redis, clock=clock, stale=False) == 1
    await run_jobs()
    assert len(mailbox.to(f"lent-{given_up}@exemple.fr")) == 1


async def test_a_claim_answered_late_is_not_cut_off_and_its_mail_goes_at_once(
    backend: Backend, clock: Any, mailbox: Mailbox, run_jobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a mail waiting in the outbox, Redis given 0.2 s, and a claim that PostgreSQL
    # commits but whose rows come back late (a busy database, a slow network)
    await queue_mail(
        "tardif@exemple.fr",
        "password_changed",
        {"town": "Ville de Test", "first_names": "Anne"},
        clock=clock,
    )
    monkeypatch.setattr(outbox_relay, "REDIS_TIMEOUT", 0.2)

    async def answered_late(*args: Any, **kwargs: Any) -> Any:
        rows = await fetch(*args, **kwargs)
        await asyncio.sleep(0.5)
        return rows

    monkeypatch.setattr(outbox, "fetch", answered_late)
    # when the API relays after a commit
    await relay_after_commit(backend.redis, clock)
    # then the relay was not cancelled between its claim and Redis (a claimed row nobody
    # hands over would wait for the 10-minute stale relay): the mail goes at once, once
    monkeypatch.setattr(outbox, "fetch", fetch)
    await run_jobs()
    assert len(mailbox.to("tardif@exemple.fr")) == 1


async def test_smtp_failure_retries_with_backoff_then_delivers(
    backend: Backend, clock: Any, mailbox: Mailbox, smtp_down: None
) -> None:
    job = await queue_mail(
        "reessai@exemple.fr",
        "password_changed",
        {"town": "Ville de Test", "first_names": "Anne"},
        clock=clock,
    )
    with pytest.raises(Retry) as retry:
        await send_mail({"clock": clock, "job_try": 1}, outbox_id=job.id, **job.kwargs)
    assert retry.value.defer_score == backoff_seconds(1) * 1000 == 10_000
    await job.refresh_from_db()
    assert job.attempts == 1
    assert job.last_error.startswith(("SMTPConnect", "ConnectionRefused", "OSError"))
    assert job.completed_at is None
    # the last allowed try gives up loudly instead of retrying forever
    with pytest.raises(Exception) as gave_up:
        await send_mail(
            {"clock": clock, "job_try": get_settings().job_max_tries},
            outbox_id=job.id,
            **job.kwargs,
        )
    assert not isinstance(gave_up.value, Retry)
    assert backoff_seconds(2) == 20 and backoff_seconds(30) == 3600


async def test_jobs_lost_by_redis_are_relayed_again(
    backend: Backend, clock: Any, mailbox: Mailbox, run_jobs: Any
) -> None:
    job = await queue_mail(
        "perdu@exemple.fr",
        "password_changed",
        {"town": "Ville de Test", "first_names": "Anne"},
        clock=clock,
    )
    # relayed long ago, but Redis restarted (it keeps nothing on disk) and lost it
    await OutboxJob.filter(id=job.id).update(relayed_at=clock.now() - timedelta(minutes=11))
    await run_jobs()
    assert len(mailbox.to("perdu@exemple.fr")) == 1


async def test_mutations_committed_at_once_share_relays_and_each_mail_goes_once(
    backend: Backend, clock: Any, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given ten mails committed at once (the opening day's submits), each mutation then
    # asking for the relay after its commit
    for n in range(10):
        await queue_mail(
            f"parent{n}@exemple.fr",
            "password_changed",
            {"town": "Ville de Test", "first_names": "Anne"},
            clock=clock,
        )
    async with count_queries() as log:
        await asyncio.gather(*(relay_after_commit(backend.redis, clock) for _ in range(10)))
    # then two relays handed them all over (the first, then one for everybody who asked
    # while it ran), not ten competing for the same rows, and each mail goes once
    relays = [s for s in log.statements if s.startswith("UPDATE outbox_job SET relayed_at")]
    assert len(relays) == 2
    assert await OutboxJob.filter(relayed_at__isnull=True).count() == 0
    await run_jobs()
    for n in range(10):
        assert len(mailbox.to(f"parent{n}@exemple.fr")) == 1
