"""Provider callbacks: received and stored first, verified, then reconciled into the ledger.

``receive_callback`` runs in the HTTP route and must be quick: it stores the bytes received
(committed first, so that nothing a caller sends can lose them), checks what needs no
network (strict parsing, PayZen HMAC, Paybox RSA) and records the outcome with the
reconcile job in the outbox in one transaction. ``reconcile`` runs in the worker: one
transaction, the attempt row locked, idempotent on the provider's transaction id (unique
ledger key), and a status that only moves forward.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from tortoise.expressions import F

from models.billing import Invoice
from models.payments import (
    AttemptStatus,
    NotificationOutcome,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentAttemptInvoice,
    PaymentKind,
    PaymentMode,
    PaymentNotification,
    PaymentProvider,
    PaymentReview,
    ReviewReason,
)
from models.tenants import Tenant
from resolvers.core.clock import Clock
from resolvers.core.french import format_datetime, format_euros
from resolvers.core.outbox import jobs_insert, queue_mail
from resolvers.core.sql import Params, connection, fetch
from resolvers.core.transactions import atomic
from resolvers.payments import payment_protocols as protocols
from resolvers.payments.payfip import PayfipClient, PayfipFault
from resolvers.payments.payment_protocols import EventKind, Malformed, ProviderEvent

logger = logging.getLogger("famille.payments")

FAILED = frozenset(
    {
        AttemptStatus.REFUSED,
        AttemptStatus.CANCELLED,
        AttemptStatus.ABANDONED,
        AttemptStatus.EXPIRED,
    }
)
MONEY_IN = frozenset({AttemptStatus.PAID, AttemptStatus.MISMATCH, AttemptStatus.REFUNDED})
# PayFiP keeps a result "unknown" (P5) while the parent is on its pages; after this long
# the attempt is given up (eopayment's rule).
PAYFIP_GIVE_UP = timedelta(hours=2)
# PayZen retries a failed IPN up to 4 times at quarter hours, Paybox has no retry: an
# attempt nobody told us about after this long was abandoned on the provider's page.
SILENT_GIVE_UP = timedelta(hours=2)


@dataclass(frozen=True)
class CallbackAnswer:
    """What the route answers: 200 once stored and accepted, 400 for what we reject."""

    status_code: int
    body: str
    outbox_id: int | None = None


def callback_payload(query: bytes, body: bytes) -> bytes:
    """The signed bytes: PayZen POSTs its form; Paybox GETs (POST with PBX_RUF1); PayFiP
    may do either. Parameters in both places are refused: one of them would go unread."""
    if query and body:
        raise Malformed("paramètres à la fois dans l'adresse et dans le corps")
    return body or query


def readable(raw: bytes) -> str:
    """A text copy for people and text columns: invalid UTF-8 and NUL replaced."""
    return raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


async def receive_callback(
    provider: PaymentProvider,
    *,
    method: str,
    headers: dict[str, str],
    query: bytes,
    body: bytes,
    source_ip: str,
    clock: Clock,
) -> CallbackAnswer:
    """Store the bytes received first (committed on their own, whatever follows), then
    check them and record the reconcile job with the outcome. Never raises for what a
    caller sent: refused callbacks stay stored with the reason.

    Three statements on PostgreSQL (store, find the attempt, outcome with its job): the
    route answers a provider that may send hundreds a second; see ``_store`` and
    ``_record_outcome`` for why they are handwritten."""
    notification_id = await _store(
        provider,
        method=method,
        headers=headers,
        query=query,
        body=body,
        source_ip=source_ip,
        received_at=clock.now(),
    )
    try:
        attempt_id, outcome, detail = await _check(provider, callback_payload(query, body))
    except ValueError as error:  # Malformed, or a value no parser could read
        attempt_id, outcome, detail = None, NotificationOutcome.MALFORMED, str(error)
    except Exception:
        logger.exception("%s callback %s could not be checked", provider, notification_id)
        attempt_id, outcome, detail = None, NotificationOutcome.MALFORMED, "erreur de vérification"
    accepted = outcome in (NotificationOutcome.VERIFIED, NotificationOutcome.RECEIVED)
    job_id = await _record_outcome(
        notification_id, outcome, readable(detail.encode())[:500], attempt_id, accepted, clock
    )
    if job_id is None:
        logger.warning("%s callback %s refused: %s", provider, notification_id, detail)
        return CallbackAnswer(400, "refused")
    return CallbackAnswer(200, "", job_id)


async def _store(
    provider: PaymentProvider,
    *,
    method: str,
    headers: dict[str, str],
    query: bytes,
    body: bytes,
    source_ip: str,
    received_at: datetime,
) -> int:
    """The notification as received, in one INSERT outside any transaction (so committed
    by itself before anything is checked); its id. Handwritten: building and saving the
    Tortoise model costs more CPU than the statement (field conversions, signals)."""
    params = Params()
    values = [
        provider.value,
        received_at,
        readable(source_ip.encode())[:64],
        readable(method.encode())[:8],
        orjson.dumps(
            {readable(k.encode()): readable(v.encode()) for k, v in headers.items()}
        ).decode(),
        readable(query),
        readable(body),
        query,
        body,
        hashlib.sha256(body or query).hexdigest(),
        NotificationOutcome.RECEIVED.value,
        "",
    ]
    [row] = await fetch(
        "INSERT INTO payment_notification (provider, received_at, source_ip, method, headers, "
        "query_string, body, raw_query, raw_body, content_sha256, outcome, detail) "
        f"VALUES ({params.many(values)}) RETURNING id",
        params,
    )
    return int(row["id"])


async def _record_outcome(
    notification_id: int,
    outcome: NotificationOutcome,
    detail: str,
    attempt_id: int | None,
    accepted: bool,
    clock: Clock,
) -> int | None:
    """The outcome on the stored notification and, when accepted, the reconcile job in
    the outbox, both or neither; the job's id (None when refused).

    PostgreSQL: one statement (the UPDATE in a data-modifying CTE of the job's INSERT),
    atomic as any statement, with no BEGIN and COMMIT round trips. SQLite (no
    data-modifying CTE): the same two statements in a transaction."""
    params = Params()
    update = (
        f"UPDATE payment_notification SET outcome = {params(outcome.value)}, "
        f"detail = {params(detail)}, attempt_id = {params(attempt_id)} "
        f"WHERE id = {params(notification_id)}"
    )
    if not accepted:
        await connection().execute_query(update, params.values)
        return None
    job = ("reconcile_payment", {"notification_id": notification_id})
    if params.postgres:
        insert = jobs_insert(params, [job], clock.now())
        [row] = await fetch(f"WITH n AS ({update}) {insert} RETURNING id", params)
        return int(row["id"])
    async with atomic():
        await connection().execute_query(update, params.values)
        params = Params()
        [row] = await fetch(f"{jobs_insert(params, [job], clock.now())} RETURNING id", params)
    return int(row["id"])


@dataclass(frozen=True)
class _Found:
    """The attempt a callback names, with its régie's keys (one query)."""

    attempt_id: int
    mode: str
    payzen_test_key: str
    payzen_production_key: str
    paybox_public_key_pem: str


async def _find(provider: PaymentProvider, **attempt: Any) -> _Found | None:
    """The attempt whose columns have the given values, with its régie's keys, in one
    handwritten query (the ORM's join costs more CPU to build than to run)."""
    params = Params()
    conditions = " AND ".join(
        [f"a.provider = {params(provider.value)}"]
        + [f"a.{column} = {params(value)}" for column, value in attempt.items()]
    )
    rows = await fetch(
        "SELECT a.id AS attempt_id, s.mode, s.payzen_test_key, s.payzen_production_key, "
        "s.paybox_public_key_pem FROM payment_attempt a "
        f"JOIN payment_setup s ON s.authority_id = a.authority_id WHERE {conditions} LIMIT 1",
        params,
    )
    return _Found(**rows[0]) if rows else None


async def _check(
    provider: PaymentProvider, raw: bytes
) -> tuple[int | None, NotificationOutcome, str]:
    """Find the attempt a callback is about and check its signature."""
    if provider == PaymentProvider.PAYZEN:
        fields = protocols.payzen_fields(raw)
        protocols.payzen_event(fields)  # an unknown status is malformed
        found = await _find(
            provider,
            shop=fields["vads_site_id"],
            trans_day=protocols.payzen_trans_day(fields),
            trans_id=fields["vads_trans_id"],
        )
        if found is None and fields.get("vads_order_id"):  # a refund has its own trans_id
            found = await _find(
                provider, shop=fields["vads_site_id"], order_ref=fields["vads_order_id"]
            )
        if found is None:
            return None, NotificationOutcome.UNKNOWN, "transaction inconnue"
        if found.mode == PaymentMode.PRODUCTION and fields["vads_ctx_mode"] != "PRODUCTION":
            return found.attempt_id, NotificationOutcome.FORGED, "mode TEST refusé en production"
        key = (
            found.payzen_production_key
            if fields["vads_ctx_mode"] == "PRODUCTION"
            else found.payzen_test_key
        )
        if not protocols.payzen_verify(fields, key):
            return found.attempt_id, NotificationOutcome.FORGED, "signature invalide"
        return found.attempt_id, NotificationOutcome.VERIFIED, fields["vads_trans_status"]
    if provider == PaymentProvider.PAYBOX:
        callback = protocols.paybox_callback(raw)
        found = await _find(provider, order_ref=callback.fields["reference"])
        if found is None:
            return None, NotificationOutcome.UNKNOWN, "référence inconnue"
        if not protocols.paybox_verify(callback, found.paybox_public_key_pem):
            return found.attempt_id, NotificationOutcome.FORGED, "signature invalide"
        return found.attempt_id, NotificationOutcome.VERIFIED, callback.fields["erreur"]
    idop = protocols.payfip_idop(raw)
    found = await _find(provider, provider_txn_id=idop)
    if found is None:
        return None, NotificationOutcome.UNKNOWN, "idOp inconnu"
    return found.attempt_id, NotificationOutcome.RECEIVED, "à confirmer auprès de la DGFiP"


def received_bytes(notification: PaymentNotification) -> tuple[bytes, bytes]:
    """Query string and body as received (rows stored before the raw columns: their text)."""
    query = notification.raw_query
    body = notification.raw_body
    return (
        bytes(query) if query is not None else notification.query_string.encode(),
        bytes(body) if body is not None else notification.body.encode(),
    )


@dataclass(frozen=True)
class Waiting:
    """The DGFiP cannot tell yet: P5 (result not known) or P1 (idOp unknown to it), before
    the attempt is given up. The recovery cron asks again."""

    code: str


async def event_of(
    notification: PaymentNotification, attempt: PaymentAttempt, payfip: PayfipClient, now: datetime
) -> ProviderEvent | Waiting:
    """What a stored, accepted notification says; for PayFiP, what the DGFiP says."""
    raw = callback_payload(*received_bytes(notification))
    if notification.provider == PaymentProvider.PAYZEN:
        return protocols.payzen_event(protocols.payzen_fields(raw))
    if notification.provider == PaymentProvider.PAYBOX:
        return protocols.paybox_event(protocols.paybox_callback(raw).fields)
    return await payfip_event(attempt, payfip, now)


async def payfip_event(
    attempt: PaymentAttempt, payfip: PayfipClient, now: datetime
) -> ProviderEvent | Waiting:
    """Ask the DGFiP. P5 (not known yet) waits until PAYFIP_GIVE_UP, P1 (unknown idOp)
    until the idOp's lifetime is over; the answer must name our client number and
    reference."""
    try:
        detail = await payfip.detail(attempt.provider_txn_id)
    except PayfipFault as fault:
        if fault.code == "P1" and now > attempt.expires_at:
            return _given_up(attempt, "P1")
        if fault.code == "P5" and now > attempt.created_at + PAYFIP_GIVE_UP:
            return _given_up(attempt, "P5")
        return Waiting(fault.code)
    if detail.numcli != attempt.shop or detail.refdet != attempt.order_ref:
        raise Malformed(f"réponse DGFiP pour {detail.numcli}/{detail.refdet}")
    return protocols.payfip_event(detail.idop, detail.resultrans, detail.montant)


def _given_up(attempt: PaymentAttempt, why: str) -> ProviderEvent:
    return ProviderEvent(
        EventKind.FAILED,
        attempt.provider_txn_id,
        None,
        attempt.currency,
        failed_status=AttemptStatus.EXPIRED,
        detail=why,
    )


async def reconcile(
    attempt_id: int,
    event: ProviderEvent,
    *,
    notification_id: int | None,
    clock: Clock,
) -> NotificationOutcome:
    """Apply one event to the ledger, in one transaction, at most once."""
    now = clock.now()
    async with atomic():
        [attempt] = await PaymentAttempt.filter(id=attempt_id).select_for_update()
        outcome = await _apply(attempt, event, notification_id, now, clock)
        if notification_id is not None:
            await PaymentNotification.filter(id=notification_id).update(
                outcome=outcome, processed_at=now, detail=event.detail[:500]
            )
    return outcome


async def _apply(
    attempt: PaymentAttempt,
    event: ProviderEvent,
    notification_id: int | None,
    now: datetime,
    clock: Clock,
) -> NotificationOutcome:
    provider = PaymentProvider(attempt.provider)
    if event.kind == EventKind.PAID:
        if await Payment.exists(
            provider=provider, provider_txn_id=event.provider_txn_id, kind=PaymentKind.PAYMENT
        ):
            return NotificationOutcome.DUPLICATE
        await _settle(attempt, event, notification_id, now, clock)
        return NotificationOutcome.PROCESSED
    if event.kind == EventKind.REFUND:
        if await Payment.exists(
            provider=provider, provider_txn_id=event.provider_txn_id, kind=PaymentKind.REFUND
        ):
            return NotificationOutcome.DUPLICATE
        await _refund(attempt, event, notification_id, now)
        return NotificationOutcome.PROCESSED
    if event.kind == EventKind.PENDING:
        if attempt.status != AttemptStatus.PENDING:
            return NotificationOutcome.STALE
        if not attempt.provider_txn_id:
            attempt.provider_txn_id = event.provider_txn_id
            attempt.updated_at = now
            await attempt.save(update_fields=["provider_txn_id", "updated_at"])
        return NotificationOutcome.PROCESSED
    assert event.failed_status is not None
    if attempt.status == AttemptStatus.PENDING:
        attempt.status = event.failed_status
        attempt.updated_at = now
        await attempt.save(update_fields=["status", "updated_at"])
        return NotificationOutcome.PROCESSED
    if event.reverses and attempt.status == AttemptStatus.PAID:
        paid = await Payment.get_or_none(
            provider=provider, provider_txn_id=event.provider_txn_id, kind=PaymentKind.PAYMENT
        )
        if paid is not None and not await Payment.exists(
            provider=provider, provider_txn_id=event.provider_txn_id, kind=PaymentKind.REVERSAL
        ):
            await _reverse(attempt, paid, event, notification_id, now)
            return NotificationOutcome.PROCESSED
    # A failure after money came in, or the same failure again: an older, stale copy.
    return NotificationOutcome.STALE


async def _flag(
    attempt: PaymentAttempt,
    reason: ReviewReason,
    key: str,
    amount_cents: int,
    message: str,
    now: datetime,
    payment: Payment | None = None,
) -> None:
    """One review per cause: a second event about the same thing does not flag it again."""
    await PaymentReview.get_or_create(
        key=f"{reason.value}:{key}"[:120],
        defaults={
            "tenant_id": attempt.tenant_id,
            "attempt_id": attempt.id,
            "payment_id": payment.id if payment else None,
            "reason": reason,
            "amount_cents": amount_cents,
            "message": message[:500],
            "created_at": now,
        },
    )


async def _settle(
    attempt: PaymentAttempt,
    event: ProviderEvent,
    notification_id: int | None,
    now: datetime,
    clock: Clock,
) -> None:
    """Record the money; allocate it to the attempt's invoices unless it is not what we
    asked for; whatever no invoice still needs (paid at the desk meanwhile, paid twice) is
    the household's credit at the régie (billing.credits: its next invoices use it, or the
    régie refunds it), and the régisseur is told."""
    amount = event.amount_cents if event.amount_cents is not None else attempt.amount_cents
    payment = await Payment.create(
        attempt_id=attempt.id,
        household_id=attempt.household_id,
        provider=attempt.provider,
        provider_txn_id=event.provider_txn_id,
        kind=PaymentKind.PAYMENT,
        amount_cents=amount,
        currency=event.currency,
        notification_id=notification_id,
        created_at=now,
    )
    late = attempt.status in FAILED
    txn_key = f"{attempt.provider}:{event.provider_txn_id}"
    if amount != attempt.amount_cents or event.currency != attempt.currency:
        await _flag(
            attempt,
            ReviewReason.AMOUNT_MISMATCH,
            txn_key,
            amount,
            f"Paiement de {format_euros(amount)} (devise {event.currency}) reçu pour une "
            f"demande de {format_euros(attempt.amount_cents)} (devise {attempt.currency}) : "
            "non imputé, à vérifier.",
            now,
            payment,
        )
        await _set_status(attempt, AttemptStatus.MISMATCH, event.provider_txn_id, now)
        return
    links = await PaymentAttemptInvoice.filter(attempt_id=attempt.id).order_by("id")
    invoice_ids = [link.invoice_id for link in links]
    invoices = {  # locked in id order, as everywhere, so that no two payments deadlock
        invoice.id: invoice
        for invoice in await Invoice.filter(id__in=invoice_ids).order_by("id").select_for_update()
    }
    remaining = amount
    settled: list[tuple[Invoice, int]] = []
    for invoice_id in invoice_ids:
        invoice = invoices[invoice_id]
        take = min(remaining, max(invoice.total_cents - invoice.settled_cents, 0))
        if take <= 0:
            continue
        await PaymentAllocation.create(
            payment_id=payment.id, invoice_id=invoice.id, amount_cents=take
        )
        await Invoice.filter(id=invoice.id).update(settled_cents=F("settled_cents") + take)
        settled.append((invoice, take))
        remaining -= take
    if remaining > 0:
        # Under the attempt's lock (reconcile), as the credit query locks it: a callback
        # and an invoice run using the credit wait for each other.
        await PaymentAttempt.filter(id=attempt.id).update(
            credit_cents=F("credit_cents") + remaining
        )
        await _flag(
            attempt,
            ReviewReason.REFUND_NEEDED,
            txn_key,
            remaining,
            f"{format_euros(remaining)} reçus alors que la facture était déjà réglée : "
            "gardés en avoir de la famille (déduit de ses prochaines factures, ou à lui "
            "rembourser).",
            now,
            payment,
        )
    if late:
        await _flag(
            attempt,
            ReviewReason.LATE_PAYMENT,
            txn_key,
            amount,
            f"Paiement de {format_euros(amount)} confirmé après l'abandon de la tentative "
            f"({attempt.status}) : vérifier qu'il n'a pas été payé deux fois.",
            now,
            payment,
        )
    await _set_status(attempt, AttemptStatus.PAID, event.provider_txn_id, now)
    tenant = await Tenant.get(id=attempt.tenant_id)
    await queue_mail(
        attempt.email,
        "payment_receipt",
        {
            "town": tenant.name,
            "amount": format_euros(amount),
            "date": format_datetime(now, tenant.timezone),
            "reference": event.provider_txn_id,
            "order_ref": attempt.order_ref,
            "invoices": [
                {
                    "number": invoice.number,
                    "paid": format_euros(take),
                    "due": format_euros(max(invoice.total_cents - invoice.settled_cents - take, 0)),
                }
                for invoice, take in settled
            ],
            "unallocated": format_euros(remaining) if remaining else "",
        },
        clock=clock,
    )


async def _set_status(
    attempt: PaymentAttempt, status: AttemptStatus, txn: str, now: datetime
) -> None:
    """Money in is never undone by a later event except a refund or a reversal."""
    if attempt.status != AttemptStatus.REFUNDED:
        attempt.status = status
    attempt.provider_txn_id = attempt.provider_txn_id or txn
    attempt.updated_at = now
    await attempt.save(update_fields=["status", "provider_txn_id", "updated_at"])


async def _net_by_invoice(attempt_id: int) -> dict[int, int]:
    """What the attempt's payments still cover on each invoice."""
    net: dict[int, int] = {}
    for allocation in await PaymentAllocation.filter(payment__attempt_id=attempt_id).order_by("id"):
        net[allocation.invoice_id] = net.get(allocation.invoice_id, 0) + allocation.amount_cents
    return net


async def _received(attempt_id: int, exclude: int | None = None) -> int:
    """Net money of an attempt in the ledger (payments less refunds)."""
    query = Payment.filter(attempt_id=attempt_id)
    if exclude is not None:
        query = query.exclude(id=exclude)
    amounts: list[int] = await query.values_list("amount_cents", flat=True)  # type: ignore[assignment]
    return sum(amounts)


async def _take_back(payment: Payment, amount: int, attempt_id: int) -> int:
    """Give back ``amount`` of an attempt's money: first what no invoice uses, then from
    the invoices, last one first, which become due again. Returns what it took from them."""
    net = await _net_by_invoice(attempt_id)
    received = await _received(attempt_id, exclude=payment.id)
    unallocated = max(received - sum(net.values()), 0)
    left = max(amount - unallocated, 0)
    taken = 0
    # Locked all at once in id order (not one by one in the order they are taken from,
    # which is the reverse one): a payment locking them at the same time cannot deadlock.
    await Invoice.filter(id__in=list(net)).order_by("id").select_for_update()
    for invoice_id in sorted(net, reverse=True):
        take = min(left, net[invoice_id])
        if take <= 0:
            continue
        await PaymentAllocation.create(
            payment_id=payment.id, invoice_id=invoice_id, amount_cents=-take
        )
        await Invoice.filter(id=invoice_id).update(settled_cents=F("settled_cents") - take)
        left -= take
        taken += take
    return taken


async def _refund(
    attempt: PaymentAttempt, event: ProviderEvent, notification_id: int | None, now: datetime
) -> None:
    """A refund made at the provider: a negative ledger entry against the attempt."""
    amount = event.amount_cents or 0
    received = await _received(attempt.id)
    if not await Payment.exists(attempt_id=attempt.id, kind=PaymentKind.PAYMENT):
        await _flag(
            attempt,
            ReviewReason.UNMATCHED_REFUND,
            f"{attempt.provider}:{event.provider_txn_id}",
            amount,
            f"Remboursement de {format_euros(amount)} signalé sans paiement enregistré.",
            now,
        )
        return
    refund = await Payment.create(
        attempt_id=attempt.id,
        household_id=attempt.household_id,
        provider=attempt.provider,
        provider_txn_id=event.provider_txn_id,
        kind=PaymentKind.REFUND,
        amount_cents=-amount,
        currency=event.currency,
        notification_id=notification_id,
        created_at=now,
    )
    await _take_back(refund, amount, attempt.id)
    if amount >= received:
        attempt.status = AttemptStatus.REFUNDED
        attempt.updated_at = now
        await attempt.save(update_fields=["status", "updated_at"])


async def _reverse(
    attempt: PaymentAttempt,
    paid: Payment,
    event: ProviderEvent,
    notification_id: int | None,
    now: datetime,
) -> None:
    """PayZen's batch said an authorisation was never captured: undo that payment."""
    reversal = await Payment.create(
        attempt_id=attempt.id,
        household_id=attempt.household_id,
        provider=attempt.provider,
        provider_txn_id=event.provider_txn_id,
        kind=PaymentKind.REVERSAL,
        amount_cents=-paid.amount_cents,
        currency=paid.currency,
        notification_id=notification_id,
        created_at=now,
    )
    await _take_back(reversal, paid.amount_cents, attempt.id)
    assert event.failed_status is not None
    attempt.status = event.failed_status
    attempt.updated_at = now
    await attempt.save(update_fields=["status", "updated_at"])
    await _flag(
        attempt,
        ReviewReason.REVERSED,
        f"{attempt.provider}:{event.provider_txn_id}",
        paid.amount_cents,
        f"Paiement de {format_euros(paid.amount_cents)} annulé par la banque "
        f"({event.detail}) : la facture est de nouveau due.",
        now,
        paid,
    )


async def process_notification(
    notification_id: int, payfip: PayfipClient, *, clock: Clock
) -> NotificationOutcome:
    """The worker's side of a callback (safe to run twice)."""
    notification = await PaymentNotification.get(id=notification_id)
    if notification.processed_at is not None or notification.attempt_id is None:
        return NotificationOutcome(notification.outcome)
    attempt = await PaymentAttempt.get(id=notification.attempt_id)
    try:
        event = await event_of(notification, attempt, payfip, clock.now())
    except Malformed as error:
        await PaymentNotification.filter(id=notification_id).update(
            outcome=NotificationOutcome.MALFORMED, detail=str(error)[:500], processed_at=clock.now()
        )
        return NotificationOutcome.MALFORMED
    if isinstance(event, Waiting):  # PayFiP cannot tell yet: the recovery cron asks again
        await PaymentNotification.filter(id=notification_id).update(
            outcome=NotificationOutcome.PROCESSED, detail=event.code, processed_at=clock.now()
        )
        return NotificationOutcome.PROCESSED
    return await reconcile(attempt.id, event, notification_id=notification_id, clock=clock)


async def recover_attempts(payfip: PayfipClient, *, clock: Clock) -> int:
    """Attempts nobody told us about: PayFiP is asked again once its idOp lapsed, the
    others are marked abandoned once PayZen's retries are over. Returns attempts closed."""
    now = clock.now()
    closed = 0
    stuck = await PaymentAttempt.filter(status=AttemptStatus.PENDING, expires_at__lt=now).order_by(
        "id"
    )
    for attempt in stuck:
        event: ProviderEvent | None
        if attempt.provider == PaymentProvider.PAYFIP:
            try:
                answer = await payfip_event(attempt, payfip, now)
            except Exception:  # DGFiP unreachable, or an answer about another payment
                logger.exception("PayFiP check of attempt %s failed; next run retries", attempt.id)
                continue
            event = None if isinstance(answer, Waiting) else answer
        elif now > attempt.created_at + SILENT_GIVE_UP:
            event = ProviderEvent(
                EventKind.FAILED,
                attempt.provider_txn_id or attempt.order_ref,
                None,
                attempt.currency,
                failed_status=AttemptStatus.ABANDONED,
                detail="sans nouvelles du prestataire",
            )
        else:
            event = None
        if event is not None:
            await reconcile(attempt.id, event, notification_id=None, clock=clock)
            closed += 1
    return closed
