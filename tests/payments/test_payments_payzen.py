"""PayZen end to end through HTTP: startPayment signs the form, PayZen's IPN is posted as
PayZen sends it (correctly or wrongly signed, repeated, out of order), the worker
reconciles it, and the invoice, the ledger and the return page say what happened."""

from collections.abc import Awaitable, Callable

import httpx

from models.outbox import OutboxJob
from models.payments import (
    AttemptStatus,
    NotificationOutcome,
    Payment,
    PaymentAttempt,
    PaymentNotification,
)
from resolvers.core.clock import FrozenClock
from tests.conftest import Backend, GraphQL, Mailbox
from tests.factories import token_for
from tests.payment_factories import (
    PAYMENTS,
    PAYZEN_PRODUCTION_KEY,
    PAYZEN_SITE,
    PAYZEN_TEST_KEY,
    REVIEWS,
    form_fields,
    invoice_due,
    later,
    paying_family,
    payzen_ipn,
    payzen_sign,
    post_payzen,
    start,
)
from tests.sql_count import count_queries

Jobs = Callable[[], Awaitable[None]]


async def test_start_payment_signs_the_payzen_form_with_the_test_key(
    api: GraphQL, clock: FrozenClock
) -> None:
    family = await paying_family(clock)
    payload = await start(api, family)
    assert payload["errors"] == []
    request = payload["request"]
    assert request["url"] == "https://secure.payzen.eu/vads-payment/"
    assert request["method"] == "POST"
    fields = form_fields(request)
    assert fields["vads_site_id"] == PAYZEN_SITE
    assert fields["vads_amount"] == "4250"
    assert fields["vads_currency"] == "978"
    assert fields["vads_ctx_mode"] == "TEST"
    assert fields["vads_trans_date"] == "20261123090000"  # UTC
    assert len(fields["vads_trans_id"]) == 6 and not fields["vads_trans_id"].startswith("9")
    assert fields["vads_url_check"] == "http://famille.test/payments/payzen/ipn"
    assert fields["vads_url_return"].startswith("http://famille.test/paiement/retour/")
    assert fields["signature"] == payzen_sign(fields, PAYZEN_TEST_KEY)
    assert request["amount"]["cents"] == 4250


async def test_a_captured_payment_settles_the_invoice_once_whatever_the_resends(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs, mailbox: Mailbox
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    return_url = form_fields(request)["vads_url_return"]
    # The browser comes back first, claiming success: we do not believe it.
    page = await http.get(return_url, params={"vads_trans_status": "CAPTURED"})
    assert "Paiement en cours de confirmation" in page.text

    ipn = payzen_ipn(request, "CAPTURED")
    response = await post_payzen(http, ipn)
    assert response.status_code == 200 and response.text == ""
    await run_jobs()
    assert await invoice_due(api, family) == 0
    page = await http.get(return_url)
    assert "Paiement enregistré" in page.text and "42,50 €" in page.text

    # PayZen's automatic retry, a back-office resend and a worker run again: once.
    for source in ("RETRY", "BO"):
        assert (await post_payzen(http, payzen_ipn(request, source=source))).status_code == 200
    await run_jobs()
    await run_jobs()
    history = await api(PAYMENTS, {"id": family.household_id}, token=family.token)
    assert history["data"]["payments"] == [
        {
            "kind": "PAYMENT",
            "provider": "PAYZEN",
            "providerTransactionId": payzen_ipn(request)["vads_trans_uuid"],
            "amount": {"cents": 4250},
            "allocations": [
                {"invoiceNumber": family.invoices[0].number, "amount": {"cents": 4250}}
            ],
        }
    ]
    await family.invoices[0].refresh_from_db()
    assert family.invoices[0].settled_cents == 4250
    outcomes = [
        n.outcome
        for n in await PaymentNotification.filter(attempt__household_id=family.household.id)
    ]
    assert sorted(outcomes) == ["duplicate", "duplicate", "processed"]
    receipts = mailbox.to(family.parent.email)
    assert len(receipts) == 1
    assert receipts[0]["Subject"] == "Reçu de paiement – 42,50 €"
    assert family.invoices[0].number in Mailbox.text(receipts[0])


async def test_forged_and_malformed_callbacks_are_kept_and_credit_nothing(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    forged = payzen_ipn(request, key="not-the-key")
    tampered = payzen_ipn(request)
    tampered["vads_amount"] = "1"  # signed for 42,50 €
    production_key = payzen_ipn(request, key=PAYZEN_PRODUCTION_KEY)  # signed with the wrong key
    for fields in (forged, tampered, production_key):
        assert (await post_payzen(http, fields)).status_code == 400
    missing = payzen_ipn(request)
    del missing["vads_trans_status"]
    assert (await post_payzen(http, missing)).status_code == 400
    garbage = await http.post(
        "/payments/payzen/ipn",
        content=b"\xff\xfenot a form",
        headers={"content-type": "text/plain"},
    )
    assert garbage.status_code == 400
    await run_jobs()
    assert await invoice_due(api, family) == 4250
    assert not await Payment.exists(household_id=family.household.id)
    stored = await PaymentNotification.filter(provider="payzen").order_by("-id").limit(5)
    assert [n.outcome for n in stored] == ["malformed", "malformed", "forged", "forged", "forged"]
    assert stored[-1].source_ip == "198.51.100.7"
    assert "vads_trans_status=CAPTURED" not in stored[1].body and stored[1].body
    assert stored[-1].headers["content-type"] == "application/x-www-form-urlencoded"


async def test_production_shops_refuse_test_mode_notifications(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    from models.payments import PaymentMode

    family = await paying_family(clock, mode=PaymentMode.PRODUCTION)
    request = (await start(api, family))["request"]
    fields = form_fields(request)
    assert fields["vads_ctx_mode"] == "PRODUCTION"
    assert fields["signature"] == payzen_sign(fields, PAYZEN_PRODUCTION_KEY)
    test_mode = payzen_ipn(request, key=PAYZEN_TEST_KEY, vads_ctx_mode="TEST")
    assert (await post_payzen(http, test_mode)).status_code == 400
    assert (
        await post_payzen(http, payzen_ipn(request, key=PAYZEN_PRODUCTION_KEY))
    ).status_code == 200
    await run_jobs()
    assert await invoice_due(api, family) == 0


async def test_out_of_order_events_never_move_a_payment_backwards(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    await post_payzen(http, payzen_ipn(request, "CAPTURED"))
    await run_jobs()
    # Older events arriving late: an authorisation, a pending state, a refusal.
    await post_payzen(http, payzen_ipn(request, "AUTHORISED", source="RETRY"))
    await post_payzen(http, payzen_ipn(request, "WAITING_AUTHORISATION", source="RETRY"))
    await post_payzen(http, payzen_ipn(request, "REFUSED", operation=None, source="RETRY"))
    await run_jobs()
    attempt = await PaymentAttempt.get(household_id=family.household.id)
    assert attempt.status == AttemptStatus.PAID
    assert await invoice_due(api, family) == 0
    assert await Payment.filter(household_id=family.household.id).count() == 1


async def test_a_pending_then_captured_payment_is_paid_and_a_refusal_is_not_a_payment(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock, totals=(4250, 1200))
    first = (await start(api, family, (0,)))["request"]
    await post_payzen(http, payzen_ipn(first, "WAITING_AUTHORISATION"))
    await run_jobs()
    assert await invoice_due(api, family) == 4250
    await post_payzen(http, payzen_ipn(first, "CAPTURED", source="BATCH_AUTO"))
    await run_jobs()
    assert await invoice_due(api, family) == 0

    second = (await start(api, family, (1,)))["request"]
    await post_payzen(http, payzen_ipn(second, "REFUSED", suffix="ffff", operation="DEBIT"))
    await run_jobs()
    assert await invoice_due(api, family, 1) == 1200
    page = await http.get(form_fields(second)["vads_url_return"])
    assert "Paiement refusé" in page.text
    # A refusal closes the attempt: the parent may try again at once.
    assert (await start(api, family, (1,)))["errors"] == []


async def test_an_abandoned_payment_is_not_a_payment_and_frees_the_invoice(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    blocked = await start(api, family)
    assert blocked["request"] is None
    assert blocked["errors"][0]["code"] == "PAYMENT_IN_PROGRESS"
    assert "10h15" in blocked["errors"][0]["message"]  # Paris time, 15 minutes later
    abandoned = payzen_ipn(request, "ABANDONED", operation=None, vads_result="17")
    del abandoned["vads_trans_uuid"]
    abandoned["signature"] = payzen_sign(abandoned, PAYZEN_TEST_KEY)
    assert (await post_payzen(http, abandoned)).status_code == 200
    await run_jobs()
    attempt = await PaymentAttempt.get(household_id=family.household.id)
    assert attempt.status == AttemptStatus.ABANDONED
    assert await invoice_due(api, family) == 4250
    page = await http.get(form_fields(request)["vads_url_return"])
    assert "Paiement non effectué" in page.text
    assert (await start(api, family))["errors"] == []


async def test_amount_or_currency_mismatch_is_flagged_not_settled(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock, totals=(4250, 1000))
    request = (await start(api, family, (0,)))["request"]
    await post_payzen(http, payzen_ipn(request, vads_effective_amount="4000"))
    other = (await start(api, family, (1,)))["request"]
    await post_payzen(http, payzen_ipn(other, suffix="usd", vads_effective_currency="840"))
    await run_jobs()
    assert await invoice_due(api, family, 0) == 4250
    assert await invoice_due(api, family, 1) == 1000
    staff = await token_for(family.staff, clock)
    reviews = (await api(REVIEWS, {"resolved": False}, token=staff))["data"]["paymentsToReview"]
    # Both jobs ran at once: the list is in the order they were flagged.
    reviews.sort(key=lambda review: review["amount"]["cents"], reverse=True)
    assert [(r["reason"], r["amount"]["cents"]) for r in reviews] == [
        ("AMOUNT_MISMATCH", 4000),
        ("AMOUNT_MISMATCH", 1000),
    ]
    assert "40,00 €" in reviews[0]["message"] and "42,50 €" in reviews[0]["message"]
    assert "devise 840" in reviews[1]["message"]
    page = await http.get(form_fields(request)["vads_url_return"])
    assert "vérification" in page.text
    # The parent cannot read the staff list; staff close a review with a note.
    denied = await api(REVIEWS, {"resolved": False}, token=family.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    resolved = await api(
        'mutation($id: ID!) { resolvePaymentReview(id: $id, note: "Remboursé par virement") '
        "{ review { resolvedAt resolutionNote } errors { code } } }",
        {"id": reviews[0]["id"]},
        token=staff,
    )
    assert resolved["data"]["resolvePaymentReview"]["review"]["resolutionNote"] == (
        "Remboursé par virement"
    )
    remaining = (await api(REVIEWS, {"resolved": False}, token=staff))["data"]["paymentsToReview"]
    assert len(remaining) == 1


async def test_a_payment_arriving_after_the_invoice_was_paid_is_kept_and_flagged_for_refund(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock)
    first = (await start(api, family))["request"]
    later(clock, 16)  # the first session is over: the parent tries again
    second = (await start(api, family))["request"]
    await post_payzen(http, payzen_ipn(second, suffix="second"))
    await run_jobs()
    assert await invoice_due(api, family) == 0
    # The first one went through after all (PayZen retried its notification).
    await post_payzen(http, payzen_ipn(first, suffix="first", source="RETRY"))
    await run_jobs()
    await family.invoices[0].refresh_from_db()
    assert family.invoices[0].settled_cents == 4250
    payments = await Payment.filter(household_id=family.household.id).order_by("id")
    assert [p.amount_cents for p in payments] == [4250, 4250]
    staff = await token_for(family.staff, clock)
    reviews = (await api(REVIEWS, {"resolved": False}, token=staff))["data"]["paymentsToReview"]
    assert [(r["reason"], r["amount"]["cents"]) for r in reviews] == [("REFUND_NEEDED", 4250)]


async def test_a_partial_payment_leaves_the_rest_due(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock, totals=(4250, 1200))
    too_much = await start(api, family, (0, 1), amount=6000)
    assert too_much["errors"][0]["code"] == "INVALID"
    request = (await start(api, family, (0, 1), amount=5000))["request"]
    assert form_fields(request)["vads_amount"] == "5000"
    await post_payzen(http, payzen_ipn(request))
    await run_jobs()
    assert await invoice_due(api, family, 0) == 0
    assert await invoice_due(api, family, 1) == 450
    unpaid = await api(
        "query($id: ID!) { invoice(id: $id) { paid amountDue { text } } }",
        {"id": family.invoice_id(1)},
        token=family.token,
    )
    assert unpaid["data"]["invoice"] == {"paid": False, "amountDue": {"text": "4,50 €"}}


async def test_a_refund_gives_the_money_back_and_the_invoice_is_due_again(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    await post_payzen(http, payzen_ipn(request))
    await run_jobs()
    # Refunded from the back office: a CREDIT with its own transaction, same order id.
    refund = payzen_ipn(
        request,
        "CAPTURED",
        suffix="refund",
        operation="CREDIT",
        source="MERCH_BO",
        vads_trans_id="r00001",
        vads_amount="1250",
    )
    for _ in range(2):
        assert (await post_payzen(http, refund)).status_code == 200
    await run_jobs()
    assert await invoice_due(api, family) == 1250
    history = (await api(PAYMENTS, {"id": family.household_id}, token=family.token))["data"]
    assert [(p["kind"], p["amount"]["cents"]) for p in history["payments"]] == [
        ("REFUND", -1250),
        ("PAYMENT", 4250),
    ]
    # A stale copy of the payment after the refund changes nothing.
    await post_payzen(http, payzen_ipn(request, source="RETRY"))
    await run_jobs()
    assert await invoice_due(api, family) == 1250


async def test_a_lapsed_authorisation_is_reversed(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    await post_payzen(http, payzen_ipn(request, "AUTHORISED"))
    await run_jobs()
    assert await invoice_due(api, family) == 0
    await post_payzen(http, payzen_ipn(request, "CAPTURE_FAILED", source="BATCH"))
    await post_payzen(http, payzen_ipn(request, "CAPTURE_FAILED", source="RETRY"))
    await run_jobs()
    assert await invoice_due(api, family) == 4250
    attempt = await PaymentAttempt.get(household_id=family.household.id)
    assert attempt.status == AttemptStatus.REFUSED
    staff = await token_for(family.staff, clock)
    reviews = (await api(REVIEWS, {"resolved": False}, token=staff))["data"]["paymentsToReview"]
    assert [r["reason"] for r in reviews] == ["REVERSED"]


async def test_unknown_transactions_are_refused_and_kept(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    unknown = payzen_ipn(request, vads_trans_id="x12345", vads_order_id="NOPE")
    assert (await post_payzen(http, unknown)).status_code == 400
    stored = await PaymentNotification.filter(provider="payzen").order_by("-id").first()
    assert stored is not None and stored.outcome == NotificationOutcome.UNKNOWN


async def test_a_trailing_slash_or_get_does_not_redirect(http: httpx.AsyncClient) -> None:
    response = await http.post("/payments/payzen/ipn", data={"vads_site_id": "1"})
    assert response.status_code == 400  # stored, malformed, no redirect
    assert (await http.get("/payments/payzen/ipn")).status_code == 400


async def test_two_workers_on_the_same_payment_at_once_count_it_once(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    import asyncio

    from resolvers.payments.payfip import FAKE_PAYFIP
    from resolvers.payments.reconcile import process_notification

    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    for source in ("PAY", "RETRY", "BO"):
        assert (await post_payzen(http, payzen_ipn(request, source=source))).status_code == 200
    ids = await PaymentNotification.filter(attempt__household_id=family.household.id).values_list(
        "id", flat=True
    )
    outcomes = await asyncio.gather(
        *(process_notification(int(i), FAKE_PAYFIP, clock=clock) for i in ids)  # type: ignore[call-overload]
    )
    assert sorted(outcomes) == ["duplicate", "duplicate", "processed"]
    await family.invoices[0].refresh_from_db()
    assert family.invoices[0].settled_cents == 4250
    assert await Payment.filter(household_id=family.household.id).count() == 1


async def test_a_callback_is_stored_checked_and_recorded_in_three_statements(
    backend: Backend, api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # The route answers PayZen's IPNs, hundreds a second on a busy evening: the bytes
    # stored (committed alone), the attempt found, then the outcome with its job, one
    # statement on PostgreSQL (two in a transaction on SQLite); the job is marked handed
    # over after the answer.
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    async with count_queries() as accepted:
        assert (await post_payzen(http, payzen_ipn(request))).status_code == 200
    async with count_queries() as forged:
        assert (await post_payzen(http, payzen_ipn(request, key="not-the-key"))).status_code == 400
    outcome_with_job = 1 if backend.name == "postgres" else 2
    assert accepted.count == 2 + outcome_with_job + 1
    assert forged.count == 3
    stored = await PaymentNotification.filter(attempt__household_id=family.household.id).order_by(
        "id"
    )
    assert [n.outcome for n in stored] == ["verified", "forged"]
    jobs = await OutboxJob.filter(function="reconcile_payment").order_by("-id").limit(1)
    assert jobs[0].kwargs == {"notification_id": stored[0].id}
    assert jobs[0].relayed_at is not None
