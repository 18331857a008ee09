"""OpenTelemetry traces, off unless the standard ``OTEL_*`` variables ask for them
(docs/monitoring.md).

On when ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp``, ``console``; ``none`` is
off) or, without it, when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or its ``_TRACES_`` form) is
set; ``OTEL_SDK_DISABLED=true`` wins. The OTLP exporter (HTTP/protobuf) reads its own
``OTEL_EXPORTER_OTLP_*`` variables, the resource ``OTEL_SERVICE_NAME`` and
``OTEL_RESOURCE_ATTRIBUTES``.

Once on, a process traces its HTTP requests (Starlette), its GraphQL operations and
resolvers (Strawberry's extension), its SQL statements (asyncpg: the statement's text,
never its parameters) and its Redis commands. The spans carry no variables and no
document text: a login's password or a child's health note must not leave for a tracing
backend either. Resolver spans make Strawberry wrap every resolver, which turns off the
executor's shortcut for long lists (gql/execution.py): tracing costs speed.
"""

import logging
import os
from collections.abc import Generator, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.starlette import StarletteInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from strawberry.extensions import LifecycleStep, SchemaExtension
from strawberry.extensions.tracing import OpenTelemetryExtension

logger = logging.getLogger("famille.tracing")

_provider: TracerProvider | None = None


def tracing_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the ``OTEL_*`` variables ask for traces (see the module's docstring)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return exporters != "none"
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _exporters(environ: Mapping[str, str]) -> list[tuple[SpanExporter, bool]]:
    """The exporters named by ``OTEL_TRACES_EXPORTER`` (default otlp), each with whether
    it takes spans one by one (console) rather than in batches."""
    names = [
        name.strip()
        for name in (environ.get("OTEL_TRACES_EXPORTER") or "otlp").lower().split(",")
        if name.strip() and name.strip() != "none"
    ]
    exporters: list[tuple[SpanExporter, bool]] = []
    for name in names:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append((OTLPSpanExporter(), False))
        elif name == "console":
            exporters.append((ConsoleSpanExporter(), True))
        else:
            logger.warning("OTEL_TRACES_EXPORTER: exporter %r unknown, ignored", name)
    return exporters


def enabled() -> bool:
    return _provider is not None


def configure_tracing(
    *, exporter: SpanExporter | None = None, environ: Mapping[str, str] = os.environ
) -> bool:
    """Set this process's tracing up once, as the ``OTEL_*`` variables say, or with
    ``exporter`` (tests: an in-memory one); returns whether tracing is on."""
    global _provider
    if _provider is not None:
        return True
    if exporter is not None:
        exporters = [(exporter, True)]
    elif tracing_requested(environ):
        exporters = _exporters(environ)
    else:
        return False
    named = environ.get("OTEL_SERVICE_NAME") or "service.name" in environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    provider = TracerProvider(
        resource=Resource.create({} if named else {"service.name": "famille"})
    )
    for span_exporter, one_by_one in exporters:
        processor = SimpleSpanProcessor if one_by_one else BatchSpanProcessor
        provider.add_span_processor(processor(span_exporter))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    RedisInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    return True


def stop_tracing() -> None:
    """Flush and undo ``configure_tracing`` (tests; a process otherwise keeps it)."""
    global _provider
    if _provider is None:
        return
    AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
    RedisInstrumentor().uninstrument()
    _provider.force_flush()
    _provider = None


def instrument_app(app: Starlette) -> None:
    """Trace the app's HTTP requests, when tracing is on."""
    if _provider is not None:
        StarletteInstrumentor.instrument_app(app, tracer_provider=_provider)


def _no_arguments(arguments: dict[str, Any], info: Any) -> dict[str, Any]:
    return {}


class TracedOperation(OpenTelemetryExtension):
    """Strawberry's extension without the document's text and the resolvers' arguments
    (passwords, health notes, IBANs travel as arguments)."""

    def __init__(self) -> None:
        super().__init__(arg_filter=_no_arguments, tracer_provider=_provider)

    def on_operation(self) -> Generator[None, None, None]:
        name = self.execution_context.operation_name
        span = self._tracer.start_span(
            f"GraphQL Query: {name}" if name else "GraphQL Query", kind=SpanKind.SERVER
        )
        span.set_attribute("component", "graphql")
        self._span_holder[LifecycleStep.OPERATION] = span
        yield
        if not name and self.execution_context.operation_name:
            span.update_name(f"GraphQL Query: {self.execution_context.operation_name}")
        span.end()


class _Untraced(SchemaExtension):
    """What the schema runs while tracing is off: nothing."""


def operation_extension() -> SchemaExtension:
    """The schema's extension factory: Strawberry's spans when tracing is on."""
    return TracedOperation() if _provider is not None else _Untraced()
