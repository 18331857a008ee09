"""A régie's month totals balance (issue 16): invoiced = settled + still due + credited, with
what was settled per payment mode, on a month with every kind of movement: an online
payment, a direct debit, cash, a cheque, CESU, a credit used by the invoice run, a credit
refund, a cancelling credit note, manual lines (one on the invoice, one by a credit note)."""

from datetime import UTC, date, datetime
from typing import Any

import httpx

from gql.ids import encode_id
from models.billing import Invoice, InvoiceKind
from models.payments import PaymentProvider
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from resolvers.payments.payments import SetupForm, save_payment_setup
from resolvers.sepa.direct_debit import export_month, mark_collected
from tests.billing.test_corrections import send_to_treasury
from tests.billing_factories import BillingTown, Family, make_billing_town, make_family
from tests.conftest import GraphQL
from tests.factories import token_for
from tests.payment_factories import (
    PAYZEN_PRODUCTION_KEY,
    PAYZEN_SITE,
    PAYZEN_TEST_KEY,
    START,
    payzen_ipn,
    post_payzen,
)
from tests.sepa_factories import make_creditor, make_mandate

TOTALS = """
query($month: Date!) {
  billingMonthTotals(month: $month) {
    invoiced { cents } creditNotes { cents } settled { cents } stillDue { cents }
    credited { cents } invoiceCount creditNoteCount
    settledByMode { mode label amount { cents } }
  }
}
"""
DESK = """
mutation($input: DeskPaymentInput!) {
  recordDeskPayment(input: $input) { deskPayment { id number } errors { message } }
}
"""


async def desk(
    api: GraphQL, token: str, family: Family, invoice: Invoice, mode: str, cents: int, **extra: Any
) -> None:
    result = await api(
        DESK,
        {
            "input": {
                "householdId": encode_id("Household", family.household.id),
                "mode": mode,
                "amountCents": cents,
                "receivedOn": "2026-11-10" if invoice.month.month == 10 else "2026-10-02",
                "invoiceIds": [encode_id("Invoice", invoice.id)],
                **extra,
            }
        },
        token=token,
    )
    assert result["data"]["recordDeskPayment"]["errors"] == [], result


async def october_of(family: Family) -> Invoice:
    return await Invoice.get(
        household_id=family.household.id, month=date(2026, 10, 1), kind=InvoiceKind.INVOICE
    )


async def test_a_month_with_every_kind_of_movement_balances_by_payment_mode(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Any
) -> None:
    clock.current = datetime(2026, 8, 25, 8, 0, tzinfo=UTC)
    town: BillingTown = await make_billing_town(clock)
    online, debited, desk_mixed, cesu, credited, cancelled, corrected = [
        await make_family(town, clock, book_from=date(2026, 9, 1), book_to=date(2026, 10, 29))
        for _ in range(7)
    ]
    await save_payment_setup(
        town.staff,
        town.authority.id,
        SetupForm(
            PaymentProvider.PAYZEN,
            payzen_site_id=PAYZEN_SITE,
            payzen_test_key=PAYZEN_TEST_KEY,
            payzen_production_key=PAYZEN_PRODUCTION_KEY,
        ),
        clock=clock,
    )

    # September: one family overpays at the desk; its credit goes to October's invoice.
    clock.current = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    await invoice_month(date(2026, 9, 1), clock=clock, tenant_id=town.tenant.id)
    clock.current = datetime(2026, 10, 2, 8, 0, tzinfo=UTC)
    await make_creditor(town, clock)
    await make_mandate(town, debited, clock)
    staff = await token_for(town.staff, clock)
    september = await Invoice.get(household_id=credited.household.id, month=date(2026, 9, 1))
    await desk(api, staff, credited, september, "CASH", september.total_cents + 1000)
    clock.current = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    assert (await october_of(credited)).settled_cents == 1000

    clock.current = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
    staff = await token_for(town.staff, clock)
    invoices = {
        family.household.id: await october_of(family)
        for family in (online, debited, desk_mixed, cesu, credited, cancelled, corrected)
    }
    totals_before = {key: invoice.total_cents for key, invoice in invoices.items()}

    # Online: the parent pays by card, PayZen notifies.
    parent = await token_for(online.parent, clock)
    started = await api(
        START, {"ids": [encode_id("Invoice", invoices[online.household.id].id)]}, token=parent
    )
    request = started["data"]["startPayment"]["request"]
    assert (await post_payzen(http, payzen_ipn(request, "CAPTURED"))).status_code == 200
    await run_jobs()
    # Direct debit, collected.
    batch = await export_month(town.staff, town.authority.id, date(2026, 10, 1), clock=clock)
    await mark_collected(town.staff, batch.id, clock=clock)
    # A cheque of 10,00 € and the rest in cash with 7,00 € too many, refunded in cash.
    mixed = invoices[desk_mixed.household.id]
    await desk(api, staff, desk_mixed, mixed, "CHEQUE", 1000, cheque={"number": "0000042"})
    await desk(api, staff, desk_mixed, mixed, "CASH", mixed.total_cents - 1000 + 700)
    refund = await api(
        "mutation($input: RefundCreditInput!) { refundCredit(input: $input) { errors { code } } }",
        {
            "input": {
                "householdId": encode_id("Household", desk_mixed.household.id),
                "authorityId": encode_id("BillingAuthority", town.authority.id),
                "mode": "CASH",
                "reason": "Trop-perçu",
            }
        },
        token=staff,
    )
    assert refund["data"]["refundCredit"]["errors"] == []
    # CESU for the whole invoice.
    await desk(
        api,
        staff,
        cesu,
        invoices[cesu.household.id],
        "CESU",
        invoices[cesu.household.id].total_cents,
        cesu={"titleNumbers": ["11111111"]},
    )
    # An invoice cancelled by a credit note.
    cancel = await api(
        'mutation($id: ID!) { cancelInvoice(invoiceId: $id, reason: "Erreur") { '
        "errors { message } } }",
        {"id": encode_id("Invoice", invoices[cancelled.household.id].id)},
        token=staff,
    )
    assert cancel["data"]["cancelInvoice"]["errors"] == []
    # A manual charge on the invoice, then, once sent to the Treasury, a discount.
    add = (
        'mutation($id: ID!, $cents: Int!) { addInvoiceLine(invoiceId: $id, label: "Ligne", '
        "amountCents: $cents) { errors { message } } }"
    )
    corrected_id = encode_id("Invoice", invoices[corrected.household.id].id)
    await api(add, {"id": corrected_id, "cents": 500}, token=staff)
    await send_to_treasury(invoices[corrected.household.id], clock)
    await api(add, {"id": corrected_id, "cents": -200}, token=staff)

    result = await api(TOTALS, {"month": "2026-10-01"}, token=staff)
    [totals] = result["data"]["billingMonthTotals"]
    total = {key: value for key, value in totals_before.items()}
    total[corrected.household.id] += 500
    invoiced = sum(total.values())
    by_mode = {row["mode"]: row["amount"]["cents"] for row in totals["settledByMode"]}
    assert by_mode == {
        "CASH": total[desk_mixed.household.id] - 1000,
        "CHEQUE": 1000,
        "CESU": total[cesu.household.id],
        "ONLINE": total[online.household.id],
        "DIRECT_DEBIT": total[debited.household.id],
        "CREDIT": 1000,
    }
    assert [row["label"] for row in totals["settledByMode"]] == [
        "Espèces",
        "Chèques",
        "CESU",
        "Paiement en ligne",
        "Prélèvements",
        "Avoirs utilisés",
    ]
    credited_cents = total[cancelled.household.id] + 200
    due = total[credited.household.id] - 1000 + total[corrected.household.id] - 200
    assert totals["invoiced"]["cents"] == invoiced
    assert totals["settled"]["cents"] == sum(by_mode.values())
    assert totals["credited"]["cents"] == credited_cents
    assert totals["stillDue"]["cents"] == due
    # The books balance.
    assert invoiced == totals["settled"]["cents"] + due + credited_cents
    assert totals["creditNotes"]["cents"] == -credited_cents
    assert (totals["invoiceCount"], totals["creditNoteCount"]) == (7, 2)
