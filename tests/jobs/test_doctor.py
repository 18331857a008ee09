"""`famille doctor` on the real services: each check fails when its service is unreachable
(a port nobody listens on), missing or misconfigured, and passes when it is right; the
command prints one line per check and exits 1 on an error, 0 on a healthy deployment."""

import re
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from jobs.doctor import (
    Finding,
    Level,
    check_crons,
    check_database,
    check_disk,
    check_franceconnect,
    check_payments,
    check_public_url,
    check_redis,
    check_secret_key,
    check_smtp,
    release_migrations,
)
from jobs.outbox import relay_heartbeat_key, relay_outbox, relay_outbox_cron
from models.outbox import OutboxJob
from models.payments import PaymentMode, PaymentProvider
from resolvers.core.clock import FrozenClock
from settings import Settings
from tests.conftest import POSTGRES_ADMIN_URL, REDIS_URL, Backend, _admin
from tests.faults.services import FAMILLE, ROOT, free_port, service_env
from tests.payment_factories import paying_family

KEY = "k8Yq3pZr0vXcB1nM6sT9wE2aD5fG7hJ4lQ"
POSTGRES_SERVER = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
# A PostgreSQL URL is what makes a deployment production for the doctor.
PRODUCTION = {"database_url": f"{POSTGRES_SERVER}/famille"}
NOWHERE = f"postgres://postgres@127.0.0.1:{free_port()}/famille"
LINE = re.compile(r"^(OK|ATTENTION|ERREUR) +[^:]+ : .+$")


def settings(**overrides: Any) -> Settings:
    """The test run's settings (its environment) with these overrides."""
    return Settings(**overrides)


@pytest.fixture
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAMILLE_SECRET_KEY", raising=False)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


def levels(findings: list[Finding], text: str) -> list[Level]:
    return [finding.level for finding in findings if text in finding.message]


# --- secret key


@pytest.mark.usefixtures("no_key_in_environment")
def test_a_key_drawn_at_random_is_an_error_in_production_a_warning_on_trial() -> None:
    finding = check_secret_key(settings(**PRODUCTION))
    assert finding.level == Level.ERREUR
    assert "FAMILLE_SECRET_KEY n'est pas définie" in finding.message
    assert check_secret_key(settings(database_url="sqlite://x.db")).level == Level.ATTENTION


@pytest.mark.usefixtures("no_key_in_environment")
def test_a_key_from_the_environment_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAMILLE_SECRET_KEY", KEY)
    assert check_secret_key(settings(**PRODUCTION)) == Finding(
        "Clé secrète", Level.OK, "FAMILLE_SECRET_KEY est définie"
    )


@pytest.mark.parametrize(
    ("key", "level"),
    [
        ("changeme", Level.ERREUR),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", Level.ERREUR),
        ("k8Yq3pZr0vXcB1", Level.ATTENTION),
    ],
)
def test_an_example_or_short_key_is_reported(key: str, level: Level) -> None:
    assert check_secret_key(settings(**PRODUCTION, secret_key=key)).level == level


# --- public URL


def test_a_public_url_without_https_is_an_error_in_production() -> None:
    finding = check_public_url(settings(**PRODUCTION, public_url="http://famille.ville.fr"))
    assert finding.level == Level.ERREUR and "n'est pas en https://" in finding.message
    https = check_public_url(settings(**PRODUCTION, public_url="https://famille.ville.fr"))
    assert https == Finding("Adresse publique", Level.OK, "https://famille.ville.fr")
    trial = check_public_url(settings(database_url="sqlite://x.db", public_url="http://x:8000"))
    assert trial.level == Level.OK


# --- database


async def test_the_migrated_database_of_the_run_passes(backend: Backend) -> None:
    finding = await check_database(settings())
    assert finding.level == Level.OK
    assert f"{len(release_migrations())} migrations appliquées" in finding.message
    assert release_migrations()[0] == "0001_initial" and len(release_migrations()) >= 20


async def test_the_pool_options_of_a_postgresql_url_are_no_obstacle(empty_database: str) -> None:
    url = f"{empty_database}?minsize=1&maxsize=5"
    finding = await check_database(settings(database_url=url))
    assert finding.message.startswith(f"{len(release_migrations())} migration(s) non appliquée")


async def test_an_unreachable_or_missing_database_is_an_error(tmp_path: Path) -> None:
    finding = await check_database(settings(database_url=NOWHERE))
    assert finding.level == Level.ERREUR and finding.message.startswith("injoignable (")
    missing = await check_database(settings(database_url=f"sqlite://{tmp_path}/absent.db"))
    assert missing.level == Level.ERREUR and "pas de fichier" in missing.message


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    name = f"famille_doctor_{uuid.uuid4().hex[:8]}"
    await _admin(f"CREATE DATABASE {name}")
    yield f"{POSTGRES_SERVER}/{name}"
    await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def test_migrations_not_applied_are_an_error(empty_database: str) -> None:
    # a database nobody migrated
    finding = await check_database(settings(database_url=empty_database))
    assert finding.level == Level.ERREUR
    count = len(release_migrations())
    assert finding.message.startswith(f"{count} migration(s) non appliquée(s) (0001_initial, ")
    assert finding.message.endswith("lancez « famille migrate »")
    # one migrated by the previous release: the last migration is missing
    connection = await asyncpg.connect(empty_database)
    try:
        await connection.execute(
            "CREATE TABLE tortoise_migrations (id serial, app text, name text, applied_at "
            "timestamptz)"
        )
        for name in release_migrations()[:-1]:
            await connection.execute(
                "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES "
                "('models', $1, now())",
                name,
            )
    finally:
        await connection.close()
    finding = await check_database(settings(database_url=empty_database))
    assert finding.message.startswith(
        f"1 migration(s) non appliquée(s) ({release_migrations()[-1]})"
    )


# --- Redis


async def test_redis_answering_passes_and_a_wrong_port_is_an_error(redis: Redis) -> None:
    assert (await check_redis(settings(redis_url=REDIS_URL), redis)).level == Level.OK
    wrong = f"redis://127.0.0.1:{free_port()}/0"
    nowhere = Redis.from_url(wrong, socket_connect_timeout=2)
    try:
        finding = await check_redis(settings(redis_url=wrong), nowhere)
    finally:
        await nowhere.aclose()
    assert finding.level == Level.ERREUR and finding.message.startswith(f"{wrong} injoignable")


async def test_no_redis_is_an_error_in_production_only() -> None:
    async def check(**overrides: Any) -> Finding:
        return await check_redis(settings(redis_url=None, **overrides), None)

    assert (await check(**PRODUCTION)).level == Level.ERREUR
    assert (await check(database_url="sqlite://x.db")).level == Level.OK


# --- SMTP


async def test_smtp_greeting_passes_and_a_wrong_port_is_an_error(smtp_server: Any) -> None:
    controller, _ = smtp_server
    up = settings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none")
    assert await check_smtp(up) == Finding("SMTP", Level.OK, f"127.0.0.1:{controller.port} répond")
    port = free_port()
    down = await check_smtp(settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none"))
    assert down.level == Level.ERREUR and down.message.startswith(f"127.0.0.1:{port} injoignable")
    files = await check_smtp(settings(**PRODUCTION, smtp_host=None))
    assert files.level == Level.ERREUR and "FAMILLE_SMTP_HOST n'est pas défini" in files.message


# --- online payment


async def test_a_regie_in_test_mode_is_an_error_in_production(
    backend: Backend, clock: FrozenClock
) -> None:
    family = await paying_family(clock, mode=PaymentMode.TEST)
    slug = family.tenant.slug
    findings = await check_payments(settings(**PRODUCTION))
    assert levels(findings, slug) == [Level.ERREUR]
    [finding] = [f for f in findings if slug in f.message]
    assert finding.message == (
        f"Régie périscolaire ({slug}) : payzen en mode TEST, les paiements ne sont pas encaissés"
    )
    # on a trial installation, test mode is what is wanted
    trial = await check_payments(settings(database_url="sqlite://x.db"))
    assert [f.level for f in trial] == [Level.OK]


async def test_regies_in_production_mode_with_their_keys_pass(
    backend: Backend, clock: FrozenClock
) -> None:
    payzen = await paying_family(clock, mode=PaymentMode.PRODUCTION)
    payfip = await paying_family(clock, PaymentProvider.PAYFIP, mode=PaymentMode.PRODUCTION)
    real_dgfip = settings(**PRODUCTION, payfip_service_url="https://www.payfip.gouv.fr/tpa/")
    findings = await check_payments(real_dgfip)
    assert levels(findings, payzen.tenant.slug) == []
    assert levels(findings, payfip.tenant.slug) == []
    # PayFiP against the local fake DGFiP is not production
    fake = await check_payments(settings(**PRODUCTION, payfip_service_url=""))
    assert levels(fake, payfip.tenant.slug) == [Level.ERREUR]


# --- worker and crons


async def test_the_relay_crons_heartbeat_passes_and_its_silence_is_an_error(
    backend: Backend, clock: FrozenClock
) -> None:
    # given every outbox row handed over, and the worker's relay cron that just ran
    while await relay_outbox(backend.redis, clock=clock, stale=False):
        pass
    worker = settings(redis_url=REDIS_URL)
    await relay_outbox_cron({"redis": backend.redis, "clock": clock})
    finding = await check_crons(worker, backend.redis, clock.now())
    assert finding == Finding(
        "Worker et crons", Level.OK, f"relais passé à {clock.now():%H:%M:%S} UTC"
    )
    # when it has not run for ten minutes
    later = await check_crons(worker, backend.redis, clock.now() + timedelta(minutes=10))
    assert later.level == Level.ERREUR
    assert later.message.startswith("dernier passage du relais il y a 10 min")
    # when it never ran on this Redis
    await backend.redis.delete(relay_heartbeat_key(worker.queue_name))
    never = await check_crons(worker, backend.redis, clock.now())
    assert never.level == Level.ERREUR and "aucun passage du relais" in never.message


async def test_an_outbox_row_waiting_for_minutes_is_an_error(
    backend: Backend, clock: FrozenClock
) -> None:
    while await relay_outbox(backend.redis, clock=clock, stale=False):
        pass
    await relay_outbox_cron({"redis": backend.redis, "clock": clock})
    # given a row stuck for 7 minutes, and one written just now behind it
    stuck = await OutboxJob.create(
        function="doctor_test", kwargs={}, created_at=clock.now() - timedelta(minutes=7)
    )
    fresh = await OutboxJob.create(function="doctor_test", kwargs={}, created_at=clock.now())
    try:
        finding = await check_crons(settings(redis_url=REDIS_URL), backend.redis, clock.now())
    finally:
        await OutboxJob.filter(id__in=[stuck.id, fresh.id]).delete()
    # then the doctor counts both, and dates the lag from the oldest (as /metrics does)
    assert finding.level == Level.ERREUR
    assert finding.message.startswith("2 travail(aux) en attente, le plus ancien depuis 7 min")


# --- disk


def test_free_space_under_the_threshold_is_an_error(tmp_path: Path) -> None:
    def check(**overrides: Any) -> Finding:
        return check_disk(
            settings(document_storage="filesystem", document_storage_dir=tmp_path, **overrides)
        )

    assert check(doctor_min_free_disk_mb=1).level == Level.OK
    short = check(doctor_min_free_disk_mb=10**12)
    assert short.level == Level.ERREUR and "Mo libres sous" in short.message
    missing = check_disk(
        settings(document_storage="filesystem", document_storage_dir=tmp_path / "absent")
    )
    assert missing.level == Level.ERREUR and missing.message.endswith("n'existe pas")
    assert check_disk(settings(document_storage="database")).level == Level.OK


def test_franceconnect_stand_in_is_an_error_in_production() -> None:
    # given production without a FranceConnect issuer: the local stand-in answers
    stand_in = check_franceconnect(settings(**PRODUCTION, franceconnect_issuer=""))
    assert stand_in.level == Level.ERREUR and "n'importe qui" in stand_in.message
    # an issuer over plain http, or without the town's client id, is refused too
    plain = settings(
        **PRODUCTION,
        franceconnect_issuer="http://oidc.example/api/v2",
        franceconnect_client_id="ville",
    )
    assert check_franceconnect(plain).level == Level.ERREUR
    real = settings(
        **PRODUCTION,
        franceconnect_issuer="https://oidc.franceconnect.gouv.fr/api/v2",
        franceconnect_client_id="ville",
    )
    assert check_franceconnect(real).level == Level.OK
    # a trial install (SQLite) is not checked
    trial = settings(database_url="sqlite://x.db", franceconnect_issuer="")
    assert check_franceconnect(trial).level == Level.OK


# --- the command


async def test_famille_doctor_exits_0_when_healthy_and_1_on_an_error(
    empty_database: str, smtp_server: Any, redis: Redis, tmp_path: Path
) -> None:
    # given a migrated production database, Redis, SMTP, a key, an https address and a
    # worker that ran its relay a moment ago
    controller, _ = smtp_server
    queue = f"doctor-{uuid.uuid4().hex[:8]}:queue"
    env = service_env(
        FAMILLE_DATABASE_URL=empty_database,
        FAMILLE_REDIS_URL=REDIS_URL,
        FAMILLE_QUEUE_NAME=queue,
        FAMILLE_SMTP_HOST="127.0.0.1",
        FAMILLE_SMTP_PORT=str(controller.port),
        FAMILLE_SMTP_SECURITY="none",
        FAMILLE_SECRET_KEY=KEY,
        FAMILLE_PUBLIC_URL="https://famille.ville.example",
        FAMILLE_DOCUMENT_STORAGE="filesystem",
        FAMILLE_DOCUMENT_STORAGE_DIR=str(tmp_path),
        FAMILLE_DOCTOR_MIN_FREE_DISK_MB="1",
        FAMILLE_FRANCECONNECT_ISSUER="https://oidc.franceconnect.gouv.fr/api/v2",
        FAMILLE_FRANCECONNECT_CLIENT_ID="ville-exemple",
    )
    migrate = subprocess.run([FAMILLE, "migrate"], cwd=ROOT, env=env, capture_output=True)
    assert migrate.returncode == 0, migrate.stderr.decode()
    await redis.set(relay_heartbeat_key(queue), datetime.now(UTC).isoformat())
    try:
        healthy = subprocess.run(
            [FAMILLE, "doctor"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        # when SMTP is on a port nobody listens on
        broken = subprocess.run(
            [FAMILLE, "doctor"],
            cwd=ROOT,
            env={**env, "FAMILLE_SMTP_PORT": str(free_port())},
            capture_output=True,
            text=True,
        )
    finally:
        await redis.delete(relay_heartbeat_key(queue))

    # then one line per check, all OK, and exit 0
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    lines = healthy.stdout.strip().splitlines()
    assert [line.split(" : ")[0].split(maxsplit=1)[1].strip() for line in lines[:-2]] == [
        "Clé secrète",
        "Adresse publique",
        "Base de données",
        "Redis",
        "SMTP",
        "Paiement en ligne",
        "Worker et crons",
        "FranceConnect",
        "Espace disque des documents",
    ]
    assert all(LINE.match(line) and line.startswith("OK ") for line in lines[:-2]), lines
    assert lines[-1] == "0 erreur(s), 0 point(s) d'attention."
    assert healthy.stderr == ""
    # and the broken SMTP is the one error, exit 1
    assert broken.returncode == 1, broken.stdout + broken.stderr
    errors = [line for line in broken.stdout.splitlines() if line.startswith("ERREUR")]
    assert len(errors) == 1 and errors[0].startswith("ERREUR    SMTP : 127.0.0.1:")
    assert broken.stdout.strip().endswith("1 erreur(s), 0 point(s) d'attention.")
