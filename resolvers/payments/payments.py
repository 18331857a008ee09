"""Online payment as parents and staff use it: a régie's provider set-up, starting a
payment (the signed form the browser takes to the provider), the return page's state,
payment history and the staff review list. Callbacks and the ledger: ``reconcile``.
"""

import logging
import re
import secrets
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from models.accounts import Account
from models.billing import Invoice
from models.payments import (
    AttemptStatus,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentAttemptInvoice,
    PaymentMode,
    PaymentProvider,
    PaymentReview,
    PaymentSetup,
)
from models.tenants import Tenant
from resolvers.billing.billing import authority_of
from resolvers.billing.invoices import amount_due, invoice_for, payment_window
from resolvers.core import audit
from resolvers.core.clock import Clock
from resolvers.core.errors import (
    BillingErrorCode,
    CommonErrorCode,
    DomainError,
    NotAuthenticated,
    NotFound,
    ValidationErrors,
)
from resolvers.core.french import format_euros, format_time
from resolvers.core.roles import FamilyData, authority_ids_of
from resolvers.core.transactions import atomic, savepoint
from resolvers.households.households import household_for, require_staff
from resolvers.payments import payment_protocols as protocols
from resolvers.payments.payfip import PayfipClient, PayfipFault, PayfipRequest
from settings import get_settings

logger = logging.getLogger("famille.payments")

# How long a trip to the provider may last, during which the invoices cannot be paid
# again: PayZen's session lasts at most 10 minutes, Paybox gives up after 15 (00030),
# an idOp is valid 15 minutes and eopayment waits 20 between PayFiP payments.
SESSION = {
    PaymentProvider.PAYZEN: timedelta(minutes=15),
    PaymentProvider.PAYBOX: timedelta(minutes=15),
    PaymentProvider.PAYFIP: timedelta(minutes=20),
}
PAYFIP_MIN_CENTS = 100
CALLBACK_PATHS = {
    PaymentProvider.PAYZEN: "/payments/payzen/ipn",
    PaymentProvider.PAYBOX: "/payments/paybox/ipn",
    PaymentProvider.PAYFIP: "/payments/payfip/notify",
}
# vads_trans_id: 6 alphanumerics, never starting with 9 (900000-999999 are the back
# office's), unique per shop and UTC day (unique key on the attempt).
_TRANS_FIRST = (string.digits + string.ascii_lowercase).replace("9", "")
_TRANS_REST = string.digits + string.ascii_lowercase


def new_trans_id() -> str:
    return secrets.choice(_TRANS_FIRST) + "".join(secrets.choice(_TRANS_REST) for _ in range(5))


@dataclass
class SetupForm:
    """A régie's provider and credentials, as its finance officer types them."""

    provider: PaymentProvider
    mode: PaymentMode = PaymentMode.TEST
    payzen_site_id: str = ""
    payzen_test_key: str = ""
    payzen_production_key: str = ""
    paybox_site: str = ""
    paybox_rang: str = ""
    paybox_identifiant: str = ""
    paybox_hmac_key: str = ""
    paybox_public_key_pem: str = ""
    payfip_numcli: str = ""


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(BillingErrorCode.INVALID, message, field)


def _check_setup(form: SetupForm) -> None:
    errors: list[DomainError] = []
    production = form.mode == PaymentMode.PRODUCTION
    if form.provider == PaymentProvider.PAYZEN:
        if not re.fullmatch(r"\d{8}", form.payzen_site_id):
            errors.append(_invalid("L'identifiant boutique compte 8 chiffres.", "payzenSiteId"))
        if not form.payzen_test_key:
            errors.append(_invalid("La clé de test est obligatoire.", "payzenTestKey"))
        if production and not form.payzen_production_key:
            errors.append(_invalid("La clé de production est obligatoire.", "payzenProductionKey"))
    elif form.provider == PaymentProvider.PAYBOX:
        for value, pattern, field, message in (
            (form.paybox_site, r"\d{7}", "payboxSite", "Le numéro de site compte 7 chiffres."),
            (form.paybox_rang, r"\d{2,3}", "payboxRang", "Le rang compte 2 ou 3 chiffres."),
            (form.paybox_identifiant, r"\d{1,16}", "payboxIdentifiant", "Identifiant invalide."),
            (
                form.paybox_hmac_key,
                r"(?:[0-9A-Fa-f]{2}){16,128}",
                "payboxHmacKey",
                "La clé HMAC est une suite hexadécimale.",
            ),
        ):
            if not re.fullmatch(pattern, value):
                errors.append(_invalid(message, field))
        try:
            key = serialization.load_pem_public_key(form.paybox_public_key_pem.encode())
        except ValueError:
            key = None
        if not isinstance(key, rsa.RSAPublicKey):
            errors.append(
                _invalid(
                    "La clé publique Paybox doit être une clé RSA au format PEM.",
                    "payboxPublicKeyPem",
                )
            )
    elif not re.fullmatch(r"\d{6}", form.payfip_numcli):
        errors.append(_invalid("Le numéro client PayFiP compte 6 chiffres.", "payfipNumcli"))
    if errors:
        raise ValidationErrors(errors)


async def save_payment_setup(
    actor: Account | None, authority_id: int, form: SetupForm, *, clock: Clock
) -> PaymentSetup:
    """Staff: choose the régie's provider; only that provider's fields are kept."""
    staff = require_staff(actor)
    authority = await authority_of(staff, authority_id)
    _check_setup(form)
    values = {
        "provider": form.provider,
        "mode": form.mode,
        "payzen_site_id": "",
        "payzen_test_key": "",
        "payzen_production_key": "",
        "paybox_site": "",
        "paybox_rang": "",
        "paybox_identifiant": "",
        "paybox_hmac_key": "",
        "paybox_public_key_pem": "",
        "payfip_numcli": "",
        "updated_at": clock.now(),
    }
    prefix = f"{form.provider.value}_"
    values |= {name: getattr(form, name).strip() for name in values if name.startswith(prefix)}
    async with atomic():
        setup, _ = await PaymentSetup.update_or_create(authority_id=authority.id, defaults=values)
        await audit.record(
            "payment_setup.saved",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="BillingAuthority",
            target_id=authority.id,
            clock=clock,
            details={"provider": form.provider.value, "mode": form.mode.value},
        )
    return setup


@dataclass
class PaymentForm:
    """What the client sends the parent's browser to: a form (POST) or a link (GET)."""

    attempt: PaymentAttempt
    url: str
    method: str
    fields: list[tuple[str, str]]


def callback_url(provider: PaymentProvider) -> str:
    return f"{get_settings().public_url}{CALLBACK_PATHS[provider]}"


def _ascii_object(text: str) -> str:
    """PayFiP's ``objet``: ASCII letters, digits and spaces, at most 100."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9 ]", " ", plain)[:100].strip()


async def _load_invoices(actor: Account, invoice_ids: list[int]) -> list[Invoice]:
    if not invoice_ids:
        raise DomainError(BillingErrorCode.NOTHING_DUE, "Choisissez au moins une facture.")
    invoices = [await invoice_for(actor, invoice_id) for invoice_id in sorted(set(invoice_ids))]
    if len({(invoice.household_id, invoice.authority_id) for invoice in invoices}) > 1:
        raise DomainError(
            BillingErrorCode.INVALID,
            "Ces factures relèvent de régies différentes : payez-les séparément.",
            "invoiceIds",
        )
    return invoices


async def start_payment(
    actor: Account | None,
    invoice_ids: list[int],
    payfip: PayfipClient,
    *,
    amount_cents: int | None = None,
    clock: Clock,
) -> PaymentForm:
    """Open an attempt for invoices of one household and régie, and sign the form.

    Refused outside the payment window, when nothing is due, and while an earlier attempt
    on one of the invoices may still be paid (its provider session is not over).
    """
    if actor is None:
        raise NotAuthenticated()
    now = clock.now()
    invoices = await _load_invoices(actor, invoice_ids)
    first = invoices[0]
    setup = await PaymentSetup.get_or_none(authority_id=first.authority_id)
    if setup is None:
        raise DomainError(
            BillingErrorCode.PAYMENT_UNAVAILABLE,
            "Le paiement en ligne n'est pas proposé pour cette régie : réglez auprès d'elle.",
        )
    timezone = (await Tenant.get(id=first.tenant_id)).timezone
    for invoice in invoices:
        if amount_due(invoice) == 0:
            raise DomainError(
                BillingErrorCode.NOTHING_DUE,
                f"La facture {invoice.number} est déjà réglée : rien à payer.",
                "invoiceIds",
            )
        window = payment_window(invoice, now, timezone)
        if not window.open:
            raise DomainError(BillingErrorCode.PAYMENT_CLOSED, window.message, "invoiceIds")
    provider = PaymentProvider(setup.provider)
    email = actor.email
    async with atomic():
        # Locked (in id order, as everywhere, so that nothing deadlocks), so that two clicks
        # at once cannot open two attempts on one invoice.
        locked = (
            await Invoice.filter(id__in=[i.id for i in invoices]).order_by("id").select_for_update()
        )
        due = {invoice.id: amount_due(invoice) for invoice in locked}
        total = sum(due.values())
        amount = total if amount_cents is None else amount_cents
        minimum = PAYFIP_MIN_CENTS if provider == PaymentProvider.PAYFIP else 1
        if not minimum <= amount <= total:
            raise DomainError(
                BillingErrorCode.INVALID,
                f"Le montant doit être entre {format_euros(minimum)} et {format_euros(total)}.",
                "amountCents",
            )
        open_attempt = (
            await PaymentAttempt.filter(
                invoices__invoice_id__in=list(due),
                status=AttemptStatus.PENDING,
                expires_at__gt=now,
            )
            .order_by("-expires_at")
            .first()
        )
        if open_attempt is not None:
            retry_at = format_time(open_attempt.expires_at, timezone)
            raise DomainError(
                BillingErrorCode.PAYMENT_IN_PROGRESS,
                "Un paiement est déjà en cours pour cette facture. S'il n'a pas abouti, "
                f"vous pourrez réessayer à partir de {retry_at}.",
                "invoiceIds",
            )
        attempt = await _create_attempt(
            setup, first, actor, email, amount, now, [(i.id, due[i.id]) for i in invoices]
        )
    return await _form(setup, attempt, invoices, payfip, now)


async def _create_attempt(
    setup: PaymentSetup,
    invoice: Invoice,
    actor: Account,
    email: str,
    amount: int,
    now: datetime,
    dues: list[tuple[int, int]],
) -> PaymentAttempt:
    provider = PaymentProvider(setup.provider)
    shop = {
        PaymentProvider.PAYZEN: setup.payzen_site_id,
        PaymentProvider.PAYBOX: f"{setup.paybox_site}{setup.paybox_rang}",
        PaymentProvider.PAYFIP: setup.payfip_numcli,
    }[provider]
    for _ in range(5):
        try:
            async with savepoint():  # a savepoint: a clashing id is drawn again
                attempt = await PaymentAttempt.create(
                    tenant_id=invoice.tenant_id,
                    authority_id=invoice.authority_id,
                    household_id=invoice.household_id,
                    account_id=actor.id,
                    provider=provider,
                    mode=setup.mode,
                    shop=shop,
                    order_ref=f"F{now:%y%m%d}{secrets.token_hex(5).upper()}",
                    trans_id=new_trans_id() if provider == PaymentProvider.PAYZEN else None,
                    trans_day=now.date(),
                    return_token=secrets.token_urlsafe(18),
                    amount_cents=amount,
                    email=email,
                    created_at=now,
                    expires_at=now + SESSION[provider],
                    updated_at=now,
                )
        except IntegrityError:
            continue
        await PaymentAttemptInvoice.bulk_create(
            [
                PaymentAttemptInvoice(attempt_id=attempt.id, invoice_id=invoice_id, due_cents=due)
                for invoice_id, due in dues
            ]
        )
        return attempt
    raise RuntimeError("no free PayZen transaction id after 5 draws")


def return_url(attempt: PaymentAttempt) -> str:
    return f"{get_settings().public_url}/paiement/retour/{attempt.return_token}"


async def _form(
    setup: PaymentSetup,
    attempt: PaymentAttempt,
    invoices: list[Invoice],
    payfip: PayfipClient,
    now: datetime,
) -> PaymentForm:
    provider = PaymentProvider(setup.provider)
    if provider == PaymentProvider.PAYZEN:
        key = (
            setup.payzen_production_key
            if setup.mode == PaymentMode.PRODUCTION
            else setup.payzen_test_key
        )
        fields = protocols.payzen_request(
            site_id=setup.payzen_site_id,
            key=key,
            mode=setup.mode,
            trans_id=attempt.trans_id or "",
            trans_date=now,
            amount_cents=attempt.amount_cents,
            order_ref=attempt.order_ref,
            email=attempt.email,
            return_url=return_url(attempt),
            ipn_url=callback_url(provider),
        )
        return PaymentForm(attempt, protocols.PAYZEN_URL, "POST", sorted(fields.items()))
    if provider == PaymentProvider.PAYBOX:
        pairs = protocols.paybox_request(
            site=setup.paybox_site,
            rang=setup.paybox_rang,
            identifiant=setup.paybox_identifiant,
            hex_key=setup.paybox_hmac_key,
            amount_cents=attempt.amount_cents,
            order_ref=attempt.order_ref,
            email=attempt.email,
            when=now,
            return_url=return_url(attempt),
            ipn_url=callback_url(provider),
        )
        return PaymentForm(attempt, protocols.PAYBOX_URLS[setup.mode], "POST", pairs)
    request = PayfipRequest(
        numcli=setup.payfip_numcli,
        exer=str(now.year),
        refdet=attempt.order_ref,
        montant=attempt.amount_cents,
        mel=attempt.email,
        objet=_ascii_object("Factures " + " ".join(invoice.number for invoice in invoices)),
        saisie="T" if setup.mode == PaymentMode.TEST else "W",
        urlnotif=callback_url(provider),
        urlredirect=return_url(attempt),
    )
    try:
        idop = await payfip.create_payment(request)
    except (PayfipFault, httpx.HTTPError, ValueError, SyntaxError):
        # Refused (PayfipFault), unreachable, or an unreadable answer: nothing was opened.
        logger.warning("PayFiP did not open attempt %s", attempt.id, exc_info=True)
        idop = ""
    if not idop:
        await PaymentAttempt.filter(id=attempt.id).update(status=AttemptStatus.CANCELLED)
        raise DomainError(
            BillingErrorCode.PAYMENT_UNAVAILABLE,
            "Le service de paiement PayFiP n'a pas pu ouvrir le paiement : réessayez plus tard.",
        )
    attempt.provider_txn_id = idop
    await attempt.save(update_fields=["provider_txn_id"])
    return PaymentForm(attempt, protocols.PAYFIP_PAYMENT_URL, "GET", [("idop", idop)])


@dataclass
class ReturnState:
    """What the return page tells the parent, from our own records only."""

    title: str
    message: str


async def return_state(token: str) -> ReturnState | None:
    """The browser return says nothing we trust: this reads the attempt and the ledger,
    which only the verified callback moves."""
    attempt = await PaymentAttempt.get_or_none(return_token=token)
    if attempt is None:
        return None
    amount = format_euros(attempt.amount_cents)
    status = AttemptStatus(attempt.status)
    if status == AttemptStatus.PAID:
        return ReturnState(
            "Paiement enregistré",
            f"Votre paiement de {amount} est enregistré. Un reçu vous est envoyé par courriel.",
        )
    if status == AttemptStatus.PENDING:
        return ReturnState(
            "Paiement en cours de confirmation",
            f"Votre paiement de {amount} est en cours de confirmation par le prestataire. "
            "Vous recevrez un reçu par courriel dès qu'il sera confirmé ; inutile de payer "
            "une seconde fois.",
        )
    if status == AttemptStatus.MISMATCH:
        return ReturnState(
            "Paiement en cours de vérification",
            "Le montant reçu ne correspond pas à la demande : la régie vérifie votre "
            "paiement et reviendra vers vous.",
        )
    if status == AttemptStatus.REFUSED:
        return ReturnState(
            "Paiement refusé",
            f"Le paiement de {amount} a été refusé : rien n'a été débité. Vous pouvez "
            "réessayer avec une autre carte.",
        )
    if status == AttemptStatus.REFUNDED:
        return ReturnState("Paiement remboursé", f"Le paiement de {amount} a été remboursé.")
    return ReturnState(
        "Paiement non effectué",
        f"Le paiement de {amount} n'a pas été effectué. Vous pouvez réessayer depuis votre "
        "espace famille.",
    )


@dataclass
class PaymentEntry:
    """One ledger movement with the invoices it touched."""

    payment: Payment
    allocations: list[tuple[str, int]]


async def payments_of(actor: Account | None, household_id: int) -> list[PaymentEntry]:
    """Payment history of a household, newest first (the household's access rule)."""
    household = await household_for(actor, household_id, FamilyData.BILLING)
    payments = await Payment.filter(household_id=household.id).order_by("-id").limit(200)
    return await _entries(payments)


async def payments_page(
    actor: Account | None, household_id: int, *, first: int, after_id: int | None
) -> tuple[list[PaymentEntry], bool, int]:
    """A page of a household's payment history, newest first (``after_id``: the last id
    already shown), whether more follow, and how many there are in all."""
    household = await household_for(actor, household_id, FamilyData.BILLING)
    query = Payment.filter(household_id=household.id)
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    payments = await query.order_by("-id").limit(first + 1)
    return await _entries(payments[:first]), len(payments) > first, total


async def payment_for(actor: Account | None, payment_id: int) -> PaymentEntry:
    """One payment through its household's access rule (else NOT_FOUND)."""
    payment = await Payment.get_or_none(id=payment_id)
    if payment is None:
        raise NotFound("Paiement", "id")
    try:
        await household_for(actor, payment.household_id, FamilyData.BILLING)
    except DomainError as error:
        if error.code == CommonErrorCode.NOT_FOUND:
            raise NotFound("Paiement", "id") from None
        raise
    [entry] = await _entries([payment])
    return entry


async def _entries(payments: list[Payment]) -> list[PaymentEntry]:
    """The payments with the invoices each one settled (one statement)."""
    allocations = (
        await PaymentAllocation.filter(payment_id__in=[payment.id for payment in payments])
        .order_by("id")  # in the order they were made (PostgreSQL promises none without it)
        .values_list("payment_id", "invoice__number", "amount_cents")
    )
    by_payment: dict[int, list[tuple[str, int]]] = {payment.id: [] for payment in payments}
    for payment_id, number, cents in allocations:
        by_payment[payment_id].append((number, cents))
    return [PaymentEntry(payment, by_payment[payment.id]) for payment in payments]


async def _reviews(staff: Account, **filters: Any) -> QuerySet[PaymentReview]:
    """The town's payment reviews; a régisseur's, of their régies only."""
    query = PaymentReview.filter(tenant_id=staff.tenant_id, **filters)
    given = await authority_ids_of(staff)
    return query if given is None else query.filter(attempt__authority_id__in=given)


async def reviews_of(actor: Account | None, *, resolved: bool) -> list[PaymentReview]:
    """Staff: what needs a person in the town (open ones by default), oldest first."""
    staff = require_staff(actor)
    return (
        await (await _reviews(staff, resolved_at__isnull=not resolved))
        .select_related("attempt")
        .order_by("id")
        .limit(500)
    )


async def payment_setup_of(actor: Account | None, authority_id: int) -> PaymentSetup | None:
    """Staff: a régie's online-payment provider, or None when it has none."""
    authority = await authority_of(require_staff(actor), authority_id)
    return await PaymentSetup.get_or_none(authority_id=authority.id)


async def reviews_page(
    actor: Account | None, *, resolved: bool, first: int, after_id: int | None
) -> tuple[list[PaymentReview], bool, int]:
    """Staff: a page of ``reviews_of``, oldest first, whether more follow, and the total."""
    staff = require_staff(actor)
    query = await _reviews(staff, resolved_at__isnull=not resolved)
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    rows = await query.select_related("attempt").order_by("id").limit(first + 1)
    return rows[:first], len(rows) > first, total


async def resolve_review(
    actor: Account | None, review_id: int, note: str, *, clock: Clock
) -> PaymentReview:
    """Staff: mark one review done, saying what was done (refund made, cheque…)."""
    staff = require_staff(actor)
    review = await (await _reviews(staff, id=review_id)).select_related("attempt").first()
    if review is None:
        raise NotFound("Paiement à vérifier", "id")
    if review.resolved_at is None:
        review.resolved_at = clock.now()
        review.resolved_by_id = staff.id
        review.resolution_note = note.strip()[:500]
        async with atomic():
            await review.save(update_fields=["resolved_at", "resolved_by_id", "resolution_note"])
            await audit.record(
                "payment_review.resolved",
                tenant_id=staff.tenant_id,
                actor=staff,
                target_type="PaymentReview",
                target_id=review.id,
                clock=clock,
            )
    return review
