"""What every log line says, and what it never says.

``LogContext`` (a context variable) carries the request id, GraphQL operation, town and
job of the work in progress: gql/ sets it per request, jobs/ per job, and each record
picks it up. ``JsonFormatter`` writes one JSON object a line (``FAMILLE_LOG_FORMAT=json``)
for a log collector; the plain format stays the default for people reading a terminal.

``SecretRedaction`` is the last word before a record is written, whatever logged it
(ours, uvicorn, arq, Tortoise, aiosmtplib): SQL parameters are dropped (a health note,
an IBAN or a password hash travels as one), and capability tokens in links, bearer
tokens, ``password=``/``token=`` values and IBANs are replaced by ``…``. A log is read by
more people than the database: nothing in it may open a family's file.
"""

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

try:
    # Imported once here, not by each record's trace_id(): an import statement costs a
    # few microseconds even for a loaded module, and every request logs a line.
    from opentelemetry import trace
except ImportError:  # pragma: no cover - a main dependency; kept importable without
    trace = None  # type: ignore[assignment]

REDACTED = "…"


@dataclass(frozen=True)
class LogContext:
    """What the current request or job is (empty fields are left out of JSON lines)."""

    request_id: str = ""
    operation: str = ""
    town: str = ""
    job: str = ""


_EMPTY = LogContext()
_context: ContextVar[LogContext] = ContextVar("famille_log_context", default=_EMPTY)  # noqa: B039 - frozen


def current() -> LogContext:
    return _context.get()


def update(**fields: str) -> None:
    """Add to the current context (the town once the account is known, the operation once
    the document is parsed). Nothing to do when they are already set (the compiled path
    sets the operation before executing, then again as it logs it)."""
    context = _context.get()
    if any(getattr(context, name, None) != value for name, value in fields.items()):
        _context.set(replace(context, **fields))


def start(**fields: str) -> None:
    """A fresh context for the request this task serves (uvicorn gives each its task)."""
    _context.set(LogContext(**fields))


@contextmanager
def bound(**fields: str) -> Iterator[None]:
    """A fresh context for one request or job, restored after it."""
    token = _context.set(LogContext(**fields))
    try:
        yield
    finally:
        _context.reset(token)


# Routes whose next path segment is a capability (gql/access_log.py lists the same
# prefixes for uvicorn's access log; mailed links carry them too).
_TOKEN_PATH = re.compile(
    r"/(activation|mot-de-passe|files|factures|prelevements|titres|attestations|recus|"
    r"bordereaux|journal-caisse|export|exports|ics|paiement/retour|invitation)/[^\s/?#\"'<>]+"
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
_SECRET_PARAMETER = re.compile(
    r"(?i)\b(password|new_password|current_password|motdepasse|token|secret|access_key|iban)"
    r"(['\"]?\s*[=:]\s*['\"]?)[^\s'\"&,;)}]+"
)
# An IBAN, grouped by four or not: two letters, two check digits, 11 to 30 characters.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
# Loggers that print SQL with its parameters at DEBUG (Tortoise's client, aiosqlite's
# calls): their parameters are dropped, the statement kept.
_SQL_LOGGERS = ("tortoise.db_client", "aiosqlite", "asyncpg")


def redact(text: str) -> str:
    """``text`` with capabilities, credentials and IBANs replaced by ``…``."""
    text = _TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _IBAN.sub(REDACTED, text)


class SecretRedaction(logging.Filter):
    """Rewrites each record's message (and traceback) redacted; attached to the handlers,
    so records from every library pass through it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(_SQL_LOGGERS) and record.args:
            # Tortoise logs "%s: %s" (statement, parameters); aiosqlite a call's repr.
            first = record.args[0] if isinstance(record.args, tuple) else record.args
            statement = (
                first if isinstance(first, str) and record.name.startswith("tortoise") else ""
            )
            record.msg, record.args = f"{statement[:2000]} [paramètres masqués]".strip(), None
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record whose args do not fit: keep its text only
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def trace_id() -> str:
    """The current OpenTelemetry trace id (32 hex digits), or "" when none is recording."""
    if trace is None:  # pragma: no cover
        return ""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


class ContextFields(logging.Filter):
    """Copies the log context and trace id onto each record (``%(request_id)s`` and the
    like in a plain format, keys of a JSON line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        record.request_id = context.request_id
        record.operation = context.operation
        record.town = context.town
        record.job = context.job
        record.trace_id = trace_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, then the
    context fields that are set (request_id, operation, town, job, duration_ms, trace_id)
    and the traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "operation", "town", "job", "duration_ms", "trace_id"):
            value = getattr(record, key, None)
            if value not in (None, ""):
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def make_handler(
    stream_or_handler: logging.Handler, *, json_lines: bool, level: int = logging.NOTSET
) -> logging.Handler:
    """``stream_or_handler`` with the context, the redaction and the chosen format."""
    handler = stream_or_handler
    handler.setLevel(level)
    handler.addFilter(ContextFields())
    handler.addFilter(SecretRedaction())
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(PLAIN_FORMAT))
    return handler


def configure(*, level: str, json_lines: bool) -> None:
    """The process's logging: one handler on the root logger (stderr), replacing the one
    a previous call added."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if any(isinstance(f, SecretRedaction) for f in existing.filters):
            root.removeHandler(existing)
    root.addHandler(make_handler(logging.StreamHandler(), json_lines=json_lines))
    root.setLevel(level.upper())


def ensure_configured(*, level: str, json_lines: bool) -> None:
    """``configure`` unless a handler of ours is already there: the processes `famille
    serve --workers N` spawns start with no logging set up, the tests keep theirs."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, SecretRedaction) for f in handler.filters):
            return
    configure(level=level, json_lines=json_lines)
