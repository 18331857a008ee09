"""A realistic town in a fresh ``famille_bench`` database, in well under a minute.

The small catalogue (sites, activities, period, openings, school holidays) goes through the
project's own resolvers, so its rules are exactly what staff would create; the bulk (2,000
households, their parents' accounts and session tokens, 4,000+ children, enrolments and a
school year of bookings, about a million rows) is loaded with COPY.

Every parent account gets the session token ``session_token(account_id)``, stored as the
product stores tokens (SHA-256 hex, purpose ``session``), so the load client can log in
without argon2 or the login throttling.

    .venv/bin/python -m bench.seed [--households 2000]
"""

import argparse
import asyncio
import hashlib
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

DB_NAME = os.environ.get("FAMILLE_BENCH_DATABASE", "famille_bench")
SERVER = os.environ.get("FAMILLE_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
ADMIN_DSN = f"{SERVER}/test"
DATABASE_URL = f"{SERVER}/{DB_NAME}"  # Tortoise and asyncpg both read this form

TOWN_SLUG = "banc"
PERIOD_START, PERIOD_END = date(2026, 9, 1), date(2027, 7, 3)
OPEN_WEEKDAYS = [0, 1, 3, 4]  # Monday, Tuesday, Thursday, Friday
CAPACITY = 600  # per activity, site and day: large, no day is full
SITES = 10
SCHOOL_HOLIDAYS = [  # zone C, as a town would load them
    ("Vacances de la Toussaint", date(2026, 10, 17), date(2026, 11, 1)),
    ("Vacances de Noël", date(2026, 12, 19), date(2027, 1, 3)),
    ("Vacances d'hiver", date(2027, 2, 20), date(2027, 3, 7)),
    ("Vacances de printemps", date(2027, 4, 17), date(2027, 5, 2)),
]
CLOSURE = (date(2027, 5, 7), "Pont de l'Ascension")
CHILDREN_PATTERN = [2, 3, 1, 2, 2, 3, 1, 2, 3, 2]  # 2.1 children per household on average
# Which two of the three activities a child is enrolled in (canteen, morning, evening).
ENROLMENT_PATTERN = [(0, 2), (0, 2), (0, 1), (0, 2), (1, 2), (0, 1), (0, 2), (0, 1), (1, 2), (0, 2)]

LAST_NAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
    "Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David",
    "Bertrand", "Morel", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine",
]  # fmt: skip
FIRST_NAMES = [
    "Léa", "Lucas", "Emma", "Hugo", "Chloé", "Louis", "Manon", "Jules", "Inès", "Gabriel",
    "Jade", "Arthur", "Louise", "Raphaël", "Alice", "Adam", "Lina", "Paul", "Rose", "Nathan",
]  # fmt: skip


def session_token(account_id: int) -> str:
    """The bearer token of a seeded parent account (benchmark data, not a secret)."""
    return f"bench-session-{account_id}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Catalogue:
    tenant_id: int
    staff_id: int
    period_id: int
    site_ids: list[int]
    activity_ids: list[int]  # canteen, morning care, evening care
    open_days: list[date]  # the days all three activities are open


@dataclass
class SeedStats:
    households: int = 0
    accounts: int = 0
    children: int = 0
    enrollments: int = 0
    bookings: int = 0
    database_size: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


class Steps:
    """Times each step of the seed, for the report."""

    def __init__(self, stats: SeedStats) -> None:
        self.stats = stats
        self.started = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.stats.seconds[name] = now - self.started
        self.started = now


async def recreate_database() -> None:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {DB_NAME}")
    finally:
        await admin.close()


async def load_catalogue() -> Catalogue:
    """Town, staff, sites, activities, period, openings and holidays through the resolvers."""
    from models.accounts import Account, AccountRole, Civility
    from models.catalogue import ActivityKind, DeadlineRule, SiteKind
    from models.database import close_db, init_db, migrate
    from models.tenants import Tenant
    from resolvers.calendar.booking_rules import Exception_, TownCalendar, closure, weekday_mask
    from resolvers.calendar.catalogue import (
        ActivityForm,
        add_calendar_exception,
        add_school_holiday,
        create_period,
        create_site,
        save_activity,
        set_opening,
    )
    from resolvers.core.clock import SystemClock
    from resolvers.core.security import hash_password
    from settings import Settings

    def care_form(code: str, name: str, kind: ActivityKind) -> ActivityForm:
        """Morning and evening care: 2 working days before, at 18h00."""
        rule, cutoff = DeadlineRule.WORKING_DAYS_BEFORE, 18 * 60
        return ActivityForm(code, name, kind, booking_rule=rule, booking_value=2,
                            booking_cutoff_minutes=cutoff, cancellation_rule=rule,
                            cancellation_value=2, cancellation_cutoff_minutes=cutoff)  # fmt: skip

    settings = Settings(database_url=DATABASE_URL)
    await migrate(settings)
    await init_db(settings)
    clock = SystemClock()
    try:
        tenant = await Tenant.create(slug=TOWN_SLUG, name="Ville de Banc-sur-Tarn")
        staff = await Account.create(
            tenant=tenant,
            email="agent@banc.famille.test",
            password_hash=hash_password("Agent-banc-2026"),
            role=AccountRole.AGENT,
            civility=Civility.MADAME,
            last_name="Agent",
            first_names="Claire",
            cgu_version=tenant.cgu_version,
            cgu_accepted_at=clock.now(),
            activated_at=clock.now(),
        )
        sites = [
            await create_site(
                staff, f"École {name}", SiteKind.SCHOOL, f"{n + 1} rue {name}", clock=clock
            )
            for n, name in enumerate(
                [
                    "Jean Jaurès", "Jules Ferry", "Victor Hugo", "Louise Michel", "Pasteur",
                    "Jean Moulin", "Marie Curie", "Paul Bert", "Condorcet", "Jacques Prévert",
                ][:SITES]
            )
        ]  # fmt: skip
        forms = [
            ActivityForm("RS-REPAS", "Restauration scolaire", ActivityKind.CANTEEN),
            care_form("AP-MATIN", "Accueil du matin", ActivityKind.MORNING_CARE),
            care_form("AP-SOIR", "Accueil du soir", ActivityKind.EVENING_CARE),
        ]
        activities = [await save_activity(staff, form, clock=clock) for form in forms]
        period = await create_period(
            staff, "Année scolaire 2026-2027", PERIOD_START, PERIOD_END, clock=clock
        )
        for activity in activities:
            for site in sites:
                await set_opening(
                    staff, activity.id, site.id, period.id, OPEN_WEEKDAYS, CAPACITY, clock=clock
                )
        for name, starts_on, ends_on in SCHOOL_HOLIDAYS:
            await add_school_holiday(staff, name, starts_on, ends_on, clock=clock)
        await add_calendar_exception(staff, CLOSURE[0], False, CLOSURE[1], clock=clock)
    finally:
        await close_db()

    town = TownCalendar(
        school_holidays=list((s, e, n) for n, s, e in SCHOOL_HOLIDAYS),
        exceptions={CLOSURE[0]: [Exception_(None, None, False, CLOSURE[1])]},
    )
    policy = forms[0].holiday_policy
    days = (PERIOD_START + timedelta(days=n) for n in range((PERIOD_END - PERIOD_START).days + 1))
    open_days = [
        day
        for day in days
        if closure(
            day,
            activity_id=0,
            site_id=0,
            weekdays=weekday_mask(OPEN_WEEKDAYS),
            policy=policy,
            town=town,
        )
        is None
    ]
    return Catalogue(
        tenant_id=tenant.id,
        staff_id=staff.id,
        period_id=period.id,
        site_ids=[site.id for site in sites],
        activity_ids=[activity.id for activity in activities],
        open_days=open_days,
    )


async def next_id(conn: asyncpg.Connection, table: str) -> int:
    value = await conn.fetchval(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
    return int(value)


async def copy(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> int:
    await conn.copy_records_to_table(table, records=rows, columns=list(columns))
    if "id" in columns:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
        )
    return len(rows)


def _booking_days(profile: int, open_days: list[date]) -> Iterator[date]:
    """Most children every open day; some on two weekdays only; a few book nothing."""
    if profile < 85:
        yield from open_days
    elif profile < 95:
        weekdays = {0, 3} if profile % 2 else {1, 4}
        yield from (day for day in open_days if day.weekday() in weekdays)


async def load_families(catalogue: Catalogue, households: int, stats: SeedStats) -> None:
    from resolvers.core.security import hash_password

    rng = random.Random(2026)
    now = datetime.now(UTC)
    far = now + timedelta(days=3650)
    password_hash = hash_password("Parent-banc-2026")  # argon2 once, shared by every parent
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        household_id = await next_id(conn, "household")
        account_id = await next_id(conn, "account")
        guardian_id = await next_id(conn, "guardian")
        child_id = await next_id(conn, "child")
        enrollment_id = await next_id(conn, "enrollment")
        request_id = await next_id(conn, "request")
        tenant = catalogue.tenant_id
        household_rows: list[tuple[Any, ...]] = []
        account_rows: list[tuple[Any, ...]] = []
        token_rows: list[tuple[Any, ...]] = []
        guardian_rows: list[tuple[Any, ...]] = []
        child_rows: list[tuple[Any, ...]] = []
        enrollment_rows: list[tuple[Any, ...]] = []
        request_rows: list[tuple[Any, ...]] = []
        booking_rows: list[tuple[Any, ...]] = []
        for n in range(households):
            hid, aid, rid = household_id + n, account_id + n, request_id + n
            last_name = LAST_NAMES[n % len(LAST_NAMES)]
            site = catalogue.site_ids[n % len(catalogue.site_ids)]
            email = f"parent{n + 1}@banc.famille.test"
            household_rows.append(
                (hid, tenant, f"F{n + 1:06d}", f"Famille {last_name}", f"{n % 90 + 1} rue du Port",
                 "", "81100", "Banc-sur-Tarn", "0563000000", email, 400 + n % 1500,
                 None, n % 3 == 0, now, now)
            )  # fmt: skip
            account_rows.append(
                (aid, tenant, email, password_hash, "parent", "mme", last_name,
                 FIRST_NAMES[n % len(FIRST_NAMES)], "", "0600000000", "", "1 rue du Port", "",
                 "81100", "Banc-sur-Tarn", "2026-01", now, now, False, now)
            )  # fmt: skip
            token_rows.append((aid, aid, "session", token_hash(session_token(aid)), now, far, None))
            # A request of the household's (its history): a town's request table is never
            # empty, and a submit's foreign-key checks (one per booking it writes) then
            # probe its index, as in production, rather than scan the table with the plan
            # each connection made while it held a page (autovacuum, off on this machine,
            # would have had them planned again as the table grew: 0.6 ms for a 180-day
            # submit's 178 checks, growing to 1.5 ms after 100 submits).
            request_rows.append(
                (rid, tenant, hid, aid, "booking_change", "completed",
                 "Réservations de l'année scolaire", "{}", None, now, now)
            )  # fmt: skip
            guardian_rows.append(
                (guardian_id, hid, aid, "mme", last_name, FIRST_NAMES[n % len(FIRST_NAMES)],
                 "Mère", email, "0600000000", "", True, now)
            )  # fmt: skip
            guardian_id += 1
            if n % 3:  # two guardians in two households out of three, one without account
                guardian_rows.append(
                    (guardian_id, hid, None, "m", last_name, FIRST_NAMES[(n + 7) % 20],
                     "Père", "", "0611111111", "", False, now)
                )  # fmt: skip
                guardian_id += 1
            for k in range(CHILDREN_PATTERN[n % len(CHILDREN_PATTERN)]):
                cid = child_id
                child_id += 1
                birth = date(2015 + (n + 2 * k) % 8, 1 + (n + k) % 12, 1 + k * 9)
                child_rows.append(
                    (cid, hid, last_name, FIRST_NAMES[(n * 3 + k) % len(FIRST_NAMES)], birth,
                     "CE1", "", False, "", "standard", now)
                )  # fmt: skip
                profile = rng.randrange(100)
                for index in ENROLMENT_PATTERN[cid % len(ENROLMENT_PATTERN)]:
                    activity = catalogue.activity_ids[index]
                    enrollment_rows.append(
                        (enrollment_id, cid, activity, site, catalogue.period_id, "active",
                         None, catalogue.staff_id, now, "", None, now)
                    )  # fmt: skip
                    enrollment_id += 1
                    for day in _booking_days(profile, catalogue.open_days):
                        # A few days booked then cancelled, kept for the history.
                        status = "cancelled" if rng.random() < 0.03 else "booked"
                        booking_rows.append((cid, activity, site, day, status, None, now))
        stats.households = await copy(
            conn,
            "household",
            ["id", "tenant_id", "reference", "name", "address_line", "address_complement",
             "postal_code", "city", "phone", "email", "family_quotient",
             "family_quotient_valid_until", "paperless", "created_at", "updated_at"],
            household_rows,
        )  # fmt: skip
        stats.accounts = await copy(
            conn,
            "account",
            ["id", "tenant_id", "email", "password_hash", "role", "civility", "last_name",
             "first_names", "birth_name", "phone_mobile", "phone_home", "address_line",
             "address_complement", "postal_code", "city", "cgu_version", "cgu_accepted_at",
             "activated_at", "is_disabled", "created_at"],
            account_rows,
        )  # fmt: skip
        await copy(
            conn,
            "account_token",
            ["id", "account_id", "purpose", "token_hash", "created_at", "expires_at",
             "consumed_at"],
            token_rows,
        )  # fmt: skip
        await copy(
            conn,
            "guardian",
            ["id", "household_id", "account_id", "civility", "last_name", "first_names",
             "relationship", "email", "phone_mobile", "phone_work", "is_payer", "created_at"],
            guardian_rows,
        )  # fmt: skip
        stats.children = await copy(
            conn,
            "child",
            ["id", "household_id", "last_name", "first_names", "birth_date", "school_class",
             "health_notes", "has_pai", "pai_details", "diet", "created_at"],
            child_rows,
        )  # fmt: skip
        await copy(
            conn,
            "request",
            ["id", "tenant_id", "household_id", "submitted_by_id", "kind", "status", "summary",
             "payload", "idempotency_key", "created_at", "updated_at"],
            request_rows,
        )  # fmt: skip
        stats.enrollments = await copy(
            conn,
            "enrollment",
            ["id", "child_id", "activity_id", "site_id", "period_id", "status",
             "requested_by_id", "decided_by_id", "decided_at", "comment", "request_id",
             "created_at"],
            enrollment_rows,
        )  # fmt: skip
        stats.bookings = await copy(
            conn,
            "booking",
            ["child_id", "activity_id", "site_id", "day", "status", "request_id", "updated_at"],
            booking_rows,
        )
    finally:
        await conn.close()


async def analyze(stats: SeedStats) -> None:
    """As a production database would be: statistics fresh, visibility map set."""
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        await conn.execute("VACUUM (ANALYZE)")
        stats.database_size = str(
            await conn.fetchval(f"SELECT pg_size_pretty(pg_database_size('{DB_NAME}'))")
        )
    finally:
        await conn.close()


async def vacuum_written() -> None:
    """The tables earlier runs wrote to, vacuumed as autovacuum would have done in
    production (some servers, like this machine's, run without it): with ``--no-seed``,
    dead rows of earlier submits would otherwise slow the next run down."""
    conn = await asyncpg.connect(DATABASE_URL)
    try:
        await conn.execute("VACUUM (ANALYZE) booking, request, request_event, outbox_job")
    finally:
        await conn.close()


async def seed(households: int = 2000) -> SeedStats:
    stats = SeedStats()
    steps = Steps(stats)
    await recreate_database()
    steps.done("create database")
    catalogue = await load_catalogue()
    steps.done("migrate + catalogue (resolvers)")
    await load_families(catalogue, households, stats)
    steps.done("families + bookings (COPY)")
    await analyze(stats)
    steps.done("vacuum analyze")
    return stats


def describe(stats: SeedStats) -> str:
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stats.seconds.items())
    return (
        f"seeded {DB_NAME} in {stats.total_seconds:.1f} s ({timings}): "
        f"{stats.households:,} households, {stats.accounts:,} parent accounts, "
        f"{stats.children:,} children, {stats.enrollments:,} enrolments, "
        f"{stats.bookings:,} bookings, database {stats.database_size}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=2000)
    args = parser.parse_args()
    os.environ["FAMILLE_DATABASE_URL"] = DATABASE_URL
    print(describe(asyncio.run(seed(args.households))))


if __name__ == "__main__":
    main()
