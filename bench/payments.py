"""Payment callback benchmark (``bench/callbacks``): PayZen IPNs posted to our server as
PayZen sends them, signed, while the route stores the raw notification, verifies the HMAC,
records the reconcile job in the outbox with the outcome and relays it to arq.

    bench/callbacks [--attempts 500] [--duration 10] [--rates 50,100,200] [--concurrency 1,8]
                    [--server-root ../main]

Seeds its own database ``famille_bench_payments`` (a town, a régie on PayZen, a family and
``--attempts`` payment attempts, through the ORM), starts uvicorn (1 worker) on PostgreSQL
and Redis, then sends to ``/payments/payzen/ipn`` for ``--duration`` seconds per run: at
fixed rates (open loop, as providers send, latency from the scheduled time), then with
N connections each sending as soon as answered (closed loop: the throughput ceiling,
where latency is queueing). No worker runs: every request does the full route work (a
resend is stored and enqueued like a first IPN; the job, not the route, deduplicates).
Exit 0 when p50 ≤ 5 ms at the last rate. ``cpu ms`` is the server process's CPU time
(user + system, /proc) per callback answered, background hand-over to arq included.
``--server-root`` runs the server from another checkout (its own ``.venv``; same schema)
with this client: before/after figures of a change, in the same machine state.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import asyncpg

SERVER = os.environ.get("FAMILLE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "famille_bench_payments"
DATABASE_URL = f"{SERVER}/{DB_NAME}"
REDIS_URL = os.environ.get("FAMILLE_BENCH_REDIS", "redis://127.0.0.1:6379/14")
QUEUE_NAME = "famille:bench-payments"
P50_TARGET_MS = 5.0
SITE_ID, TEST_KEY = "12345678", "7654321098765432"
# Well under uvicorn's keep-alive timeout (--timeout-keep-alive, 5 s by default).
IDLE_REUSE_S = 2.0

from bench.client import Connection, Reply  # noqa: E402
from bench.load import Result, client_gc_paused, record_error, run_load  # noqa: E402
from bench.main import HOST, ROOT, process_cpu, start_server, stop, wait_ready  # noqa: E402

# After bench.main, which points these at famille_bench; before any settings are read
# (the server started below inherits them).
os.environ["FAMILLE_DATABASE_URL"] = DATABASE_URL
os.environ["FAMILLE_REDIS_URL"] = REDIS_URL
os.environ["FAMILLE_QUEUE_NAME"] = QUEUE_NAME


async def seed(attempts: int) -> list[dict[str, str]]:
    """A fresh database with ``attempts`` PayZen attempts; returns one signed IPN each."""
    from tortoise import Tortoise

    from models.accounts import AccountRole
    from models.billing import Invoice, InvoiceDelivery, InvoiceKind
    from models.database import migrate
    from models.payments import PaymentAttempt, PaymentMode, PaymentProvider
    from models.tenants import Tenant
    from resolvers.billing.billing import AuthorityForm, save_billing_authority
    from resolvers.core.clock import FrozenClock
    from resolvers.payments.payment_protocols import payzen_signature
    from resolvers.payments.payments import SetupForm, save_payment_setup
    from settings import get_settings
    from tests.factories import make_account, make_household

    admin = await asyncpg.connect(f"{SERVER}/test")
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DB_NAME}")
    finally:
        await admin.close()
    settings = get_settings()
    await migrate(settings)
    await Tortoise.init(config=settings.tortoise_config())
    clock = FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    tenant = await Tenant.create(slug="banc-paiements", name="Ville du banc")
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    authority = await save_billing_authority(
        staff, AuthorityForm(name="Régie"), authority_id=None, clock=clock
    )
    await save_payment_setup(
        staff,
        authority.id,
        SetupForm(PaymentProvider.PAYZEN, PaymentMode.TEST, SITE_ID, TEST_KEY),
        clock=clock,
    )
    household = await make_household(staff, clock, children=1, guardians=1)
    invoice = await Invoice.create(
        tenant_id=tenant.id,
        authority_id=authority.id,
        household_id=household.id,
        month=date(2026, 10, 1),
        revision=0,
        kind=InvoiceKind.INVOICE,
        number="2611000001",
        issued_on=date(2026, 11, 1),
        due_on=date(2026, 11, 30),
        payment_opens_at=clock.now() - timedelta(days=10),
        payment_closes_at=clock.now() + timedelta(days=7),
        total_cents=4250,
        payer_name="M. Banc",
        payer_address="1 rue du Banc",
        household_reference="B1",
        payment_reference="2611000001",
        delivery=InvoiceDelivery.EMAIL,
        created_at=clock.now(),
    )
    ipns = []
    for n in range(attempts):
        attempt = await PaymentAttempt.create(
            tenant_id=tenant.id,
            authority_id=authority.id,
            household_id=household.id,
            provider=PaymentProvider.PAYZEN,
            mode=PaymentMode.TEST,
            shop=SITE_ID,
            order_ref=f"B{n:09d}",
            trans_id=f"{n:06d}",
            trans_day=clock.now().date(),
            return_token=uuid.uuid4().hex,
            amount_cents=invoice.total_cents,
            email="parent@banc.test",
            created_at=clock.now(),
            expires_at=clock.now() + timedelta(minutes=15),
            updated_at=clock.now(),
        )
        fields = {
            "vads_amount": "4250",
            "vads_auth_result": "00",
            "vads_ctx_mode": "TEST",
            "vads_currency": "978",
            "vads_hash": uuid.uuid4().hex,
            "vads_operation_type": "DEBIT",
            "vads_order_id": attempt.order_ref,
            "vads_result": "00",
            "vads_site_id": SITE_ID,
            "vads_trans_date": "20261123090000",
            "vads_trans_id": attempt.trans_id or "",
            "vads_trans_status": "CAPTURED",
            "vads_trans_uuid": uuid.uuid4().hex,
            "vads_url_check_src": "PAY",
        }
        fields["signature"] = payzen_signature(fields, TEST_KEY)
        ipns.append(fields)
    await Tortoise.close_connections()
    return ipns


async def open_loop(port: int, requests: list[bytes], rate: float, duration: float) -> Result:
    """Requests sent at a fixed rate whatever the answers (a provider does not wait for
    our previous answer), each on an idle keep-alive connection; latency counts from the
    scheduled send time, so queueing in our server is included.

    A connection idle for ``IDLE_REUSE_S`` or more is closed rather than reused: uvicorn
    closes one idle for its keep-alive timeout, and a request written to it meanwhile
    gets no answer (``IncompleteReadError: 0 bytes read``, the client's error, not the
    server's). After a burst, the connections it opened sit at the bottom of the pool
    and would be picked again only by the next burst, seconds later."""
    result = Result()
    idle: list[tuple[Connection, float]] = []  # the most recently used last
    tasks: list[asyncio.Task[None]] = []

    async def one(request: bytes, scheduled: float) -> None:
        conn = Connection(HOST, port)
        if idle:
            reused, since = idle.pop()
            if time.perf_counter() - since < IDLE_REUSE_S:
                conn = reused
            else:
                await reused.close()
        try:
            reply = await conn.send(request)
        except (OSError, asyncio.IncompleteReadError) as error:
            record_error(result, None, error)
            await conn.close()
            return
        if reply.status == 200:
            result.latencies.append(time.perf_counter() - scheduled)
        else:
            record_error(result, reply)
        idle.append((conn, time.perf_counter()))

    with client_gc_paused():
        started = time.perf_counter()
        for n in range(int(rate * duration)):
            scheduled = started + n / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(requests[n % len(requests)], scheduled)))
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - started
    for conn, _ in idle:
        await conn.close()
    return result


def encode_form(path: str, fields: dict[str, str]) -> bytes:
    body = urlencode(fields).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def stored_counts() -> tuple[int, int]:
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        notifications = await conn.fetchval("SELECT count(*) FROM payment_notification")
        jobs = await conn.fetchval(
            "SELECT count(*) FROM outbox_job WHERE function = 'reconcile_payment'"
        )
        return int(notifications), int(jobs)
    finally:
        await conn.close()


def clean_queue() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(f"arq:*{QUEUE_NAME}:*")) + [QUEUE_NAME]
        client.delete(*keys)
    finally:
        client.close()


async def bench(args: argparse.Namespace) -> bool:
    ipns = await seed(args.attempts)
    requests = [encode_form("/payments/payzen/ipn", fields) for fields in ipns]
    print(f"seeded {DB_NAME}: {len(ipns)} PayZen attempts, one signed IPN each")
    logs = Path(tempfile.mkdtemp(prefix="famille-bench-payments-"))
    server = start_server("ours", "gql.app:create_app", logs, args.server_root or ROOT)
    passed = True
    try:
        await wait_ready(server)
        warm = Connection(HOST, server.port)
        for request in requests[:50]:
            await warm.send(request)
        await warm.close()
        print(
            f"POST /payments/payzen/ipn, {args.duration:.0f} s per run (uvicorn, 1 worker, "
            f"server from {args.server_root or ROOT})"
        )
        header = (
            f"{'load':>22} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
            f"{'cpu ms':>7} errors"
        )
        print(header)

        def line(label: str, result: Result, cpu: float) -> None:
            per_callback = cpu / result.requests * 1000 if result.requests else float("nan")
            print(
                f"{label:>22} {result.throughput:>8.0f} {result.p50:>8.2f} "
                f"{result.p95:>8.2f} {result.p99:>8.2f} {per_callback:>7.2f} {result.errors}"
                + (f" ({result.first_error})" if result.first_error else "")
            )

        for rate in [float(r) for r in args.rates.split(",")]:
            cpu = process_cpu(server)
            result = await open_loop(server.port, requests, rate, args.duration)
            await asyncio.sleep(0.2)  # the last answers' hand-over to arq, after them
            line(f"{rate:.0f} IPN/s sent", result, process_cpu(server) - cpu)
            if rate == float(args.rates.split(",")[-1]):
                passed = result.p50 <= P50_TARGET_MS and result.errors == 0
                target = f"p50 ≤ {P50_TARGET_MS:.0f} ms at {rate:.0f} IPN/s"
        for concurrency in [int(c) for c in args.concurrency.split(",") if c]:
            cpu = process_cpu(server)
            result = await run_load(
                HOST,
                server.port,
                requests,
                lambda reply: isinstance(reply, Reply) and reply.status == 200,
                concurrency=concurrency,
                duration=args.duration,
            )
            await asyncio.sleep(0.2)
            line(f"{concurrency} connections, closed", result, process_cpu(server) - cpu)
        notifications, jobs = await stored_counts()
        print(f"stored: {notifications} notifications, {jobs} reconcile jobs in the outbox")
        print(f"target {target}: " + ("met" if passed else "MISSED"))
    finally:
        stop([server])
        clean_queue()
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--attempts", type=int, default=500)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rates", default="50,100,200", help="open-loop IPN/s, target on last")
    parser.add_argument("--concurrency", default="1,8", help="closed-loop connections")
    parser.add_argument(
        "--server-root", type=Path, help="run the server from this checkout (default: this one)"
    )
    args = parser.parse_args()
    sys.exit(0 if asyncio.run(bench(args)) else 1)


if __name__ == "__main__":
    main()
