"""``famille doctor``: what is wrong with a deployment, one line per check.

Each check says OK, ATTENTION (works, but look at it) or ERREUR (something parents or the
town will notice: links that break, mails that never leave, payments not collected, a
worker that does not run); the command exits with 1 when any says ERREUR. It reads the
settings of its environment, so run it with the API's and the worker's variables.

A deployment on PostgreSQL is taken for production; the embedded set-up (SQLite, no Redis,
mails as files) is for trying the product, and what it lacks is no error there.

The database is reached with its own driver connection (asyncpg, sqlite3), not the ORM's
pool, so that an unreachable or empty database is reported instead of raised; the checks
reading rows (régies, outbox) use the ORM once the database answered.
"""

import asyncio
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

import asyncpg
from redis.asyncio import Redis
from tortoise.backends.base.config_generator import expand_db_url

import models.migrations
from jobs.outbox import backlog, relay_heartbeat_key
from jobs.probes import failure_text, smtp_greeting_failure
from models.payments import PaymentMode, PaymentProvider, PaymentSetup
from settings import Settings

# Seconds each service may take to answer before it is called unreachable.
TIMEOUT = 3.0
# Keys people paste from examples; a key this short or this well known signs nothing.
PLACEHOLDER_KEYS = {"changeme", "change-me", "secret", "secret-key", "dev", "test", "famille"}
SHORTEST_KEY = 32


class Level(StrEnum):
    OK = "OK"
    ATTENTION = "ATTENTION"
    ERREUR = "ERREUR"


@dataclass(frozen=True)
class Finding:
    """One line of the report."""

    check: str
    level: Level
    message: str

    def line(self) -> str:
        return f"{self.level.value:<9} {self.check} : {self.message}"


def is_production(settings: Settings) -> bool:
    return not settings.database_url.startswith("sqlite")


def check_secret_key(settings: Settings) -> Finding:
    """A key drawn at start-up differs per process and per restart: every signed link
    (invoice PDFs, documents, exports) made before is refused after."""
    name = "Clé secrète"
    if "secret_key" not in settings.model_fields_set:
        message = (
            "FAMILLE_SECRET_KEY n'est pas définie : une clé est tirée au hasard à chaque "
            "démarrage, les liens signés (factures, documents) cessent de marcher après un "
            "redémarrage et d'un processus à l'autre"
        )
        return Finding(name, Level.ERREUR if is_production(settings) else Level.ATTENTION, message)
    key = settings.secret_key
    if key.strip().lower() in PLACEHOLDER_KEYS or len(set(key)) < 8:
        return Finding(name, Level.ERREUR, "FAMILLE_SECRET_KEY est une valeur d'exemple")
    if len(key) < SHORTEST_KEY:
        return Finding(
            name,
            Level.ATTENTION,
            f"FAMILLE_SECRET_KEY ne fait que {len(key)} caractères ({SHORTEST_KEY} ou plus "
            "conseillés : python -c 'import secrets; print(secrets.token_urlsafe(32))')",
        )
    return Finding(name, Level.OK, "FAMILLE_SECRET_KEY est définie")


def check_public_url(settings: Settings) -> Finding:
    """Parents type their password on the pages these links open, and the links carry
    tokens: in production they must be HTTPS."""
    name = "Adresse publique"
    url = settings.public_url
    if url.startswith("https://"):
        return Finding(name, Level.OK, url)
    if not is_production(settings):
        return Finding(name, Level.OK, f"{url} (installation d'essai)")
    return Finding(
        name,
        Level.ERREUR,
        f"FAMILLE_PUBLIC_URL ({url}) n'est pas en https:// : les liens envoyés aux familles "
        "(activation, factures, paiement) passeraient en clair",
    )


async def check_database(settings: Settings) -> Finding:
    """Reachable, and every migration of this release applied (`famille migrate`)."""
    name = "Base de données"
    try:
        applied = await asyncio.wait_for(_applied_migrations(settings.database_url), TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return Finding(name, Level.ERREUR, f"injoignable ({failure_text(exc)})")
    expected = release_migrations()
    missing = [migration for migration in expected if migration not in applied]
    if missing:
        return Finding(
            name,
            Level.ERREUR,
            f"{len(missing)} migration(s) non appliquée(s) ({', '.join(missing[:3])}"
            f"{'…' if len(missing) > 3 else ''}) : lancez « famille migrate »",
        )
    kind = "PostgreSQL" if is_production(settings) else "SQLite"
    return Finding(name, Level.OK, f"{kind} joignable, {len(expected)} migrations appliquées")


def release_migrations() -> list[str]:
    """The migrations this release ships, by name (``0020_regie_ledger``)."""
    folder = Path(models.migrations.__file__).parent
    return sorted(path.stem for path in folder.glob("[0-9][0-9][0-9][0-9]_*.py"))


async def _applied_migrations(database_url: str) -> set[str]:
    """The names Tortoise's migrations recorded; none when the table is not there."""
    query = "SELECT name FROM tortoise_migrations WHERE app = 'models'"
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://").split("?", 1)[0]
        return await asyncio.to_thread(_sqlite_names, path, query)
    # Tortoise's reading of the URL: its pool options (?minsize=…) are no server settings.
    credentials = expand_db_url(database_url)["credentials"]
    connection = await asyncpg.connect(
        host=credentials.get("host"),
        port=credentials.get("port"),
        user=credentials.get("user"),
        password=credentials.get("password"),
        database=credentials.get("database"),
        ssl=credentials.get("ssl"),
        timeout=TIMEOUT,
    )
    try:
        exists = await connection.fetchval("SELECT to_regclass('tortoise_migrations')")
        if exists is None:
            return set()
        return {row["name"] for row in await connection.fetch(query)}
    finally:
        await connection.close()


def _sqlite_names(path: str, query: str) -> set[str]:
    if not Path(path).is_file():
        raise FileNotFoundError(f"pas de fichier {path}")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=TIMEOUT) as db:
        table = "SELECT 1 FROM sqlite_master WHERE name = 'tortoise_migrations'"
        if db.execute(table).fetchone() is None:
            return set()
        return {row[0] for row in db.execute(query)}


async def check_redis(settings: Settings, redis: Redis | None) -> Finding:
    name = "Redis"
    if not settings.redis_url or redis is None:
        if is_production(settings):
            return Finding(
                name,
                Level.ERREUR,
                "FAMILLE_REDIS_URL n'est pas défini : sans Redis, pas de `famille worker` "
                "(mails, paiements, crons)",
            )
        return Finding(name, Level.OK, "file embarquée (installation d'essai)")
    try:
        await asyncio.wait_for(redis.ping(), TIMEOUT)
    except Exception as exc:  # noqa: BLE001
        return Finding(
            name,
            Level.ERREUR,
            f"{settings.redis_url} injoignable ({failure_text(exc)}) : les mails et les "
            "travaux attendent dans la base",
        )
    return Finding(name, Level.OK, f"{settings.redis_url} répond")


async def check_smtp(settings: Settings) -> Finding:
    name = "SMTP"
    if not settings.smtp_host:
        if is_production(settings):
            return Finding(
                name,
                Level.ERREUR,
                f"FAMILLE_SMTP_HOST n'est pas défini : les mails sont écrits dans "
                f"{settings.outbox_dir}/ au lieu de partir",
            )
        return Finding(name, Level.OK, f"mails écrits dans {settings.outbox_dir}/ (essai)")
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    failure = await smtp_greeting_failure(settings, TIMEOUT)
    if failure:
        return Finding(name, Level.ERREUR, f"{where} injoignable ({failure}) : les mails attendent")
    return Finding(name, Level.OK, f"{where} répond")


async def check_payments(settings: Settings) -> list[Finding]:
    """In production a régie in TEST mode lets parents "pay" with test cards: the invoice
    shows paid and no money comes; PayFiP without FAMILLE_PAYFIP_SERVICE_URL talks to the
    local fake DGFiP."""
    name = "Paiement en ligne"
    if not is_production(settings):
        return [Finding(name, Level.OK, "non vérifié (installation d'essai)")]
    problems = []
    setups = await PaymentSetup.all().order_by("id").prefetch_related("authority__tenant")
    for setup in setups:
        authority = setup.authority
        regie = f"{authority.name} ({authority.tenant.slug})"
        if setup.mode == PaymentMode.TEST:
            problems.append(
                f"{regie} : {setup.provider.value} en mode TEST, les paiements ne sont pas "
                "encaissés"
            )
        elif setup.provider == PaymentProvider.PAYZEN and (
            not setup.payzen_production_key or setup.payzen_production_key == setup.payzen_test_key
        ):
            problems.append(f"{regie} : PayZen en production sans sa clé de production")
        elif setup.provider == PaymentProvider.PAYFIP and not settings.payfip_service_url:
            problems.append(f"{regie} : PayFiP sans FAMILLE_PAYFIP_SERVICE_URL (DGFiP simulée)")
    if problems:
        return [Finding(name, Level.ERREUR, problem) for problem in problems]
    if not setups:
        return [Finding(name, Level.OK, "aucune régie ne prend de paiement en ligne")]
    return [Finding(name, Level.OK, f"{len(setups)} régie(s) en mode PRODUCTION")]


async def check_crons(settings: Settings, redis: Redis | None, now: datetime) -> Finding:
    """The worker's relay cron runs every 20 s and leaves its time in Redis; outbox rows
    not handed over for long mean no API nor worker relays them (the outbox's lag, read as
    /metrics reads it: ``jobs.outbox.backlog``)."""
    name = "Worker et crons"
    limit = timedelta(minutes=settings.doctor_cron_max_minutes)
    oldest, count = await backlog()
    if oldest is not None and now - oldest >= limit:
        minutes = int((now - oldest).total_seconds() // 60)
        return Finding(
            name,
            Level.ERREUR,
            f"{count} travail(aux) en attente, le plus ancien depuis {minutes} min : aucun "
            "worker ne relaie la file (famille worker arrêté, ou Redis injoignable)",
        )
    if not settings.redis_url or redis is None:
        return Finding(name, Level.OK, "aucun travail en retard (worker de `famille dev`)")
    try:
        beat = await asyncio.wait_for(redis.get(relay_heartbeat_key(settings.queue_name)), TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - Redis down is its own line
        return Finding(name, Level.ERREUR, f"non vérifiable sans Redis ({failure_text(exc)})")
    if beat is None:
        return Finding(
            name,
            Level.ERREUR,
            f"aucun passage du relais noté dans Redis (file {settings.queue_name}) : "
            "« famille worker » ne tourne pas, ou Redis vient de redémarrer vide",
        )
    last = datetime.fromisoformat(beat.decode() if isinstance(beat, bytes) else beat)
    if now - last > limit:
        minutes = int((now - last).total_seconds() // 60)
        return Finding(
            name,
            Level.ERREUR,
            f"dernier passage du relais il y a {minutes} min (toutes les 20 s attendu) : "
            "« famille worker » ne tourne plus",
        )
    return Finding(name, Level.OK, f"relais passé à {last:%H:%M:%S} UTC")


def check_franceconnect(settings: Settings) -> Finding:
    """Without FAMILLE_FRANCECONNECT_ISSUER the local stand-in answers /fc-local/: anyone
    can declare any identity there, so in production it would let anyone sign in as the
    account linked to an identity they type."""
    name = "FranceConnect"
    issuer = settings.franceconnect_issuer
    if not is_production(settings):
        return Finding(name, Level.OK, "non vérifié (installation d'essai)")
    if not issuer:
        return Finding(
            name,
            Level.ERREUR,
            "fournisseur local de démonstration actif (FAMILLE_FRANCECONNECT_ISSUER vide) : "
            "n'importe qui peut s'y déclarer sous n'importe quelle identité",
        )
    if not issuer.startswith("https://") or not settings.franceconnect_client_id:
        return Finding(
            name,
            Level.ERREUR,
            "FAMILLE_FRANCECONNECT_ISSUER doit être en https et "
            "FAMILLE_FRANCECONNECT_CLIENT_ID renseigné",
        )
    return Finding(name, Level.OK, f"fournisseur {issuer}")


def check_disk(settings: Settings) -> Finding:
    name = "Espace disque des documents"
    if settings.document_storage != "filesystem":
        return Finding(name, Level.OK, "documents en base (sauvegardés avec elle)")
    folder = settings.document_storage_dir
    if not folder.is_dir():
        return Finding(name, Level.ERREUR, f"{folder} n'existe pas")
    try:
        free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    except OSError as exc:
        return Finding(name, Level.ERREUR, f"{folder} illisible ({failure_text(exc)})")
    if free_mb < settings.doctor_min_free_disk_mb:
        return Finding(
            name,
            Level.ERREUR,
            f"{free_mb} Mo libres sous {folder} (moins de "
            f"{settings.doctor_min_free_disk_mb} Mo, FAMILLE_DOCTOR_MIN_FREE_DISK_MB)",
        )
    return Finding(name, Level.OK, f"{free_mb} Mo libres sous {folder}")


async def diagnose(
    settings: Settings,
    *,
    redis: Redis | None,
    now: datetime,
    open_orm: Callable[[], Awaitable[None]] | None = None,
) -> list[Finding]:
    """Every check, in the report's order. ``open_orm`` opens the ORM (the CLI's
    ``init_db``) once the database answered; the checks reading rows are left out when it
    did not."""
    findings = [check_secret_key(settings), check_public_url(settings)]
    database = await check_database(settings)
    findings.append(database)
    findings += [await check_redis(settings, redis), await check_smtp(settings)]
    if database.level == Level.OK:
        if open_orm is not None:
            await open_orm()
        findings += await check_payments(settings)
        findings.append(await check_crons(settings, redis, now))
    findings += [check_franceconnect(settings), check_disk(settings)]
    return findings
