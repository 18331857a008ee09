"""The monthly invoice run as the town's finance office and the families see its result."""

import asyncio
import io
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from jobs.invoicing import invoice_previous_month
from models.absences import AbsenceReason
from models.billing import Invoice, InvoiceCounter, InvoiceLine, Tariff
from models.households import Household
from models.outbox import OutboxJob
from resolvers.absences.absences import AbsenceForm, DatePreset, decide_absence, report_absence
from resolvers.billing.billing import TariffForm, add_tariff
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from resolvers.core.french import format_euros, month_label
from resolvers.households.family_files import HouseholdChanges, Residency, update_household
from tests.billing_factories import (
    HIGH_PRICE,
    LOW_PRICE,
    absence,
    attendance,
    make_billing_town,
    make_family,
)
from tests.conftest import Backend, Mailbox
from tests.sql_count import count_queries

pytestmark = pytest.mark.usefixtures("backend")

OCTOBER = date(2026, 10, 1)
# 8 November 2026, 07:00 in Paris: the run's day.
RUN_AT = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)


async def lines_of(invoice: Invoice) -> list[tuple[str, int, int, int]]:
    return [
        (line.kind, line.quantity, line.unit_price_cents, line.amount_cents)
        for line in await InvoiceLine.filter(invoice=invoice).order_by("position")
    ]


async def test_october_is_billed_from_bookings_attendance_and_absences(
    clock: FrozenClock,
) -> None:
    # Given the canteen booked 1-29 October (17 days) at 2,50 €
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    # a justified absence (not billed), an unjustified one (billed as an absence),
    await absence(town, family, date(2026, 10, 15), justified=True, clock=clock)
    await absence(town, family, date(2026, 10, 16), justified=False, clock=clock)
    clock.current = RUN_AT
    # a no-show without any report (billed), and lunch on the 30th without booking (+30 %)
    await attendance(town, family, date(2026, 10, 19), present=False, clock=clock)
    await attendance(town, family, date(2026, 10, 30), present=True, clock=clock)

    summary = await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)

    [invoice] = await Invoice.filter(household_id=family.household.id)
    assert summary.invoices == 1
    assert invoice.number == "2610000001"
    assert invoice.kind == "invoice"
    assert await lines_of(invoice) == [
        ("booked", 14, LOW_PRICE, 3500),
        ("absence", 2, LOW_PRICE, 500),
        ("surcharge", 1, 325, 325),
    ]
    assert invoice.total_cents == 4325
    assert invoice.issued_on == date(2026, 11, 8)
    assert invoice.due_on == date(2026, 11, 30)
    # 08/11 09:30 and 30/11 23:59 in Paris (UTC+1 in November)
    assert invoice.payment_opens_at == datetime(2026, 11, 8, 8, 30, tzinfo=UTC)
    assert invoice.payment_closes_at == datetime(2026, 11, 30, 22, 59, tzinfo=UTC)
    assert invoice.delivery == "print"
    labels = [line.label for line in await InvoiceLine.filter(invoice=invoice)]
    assert "Restauration scolaire – Enfant0 : absence non justifiée" in labels
    assert "Restauration scolaire – Enfant0 : présence sans réservation (+30 %)" in labels


async def test_an_expired_or_missing_quotient_pays_the_maximum_tariff(clock: FrozenClock) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    expired = await make_family(town, clock, quotient=300, quotient_valid_until=date(2026, 9, 30))
    missing = await make_family(town, clock, quotient=None, quotient_valid_until=None)
    valid = await make_family(town, clock, quotient=300)
    clock.current = RUN_AT

    await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)

    totals = {
        row.household_id: row.total_cents
        for row in await Invoice.filter(authority_id=town.authority.id)
    }
    assert totals == {
        expired.household.id: 17 * HIGH_PRICE,
        missing.household.id: 17 * HIGH_PRICE,
        valid.household.id: 17 * LOW_PRICE,
    }


async def test_running_the_month_again_issues_nothing_and_a_change_gives_a_credit_note(
    clock: FrozenClock,
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    clock.current = RUN_AT
    await attendance(town, family, date(2026, 10, 30), present=True, clock=clock)
    first = await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)
    again = await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)
    assert (first.invoices, again.invoices, again.corrections) == (1, 0, 0)
    [original] = await Invoice.filter(household_id=family.household.id)
    assert original.total_cents == 17 * LOW_PRICE + 325

    # The agent finds the child was not there on the 30th after all.
    await attendance(town, family, date(2026, 10, 30), present=False, clock=clock)
    corrected = await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)

    invoices = await Invoice.filter(household_id=family.household.id).order_by("revision")
    assert [(i.kind, i.revision, i.number, i.total_cents) for i in invoices] == [
        ("invoice", 0, "2610000001", 17 * LOW_PRICE + 325),
        ("credit_note", 1, "2610000002", -325),
    ]
    assert corrected.corrections == 1
    assert await lines_of(invoices[1]) == [("surcharge", -1, 325, -325)]
    # the issued invoice itself is untouched
    await original.refresh_from_db()
    assert original.total_cents == 17 * LOW_PRICE + 325
    # and a third run is again a no-op
    assert (await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)).numbers == []


async def test_an_unbooked_day_recorded_after_the_run_is_billed_by_a_complement(
    clock: FrozenClock,
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    await absence(town, family, date(2026, 10, 15), justified=True, clock=clock)
    clock.current = RUN_AT
    await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)
    # A day without booking recorded later: the surcharge comes as a complement.
    await attendance(town, family, date(2026, 10, 30), present=True, clock=clock)
    await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)
    kinds = [
        (i.kind, i.total_cents)
        for i in await Invoice.filter(household_id=family.household.id).order_by("revision")
    ]
    assert kinds == [("invoice", 16 * LOW_PRICE), ("complement", 325)]


async def test_concurrent_runs_number_without_gap_or_duplicate(
    backend: Backend, clock: FrozenClock
) -> None:
    # The race is real on PostgreSQL (counter locked FOR UPDATE); SQLite has one writer.
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    families = [await make_family(town, clock) for _ in range(7)]
    clock.current = RUN_AT

    runs = await asyncio.gather(
        *(
            invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id, chunk_size=2)
            for _ in range(3)
        )
    )

    numbers = sorted(number for run in runs for number in run.numbers)
    assert numbers == [f"2610{sequence:06d}" for sequence in range(1, 8)]
    invoices = await Invoice.filter(authority_id=town.authority.id)
    assert sorted(i.household_id for i in invoices) == sorted(f.household.id for f in families)
    counter = await InvoiceCounter.get(authority_id=town.authority.id, month=OCTOBER)
    assert counter.last_sequence == 7


async def test_sql_statements_do_not_grow_with_bookings(clock: FrozenClock) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    small_town = await make_billing_town(clock)
    await make_family(small_town, clock, book_to=date(2026, 10, 2))
    big_town = await make_billing_town(clock)
    for _ in range(4):
        await make_family(big_town, clock)
    clock.current = RUN_AT

    async with count_queries() as small:
        await invoice_month(OCTOBER, clock=clock, tenant_id=small_town.tenant.id)
    async with count_queries() as big:
        await invoice_month(OCTOBER, clock=clock, tenant_id=big_town.tenant.id)

    assert big.count == small.count


async def test_paperless_families_get_the_pdf_by_mail_others_are_printed(
    clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    online = await make_family(town, clock, paperless=True)
    paper = await make_family(town, clock, paperless=False)
    clock.current = RUN_AT

    summary = await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)
    await run_jobs()

    assert (summary.mailed, summary.printed) == (1, 1)
    [mail] = [m for m in mailbox.to(online.parent.email) if "facture" in m["Subject"]]
    assert mail["Subject"] == "Votre facture 2610000001 – Octobre 2026"
    text = Mailbox.text(mail)
    assert "42,50 €, à régler avant le 30/11/2026" in text
    assert "du 08/11/2026 à 09h30 au 30/11/2026 à 23h59" in text
    [pdf] = [part for part in mail.iter_attachments()]
    assert pdf.get_filename() == "facture-2610000001.pdf"
    assert pdf.get_content().startswith(b"%PDF")
    assert [m for m in mailbox.to(paper.parent.email) if "facture" in m["Subject"]] == []
    printed = await Invoice.get(household_id=paper.household.id)
    assert printed.delivery == "print"


async def test_the_cron_bills_the_month_that_ended(clock: FrozenClock) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    # 1 November, 02:00 in Paris
    clock.current = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)

    message = await invoice_previous_month({"clock": clock})

    assert message.startswith("2026-10:")
    invoice = await Invoice.get(household_id=family.household.id)
    assert (invoice.month, invoice.total_cents) == (OCTOBER, 17 * LOW_PRICE)


async def run_command(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *args,
        cwd=Path(__file__).parent.parent.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_invoice_command_bills_a_month_with_a_progress_bar(clock: FrozenClock) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)

    status, out, err = await run_command("invoice", "--month", "2026-10")

    assert status == 0, err
    assert "Octobre 2026 [" in err and "foyers" in err
    assert re.search(r"Octobre 2026 : \d+ facture\(s\)", out)
    invoice = await Invoice.get(household_id=family.household.id)
    assert (invoice.number, invoice.total_cents) == ("2610000001", 17 * LOW_PRICE)
    # Again: nothing new for this family.
    status, out, err = await run_command("invoice", "--month", "2026-10")
    assert status == 0, err
    assert await Invoice.filter(household_id=family.household.id).count() == 1


async def test_the_invoice_command_explains_a_wrong_month() -> None:
    status, _, err = await run_command("invoice", "--month", "octobre")
    assert status != 0
    assert "--month attend une date AAAA-MM, par exemple 2026-10." in err


async def test_a_new_tariff_or_an_expiring_quotient_mid_month_splits_the_line(
    clock: FrozenClock,
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    # The grid of the 16th onwards: 3,00 € up to 700, still 4,00 € above.
    await Tariff.filter(activity_id=town.catalogue.canteen.id).update(
        valid_until=date(2026, 10, 15)
    )
    for quotient_min, quotient_max, price in ((0, 700, 300), (701, None, HIGH_PRICE)):
        await add_tariff(
            town.staff,
            TariffForm(
                activity_id=town.catalogue.canteen.id,
                valid_from=date(2026, 10, 16),
                quotient_min=quotient_min,
                quotient_max=quotient_max,
                unit_price_cents=price,
            ),
            clock=clock,
        )
    steady = await make_family(town, clock, quotient=500)
    lapsing = await make_family(town, clock, quotient=500, quotient_valid_until=date(2026, 10, 15))
    clock.current = RUN_AT

    await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)

    # 9 open days booked up to the 15th, 8 after.
    steady_invoice = await Invoice.get(household_id=steady.household.id)
    assert await lines_of(steady_invoice) == [
        ("booked", 9, LOW_PRICE, 2250),
        ("booked", 8, 300, 2400),
    ]
    lapsing_invoice = await Invoice.get(household_id=lapsing.household.id)
    assert await lines_of(lapsing_invoice) == [
        ("booked", 9, LOW_PRICE, 2250),
        ("booked", 8, HIGH_PRICE, 3200),
    ]
    assert lapsing_invoice.total_cents == 5450


async def test_non_residents_pay_the_non_resident_price(clock: FrozenClock) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    town.authority.resident_postal_codes = "81100"
    await town.authority.save()
    await add_tariff(
        town.staff,
        TariffForm(
            activity_id=town.catalogue.canteen.id,
            valid_from=date(2026, 9, 1),
            resident=False,
            unit_price_cents=520,
        ),
        clock=clock,
    )
    resident = await make_family(town, clock)
    outsider = await make_family(town, clock)
    outsider.household.postal_code = "40220"
    await outsider.household.save()
    clock.current = RUN_AT

    await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)

    totals = {i.household_id: i.total_cents for i in await Invoice.filter(authority=town.authority)}
    assert totals == {resident.household.id: 17 * LOW_PRICE, outsider.household.id: 17 * 520}


async def test_an_agents_residency_decision_overrides_the_postal_code(
    clock: FrozenClock,
) -> None:
    # given a régie whose residents live in 81100; one family outside is schooled in town,
    # one inside is priced as non-resident by an agent's decision
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    town.authority.resident_postal_codes = "81100"
    await town.authority.save()
    await add_tariff(
        town.staff,
        TariffForm(
            activity_id=town.catalogue.canteen.id,
            valid_from=date(2026, 9, 1),
            resident=False,
            unit_price_cents=520,
        ),
        clock=clock,
    )
    schooled_here = await make_family(town, clock)
    decided_out = await make_family(town, clock)
    await update_household(
        town.staff,
        schooled_here.household.id,
        HouseholdChanges(postal_code="40220", residency=Residency.RESIDENT),
        clock=clock,
    )
    await update_household(
        town.staff,
        decided_out.household.id,
        HouseholdChanges(residency=Residency.NON_RESIDENT),
        clock=clock,
    )
    clock.current = RUN_AT

    await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)

    totals = {i.household_id: i.total_cents for i in await Invoice.filter(authority=town.authority)}
    assert totals == {
        schooled_here.household.id: 17 * LOW_PRICE,
        decided_out.household.id: 17 * 520,
    }


async def test_an_absence_still_under_review_waits_for_the_decision(clock: FrozenClock) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    clock.current = datetime(2026, 10, 20, 6, 0, tzinfo=UTC)
    pending = await report_absence(
        family.parent,
        family.household.id,
        AbsenceForm(family.child_id, AbsenceReason.ILLNESS, DatePreset.DAY, day=date(2026, 10, 22)),
        clock=clock,
    )
    clock.current = RUN_AT
    await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)
    await decide_absence(town.staff, pending.report.id, False, "Sans certificat", clock=clock)
    await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)

    invoices = await Invoice.filter(household_id=family.household.id).order_by("revision")
    assert [(i.kind, i.total_cents) for i in invoices] == [
        ("invoice", 16 * LOW_PRICE),
        ("complement", LOW_PRICE),
    ]
    assert await lines_of(invoices[1]) == [("absence", 1, LOW_PRICE, LOW_PRICE)]


async def test_a_paperless_family_is_mailed_its_credit_note(
    clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock, paperless=True)
    clock.current = RUN_AT
    await attendance(town, family, date(2026, 10, 30), present=True, clock=clock)
    await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)
    await attendance(town, family, date(2026, 10, 30), present=False, clock=clock)
    await invoice_month(OCTOBER, clock=clock, tenant_id=town.tenant.id)

    await run_jobs()

    [credit] = [m for m in mailbox.to(family.parent.email) if m["Subject"].startswith("Avoir")]
    assert credit["Subject"] == "Avoir 2610000002 – Octobre 2026"
    assert "Un avoir de 3,25 € a été émis" in Mailbox.text(credit)
    [pdf] = list(credit.iter_attachments())
    text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    assert "Avoir 2610000002 – Octobre 2026" in text
    assert "Cet avoir sera déduit de vos prochaines factures ou remboursé." in text
    assert "Reste à payer 0,00 €" in text


async def test_the_invoice_command_refuses_a_month_that_has_not_ended(clock: FrozenClock) -> None:
    # Given a family billed by a régie, and the month running today (or one to come)
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    for month in (today.replace(day=1), date(today.year + 1, 6, 1)):
        outbox = await OutboxJob.all().count()

        # When the finance office asks to bill it
        status, out, err = await run_command("invoice", "--month", f"{month:%Y-%m}")

        # Then it is refused, in French, with a non-zero exit, and nothing is numbered,
        # issued or mailed
        assert status != 0, out
        assert (
            f"{month_label(month)} n'est pas terminé : il pourra être facturé à partir du " in err
        )
        assert await Invoice.filter(household_id=family.household.id).count() == 0
        assert await InvoiceCounter.filter(month=month).count() == 0
        assert await OutboxJob.all().count() == outbox


async def test_the_invoice_command_dry_run_prints_what_it_would_issue_and_writes_nothing(
    clock: FrozenClock,
) -> None:
    # Given a family with 17 canteen days booked in October, not billed yet
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    authority_id = town.authority.id
    outbox = await OutboxJob.all().count()

    # When the month is run dry
    status, out, err = await run_command("invoice", "--month", "2026-10", "--dry-run")

    # Then the invoice it would issue is printed, with its total
    assert status == 0, err
    assert "Octobre 2026 — simulation, rien n'est émis ni envoyé :" in out
    household = await Household.get(id=family.household.id)
    total = format_euros(17 * LOW_PRICE)
    assert f"  {household.reference or '-'}  {household.name} : invoice {total} (" in out
    assert re.search(r"Octobre 2026 : \d+ facture\(s\), \d+ correction\(s\) seraient émises", out)
    # and nothing is written: no counter, no invoice, no mail
    assert await Invoice.filter(household_id=family.household.id).count() == 0
    assert await InvoiceCounter.filter(authority_id=authority_id).count() == 0
    assert await OutboxJob.all().count() == outbox
    # The real run then issues exactly that
    status, out, err = await run_command("invoice", "--month", "2026-10")
    assert status == 0, err
    invoice = await Invoice.get(household_id=family.household.id)
    assert invoice.total_cents == 17 * LOW_PRICE
