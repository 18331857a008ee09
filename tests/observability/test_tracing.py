"""OpenTelemetry traces (gql/observability/tracing.py): off unless the OTEL_* variables
say so; once on, one booking's trace holds its SQL statements, and nothing secret."""

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from graphql import GraphQLError
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gql.app import create_app
from gql.errors import ErrorPolicy
from gql.observability import tracing
from resolvers.core import logs
from tests.calendar.test_bookings import SUBMIT, day_change, setup
from tests.conftest import Backend

SUBMIT_NAMED = SUBMIT.replace("mutation(", "mutation submitBookingChanges(", 1)


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"OTEL_SERVICE_NAME": "famille"}, False),
        ({"OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, False),
    ],
)
def test_traces_are_off_unless_the_otel_variables_ask(environ: dict[str, str], on: bool) -> None:
    assert tracing.tracing_requested(environ) is on


def test_a_plain_process_traces_nothing() -> None:
    # the suite's own process, like a deployment without OTEL_* variables
    code = (
        "from gql.observability import tracing; from gql.app import create_app; "
        "create_app(); print(tracing.enabled())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert result.stdout.strip() == "False"


def test_the_masked_error_names_the_trace() -> None:
    tracer = TracerProvider().get_tracer("test")
    crash = GraphQLError("boom", original_error=RuntimeError("password=secret"))
    with tracer.start_as_current_span("request") as span:
        masked = ErrorPolicy._rewrite(crash, "req-42")
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert masked.message == (
        f"Une erreur inattendue est survenue. Référence : req-42, trace {trace_id}."
    )
    assert masked.extensions == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "req-42",
        "traceId": trace_id,
    }


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    assert tracing.configure_tracing(exporter=exporter)
    yield exporter
    tracing.stop_tracing()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_one_booking_traced_shows_its_sql_statements(
    backend: Backend, clock: Any, spans: InMemorySpanExporter
) -> None:
    # given a family with a canteen place, and an API traced into memory
    f = await setup(clock)
    app = create_app(clock=clock, redis=backend.redis)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
    variables = {
        "householdId": f["household_id"],
        "input": {"changes": [day_change(f, date(2026, 12, 7).isoformat())]},
    }
    spans.clear()
    stream = io.StringIO()
    handler = logs.make_handler(logging.StreamHandler(stream), json_lines=True)
    logging.getLogger().addHandler(handler)

    # when the parent submits one day
    async with httpx.AsyncClient(transport=transport, base_url="http://famille.test") as client:
        response = await client.post(
            "/graphql",
            json={"query": SUBMIT_NAMED, "variables": variables},
            headers={"Authorization": f"Bearer {f['token']}"},
        )
    logging.getLogger().removeHandler(handler)
    result = response.json()["data"]["submitBookingChanges"]
    assert result["errors"] == [] and result["lines"][0]["outcome"] == "BOOKED"

    # then one trace holds the HTTP request, the GraphQL operation and its resolver...
    finished = spans.get_finished_spans()
    by_name = {span.name: span for span in finished}
    operation = by_name["GraphQL Query: submitBookingChanges"]
    assert "GraphQL Resolving: submitBookingChanges" in by_name
    assert any(name.startswith("POST /graphql") for name in by_name), sorted(by_name)
    trace_id = operation.context.trace_id
    in_trace = [span for span in finished if span.context.trace_id == trace_id]
    # ...and each SQL statement, the booking's writes among them, without parameters
    statements = [
        str(span.attributes.get("db.statement") or span.attributes.get("db.query.text"))
        for span in in_trace
        if span.attributes and span.attributes.get("db.system") == "postgresql"
    ]
    assert len(statements) >= 3, sorted(by_name)
    assert any("booking" in statement and "INSERT" in statement for statement in statements)
    # and the operation's log line names the trace
    [line] = [
        json.loads(text)
        for text in stream.getvalue().splitlines()
        if '"famille.graphql.operations"' in text
    ]
    assert line["trace_id"] == format(trace_id, "032x")
    # and nothing secret: no token, no document text, no argument values
    exported = " ".join(str(dict(span.attributes or {})) for span in in_trace)
    assert f["token"] not in exported
    assert "householdId" not in exported and "query" not in {
        key for span in in_trace for key in (span.attributes or {})
    }
