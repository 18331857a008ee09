"""Paybox and PayFiP through HTTP, the rules of startPayment, the régie set-up and the
recovery cron of attempts nobody called back about."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from gql.ids import encode_id
from jobs.payments import recover_payments
from models.payments import (
    AttemptStatus,
    NotificationOutcome,
    Payment,
    PaymentAttempt,
    PaymentNotification,
    PaymentProvider,
)
from resolvers.core.clock import FrozenClock
from resolvers.payments.payfip import FAKE_PAYFIP
from tests.conftest import Backend, GraphQL
from tests.factories import make_account, token_for
from tests.payment_factories import (
    CLOSES,
    OPENS,
    PAYBOX_HMAC_KEY,
    PAYFIP_NUMCLI,
    form_fields,
    invoice_due,
    later,
    paybox_keys,
    paybox_query,
    paying_family,
    payzen_ipn,
    post_payzen,
    start,
)

Jobs = Callable[[], Awaitable[None]]

SETUP = """
mutation($authority: ID!, $input: PaymentSetupInput!) {
  setPaymentSetup(authorityId: $authority, input: $input) {
    setup { provider mode payboxSite payfipNumcli callbackUrl }
    errors { code field message }
  }
}
"""


async def test_paybox_form_is_signed_and_its_signed_callback_settles_once(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    import hashlib
    import hmac

    family = await paying_family(clock, PaymentProvider.PAYBOX)
    request = (await start(api, family))["request"]
    assert request["url"] == "https://preprod-tpeweb.paybox.com/php/"
    pairs = [(f["name"], f["value"]) for f in request["fields"]]
    assert pairs[-1][0] == "PBX_HMAC"
    message = "&".join(f"{name}={value}" for name, value in pairs[:-1]).encode()
    expected = hmac.new(bytes.fromhex(PAYBOX_HMAC_KEY), message, hashlib.sha512).hexdigest()
    assert pairs[-1][1] == expected.upper()
    fields = dict(pairs)
    assert fields["PBX_TOTAL"] == "4250" and fields["PBX_DEVISE"] == "978"
    assert fields["PBX_REPONDRE_A"] == "http://famille.test/payments/paybox/ipn"
    assert fields["PBX_RETOUR"].endswith(";signature:K")

    query = paybox_query(family, request)
    for _ in range(2):  # Paybox's GET, then the same again
        response = await http.get(f"/payments/paybox/ipn?{query}")
        assert response.status_code == 200
    await run_jobs()
    assert await invoice_due(api, family) == 0
    payments = await Payment.filter(household_id=family.household.id)
    assert [(p.provider_txn_id, p.amount_cents) for p in payments] == [("601234567", 4250)]
    page = await http.get(fields["PBX_EFFECTUE"], params={"erreur": "00000"})
    assert "Paiement enregistré" in page.text


async def test_paybox_forged_malformed_and_refused_callbacks_credit_nothing(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock, PaymentProvider.PAYBOX)
    request = (await start(api, family))["request"]
    other_key, _ = paybox_keys()
    forged = paybox_query(family, request, key=other_key)
    assert (await http.get(f"/payments/paybox/ipn?{forged}")).status_code == 400
    # Signed for 42,50 €, then the amount edited.
    tampered = paybox_query(family, request).replace("montant=4250", "montant=4251")
    assert (await http.get(f"/payments/paybox/ipn?{tampered}")).status_code == 400
    unsigned = paybox_query(family, request).split("&signature=")[0]
    assert (await http.get(f"/payments/paybox/ipn?{unsigned}")).status_code == 400
    await run_jobs()
    assert await invoice_due(api, family) == 4250
    outcomes = [
        n.outcome for n in await PaymentNotification.filter(provider="paybox").order_by("-id")
    ][:3]
    assert outcomes == ["malformed", "forged", "forged"]

    refused = paybox_query(family, request, "00151", number="0")
    assert (await http.get(f"/payments/paybox/ipn?{refused}")).status_code == 200
    await run_jobs()
    attempt = await PaymentAttempt.get(household_id=family.household.id)
    assert attempt.status == AttemptStatus.REFUSED
    assert await invoice_due(api, family) == 4250
    # A success after the refusal is still money taken: recorded (and the invoice paid).
    paid = paybox_query(family, request, "00000", number="601234999")
    response = await http.post(
        "/payments/paybox/ipn",
        content=paid,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    await run_jobs()
    assert await invoice_due(api, family) == 0


async def test_payfip_result_comes_from_the_dgfip_not_from_the_callback(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock, PaymentProvider.PAYFIP)
    request = (await start(api, family))["request"]
    assert request["method"] == "GET"
    idop = form_fields(request)["idop"]
    assert request["url"] == "https://www.payfip.gouv.fr/tpa/paiementws.web"
    sent = await FAKE_PAYFIP.request_of(idop)
    assert sent is not None
    assert (sent.numcli, sent.montant, sent.saisie) == (PAYFIP_NUMCLI, 4250, "T")
    assert sent.refdet == request["attemptReference"] and sent.refdet.isalnum()
    assert sent.urlnotif == "http://famille.test/payments/payfip/notify"
    assert sent.mel == family.parent.email

    # Anyone may call the notification URL: while the DGFiP does not know (P5), nothing.
    assert (await http.post("/payments/payfip/notify", data={"idop": idop})).status_code == 200
    await run_jobs()
    assert await invoice_due(api, family) == 4250
    # An idOp we never created, or garbage: refused and kept.
    stranger = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert (await http.post("/payments/payfip/notify", data={"idop": stranger})).status_code == 400
    assert (await http.post("/payments/payfip/notify", data={"x": "1"})).status_code == 400

    await FAKE_PAYFIP.finish(idop, "P")
    for _ in range(2):
        assert (await http.get(f"/payments/payfip/notify?idop={idop}")).status_code == 200
    await run_jobs()
    assert await invoice_due(api, family) == 0
    assert await Payment.filter(household_id=family.household.id).count() == 1


async def test_payfip_attempts_are_asked_again_by_the_recovery_cron(
    api: GraphQL, clock: FrozenClock, backend: Backend, run_jobs: Jobs
) -> None:
    family = await paying_family(clock, PaymentProvider.PAYFIP, totals=(4250, 1800))
    first = form_fields((await start(api, family, (0,)))["request"])["idop"]
    second = form_fields((await start(api, family, (1,)))["request"])["idop"]
    await FAKE_PAYFIP.finish(first, "P")  # paid, but PayFiP never called us
    ctx: dict[str, Any] = {"clock": clock, "redis": backend.redis}
    await recover_payments(ctx)  # both sessions still running: nothing asked
    assert await invoice_due(api, family, 0) == 4250
    later(clock, 21)
    await recover_payments(ctx)
    await run_jobs()
    assert await invoice_due(api, family, 0) == 0
    statuses = dict(
        await PaymentAttempt.filter(household_id=family.household.id).values_list(
            "provider_txn_id", "status"
        )
    )
    assert statuses == {first: "paid", second: "pending"}  # P5: still on PayFiP's page
    clock.advance(timedelta(hours=2))
    await recover_payments(ctx)
    assert (await PaymentAttempt.get(provider_txn_id=second)).status == AttemptStatus.EXPIRED


async def test_silent_payzen_attempts_are_abandoned_after_the_retries_and_a_late_ipn_is_flagged(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, backend: Backend, run_jobs: Jobs
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    ctx: dict[str, Any] = {"clock": clock, "redis": backend.redis}
    later(clock, 60)
    await recover_payments(ctx)
    assert (await PaymentAttempt.get(household_id=family.household.id)).status == "pending"
    later(clock, 61)
    await recover_payments(ctx)
    assert (await PaymentAttempt.get(household_id=family.household.id)).status == "abandoned"
    # The payment did go through after all: the money is recorded and staff warned.
    await post_payzen(http, payzen_ipn(request, source="BO"))
    await run_jobs()
    assert await invoice_due(api, family) == 0
    staff = await token_for(family.staff, clock)
    reviews = await api("{ paymentsToReview { reason } }", token=staff)
    assert reviews["data"]["paymentsToReview"] == [{"reason": "LATE_PAYMENT"}]


async def test_start_payment_refusals(api: GraphQL, clock: FrozenClock) -> None:
    family = await paying_family(clock, totals=(4250, 0))
    # Nothing due on a zero invoice.
    nothing = await start(api, family, (1,))
    assert nothing["errors"][0]["code"] == "NOTHING_DUE"
    # Outside the payment window: before it opens and after it closes.
    clock.current = OPENS - timedelta(minutes=1)
    early = await start(api, family)
    assert early["errors"][0]["code"] == "PAYMENT_CLOSED"
    assert "Le paiement en ligne est disponible du" in early["errors"][0]["message"]
    clock.current = CLOSES + timedelta(minutes=1)
    late = await start(api, family)
    assert late["errors"][0]["code"] == "PAYMENT_CLOSED"
    assert "la période est terminée" in late["errors"][0]["message"]
    clock.current = CLOSES + timedelta(seconds=59)  # « jusqu'au 30/11 à 23h59 » included
    assert (await start(api, family))["errors"] == []
    # Another household's invoice does not exist for this parent.
    other = await paying_family(clock)
    foreign = await api(
        "mutation($ids: [ID!]!) { startPayment(invoiceIds: $ids) { errors { code field } } }",
        {"ids": [other.invoice_id()]},
        token=family.token,
    )
    assert foreign["data"]["startPayment"]["errors"] == [
        {"code": "NOT_FOUND", "field": "invoiceId"}
    ]
    # Nobody logged in.
    anonymous = await api(
        "mutation($ids: [ID!]!) { startPayment(invoiceIds: $ids) { errors { code } } }",
        {"ids": [family.invoice_id()]},
    )
    assert anonymous["data"]["startPayment"]["errors"] == [{"code": "NOT_AUTHENTICATED"}]


async def test_a_regie_without_online_payment_says_so(api: GraphQL, clock: FrozenClock) -> None:
    from models.payments import PaymentSetup

    family = await paying_family(clock)
    await PaymentSetup.filter(authority_id=family.authority.id).delete()
    refused = await start(api, family)
    assert refused["errors"][0]["code"] == "PAYMENT_UNAVAILABLE"
    assert await PaymentAttempt.filter(household_id=family.household.id).count() == 0


async def test_staff_set_the_provider_and_parents_cannot(api: GraphQL, clock: FrozenClock) -> None:
    family = await paying_family(clock)
    authority = encode_id("BillingAuthority", family.authority.id)
    staff = await token_for(family.staff, clock)
    _, pem = paybox_keys()
    paybox = {
        "provider": "PAYBOX",
        "payboxSite": "1999888",
        "payboxRang": "32",
        "payboxIdentifiant": "107904482",
        "payboxHmacKey": PAYBOX_HMAC_KEY,
        "payboxPublicKeyPem": pem,
    }
    saved = await api(SETUP, {"authority": authority, "input": paybox}, token=staff)
    assert saved["data"]["setPaymentSetup"] == {
        "setup": {
            "provider": "PAYBOX",
            "mode": "TEST",
            "payboxSite": "1999888",
            "payfipNumcli": "",
            "callbackUrl": "http://famille.test/payments/paybox/ipn",
        },
        "errors": [],
    }
    wrong = await api(
        SETUP,
        {"authority": authority, "input": {**paybox, "payboxPublicKeyPem": "x", "payboxSite": "1"}},
        token=staff,
    )
    assert [e["field"] for e in wrong["data"]["setPaymentSetup"]["errors"]] == [
        "payboxSite",
        "payboxPublicKeyPem",
    ]
    payfip = {"provider": "PAYFIP", "payfipNumcli": "12"}
    bad = await api(SETUP, {"authority": authority, "input": payfip}, token=staff)
    assert bad["data"]["setPaymentSetup"]["errors"][0]["message"] == (
        "Le numéro client PayFiP compte 6 chiffres."
    )
    parent = await api(SETUP, {"authority": authority, "input": paybox}, token=family.token)
    assert parent["data"]["setPaymentSetup"]["errors"][0]["code"] == "FORBIDDEN"
    other_town_staff = await make_account(
        (await paying_family(clock)).tenant, clock, role=family.staff.role
    )
    foreign = await api(
        SETUP,
        {"authority": authority, "input": paybox},
        token=await token_for(other_town_staff, clock),
    )
    assert foreign["data"]["setPaymentSetup"]["errors"][0]["code"] == "NOT_FOUND"


async def test_payment_history_is_the_households_own(api: GraphQL, clock: FrozenClock) -> None:
    family = await paying_family(clock)
    other = await paying_family(clock)
    result = await api(
        "query($id: ID!) { payments(householdId: $id) { kind } }",
        {"id": other.household_id},
        token=family.token,
    )
    assert result["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_unknown_notification_outcome_is_recorded(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    response = await http.get(
        "/payments/paybox/ipn?montant=100&reference=NOPE&erreur=00000&signature=AA"
    )
    assert response.status_code == 400
    stored = await PaymentNotification.filter(provider="paybox").order_by("-id").first()
    assert stored is not None and stored.outcome == NotificationOutcome.UNKNOWN
    assert stored.query_string.startswith("montant=100")
