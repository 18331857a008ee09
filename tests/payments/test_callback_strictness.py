"""Adversarial callbacks: what a provider signed, and nothing else, is what counts.

Every callback here is signed by the tests themselves with keys they hold (HMAC-SHA-256
for PayZen below, RSA-SHA1 with the test key pair standing in for Paybox's in
tests/payment_factories.py), never by the code under test. Parameters appended after the
signature, given twice, reordered or foreign are refused even when the signature covers
them; NUL bytes and invalid UTF-8 are stored byte for byte and refused with a 400, never
a 500; a trailing slash is answered on the spot, never redirected.
"""

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlencode

import httpx

from gql.app import create_app
from models.payments import (
    AttemptStatus,
    NotificationOutcome,
    Payment,
    PaymentAttempt,
    PaymentNotification,
    PaymentProvider,
    PaymentReview,
)
from resolvers.core.clock import FrozenClock
from tests.conftest import Backend, GraphQL
from tests.payment_factories import (
    PAYZEN_TEST_KEY,
    PayingFamily,
    form_fields,
    invoice_due,
    paybox_signed,
    paybox_variables,
    paying_family,
    start,
)

Jobs = Callable[[], Awaitable[None]]
FORM = {"content-type": "application/x-www-form-urlencoded"}


# --- The providers' algorithms, written here ------------------------------------------


def hmac_payzen(pairs: list[tuple[str, str]], key: str) -> str:
    """Base64 HMAC-SHA-256, keyed with the key, of the vads_ values sorted by name, + key."""
    values = [value for name, value in sorted(pairs) if name.startswith("vads_")]
    message = "+".join([*values, key]).encode()
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def payzen_pairs(request: dict[str, Any], status: str = "CAPTURED") -> list[tuple[str, str]]:
    sent = form_fields(request)
    pairs = [
        (name, sent[name])
        for name in (
            "vads_amount",
            "vads_ctx_mode",
            "vads_currency",
            "vads_order_id",
            "vads_site_id",
            "vads_trans_date",
            "vads_trans_id",
        )
    ]
    return [
        *pairs,
        ("vads_trans_status", status),
        ("vads_trans_uuid", hashlib.md5(sent["vads_order_id"].encode()).hexdigest()),
        ("vads_operation_type", "DEBIT"),
        ("vads_url_check_src", "PAY"),
    ]


def signed_payzen_body(pairs: list[tuple[str, str]], key: str = PAYZEN_TEST_KEY) -> bytes:
    return urlencode([*pairs, ("signature", hmac_payzen(pairs, key))]).encode()


def paybox_pairs(request: dict[str, Any], error: str, number: str) -> list[tuple[str, str]]:
    """The variables, with ``number`` (Paybox's transaction number) unique to the attempt."""
    reference = form_fields(request)["PBX_CMD"].encode()
    unique = f"{number}{int(hashlib.md5(reference).hexdigest()[:6], 16):08d}"
    return paybox_variables(request, error, number=unique)


def signed_paybox(family: PayingFamily, pairs: list[tuple[str, str]]) -> str:
    """What Paybox would send for these variables: all of them signed, signature last."""
    assert family.paybox_key is not None
    return paybox_signed(pairs, family.paybox_key)


async def last_notification(provider: str) -> PaymentNotification:
    stored = await PaymentNotification.filter(provider=provider).order_by("-id").first()
    assert stored is not None
    return stored


async def paybox_get(http: httpx.AsyncClient, query: str) -> httpx.Response:
    return await http.get(f"/payments/paybox/ipn?{query}")


# --- Paybox ---------------------------------------------------------------------------


async def test_a_refused_paybox_payment_with_a_success_appended_after_the_signature_is_refused(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock, PaymentProvider.PAYBOX)
    request = (await start(api, family))["request"]
    refused = signed_paybox(family, paybox_pairs(request, "00151", "601"))
    altered = f"{refused}&erreur=00000"
    response = await paybox_get(http, altered)
    assert response.status_code == 400
    stored = await last_notification("paybox")
    assert stored.outcome == NotificationOutcome.MALFORMED
    assert "erreur" in stored.detail
    assert stored.raw_query == altered.encode()
    await run_jobs()
    assert await invoice_due(api, family) == 4250
    assert not await Payment.exists(household_id=family.household.id)
    # The genuine refusal still counts as a refusal.
    assert (await paybox_get(http, refused)).status_code == 200
    await run_jobs()
    attempt = await PaymentAttempt.get(household_id=family.household.id)
    assert attempt.status == AttemptStatus.REFUSED
    assert await invoice_due(api, family) == 4250


async def test_a_paid_paybox_callback_with_another_transaction_appended_is_credited_once(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock, PaymentProvider.PAYBOX, totals=(4250, 3000))
    request = (await start(api, family, (0,)))["request"]
    paid = signed_paybox(family, paybox_pairs(request, "00000", "601"))
    assert (await paybox_get(http, paid)).status_code == 200
    assert (await paybox_get(http, f"{paid}&numero_transaction=77777777")).status_code == 400
    assert (await paybox_get(http, paid)).status_code == 200  # Paybox resending: still once
    await run_jobs()
    payments = await Payment.filter(household_id=family.household.id)
    assert [(p.provider_txn_id, p.amount_cents) for p in payments] == [
        (dict(paybox_pairs(request, "00000", "601"))["numero_transaction"], 4250)
    ]
    await family.invoices[0].refresh_from_db()
    assert family.invoices[0].settled_cents == 4250
    assert await invoice_due(api, family, 1) == 3000
    assert not await PaymentReview.exists(attempt__household_id=family.household.id)


async def test_paybox_variables_duplicated_reordered_foreign_or_after_the_signature_are_refused(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock, PaymentProvider.PAYBOX)
    request = (await start(api, family))["request"]
    refused = paybox_pairs(request, "00151", "601")
    paid = paybox_pairs(request, "00000", "601")
    genuine = signed_paybox(family, paid)
    signature = genuine.rpartition("&signature=")[2]
    variants = {
        # Each of these is signed by the key Paybox would sign with: only the rules stop them.
        "duplicated, both signed": signed_paybox(family, [*refused, ("erreur", "00000")]),
        "reordered": signed_paybox(family, [paid[1], paid[0], *paid[2:]]),
        "foreign, signed": signed_paybox(family, [*paid, ("montant_bonus", "1")]),
        # Unsigned: after the signature, or a signature that is not the last variable.
        "unsigned after": f"{genuine}&code_retour=ok",
        "signature twice": f"{genuine}&signature={signature}",
        "signature first": f"signature={signature}&{genuine.rpartition('&signature=')[0]}",
        "empty pair": f"{genuine}&",
    }
    for name, query in variants.items():
        response = await paybox_get(http, query)
        assert response.status_code == 400, name
        stored = await last_notification("paybox")
        assert (stored.outcome, stored.raw_query) == ("malformed", query.encode()), name
    await run_jobs()
    assert await invoice_due(api, family) == 4250
    assert not await Payment.exists(household_id=family.household.id)
    # Posted (PBX_RUF1=POST) with the variables also in the URL: one copy would go unread.
    both = await http.post(f"/payments/paybox/ipn?{genuine}", content=genuine, headers=FORM)
    assert both.status_code == 400
    # What Paybox really sent is still accepted, once.
    for _ in range(2):
        assert (await paybox_get(http, genuine)).status_code == 200
    await run_jobs()
    assert await invoice_due(api, family) == 0
    assert await Payment.filter(household_id=family.household.id).count() == 1


# --- PayZen ---------------------------------------------------------------------------


async def test_payzen_foreign_and_duplicated_fields_are_refused_even_when_the_hmac_matches(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    pairs = payzen_pairs(request)
    genuine = signed_payzen_body(pairs)
    refused = signed_payzen_body(payzen_pairs(request, "REFUSED"))
    variants = {
        # The HMAC covers every vads_ value, and says nothing of these.
        "foreign field": genuine + b"&status=CAPTURED",
        "foreign first": b"order=1&" + genuine,
        # A field given twice: whichever copy a parser keeps, it was not what was signed.
        "duplicate status": b"vads_trans_status=REFUSED&" + genuine,
        "duplicate after": refused + b"&vads_trans_status=CAPTURED",
        "duplicate signature": genuine + b"&signature=" + genuine.rpartition(b"=")[2],
        "empty pair": genuine + b"&&",
    }
    for name, body in variants.items():
        response = await http.post("/payments/payzen/ipn", content=body, headers=FORM)
        assert response.status_code == 400, name
        stored = await last_notification("payzen")
        assert (stored.outcome, stored.raw_body) == ("malformed", body), name
    await run_jobs()
    assert await invoice_due(api, family) == 4250
    assert not await Payment.exists(household_id=family.household.id)
    # PayZen's own IPN, then its retry: one payment.
    for _ in range(2):
        response = await http.post("/payments/payzen/ipn", content=genuine, headers=FORM)
        assert response.status_code == 200
    await run_jobs()
    assert await invoice_due(api, family) == 0
    assert await Payment.filter(household_id=family.household.id).count() == 1


# --- PayFiP ---------------------------------------------------------------------------


async def test_payfip_notifications_carry_one_idop_and_nothing_else(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    family = await paying_family(clock, PaymentProvider.PAYFIP)
    idop = form_fields((await start(api, family))["request"])["idop"]
    for query in (
        f"idop={idop}&idop={idop}",
        f"idop={idop}&resultrans=P",
        f"resultrans=P&idop={idop}",
        f"idop={idop}%00",
        f"idop={idop}&",
    ):
        response = await http.get(f"/payments/payfip/notify?{query}")
        assert response.status_code == 400, query
        stored = await last_notification("payfip")
        assert (stored.outcome, stored.raw_query) == ("malformed", query.encode()), query
    assert (await http.post("/payments/payfip/notify", data={"idop": idop})).status_code == 200


# --- Bytes that are not text ----------------------------------------------------------


async def test_nul_bytes_and_invalid_utf8_are_stored_byte_exact_and_refused_without_a_500(
    http: httpx.AsyncClient, clock: FrozenClock, api: GraphQL
) -> None:
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    genuine = signed_payzen_body(payzen_pairs(request))
    bodies = [
        b"vads_a=\x00",  # printf 'vads_a=\x00' | curl --data-binary @- …/payments/payzen/ipn
        b"vads_site_id=\xff\xfe&signature=x",
        genuine.replace(b"vads_order_id=", b"vads_order_id=%00"),
        genuine.replace(b"vads_order_id=", b"vads_order_id=%C3%28"),  # not UTF-8 once decoded
        b"\x00" * 3,
    ]
    for body in bodies:
        response = await http.post("/payments/payzen/ipn", content=body, headers=FORM)
        assert response.status_code == 400, body
        stored = await last_notification("payzen")
        assert bytes(stored.raw_body or b"") == body
        assert stored.content_sha256 == hashlib.sha256(body).hexdigest()
        assert stored.outcome == NotificationOutcome.MALFORMED
        assert "\x00" not in stored.body  # the readable copy
    for query in ("reference=%00x&montant=100&erreur=00000&signature=AA", "montant=1&x=%ff"):
        response = await http.get(f"/payments/paybox/ipn?{query}")
        assert response.status_code == 400, query
        stored = await last_notification("paybox")
        assert stored.raw_query == query.encode()
        assert stored.content_sha256 == hashlib.sha256(query.encode()).hexdigest()
    assert not await Payment.exists(household_id=family.household.id)


async def raw_asgi_get(backend: Backend, clock: FrozenClock, path: str, query: bytes) -> int:
    """A request whose query string holds raw bytes (NUL, 0xFF), which httpx would escape."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"famille.test")],
        "client": ("198.51.100.7", 40000),
        "server": ("famille.test", 80),
    }
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await create_app(clock=clock, redis=backend.redis)(scope, receive, send)
    return status[0]


async def test_raw_bytes_in_a_query_string_are_stored_as_received(
    backend: Backend, clock: FrozenClock
) -> None:
    for path, query in (
        ("/payments/paybox/ipn", b"reference=\xff\x00x&signature=A"),
        ("/payments/payfip/notify", b"idop=\x00"),
    ):
        assert await raw_asgi_get(backend, clock, path, query) == 400
        stored = await PaymentNotification.filter().order_by("-id").first()
        assert stored is not None and stored.raw_query == query
        assert stored.content_sha256 == hashlib.sha256(query).hexdigest()
        assert stored.outcome == NotificationOutcome.MALFORMED
        assert "\x00" not in stored.query_string and "\ufffd" in stored.query_string


# --- Paths ----------------------------------------------------------------------------


async def test_every_callback_answers_with_or_without_a_trailing_slash(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, run_jobs: Jobs
) -> None:
    for path in ("/payments/payzen/ipn/", "/payments/paybox/ipn/", "/payments/payfip/notify/"):
        for method in ("GET", "POST"):
            response = await http.request(method, path, content=b"x=1", headers=FORM)
            assert response.status_code == 400, (method, path)  # stored and refused
            assert "location" not in response.headers
    family = await paying_family(clock)
    request = (await start(api, family))["request"]
    body = signed_payzen_body(payzen_pairs(request))
    response = await http.post("/payments/payzen/ipn/", content=body, headers=FORM)
    assert response.status_code == 200
    await run_jobs()
    assert await invoice_due(api, family) == 0
