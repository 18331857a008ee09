"""Configuration from the environment (``FAMILLE_*`` variables).

Every default is the embedded one: SQLite under ``var/``, mails written to ``var/outbox/``,
no Redis (``famille dev`` then runs the arq worker in-process on fakeredis). Production sets
``FAMILLE_DATABASE_URL`` (PostgreSQL), ``FAMILLE_REDIS_URL`` and ``FAMILLE_SMTP_HOST``.
Each field is documented in the table of docs/settings.md; keep both in step.

``FAMILLE_PUBLIC_URL`` left unset follows the address served (``FAMILLE_HOST``,
``FAMILLE_PORT``, or ``--host``/``--port``), so the links mailed and returned by ``famille
dev`` on another port open. ``FAMILLE_CORS_ORIGINS`` lists the browser front ends served
from another origin (``https://famille.ville.fr,http://localhost:5173``: scheme, host and
port, exactly as the browser sends its ``Origin``); empty, the API answers same-origin
pages only and sends no CORS header.
"""

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

VAR_DIR = Path("var")


class Settings(BaseSettings):
    """All tunables of the service; per-town rules live in the ``Tenant`` row instead."""

    model_config = SettingsConfigDict(env_prefix="FAMILLE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite://{VAR_DIR}/famille.sqlite3",
        description="Tortoise URL: sqlite://path or postgres://user:pass@host:port/db",
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db; unset = embedded fakeredis (dev only)"
    )
    queue_name: str = Field(default="famille:queue", description="arq queue name")
    public_url: str = Field(
        default="",
        description="Base URL put in mailed and returned links; unset = http://HOST:PORT served",
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` and `dev` listen on")
    port: int = Field(default=8000, description="Port `serve` and `dev` listen on")
    forwarded_allow_ips: str = Field(
        default="127.0.0.1,::1",
        description="Comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto `serve` and `dev` believe; * = any (never "
        "on a public port)",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info",
        description="Level of the logs every command prints; `debug` also shows arq's "
        "log of each job and cron run under `famille dev`",
    )
    log_format: Literal["plain", "json"] = Field(
        default="plain",
        description="`json`: one JSON object a line (time, level, logger, message, request id, "
        "operation, town, duration, trace id) for a log collector; `plain` for a terminal",
    )
    metrics_token: str = Field(
        default="",
        description="Bearer token Prometheus sends to scrape /metrics; empty = no /metrics (404)",
    )
    worker_metrics_port: int = Field(
        default=0,
        ge=0,
        description="Port on which `famille worker` serves its own /metrics (same token); 0 = none",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins of browser front ends allowed to call the API "
        "(CORS); empty = same-origin only",
    )

    smtp_host: str | None = Field(default=None, description="SMTP server; unset = .eml files")
    smtp_port: int = Field(default=587, description="SMTP port")
    smtp_username: str | None = Field(default=None, description="SMTP login")
    smtp_password: str | None = Field(default=None, description="SMTP password")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls (587), tls (465) or none (local relay, tests)"
    )
    smtp_timeout_seconds: float = Field(
        default=30,
        description="Seconds to connect to SMTP or get each reply; past it the mail is retried",
    )
    mail_from: str = Field(
        default="Portail Famille <ne-pas-repondre@famille.localhost>",
        description="From header of every mail",
    )
    outbox_dir: Path = Field(
        default=VAR_DIR / "outbox", description="Where mails go when no SMTP host is set"
    )

    session_ttl_hours: int = Field(default=24 * 14, description="Bearer token lifetime")
    activation_ttl_hours: int = Field(default=72, description="Activation link lifetime")
    password_reset_ttl_minutes: int = Field(default=60, description="Reset link lifetime")
    staff_invitation_ttl_hours: int = Field(
        default=7 * 24, description="Staff invitation link lifetime"
    )
    access_key_ttl_days: int = Field(default=90, description="Household access key lifetime")
    login_window_minutes: int = Field(
        default=15, description="Window over which failed logins are counted"
    )
    login_max_failures_per_account: int = Field(
        default=5, description="Failed logins on one e-mail before it is locked for the window"
    )
    login_max_failures_per_address: int = Field(
        default=20,
        description="Failed logins from one client address (over the window) past which "
        "each login from it waits: 1 s, then twice as long per further failure",
    )
    login_address_max_delay_seconds: float = Field(
        default=10, description="Longest wait of a login from a client address that failed often"
    )
    question_window_minutes: int = Field(
        default=60, description="Window over which public questions (« Poser une question ») count"
    )
    question_max_per_address: int = Field(
        default=10, description="Public questions from one client address over the window"
    )
    question_max_per_email: int = Field(
        default=3, description="Public questions from one e-mail address over the window"
    )

    graphql_max_depth: int = Field(default=12, description="Maximum query depth")
    graphql_max_aliases: int = Field(default=30, description="Maximum aliases per operation")
    graphql_max_tokens: int = Field(default=2000, description="Maximum tokens per document")
    persisted_query_ttl_hours: int = Field(
        default=24 * 7, ge=1, description="How long Redis keeps an automatic persisted query"
    )
    persisted_only: bool = Field(
        default=False, description="Run only the documents of `famille register-documents`"
    )
    public_cache_max_age_seconds: int = Field(
        default=60, ge=0, description="max-age of anonymous GET answers without errors"
    )
    input_max_ids: int = Field(
        default=100,
        description="Ids in one list argument (children, activities, invoices): longer is INVALID",
    )
    input_max_days: int = Field(
        default=2000,
        description="Days (or entries) in one list of a change set or attendance sheet",
    )
    input_max_items: int = Field(
        default=100, description="Items of any other list argument (recurrences, weekdays…)"
    )
    page_size_default: int = Field(default=20, description="Default page size of lists")
    page_size_max: int = Field(default=100, description="Largest page size a client may ask")

    job_max_tries: int = Field(default=8, description="Attempts of a job before giving up")
    job_retry_seconds: int = Field(
        default=10, description="Delay before a failed job's first retry; doubles, at most 1 h"
    )

    secret_key: str = Field(
        default_factory=lambda: secrets.token_urlsafe(32),
        description="HMAC key of signed download links; unset = random per process",
    )
    signed_link_ttl_minutes: int = Field(
        default=15, description="Lifetime of a signed download link (CSV, PDF, documents)"
    )
    document_storage: Literal["database", "filesystem"] = Field(
        default="database",
        description="Where document files go: database (shared by all servers) or filesystem",
    )
    document_storage_dir: Path = Field(
        default=VAR_DIR / "documents",
        description="Directory of the filesystem storage (a mount shared by all servers)",
    )
    upload_max_file_kb: int = Field(default=3200, description="Largest accepted file, in KB")
    upload_max_files: int = Field(default=4, description="Files per document")
    town_logo_max_kb: int = Field(default=300, description="Largest town logo (PNG or JPEG), in KB")
    upload_max_files_per_request: int = Field(
        default=12,
        description="Files in one request: a document's 4 plus room for a fifth to be refused "
        "with a clear message, or several new documents attached to one absence report",
    )
    import_max_file_kb: int = Field(
        default=16384,
        description="Largest family import file (importFamilies), in KB: about 40,000 families",
    )
    request_max_mb: int = Field(
        default=20, description="Largest HTTP request body, in MB: bigger ones get 413"
    )
    compress_min_bytes: int = Field(
        default=1024,
        ge=0,
        description="Smallest HTTP answer compressed (zstd, br or gzip, as the client accepts)",
    )
    api_concurrency: int = Field(
        default=16,
        ge=0,
        description="HTTP requests at work at once in one API process; the next ones wait "
        "their turn (0 = no limit)",
    )
    api_queue: int = Field(
        default=2000,
        ge=0,
        description="HTTP requests waiting their turn in one API process; beyond, 503 with "
        "Retry-After (code OVERLOADED)",
    )
    api_retry_after_seconds: int = Field(
        default=5, ge=1, description="Retry-After of a 503 OVERLOADED answer, in seconds"
    )
    payfip_service_url: str = Field(
        default="",
        description="PayFiP Régie web service, e.g. https://www.payfip.gouv.fr/tpa/services/"
        "securite; empty = a local fake DGFiP (tests, demo)",
    )
    api_particulier_url: str = Field(
        default="",
        description="API Particulier, e.g. https://particulier.api.gouv.fr (staging: "
        "https://staging.particulier.api.gouv.fr); empty = a local fake CAF/MSA (tests, demo)",
    )
    api_particulier_token: str = Field(
        default="", description="API Particulier token (JWT, scope cnaf_quotient_familial)"
    )
    api_particulier_recipient: str = Field(
        default="", description="The town's SIRET, sent as recipient with every quotient call"
    )
    api_particulier_calls_per_second: int = Field(
        default=20, ge=1, description="Most quotient calls per second (API Particulier: 20/s)"
    )
    quotient_refresh_days: int = Field(
        default=15,
        ge=0,
        description="Days before a CAF/MSA quotient lapses that the nightly job asks again",
    )
    document_expiry_reminder_days: int = Field(
        default=30, description="Days before a stored document expires that its owners are mailed"
    )

    doctor_cron_max_minutes: int = Field(
        default=5,
        ge=1,
        description="Minutes without a run of the worker's outbox relay (every 20 s) or with "
        "an outbox row waiting after which `famille doctor` says the crons are not running",
    )
    doctor_min_free_disk_mb: int = Field(
        default=1024,
        ge=0,
        description="Free space under the document directory (filesystem storage) below "
        "which `famille doctor` reports an error",
    )

    retention_days: int = Field(
        default=730,
        description="Days a family must be gone (no running enrolment, request or login) "
        "before its document files are deleted and health notes and contacts anonymised",
    )
    invoice_reminder_days: int = Field(
        default=5, description="Days before an unpaid invoice's due date that its payers are mailed"
    )
    booking_reminder_hours: int = Field(
        default=48,
        description="Hours before next week's booking deadline that families with nothing "
        "booked are mailed",
    )
    reenrollment_reminder_days: int = Field(
        default=7,
        description="Days before a re-enrolment campaign closes that families who have not "
        "answered are mailed",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_from_a_comma_separated_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        # A browser's Origin is scheme://host[:port], nothing more; a path, a trailing
        # slash or a wildcard would never match it and leave the front end refused in
        # silence, so they are refused at start-up instead.
        for origin in origins:
            parts = urlsplit(origin)
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or "*" in origin
                or origin != f"{parts.scheme}://{parts.netloc}"
            ):
                raise ValueError(
                    f"FAMILLE_CORS_ORIGINS : « {origin} » n'est pas une origine exacte "
                    "(schéma://hôte[:port], sans chemin ni barre finale)"
                )
        return origins

    @model_validator(mode="after")
    def _public_url_follows_the_address_served(self) -> Self:
        if not self.public_url:
            self.public_url = served_url(self.host, self.port)
        return self

    def tortoise_config(self) -> dict[str, Any]:
        """Tortoise ORM config: one app, ``models``, migrated by Tortoise's own migrations."""
        return {
            "connections": {"default": self.database_url},
            "apps": {
                "models": {
                    "models": MODEL_MODULES,
                    "default_connection": "default",
                    "migrations": "models.migrations",
                }
            },
            "use_tz": True,
            "timezone": "UTC",
        }


def served_url(host: str, port: int) -> str:
    """The base URL of the API as served on ``host:port``; an address listening on every
    interface is reached on this machine's loopback."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"http://{host}:{port}"


MODEL_MODULES = [
    "models.tenants",
    "models.accounts",
    "models.households",
    "models.requests",
    "models.audit",
    "models.outbox",
    "models.authorities",
    "models.catalogue",
    "models.bookings",
    "models.absences",
    "models.documents",
    "models.kitchen",
    "models.feeds",
    "models.news",
    "models.messages",
    "models.billing",
    "models.sepa",
    "models.treasury",
    "models.quotients",
    "models.privacy",
    "models.reminders",
    "models.payments",
    "models.persisted",
]


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead."""
    return Settings()


def __getattr__(name: str) -> Any:
    """``settings.TORTOISE_ORM``, read lazily so tests can set the environment first.

    The ``tortoise`` CLI (makemigrations, sqlmigrate) finds it through pyproject.toml.
    """
    if name == "TORTOISE_ORM":
        return get_settings().tortoise_config()
    raise AttributeError(name)
