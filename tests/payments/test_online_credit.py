"""Online payments that bring more than is still due become the household's credit, in the
one ledger (issue 16): the parent pays online while the régisseur takes cash for the same
invoice, or the same invoice is paid twice. Each provider's path; a callback sent again
changes nothing; the credit settles the next invoice or is refunded, never both."""

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from gql.ids import encode_id
from models.payments import Payment, PaymentAttempt, PaymentKind, PaymentProvider
from resolvers.billing.credits import apply_credits
from resolvers.core.clock import FrozenClock
from resolvers.core.transactions import atomic
from resolvers.payments.payfip import FAKE_PAYFIP
from tests.conftest import GraphQL, Mailbox
from tests.factories import token_for
from tests.payment_factories import (
    PAYMENTS,
    REVIEWS,
    PayingFamily,
    form_fields,
    invoice_due,
    later,
    make_invoice,
    paybox_query,
    paying_family,
    payzen_ipn,
    post_payzen,
    start,
)
from tests.payments.test_desk_payments import CREDIT, desk_input, record
from tests.payments.test_till import REFUND

Jobs = Callable[[], Awaitable[None]]


async def credit_of(api: GraphQL, family: PayingFamily) -> int:
    result = await api(
        CREDIT,
        {
            "household": family.household_id,
            "authority": encode_id("BillingAuthority", family.authority.id),
        },
        token=family.token,
    )
    cents: int = result["data"]["householdCredit"]["cents"]
    return cents


async def paid_at_the_desk_meanwhile(
    api: GraphQL, family: PayingFamily, clock: FrozenClock
) -> dict[str, Any]:
    """The parent opens an online payment, then pays the same invoice(s) in cash at the
    régie before the provider's callback arrives; returns the online request."""
    request: dict[str, Any] = (await start(api, family))["request"]
    staff = await token_for(family.staff, clock)
    payload = await record(
        api,
        staff,
        **desk_input(
            family.household_id,
            "CASH",
            family.invoices[0].total_cents,
            invoiceIds=[family.invoice_id(0)],
        ),
    )
    assert payload["errors"] == []
    return request


async def test_payzen_paid_after_the_desk_is_credit_once_and_settles_the_next_invoice(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, mailbox: Mailbox, run_jobs: Jobs
) -> None:
    family = await paying_family(clock)
    request = await paid_at_the_desk_meanwhile(api, family, clock)

    # when PayZen confirms the online payment, twice (its retry)
    ipn = payzen_ipn(request)
    await post_payzen(http, ipn)
    await post_payzen(http, payzen_ipn(request, source="RETRY"))
    await run_jobs()

    # then the 42,50 € paid online are the family's credit, once, and the invoice stays paid
    assert await invoice_due(api, family) == 0
    assert await credit_of(api, family) == 4250
    assert [
        (p.provider, p.amount_cents)
        for p in await Payment.filter(household_id=family.household.id).order_by("id")
    ] == [(PaymentProvider.DESK, 4250), (PaymentProvider.PAYZEN, 4250)]
    staff = await token_for(family.staff, clock)
    reviews = (await api(REVIEWS, {"resolved": False}, token=staff))["data"]["paymentsToReview"]
    [review] = [r for r in reviews if r["attemptReference"] == request["attemptReference"]]
    assert (review["reason"], review["amount"]["cents"]) == ("REFUND_NEEDED", 4250)
    assert "gardés en avoir de la famille" in review["message"]
    [receipt] = [
        m
        for m in mailbox.to(family.parent.email)
        if "paiement" in m["Subject"].lower() and "Reçu de paiement n°" not in m["Subject"]
    ]
    assert "ils restent en avoir auprès de la régie" in Mailbox.text(receipt)

    # when the next invoice is issued (the invoice run applies credit this way)
    november = await make_invoice(
        family.tenant, family.authority, family.household, 3000, "2611000001", revision=1
    )
    async with atomic():
        applied = await apply_credits(
            family.authority.id, [(november.id, family.household.id, 3000)]
        )
    # then it is settled from the credit, and 12,50 € are left
    assert applied == 3000
    await november.refresh_from_db()
    assert november.settled_cents == 3000
    assert await credit_of(api, family) == 1250
    history = await api(PAYMENTS, {"id": family.household_id}, token=family.token)
    online = [p for p in history["data"]["payments"] if p["provider"] == "PAYZEN"]
    assert online[0]["allocations"] == [{"invoiceNumber": "2611000001", "amount": {"cents": 3000}}]

    # and a PayZen refund of the whole payment takes back the credit left first, then makes
    # the invoice the credit paid due again: never counted twice
    await post_payzen(
        http,
        payzen_ipn(
            request,
            "CAPTURED",
            suffix="refund",
            operation="CREDIT",
            source="MERCH_BO",
            vads_trans_id="r00001",
            vads_amount="4250",
        ),
    )
    await run_jobs()
    assert await credit_of(api, family) == 0
    await november.refresh_from_db()
    assert november.settled_cents == 0


async def test_paybox_and_payfip_surpluses_are_credit_too_and_refunded_at_the_desk(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    # Paybox: two invoices online, one of them paid at the desk meanwhile.
    paybox = await paying_family(clock, PaymentProvider.PAYBOX, totals=(4250, 1800))
    request = (await start(api, paybox, (0, 1)))["request"]
    staff = await token_for(paybox.staff, clock)
    await record(
        api, staff, **desk_input(paybox.household_id, "CHEQUE", 1800, invoiceIds=[
            paybox.invoice_id(1)], cheque={"number": "998877", "bank": "LCL"})
    )  # fmt: skip
    # (Paybox's transaction numbers are global: not the other tests' default one.)
    query = paybox_query(paybox, request, number="702000001")
    for _ in range(2):
        assert (await http.get(f"/payments/paybox/ipn?{query}")).status_code == 200
    await run_jobs()
    assert [await invoice_due(api, paybox, index) for index in (0, 1)] == [0, 0]
    assert await credit_of(api, paybox) == 1800

    # PayFiP: paid twice, in two sessions (the first one's confirmation came late).
    payfip = await paying_family(clock, PaymentProvider.PAYFIP)
    first = form_fields((await start(api, payfip))["request"])["idop"]
    later(clock, 21)  # the first session is over: the parent starts again
    second = form_fields((await start(api, payfip))["request"])["idop"]
    for idop in (second, first):
        await FAKE_PAYFIP.finish(idop, "P")
        for _ in range(2):
            response = await http.post("/payments/payfip/notify", data={"idop": idop})
            assert response.status_code == 200
        await run_jobs()
    assert await invoice_due(api, payfip) == 0
    assert await credit_of(api, payfip) == 4250
    attempts = await PaymentAttempt.filter(household_id=payfip.household.id).order_by("id")
    assert [attempt.credit_cents for attempt in attempts] == [4250, 0]

    # The régisseur refunds the PayFiP family's credit by cheque: in the ledger, on the
    # online payment's attempt, and nothing is left.
    staff = await token_for(payfip.staff, clock)
    result = await api(
        REFUND,
        {
            "input": {
                "householdId": payfip.household_id,
                "authorityId": encode_id("BillingAuthority", payfip.authority.id),
                "mode": "CHEQUE",
                "reason": "Facture payée deux fois en ligne",
            }
        },
        token=staff,
    )
    refund = result["data"]["refundCredit"]
    assert refund["errors"] == [], refund
    assert refund["refund"]["amount"] == {"cents": 4250}
    assert await credit_of(api, payfip) == 0
    [entry] = await Payment.filter(household_id=payfip.household.id, kind=PaymentKind.REFUND)
    assert (entry.attempt_id, entry.amount_cents) == (attempts[0].id, -4250)
    # Refusing more than is left still holds.
    again = await api(
        REFUND,
        {
            "input": {
                "householdId": payfip.household_id,
                "authorityId": encode_id("BillingAuthority", payfip.authority.id),
                "mode": "CASH",
                "reason": "Encore",
            }
        },
        token=staff,
    )
    assert [e["code"] for e in again["data"]["refundCredit"]["errors"]] == ["INVALID"]


async def test_an_amount_other_than_asked_is_not_credit_but_reviewed(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    await post_payzen(http, payzen_ipn(request, vads_amount="9999"))
    await run_jobs()
    assert await invoice_due(api, family) == 4250
    assert await credit_of(api, family) == 0
