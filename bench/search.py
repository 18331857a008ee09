"""Staff look-ups benchmark: ``findFamilies`` and ``siteChildren`` over a town of 10,000
families, on PostgreSQL.

    bench/search [--households 10000] [--no-seed] [--runs 20]

Seeds ``famille_bench_search`` with bench/seed.py (a school year of bookings, COPY), then
calls the resolvers as the GraphQL fields do, in this process: a child's name typed without
accents or capitals, a birth date, a school's name, the three together, and the children of
the busiest site on a school day (all, then filtered by a name). Prints the median and the
worst time of each over ``--runs`` calls and the SQL statements of one call.
"""

import argparse
import asyncio
import logging
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

os.environ.setdefault("FAMILLE_BENCH_DATABASE", "famille_bench_search")

from bench import seed as bench_seed  # noqa: E402
from bench.invoicing import StatementCounter  # noqa: E402

DAY = date(2026, 11, 26)  # a Thursday of a school week


async def measure(runs: int) -> list[tuple[str, int, float, float, int]]:
    from models.accounts import Account, AccountRole
    from models.bookings import Booking
    from models.database import close_db, init_db
    from models.households import Child
    from models.tenants import Tenant
    from resolvers.calendar.directory import ChildFilters, find_families, site_children

    await init_db()
    try:
        tenant = await Tenant.get(slug=bench_seed.TOWN_SLUG)
        staff = await Account.filter(tenant=tenant).exclude(role=AccountRole.PARENT).first()
        child = (
            await Child.filter(household__tenant_id=tenant.id).order_by("id").offset(777).first()
        )
        assert staff is not None and child is not None
        busiest = (
            await Booking.filter(day=DAY).group_by("site_id").values_list("site_id", flat=True)
        )
        site_id = int(str(busiest[0]))
        plain_name = child.first_names.lower().replace("é", "e").replace("ë", "e")
        cases: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            (f"findFamilies(childName: {plain_name!r})",
             lambda: find_families(staff, child_name=plain_name, first=20, after_id=None)),
            (f"findFamilies(childName: {child.last_name.upper()!r} {plain_name!r})",
             lambda: find_families(staff, child_name=f"{child.last_name.upper()} {plain_name}",
                                   first=20, after_id=None)),
            (f"findFamilies(birthDate: {child.birth_date})",
             lambda: find_families(staff, birth_date=child.birth_date, first=20, after_id=None)),
            ("findFamilies(school: 'ecole')",
             lambda: find_families(staff, school="ecole", first=20, after_id=None)),
            ("findFamilies(name + birth date + school)",
             lambda: find_families(staff, child_name=plain_name, birth_date=child.birth_date,
                                   school="ecole", first=20, after_id=None)),
            (f"siteChildren(day: {DAY}, first: 100)",
             lambda: site_children(staff, site_id, DAY, ChildFilters(), first=100, after_id=None)),
            (f"siteChildren(day: {DAY}, childName: {plain_name!r})",
             lambda: site_children(staff, site_id, DAY, ChildFilters(child_name=plain_name),
                                   first=100, after_id=None)),
        ]  # fmt: skip
        counter = StatementCounter()
        logger = logging.getLogger("tortoise.db_client")
        logger.setLevel(logging.DEBUG)
        logger.addHandler(counter)
        results = []
        for label, call in cases:
            counter.count = 0
            page = await call()
            statements = counter.count
            seconds = []
            for _ in range(runs):
                started = time.perf_counter()
                await call()
                seconds.append(time.perf_counter() - started)
            results.append(
                (
                    label,
                    page.total,
                    statistics.median(seconds) * 1000,
                    max(seconds) * 1000,
                    statements,
                )
            )
        return results
    finally:
        await close_db()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    os.environ["FAMILLE_DATABASE_URL"] = bench_seed.DATABASE_URL
    if not args.no_seed:
        print(bench_seed.describe(asyncio.run(bench_seed.seed(args.households))), flush=True)
    print(f"{'look-up':<58} {'found':>6} {'median':>9} {'worst':>9} {'SQL':>4}")
    for label, found, median, worst, statements in asyncio.run(measure(args.runs)):
        print(f"{label:<58} {found:>6} {median:>6.1f} ms {worst:>6.1f} ms {statements:>4}")


if __name__ == "__main__":
    main()
