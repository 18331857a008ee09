"""Invoice run benchmark: 10,000 households with their bookings billed for October 2026,
then PDFs rendered per second on one core.

    bench/invoices [--households 10000] [--no-seed] [--pdfs 1000]

Seeds ``famille_bench`` with bench/seed.py (a school year of bookings, COPY), adds a régie,
a price grid by quotient, quotients for most households and a few thousand attendance
records (no-shows and unbooked days) through SQL, then times ``invoice_month`` as the cron
and ``famille invoice`` run it, counts its SQL statements, times a re-run (nothing to
issue), and renders PDFs in this single process (one core). Exit 0 when every target is
met: run ≤ 20 s, PDFs ≥ 200 per second per core.
"""

import argparse
import asyncio
import logging
import os
import sys
import time
from datetime import UTC, date, datetime

import asyncpg

from bench import seed as bench_seed

RUN_TARGET_SECONDS = 20.0
PDF_TARGET_PER_SECOND = 200.0
OCTOBER = date(2026, 10, 1)


class StatementCounter(logging.Handler):
    """Counts the statements tortoise's client logs (as tests/sql_count.py does)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if not record.getMessage().startswith(("Created connection", "Closed connection")):
            self.count += 1


async def prepare_billing() -> None:
    """Régie, grid, quotients and attendance: the billing inputs a town would have."""
    from models.accounts import Account, AccountRole
    from models.tenants import Tenant
    from resolvers.billing.billing import (
        AuthorityForm,
        TariffForm,
        add_tariff,
        assign_activity,
        save_billing_authority,
    )
    from resolvers.core.clock import SystemClock

    clock = SystemClock()
    conn = await asyncpg.connect(bench_seed.DATABASE_URL)
    try:
        # --no-seed: start again from the bookings, without the previous run's billing.
        await conn.execute(
            "DELETE FROM invoice_line; DELETE FROM invoice; DELETE FROM invoice_counter; "
            "DELETE FROM attendance; DELETE FROM tariff; DELETE FROM outbox_job; "
            "UPDATE activity SET billing_authority_id = NULL; DELETE FROM billing_authority"
        )
    finally:
        await conn.close()
    tenant = await Tenant.get(slug=bench_seed.TOWN_SLUG)
    staff = await Account.filter(tenant=tenant).exclude(role=AccountRole.PARENT).first()
    assert staff is not None
    authority = await save_billing_authority(
        staff, AuthorityForm(name="Régie périscolaire"), authority_id=None, clock=clock
    )
    from models.catalogue import Activity

    for index, activity in enumerate(await Activity.filter(tenant=tenant).order_by("id")):
        await assign_activity(staff, activity.id, authority.id, clock=clock)
        base = 150 + 60 * index
        for quotient_min, quotient_max, price in (
            (0, 600, base),
            (601, 1200, base * 2),
            (1201, None, base * 3),
        ):
            await add_tariff(
                staff,
                TariffForm(
                    activity_id=activity.id,
                    valid_from=date(2026, 9, 1),
                    valid_until=date(2027, 8, 31),
                    quotient_min=quotient_min,
                    quotient_max=quotient_max,
                    unit_price_cents=price,
                ),
                clock=clock,
            )
    conn = await asyncpg.connect(bench_seed.DATABASE_URL)
    try:
        # 9 households in 10 have a quotient, one in 5 of those expired.
        await conn.execute(
            "UPDATE household SET family_quotient = (id * 37) % 2000, "
            "family_quotient_valid_until = CASE WHEN id % 5 = 0 THEN DATE '2026-08-31' "
            "ELSE DATE '2027-08-31' END, paperless = (id % 3 = 0) WHERE id % 10 <> 0"
        )
        # No-shows on 3 % of October's bookings, and as many lunches without booking.
        await conn.execute(
            "INSERT INTO attendance (child_id, activity_id, site_id, day, present, recorded_at) "
            "SELECT child_id, activity_id, site_id, day, FALSE, now() FROM booking "
            "WHERE day BETWEEN '2026-10-01' AND '2026-10-31' AND status = 'booked' "
            "AND id % 33 = 0"
        )
        await conn.execute(
            "INSERT INTO attendance (child_id, activity_id, site_id, day, present, recorded_at) "
            "SELECT b.child_id, b.activity_id, b.site_id, b.day + 7, TRUE, now() FROM booking b "
            "WHERE b.day BETWEEN '2026-10-01' AND '2026-10-24' AND b.id % 33 = 1 "
            "ON CONFLICT (child_id, activity_id, day) DO NOTHING"
        )
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


async def measure(pdfs: int) -> dict[str, float]:
    from models.billing import Invoice
    from models.database import close_db, init_db
    from resolvers.billing.invoice_pdf import load_document, render_pdf
    from resolvers.billing.invoicing import invoice_month
    from resolvers.core.clock import FrozenClock

    await init_db()
    try:
        await prepare_billing()
        clock = FrozenClock(datetime(2026, 11, 8, 6, 0, tzinfo=UTC))
        counter = StatementCounter()
        logger = logging.getLogger("tortoise.db_client")
        logger.setLevel(logging.DEBUG)
        logger.addHandler(counter)
        started = time.perf_counter()
        summary = await invoice_month(OCTOBER, clock=clock)
        run_seconds = time.perf_counter() - started
        statements = counter.count
        counter.count = 0
        started = time.perf_counter()
        again = await invoice_month(OCTOBER, clock=clock)
        rerun_seconds = time.perf_counter() - started
        logger.removeHandler(counter)
        logger.setLevel(logging.WARNING)
        assert again.invoices == again.corrections == 0, "a re-run issued something"
        documents = [
            await load_document(invoice)
            for invoice in await Invoice.filter(month=OCTOBER).order_by("id").limit(pdfs)
        ]
        started = time.perf_counter()
        size = sum(len(render_pdf(document)) for document in documents)
        pdf_seconds = time.perf_counter() - started
    finally:
        await close_db()
    return {
        "households": summary.households,
        "invoices": summary.invoices,
        "mailed": summary.mailed,
        "total_euros": summary.total_cents / 100,
        "run_seconds": run_seconds,
        "statements": statements,
        "rerun_seconds": rerun_seconds,
        "pdfs": len(documents),
        "pdf_per_second": len(documents) / pdf_seconds,
        "pdf_kib": size / len(documents) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--pdfs", type=int, default=1000)
    parser.add_argument("--no-seed", action="store_true", help="reuse famille_bench as it is")
    args = parser.parse_args()
    os.environ["FAMILLE_DATABASE_URL"] = bench_seed.DATABASE_URL
    if not args.no_seed:
        print(bench_seed.describe(asyncio.run(bench_seed.seed(args.households))), flush=True)
    numbers = asyncio.run(measure(args.pdfs))
    run_ok = numbers["run_seconds"] <= RUN_TARGET_SECONDS
    pdf_ok = numbers["pdf_per_second"] >= PDF_TARGET_PER_SECOND
    print(
        f"invoice run October 2026: {numbers['households']:,.0f} households, "
        f"{numbers['invoices']:,.0f} invoices ({numbers['mailed']:,.0f} to mail), "
        f"total {numbers['total_euros']:,.2f} EUR\n"
        f"  computed and stored in {numbers['run_seconds']:.1f} s "
        f"(target ≤ {RUN_TARGET_SECONDS:.0f} s: {'OK' if run_ok else 'MISSED'}), "
        f"{numbers['statements']:,.0f} SQL statements "
        f"({numbers['statements'] / max(numbers['households'], 1):.2f} per household)\n"
        f"  re-run (nothing to issue) in {numbers['rerun_seconds']:.1f} s\n"
        f"PDF: {numbers['pdf_per_second']:,.0f} per second on one core over "
        f"{numbers['pdfs']:,.0f} invoices, {numbers['pdf_kib']:.1f} KiB each "
        f"(target ≥ {PDF_TARGET_PER_SECOND:.0f}/s: {'OK' if pdf_ok else 'MISSED'})"
    )
    sys.exit(0 if run_ok and pdf_ok else 1)


if __name__ == "__main__":
    main()
