"""The monthly invoice run: every household, per régie, from bookings, attendance and
absences, computed set-wise for the whole month.

What a household owes for a month is computed afresh on each run and compared with what
its issued documents already bill: nothing new → nothing issued (a re-run is a no-op); a
first bill → the invoice (revision 0); a difference after issue → a complementary invoice
or a credit note carrying only the difference. Issued documents are never edited.

Numbers (``yymm`` + 6-digit sequence, per régie and month) come from a counter row locked
``FOR UPDATE`` in the same transaction as the invoices it numbers, so concurrent runs wait
for each other and the sequence has no gap and no duplicate. A run that finds the counter
moved by another run computes the month again before issuing, so it never undoes a newer
view of the month with an older one.

SQL statements: about 9 per régie for the month (town, price grid, households, payers,
children, counter, billed days, already invoiced), then about 8 per chunk of 500 households
(lock, issued lines, invoices, lines, credit, mails, counter, commit), whatever the number
of bookings; households with credit left by a desk payment (``credits``) add a few, applied
in the chunk's transaction.

A month is billed once it is over in every town of the run (its time zone): numbers are
gap-free and issued documents never edited, so a month still running is refused. A dry
run computes what would be issued and writes nothing (no counter, invoice or mail).
"""

import calendar
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from models.absences import AbsenceOutcome
from models.accounts import Civility
from models.authorities import BillingAuthority
from models.billing import InvoiceDelivery, InvoiceKind, InvoiceLineKind
from models.bookings import BookingStatus
from models.outbox import OutboxJob
from models.tenants import Tenant
from resolvers.billing.billing import (
    PriceRow,
    is_resident,
    unit_price,
    with_surcharge,
)
from resolvers.billing.credits import apply_credits
from resolvers.core.clock import Clock
from resolvers.core.errors import BillingErrorCode, DomainError
from resolvers.core.french import format_date, format_euros, format_short_date, month_label
from resolvers.core.sql import Params, connection, fetch, is_postgres
from resolvers.core.transactions import atomic

CHUNK_SIZE = 500
# Per child and activity: the days booked, then billed absences, then surcharges.
_KIND_ORDER = [InvoiceLineKind.BOOKED, InvoiceLineKind.ABSENCE, InvoiceLineKind.SURCHARGE]
_CIVILITY = {Civility.MADAME.value: "Madame", Civility.MONSIEUR.value: "Monsieur"}


@dataclass(frozen=True)
class LineKey:
    """What makes two billed days the same line."""

    child_id: int
    activity_id: int
    kind: InvoiceLineKind
    unit_price_cents: int


@dataclass
class HouseholdInfo:
    id: int
    reference: str
    name: str
    postal_code: str
    address: str
    email: str
    paperless: bool
    resident_override: bool | None = None
    payer_name: str = ""
    guardian_emails: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedDocument:
    """What a dry run would issue to one household."""

    household_reference: str
    household_name: str
    kind: InvoiceKind
    total_cents: int
    mailed: bool


@dataclass
class RunSummary:
    """What a run did (or, dry, would do), for the CLI, the cron's log and the tests."""

    month: date
    households: int = 0
    invoices: int = 0
    corrections: int = 0
    mailed: int = 0
    printed: int = 0
    total_cents: int = 0
    numbers: list[str] = field(default_factory=list)
    planned: list[PlannedDocument] = field(default_factory=list)


Progress = Callable[[int, int], None]


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _day_in(month: date, day: int) -> date:
    return month.replace(day=min(day, calendar.monthrange(month.year, month.month)[1]))


@dataclass
class Schedule:
    issued_on: date
    due_on: date
    opens_at: datetime
    closes_at: datetime


def schedule_for(authority: BillingAuthority, month: date, issued_on: date, tz: str) -> Schedule:
    """Due date and online-payment window in the month after the one billed, or in the
    month of issue for a correction issued later."""
    base = max(_next_month(month), first_of_month(issued_on))
    zone = ZoneInfo(tz)

    def at(day: int, minutes: int) -> datetime:
        local = datetime.combine(_day_in(base, day), time(minutes // 60, minutes % 60), zone)
        return local.astimezone(UTC)

    return Schedule(
        issued_on=issued_on,
        due_on=_day_in(base, authority.due_day),
        opens_at=at(authority.payment_opens_day, authority.payment_opens_minutes),
        closes_at=at(authority.payment_closes_day, authority.payment_closes_minutes),
    )


def invoice_number(month: date, sequence: int) -> str:
    """``2210002476``: year, month, then the régie's sequence of that month."""
    return f"{month.year % 100:02d}{month.month:02d}{sequence:06d}"


def payment_reference(number: str) -> str:
    """The number plus a mod-97 key, so a mistyped reference is caught by the till."""
    return f"{number}{97 - int(number) * 100 % 97:02d}"


def _items_sql(authority_id: int, month: date) -> tuple[str, Params]:
    """Billable days of the month grouped by household, child, activity, kind, tariff
    segment and quotient: one statement whatever the number of bookings.

    A booked day is billed unless an absence was justified or is still under review
    (billed later by a correction if rejected); a booked day reported absent and rejected,
    or recorded absent without a report, is a billed absence; a day recorded present
    without booking bears the surcharge.
    """
    p = Params()
    authority = p(authority_id)
    start, end = p(month), p(_next_month(month) - timedelta(days=1))
    booked, present, absent = p(BookingStatus.BOOKED.value), p(True), p(False)
    cancelled = p(AbsenceOutcome.CANCELLED_IN_TIME.value)
    unjustified = p(AbsenceOutcome.UNJUSTIFIED.value)
    held = p(AbsenceOutcome.JUSTIFIED.value), p(AbsenceOutcome.PENDING_REVIEW.value)
    kind_booked = p(InvoiceLineKind.BOOKED.value)
    kind_absence = p(InvoiceLineKind.ABSENCE.value)
    kind_surcharge = p(InvoiceLineKind.SURCHARGE.value)
    sql = f"""
    WITH booked_days AS (
      SELECT b.child_id, b.activity_id, b.day,
        (SELECT ad.outcome FROM absence_day ad
          WHERE ad.child_id = b.child_id AND ad.activity_id = b.activity_id
            AND ad.day = b.day AND ad.outcome <> {cancelled}
          ORDER BY ad.id DESC LIMIT 1) AS absence,
        att.present AS present
      FROM booking b
      JOIN activity act ON act.id = b.activity_id AND act.billing_authority_id = {authority}
      LEFT JOIN attendance att ON att.child_id = b.child_id
        AND att.activity_id = b.activity_id AND att.day = b.day
      WHERE b.day BETWEEN {start} AND {end} AND b.status = {booked}
    ),
    days AS (
      SELECT child_id, activity_id, day,
        CASE WHEN absence = {unjustified} THEN {kind_absence}
             WHEN absence IS NOT NULL THEN NULL
             WHEN present = {absent} THEN {kind_absence}
             ELSE {kind_booked} END AS kind
      FROM booked_days
      WHERE absence IS NULL OR absence NOT IN ({held[0]}, {held[1]})
      UNION ALL
      SELECT att.child_id, att.activity_id, att.day, {kind_surcharge}
      FROM attendance att
      JOIN activity act ON act.id = att.activity_id AND act.billing_authority_id = {authority}
      WHERE att.day BETWEEN {start} AND {end} AND att.present = {present}
        AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.child_id = att.child_id
          AND b.activity_id = att.activity_id AND b.day = att.day AND b.status = {booked})
    ),
    priced AS (
      SELECT c.household_id, d.child_id, d.activity_id, d.kind, d.day,
        CASE WHEN h.family_quotient IS NOT NULL AND (h.family_quotient_valid_until IS NULL
               OR h.family_quotient_valid_until >= d.day)
             THEN h.family_quotient END AS quotient,
        (SELECT MAX(t.valid_from) FROM tariff t
          WHERE t.activity_id = d.activity_id AND t.valid_from <= d.day) AS segment_from,
        (SELECT MIN(t.valid_until) FROM tariff t
          WHERE t.activity_id = d.activity_id AND t.valid_until >= d.day) AS segment_until
      FROM days d
      JOIN child c ON c.id = d.child_id
      JOIN household h ON h.id = c.household_id
      WHERE d.kind IS NOT NULL
    )
    SELECT household_id, child_id, activity_id, kind, quotient, MIN(day) AS first_day,
      COUNT(*) AS quantity
    FROM priced
    GROUP BY household_id, child_id, activity_id, kind, quotient, segment_from, segment_until
    """
    return sql, p


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _households(tenant_id: int) -> dict[int, HouseholdInfo]:
    """The town's family files with their payer (2 statements)."""
    p = Params()
    rows = await fetch(
        "SELECT id, reference, name, postal_code, address_line, address_complement, city, "
        f"email, paperless, resident_override FROM household WHERE tenant_id = {p(tenant_id)}",
        p,
    )
    households: dict[int, HouseholdInfo] = {}
    for row in rows:
        address = "\n".join(
            part
            for part in (
                row["address_line"],
                row["address_complement"],
                f"{row['postal_code']} {row['city']}".strip(),
            )
            if part
        )
        households[row["id"]] = HouseholdInfo(
            id=row["id"],
            reference=row["reference"],
            name=row["name"],
            postal_code=row["postal_code"],
            address=address,
            email=row["email"],
            paperless=bool(row["paperless"]),
            resident_override=None
            if row["resident_override"] is None
            else bool(row["resident_override"]),
        )
    p = Params()
    guardians = await fetch(
        "SELECT g.household_id, g.civility, g.first_names, g.last_name, g.is_payer, "
        "a.email AS account_email FROM guardian g JOIN household h ON h.id = g.household_id "
        f"LEFT JOIN account a ON a.id = g.account_id WHERE h.tenant_id = {p(tenant_id)} "
        "ORDER BY g.household_id, g.is_payer DESC, g.id",
        p,
    )
    for row in guardians:
        household = households[row["household_id"]]
        if not household.payer_name:
            household.payer_name = (
                f"{_CIVILITY.get(row['civility'], '')} {row['first_names']} {row['last_name']}"
            ).strip()
        if row["account_email"]:
            household.guardian_emails.append(str(row["account_email"]))
    for household in households.values():
        household.payer_name = household.payer_name or household.name
    return households


def recipients_of(household: HouseholdInfo) -> list[str]:
    """Paperless households get the invoice at their e-mail and their linked parents'."""
    if not household.paperless:
        return []
    return sorted({household.email, *household.guardian_emails} - {""})


def _label(kind: InvoiceLineKind, activity: str, child: str, surcharge_percent: int) -> str:
    if kind == InvoiceLineKind.SURCHARGE:
        return f"{activity} – {child} : présence sans réservation (+{surcharge_percent} %)"
    if kind == InvoiceLineKind.ABSENCE:
        return f"{activity} – {child} : absence non justifiée"
    return f"{activity} – {child}"


async def invoice_month(
    month: date,
    *,
    clock: Clock,
    tenant_id: int | None = None,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
    dry_run: bool = False,
) -> RunSummary:
    """Bill ``month`` for every régie (of one town, or of all); safe to run again. A month
    not over yet in one of the towns is refused (INVALID) before anything is written;
    ``dry_run`` only tells what would be issued."""
    month = first_of_month(month)
    summary = RunSummary(month)
    query = BillingAuthority.all()
    if tenant_id is not None:
        query = query.filter(tenant_id=tenant_id)
    authorities = await query.order_by("tenant_id", "id")
    await check_month_over(month, {a.tenant_id for a in authorities}, clock)
    for authority in authorities:
        await _invoice_authority(authority, month, summary, clock, progress, chunk_size, dry_run)
    return summary


async def check_month_over(month: date, tenant_ids: set[int], clock: Clock) -> None:
    """``month`` has ended in each town's time zone, or INVALID with the first day it may
    be billed: an invoice of a running month would miss its last days, and could only be
    corrected by a complement, never edited."""
    billable_from = _next_month(first_of_month(month))
    timezones = (
        cast(list[str], await Tenant.filter(id__in=tenant_ids).values_list("timezone", flat=True))
        if tenant_ids
        else []
    )
    # No régie at all: nothing to bill, but the month is still judged, in the cron's zone.
    for timezone in set(timezones) or {"Europe/Paris"}:
        if clock.now().astimezone(ZoneInfo(timezone)).date() < billable_from:
            raise DomainError(
                BillingErrorCode.INVALID,
                f"{month_label(month)} n'est pas terminé : il pourra être facturé à partir "
                f"du {format_date(billable_from)}.",
                "month",
            )


async def _invoice_authority(
    authority: BillingAuthority,
    month: date,
    summary: RunSummary,
    clock: Clock,
    progress: Progress | None,
    chunk_size: int,
    dry_run: bool,
) -> None:
    tenant = await Tenant.get(id=authority.tenant_id)
    p = Params()
    activity_rows = await fetch(
        "SELECT act.id AS activity_id, act.name AS activity_name, t.valid_from, t.valid_until, "
        "t.resident, t.quotient_min, t.quotient_max, t.unit_price_cents FROM activity act "
        "LEFT JOIN tariff t ON t.activity_id = act.id "
        f"WHERE act.billing_authority_id = {p(authority.id)}",
        p,
    )
    activity_names = {row["activity_id"]: row["activity_name"] for row in activity_rows}
    grid: dict[int, list[PriceRow]] = defaultdict(list)
    for row in activity_rows:
        if row["valid_from"] is not None:
            grid[row["activity_id"]].append(
                PriceRow(
                    row["activity_id"],
                    _as_date(row["valid_from"]),
                    _as_date(row["valid_until"]) if row["valid_until"] is not None else None,
                    bool(row["resident"]),
                    row["quotient_min"],
                    row["quotient_max"],
                    row["unit_price_cents"],
                )
            )
    if not activity_names:
        return
    households = await _households(authority.tenant_id)
    p = Params()
    children = {
        row["id"]: row["first_names"]
        for row in await fetch(
            "SELECT c.id, c.first_names FROM child c JOIN household h ON h.id = c.household_id "
            f"WHERE h.tenant_id = {p(authority.tenant_id)}",
            p,
        )
    }
    if not dry_run:
        await _ensure_counter(authority.id, month)
    # Read before the billed days: if another run issues after this, our chunks see the
    # counter moved and compute the month again rather than undo its newer view.
    counter_seen = 0 if dry_run else await _counter_value(authority.id, month)
    expected = await _expected(authority, month, grid, households)
    p = Params()
    already = {
        row["household_id"]
        for row in await fetch(
            f"SELECT DISTINCT household_id FROM invoice WHERE authority_id = {p(authority.id)} "
            f"AND month = {p(month)}",
            p,
        )
    }
    household_ids = sorted(set(expected) | already)
    issued_on = clock.now().astimezone(ZoneInfo(tenant.timezone)).date()
    run = MonthRun(
        authority,
        tenant,
        month,
        expected,
        households,
        children,
        activity_names,
        schedule_for(authority, month, issued_on, tenant.timezone),
        summary,
        clock,
        grid,
        counter_seen,
    )
    done = 0
    for start in range(0, len(household_ids), chunk_size):
        chunk = household_ids[start : start + chunk_size]
        await (_plan_chunk(run, chunk) if dry_run else _issue_chunk(run, chunk))
        done += len(chunk)
        summary.households += len(chunk)
        if progress is not None:
            progress(done, len(household_ids))


async def _expected(
    authority: BillingAuthority,
    month: date,
    grid: dict[int, list[PriceRow]],
    households: dict[int, HouseholdInfo],
) -> dict[int, dict[LineKey, int]]:
    """What each household owes for the month, as line quantities (one statement)."""
    sql, params = _items_sql(authority.id, month)
    expected: dict[int, dict[LineKey, int]] = defaultdict(lambda: defaultdict(int))
    for row in await fetch(sql, params):
        household = households[row["household_id"]]
        price = unit_price(
            grid[row["activity_id"]],
            quotient=row["quotient"],
            resident=is_resident(
                authority, household.postal_code, override=household.resident_override
            ),
            on=_as_date(row["first_day"]),
        )
        if not price:
            continue  # no tariff (or free): nothing to bill
        kind = InvoiceLineKind(row["kind"])
        if kind == InvoiceLineKind.SURCHARGE:
            price = with_surcharge(price, authority.unbooked_surcharge_percent)
        key = LineKey(row["child_id"], row["activity_id"], kind, price)
        expected[row["household_id"]][key] += int(row["quantity"])
    return expected


async def _counter_value(authority_id: int, month: date) -> int:
    p = Params()
    [row] = await fetch(
        "SELECT last_sequence FROM invoice_counter "
        f"WHERE authority_id = {p(authority_id)} AND month = {p(month)}",
        p,
    )
    return int(row["last_sequence"])


async def _ensure_counter(authority_id: int, month: date) -> None:
    p = Params()
    await connection().execute_query(
        "INSERT INTO invoice_counter (authority_id, month, last_sequence) "
        f"VALUES ({p(authority_id)}, {p(month)}, 0) "
        "ON CONFLICT (authority_id, month) DO NOTHING",
        p.values,
    )


async def take_invoice_number(authority_id: int, month: date) -> str:
    """Inside the caller's transaction: the next number of the régie's sequence for the
    month billed, for a document staff issue by hand (corrections.py). The counter row is
    locked as the run locks it, so numbers stay gap-free and the run sees the change."""
    await _ensure_counter(authority_id, month)
    p = Params()
    lock = " FOR UPDATE" if is_postgres() else ""
    [counter] = await fetch(
        "SELECT id, last_sequence FROM invoice_counter "
        f"WHERE authority_id = {p(authority_id)} AND month = {p(month)}{lock}",
        p,
    )
    sequence = int(counter["last_sequence"]) + 1
    p = Params()
    await connection().execute_query(
        f"UPDATE invoice_counter SET last_sequence = {p(sequence)} WHERE id = {p(counter['id'])}",
        p.values,
    )
    return invoice_number(month, sequence)


@dataclass
class MonthRun:
    """What every chunk of one régie's month shares."""

    authority: BillingAuthority
    tenant: Tenant
    month: date
    expected: dict[int, dict[LineKey, int]]
    households: dict[int, HouseholdInfo]
    children: dict[int, str]
    activity_names: dict[int, str]
    schedule: Schedule
    summary: RunSummary
    clock: Clock
    grid: dict[int, list[PriceRow]]
    counter_seen: int


@dataclass
class Document:
    """An invoice, complement or credit note about to be issued."""

    household: HouseholdInfo
    revision: int
    kind: InvoiceKind
    number: str
    lines: list[tuple[LineKey, int]]

    @property
    def total_cents(self) -> int:
        return sum(key.unit_price_cents * quantity for key, quantity in self.lines)


async def _issue_chunk(run: MonthRun, chunk: list[int]) -> None:
    """Number and store one chunk's documents in one transaction with the counter."""
    async with atomic():
        p = Params()
        lock = " FOR UPDATE" if is_postgres() else ""
        [counter] = await fetch(
            "SELECT id, last_sequence FROM invoice_counter "
            f"WHERE authority_id = {p(run.authority.id)} AND month = {p(run.month)}{lock}",
            p,
        )
        sequence = int(counter["last_sequence"])
        if sequence != run.counter_seen:
            # Another run issued since we read the month: its view may be newer than ours.
            run.expected = await _expected(run.authority, run.month, run.grid, run.households)
        # Read what is issued only once the counter is ours: a concurrent run that got it
        # first has committed by now, and its invoices are seen, not billed twice.
        documents = await _documents(run, chunk, sequence)
        sequence += len(documents)
        run.counter_seen = sequence
        if not documents:
            return
        ids = await _insert_invoices(run, documents)
        await _insert_lines(run, documents, ids)
        # A household's credit at the régie (desk overpayments) settles what it is billed,
        # in this same transaction, as allocations in the payment ledger.
        await apply_credits(
            run.authority.id,
            [
                (ids[document.number], document.household.id, document.total_cents)
                for document in documents
                if document.kind != InvoiceKind.CREDIT_NOTE
            ],
        )
        await _queue_mails(run, documents, ids)
        p = Params()
        await connection().execute_query(
            f"UPDATE invoice_counter SET last_sequence = {p(sequence)} "
            f"WHERE id = {p(counter['id'])}",
            p.values,
        )


async def _documents(run: MonthRun, chunk: list[int], sequence: int) -> list[Document]:
    """The chunk's documents to issue, numbered after ``sequence``."""
    billed, revisions = await _issued(run, chunk)
    documents = []
    for household_id in chunk:
        lines = _difference(run, run.expected.get(household_id, {}), billed[household_id])
        if not lines:
            continue
        revision = revisions.get(household_id, -1) + 1
        sequence += 1
        document = Document(
            run.households[household_id],
            revision,
            InvoiceKind.INVOICE,
            invoice_number(run.month, sequence),
            lines,
        )
        if revision > 0:
            document.kind = (
                InvoiceKind.COMPLEMENT if document.total_cents >= 0 else InvoiceKind.CREDIT_NOTE
            )
        documents.append(document)
    return documents


async def _plan_chunk(run: MonthRun, chunk: list[int]) -> None:
    """A dry run's chunk: what would be issued, counted in the summary; nothing written."""
    for document in await _documents(run, chunk, 0):
        household = document.household
        mailed = bool(recipients_of(household))
        run.summary.planned.append(
            PlannedDocument(
                household.reference, household.name, document.kind, document.total_cents, mailed
            )
        )
        run.summary.total_cents += document.total_cents
        if document.revision == 0:
            run.summary.invoices += 1
        else:
            run.summary.corrections += 1
        if mailed:
            run.summary.mailed += 1
        else:
            run.summary.printed += 1


async def _issued(
    run: MonthRun, chunk: list[int]
) -> tuple[dict[int, dict[LineKey, int]], dict[int, int]]:
    """Quantities already billed per line key, and the last revision, per household."""
    p = Params()
    rows = await fetch(
        "SELECT i.household_id, i.revision, l.child_id, l.activity_id, l.kind, "
        "l.unit_price_cents, l.quantity FROM invoice i "
        "LEFT JOIN invoice_line l ON l.invoice_id = i.id "
        f"WHERE i.authority_id = {p(run.authority.id)} AND i.month = {p(run.month)} "
        f"AND i.household_id BETWEEN {p(chunk[0])} AND {p(chunk[-1])}",
        p,
    )
    billed: dict[int, dict[LineKey, int]] = defaultdict(lambda: defaultdict(int))
    revisions: dict[int, int] = {}
    for row in rows:
        household_id = row["household_id"]
        revisions[household_id] = max(revisions.get(household_id, -1), row["revision"])
        # Manual lines and corrections by staff (corrections.py) are not the run's to undo.
        if row["kind"] is None or row["kind"] == InvoiceLineKind.MANUAL.value:
            continue
        key = LineKey(
            row["child_id"],
            row["activity_id"],
            InvoiceLineKind(row["kind"]),
            row["unit_price_cents"],
        )
        billed[household_id][key] += row["quantity"]
    return billed, revisions


def _difference(
    run: MonthRun, wanted: dict[LineKey, int], have: dict[LineKey, int]
) -> list[tuple[LineKey, int]]:
    """What is owed and not yet billed (negative: billed and no longer owed), by child."""
    keys = sorted(
        set(wanted) | set(have),
        key=lambda k: (
            run.children.get(k.child_id, ""),
            k.child_id,
            k.activity_id,
            _KIND_ORDER.index(k.kind),
            k.unit_price_cents,
        ),
    )
    return [
        (key, wanted.get(key, 0) - have.get(key, 0))
        for key in keys
        if wanted.get(key, 0) != have.get(key, 0)
    ]


async def _insert_invoices(run: MonthRun, documents: list[Document]) -> dict[str, int]:
    """One multi-row INSERT; returns the ids by number."""
    now = run.clock.now()
    schedule = run.schedule
    p = Params()
    values = []
    for document in documents:
        household = document.household
        delivery = InvoiceDelivery.EMAIL if recipients_of(household) else InvoiceDelivery.PRINT
        values.append(
            f"({p(run.tenant.id)}, {p(run.authority.id)}, {p(household.id)}, {p(run.month)}, "
            f"{p(document.revision)}, {p(document.kind.value)}, {p(document.number)}, "
            f"{p(schedule.issued_on)}, {p(schedule.due_on)}, {p(schedule.opens_at)}, "
            f"{p(schedule.closes_at)}, {p(document.total_cents)}, 0, "
            f"{p(household.payer_name[:250])}, {p(household.address[:500])}, "
            f"{p(household.reference)}, {p(payment_reference(document.number))}, "
            f"{p(delivery.value)}, {p(now)})"
        )
        run.summary.total_cents += document.total_cents
        run.summary.numbers.append(document.number)
        if document.revision == 0:
            run.summary.invoices += 1
        else:
            run.summary.corrections += 1
    inserted = await fetch(
        "INSERT INTO invoice (tenant_id, authority_id, household_id, month, revision, kind, "
        "number, issued_on, due_on, payment_opens_at, payment_closes_at, total_cents, "
        "settled_cents, payer_name, payer_address, household_reference, payment_reference, "
        f"delivery, created_at) VALUES {', '.join(values)} RETURNING id, number",
        p,
    )
    return {row["number"]: row["id"] for row in inserted}


async def _insert_lines(run: MonthRun, documents: list[Document], ids: dict[str, int]) -> None:
    rows: list[tuple[Any, ...]] = []
    for document in documents:
        for position, (key, quantity) in enumerate(document.lines, start=1):
            label = _label(
                key.kind,
                run.activity_names[key.activity_id],
                run.children.get(key.child_id, ""),
                run.authority.unbooked_surcharge_percent,
            )
            rows.append(
                (
                    ids[document.number],
                    position,
                    key.kind.value,
                    key.child_id,
                    key.activity_id,
                    label[:250],
                    quantity,
                    key.unit_price_cents,
                    quantity * key.unit_price_cents,
                )
            )
    # Bounded statement size: PostgreSQL takes at most 32,767 parameters.
    for offset in range(0, len(rows), 3000):
        p = Params()
        values = [
            "(" + ", ".join(p(value) for value in row) + ")" for row in rows[offset : offset + 3000]
        ]
        await connection().execute_query(
            "INSERT INTO invoice_line (invoice_id, position, kind, child_id, activity_id, "
            f"label, quantity, unit_price_cents, amount_cents) VALUES {', '.join(values)}",
            p.values,
        )


async def _queue_mails(run: MonthRun, documents: list[Document], ids: dict[str, int]) -> None:
    """Paperless households' mails, in the outbox of the same transaction."""
    now = run.clock.now()
    mails = []
    for document in documents:
        recipients = recipients_of(document.household)
        if not recipients:
            run.summary.printed += 1
            continue
        context = {
            "household": document.household.name,
            "number": document.number,
            "kind": document.kind.value,
            "month": month_label(run.month),
            # « Un avoir de 3,25 € »: the amount credited, without its sign.
            "total": format_euros(abs(document.total_cents)),
            "due_on": format_short_date(run.schedule.due_on),
            "town": run.tenant.name,
            "window": payment_window_text(
                run.schedule.opens_at, run.schedule.closes_at, run.tenant.timezone
            ),
        }
        for to in recipients:
            mails.append(
                OutboxJob(
                    function="send_mail",
                    kwargs={
                        "to": to,
                        "template": "invoice_issued",
                        "context": context,
                        "attachments": [
                            {"kind": "invoice_pdf", "invoice_id": ids[document.number]}
                        ],
                    },
                    created_at=now,
                )
            )
        run.summary.mailed += 1
    if mails:
        await OutboxJob.bulk_create(mails)


def payment_window_text(opens_at: datetime, closes_at: datetime, timezone: str) -> str:
    """« Le paiement en ligne est disponible du 08/11/2026 à 09h30 au 30/11/2026 à 23h59 »"""
    zone = ZoneInfo(timezone)
    opens, closes = opens_at.astimezone(zone), closes_at.astimezone(zone)
    return (
        f"Le paiement en ligne est disponible du {opens:%d/%m/%Y} à {opens:%H}h{opens:%M} "
        f"au {closes:%d/%m/%Y} à {closes:%H}h{closes:%M}"
    )
