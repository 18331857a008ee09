"""Dunning (issue 16): the régisseur reads a régie's unpaid invoices past due by age, mails a
reminder on demand, and the automatic reminders go at the régie's steps once each."""

from datetime import UTC, date, datetime
from typing import Any

from gql.ids import encode_id
from jobs.reminders import remind_overdue_invoices
from models.audit import AuditEntry
from models.authorities import BillingAuthority
from models.billing import Invoice
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL, Mailbox
from tests.factories import token_for
from tests.payment_factories import make_invoice, paying_family

OVERDUE = """
query($authority: ID!) {
  overdueInvoices(authorityId: $authority) {
    today buckets { label count amountDue { cents } }
    invoices { number daysLate amountDue { cents } remindersSent lastReminderOn householdName }
    totalDue { cents }
  }
}
"""
REMIND = """
mutation($id: ID!) {
  sendPaymentReminder(invoiceId: $id) { sentTo errors { code message field } }
}
"""
DESK = """
mutation($input: DeskPaymentInput!) {
  recordDeskPayment(input: $input) { errors { message } }
}
"""


def relances(mailbox: Mailbox, address: str) -> list[str]:
    return sorted(m["Subject"] for m in mailbox.to(address) if m["Subject"].startswith("Relance"))


async def test_overdue_invoices_by_age_and_reminders_on_demand_and_by_step(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    family = await paying_family(clock, totals=(4000, 3000))
    old = await make_invoice(
        family.tenant, family.authority, family.household, 2500, "2609000001", revision=5
    )
    await Invoice.filter(id=old.id).update(
        month=date(2026, 8, 1), revision=0, kind="invoice", due_on=date(2026, 9, 1)
    )
    staff = await token_for(family.staff, clock)
    paid = await api(
        DESK,
        {
            "input": {
                "householdId": family.household_id,
                "mode": "CASH",
                "amountCents": 3000,
                "receivedOn": "2026-11-23",
                "invoiceIds": [family.invoice_id(1)],
            }
        },
        token=staff,
    )
    assert paid["data"]["recordDeskPayment"]["errors"] == []
    authority = encode_id("BillingAuthority", family.authority.id)
    email = family.parent.email

    # 20 December: October's invoice is 20 days late, August's 110.
    clock.current = datetime(2026, 12, 20, 8, 0, tzinfo=UTC)
    staff = await token_for(family.staff, clock)
    result = await api(OVERDUE, {"authority": authority}, token=staff)
    report = result["data"]["overdueInvoices"]
    assert report["today"] == "2026-12-20"
    assert report["buckets"] == [
        {"label": "0-30", "count": 1, "amountDue": {"cents": 4000}},
        {"label": "31-60", "count": 0, "amountDue": {"cents": 0}},
        {"label": "61-90", "count": 0, "amountDue": {"cents": 0}},
        {"label": "90+", "count": 1, "amountDue": {"cents": 2500}},
    ]
    assert [(i["number"], i["daysLate"]) for i in report["invoices"]] == [
        ("2609000001", 110),
        (family.invoices[0].number, 20),
    ]
    assert report["totalDue"] == {"cents": 6500}
    parent_token = await token_for(family.parent, clock)
    parent = await api(OVERDUE, {"authority": authority}, token=parent_token)
    assert parent["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # The automatic reminders: the latest step reached of each invoice (15 and 45 days by
    # default), once, however often the job runs.
    # (The job goes through every town of the database: count this family's mails.)
    await remind_overdue_invoices({"clock": clock})
    await remind_overdue_invoices({"clock": clock})
    await run_jobs()
    assert relances(mailbox, email) == [
        "Relance : facture 2609000001 impayée – 25,00 €",
        f"Relance : facture {family.invoices[0].number} impayée – 40,00 €",
    ]
    [mail] = [m for m in mailbox.to(email) if family.invoices[0].number in m["Subject"]]
    text = Mailbox.text(mail)
    assert "il reste 40,00 € à payer" in text
    assert "30 novembre 2026 (il y a 20 jour(s))" in " ".join(text.split()), text

    # 15 January: October's invoice reaches the 45-day step.
    clock.current = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    await remind_overdue_invoices({"clock": clock})
    await remind_overdue_invoices({"clock": clock})
    await run_jobs()
    assert len(relances(mailbox, email)) == 3

    # On demand, once a day.
    staff = await token_for(family.staff, clock)
    sent = await api(REMIND, {"id": family.invoice_id(0)}, token=staff)
    assert sent["data"]["sendPaymentReminder"] == {"sentTo": [email], "errors": []}
    twice = await api(REMIND, {"id": family.invoice_id(0)}, token=staff)
    assert twice["data"]["sendPaymentReminder"]["errors"][0]["message"] == (
        "Une relance a déjà été envoyée aujourd'hui pour cette facture."
    )
    nothing = await api(REMIND, {"id": family.invoice_id(1)}, token=staff)
    assert nothing["data"]["sendPaymentReminder"]["errors"][0]["code"] == "NOTHING_DUE"
    forbidden = await api(
        REMIND, {"id": family.invoice_id(0)}, token=await token_for(family.parent, clock)
    )
    assert forbidden["data"]["sendPaymentReminder"]["errors"][0]["code"] == "FORBIDDEN"
    assert (
        await AuditEntry.filter(action="invoice.reminded", tenant_id=family.tenant.id).count() == 1
    )
    await run_jobs()
    assert len(relances(mailbox, email)) == 4
    report = (await api(OVERDUE, {"authority": authority}, token=staff))["data"]["overdueInvoices"]
    october = next(i for i in report["invoices"] if i["number"] == family.invoices[0].number)
    assert (october["remindersSent"], october["lastReminderOn"]) == (3, "2027-01-15")

    # A régie without steps sends none.
    await BillingAuthority.filter(id=family.authority.id).update(dunning_days="")
    clock.current = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    await remind_overdue_invoices({"clock": clock})
    await run_jobs()
    assert len(relances(mailbox, email)) == 4


async def test_the_regie_sets_its_steps_and_bad_ones_are_refused(
    api: GraphQL, clock: FrozenClock
) -> None:
    family = await paying_family(clock)
    staff = await token_for(family.staff, clock)
    save = """
    mutation($id: ID, $days: [Int!]!) {
      saveBillingAuthority(id: $id, input: {name: "Régie périscolaire", dunningDays: $days}) {
        authority { dunningDays } errors { field }
      }
    }
    """
    authority = encode_id("BillingAuthority", family.authority.id)
    saved = await api(save, {"id": authority, "days": [30, 10, 30]}, token=staff)
    assert saved["data"]["saveBillingAuthority"]["authority"]["dunningDays"] == [10, 30]
    bad = await api(save, {"id": authority, "days": [0]}, token=staff)
    assert bad["data"]["saveBillingAuthority"]["errors"] == [{"field": "dunningDays"}]
