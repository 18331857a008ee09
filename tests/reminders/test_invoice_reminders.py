"""Invoice reminders: an unpaid invoice is reminded once, from N days before its due date
(town time); a paid one never is."""

from datetime import UTC, date, datetime
from typing import Any

from jobs.reminders import remind_unpaid_invoices
from models.billing import Invoice
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from tests.billing_factories import make_billing_town, make_family
from tests.conftest import Mailbox

# October 2026 is due on Monday 30 November; 5 days before is Wednesday 25 November, from
# 00h00 in Paris (winter time, UTC+1): 23h00 UTC on the 24th.
DAY_BEFORE_WINDOW = datetime(2026, 11, 24, 22, 59, tzinfo=UTC)
WINDOW_OPENS = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)


async def test_an_unpaid_invoice_is_reminded_once_and_a_paid_one_not(
    clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given two families billed for October, one of whom paid
    clock.current = datetime(2026, 8, 20, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    unpaid = await make_family(town, clock)
    paid = await make_family(town, clock)
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    settled = await Invoice.get(household_id=paid.household.id)
    settled.settled_cents = settled.total_cents
    await settled.save(update_fields=["settled_cents"])

    # when the daily cron runs at 23h59 on the 24th, then at midnight, twice
    clock.current = DAY_BEFORE_WINDOW
    await remind_unpaid_invoices({"clock": clock})
    await run_jobs()
    assert [m for m in mailbox.to(unpaid.parent.email) if "Rappel" in m["Subject"]] == []
    clock.current = WINDOW_OPENS
    await remind_unpaid_invoices({"clock": clock})
    await remind_unpaid_invoices({"clock": clock})
    await run_jobs()

    # then the unpaid invoice's payer gets one French mail with the amount still due
    invoice = await Invoice.get(household_id=unpaid.household.id)
    [mail] = [m for m in mailbox.to(unpaid.parent.email) if "Rappel" in m["Subject"]]
    assert mail["Subject"] == (
        f"Rappel : facture {invoice.number} à régler avant le lundi 30 novembre 2026"
    )
    body = Mailbox.text(mail)
    assert "Octobre 2026" in body
    assert "il reste 42,50 € à payer" in body
    assert "dans 5 jour(s)" in body
    assert [m for m in mailbox.to(paid.parent.email) if "Rappel" in m["Subject"]] == []
