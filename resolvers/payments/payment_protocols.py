"""The three providers' wire formats (docs/payments.md): signing what we send, verifying
and reading what they call us back with. Pure functions: no database, no network.

A callback is turned into one ``ProviderEvent`` so that reconciliation
(resolvers/payments/reconcile.py) applies the same rules whatever the provider.

Callbacks are read strictly, from the bytes received: UTF-8 ``name=value`` pairs joined by
``&``, no NUL, no name twice, and only the names the provider sends (PayZen ``vads_*`` and
``signature``; Paybox the variables of PBX_RETOUR in its order, the signature last; PayFiP
``idop``). What is verified is then exactly what is read: nothing unsigned can change the
meaning of a signed callback.
"""

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import unquote, unquote_plus

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from models.payments import AttemptStatus

PAYZEN_URL = "https://secure.payzen.eu/vads-payment/"
PAYBOX_URLS = {
    "TEST": "https://preprod-tpeweb.paybox.com/php/",
    "PRODUCTION": "https://tpeweb.paybox.com/php/",
}
PAYFIP_PAYMENT_URL = "https://www.payfip.gouv.fr/tpa/paiementws.web"
EURO = "978"

# What Paybox sends back, in this order; the signature (K) must be last.
PAYBOX_RETOUR = (
    "montant:M;reference:R;code_autorisation:A;erreur:E;numero_appel:T;"
    "numero_transaction:S;date_transaction:W;heure_transaction:Q;signature:K"
)
PAYBOX_NAMES = tuple(part.split(":", 1)[0] for part in PAYBOX_RETOUR.split(";"))


class Malformed(ValueError):
    """A callback that is not what the provider sends (missing, unreadable, repeated or
    unexpected fields)."""


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Malformed("encodage illisible (UTF-8 attendu)") from error


def _pair(segment: str) -> tuple[str, str]:
    name, equals, value = segment.partition("=")
    if not equals or not name:
        raise Malformed(f"paramètre illisible : {segment[:40]!r}")
    try:
        pair = unquote_plus(name, errors="strict"), unquote_plus(value, errors="strict")
    except UnicodeDecodeError as error:
        raise Malformed(f"paramètre mal encodé : {name[:40]!r}") from error
    if "\x00" in pair[0] or "\x00" in pair[1]:
        raise Malformed(f"octet nul dans le paramètre {pair[0][:40]!r}")
    return pair


def form_pairs(raw: bytes) -> list[tuple[str, str]]:
    """``name=value&…`` as received, decoded strictly (UTF-8, percent-encoding, no NUL)."""
    text = _text(raw)
    if not text:
        raise Malformed("aucun paramètre")
    return [_pair(segment) for segment in text.split("&")]


def unique_fields(pairs: list[tuple[str, str]], allowed: Callable[[str], bool]) -> dict[str, str]:
    """The pairs as a mapping, refusing a name given twice or one the provider never sends."""
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise Malformed(f"paramètre en double : {name[:40]!r}")
        if not allowed(name):
            raise Malformed(f"paramètre inattendu : {name[:40]!r}")
        fields[name] = value
    return fields


class EventKind(StrEnum):
    """What a callback means for the money, once verified."""

    PAID = "paid"
    PENDING = "pending"
    FAILED = "failed"
    REFUND = "refund"


@dataclass(frozen=True)
class ProviderEvent:
    """One callback, normalised.

    ``failed_status`` says which failure (refused, cancelled…) for FAILED. ``reverses``
    marks PayZen's CANCELLED/EXPIRED/CAPTURE_FAILED, which undo an earlier authorisation
    of the same transaction instead of being a stale copy.
    """

    kind: EventKind
    provider_txn_id: str
    amount_cents: int | None
    currency: str
    failed_status: AttemptStatus | None = None
    reverses: bool = False
    detail: str = ""


# --- PayZen -------------------------------------------------------------------------


def payzen_signature(fields: dict[str, str], key: str) -> str:
    """HMAC-SHA-256 (Base64) of the sorted vads_ values joined with ``+``, plus the key."""
    values = [fields[name] for name in sorted(fields) if name.startswith("vads_")]
    message = "+".join([*values, key]).encode()
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def payzen_verify(fields: dict[str, str], key: str) -> bool:
    received = fields.get("signature", "")
    return bool(key) and hmac.compare_digest(payzen_signature(fields, key), received)


PAYZEN_REQUIRED = (
    "vads_site_id",
    "vads_ctx_mode",
    "vads_trans_id",
    "vads_trans_date",
    "vads_trans_status",
    "vads_amount",
    "vads_currency",
    "signature",
)


def payzen_fields(body: bytes) -> dict[str, str]:
    """The form fields of an IPN (POST, UTF-8): ``vads_*`` and ``signature`` only, each
    once (so the signature covers every field read); Malformed when one is missing."""
    fields = unique_fields(
        form_pairs(body), lambda name: name == "signature" or name.startswith("vads_")
    )
    missing = [name for name in PAYZEN_REQUIRED if not fields.get(name)]
    if missing:
        raise Malformed(f"champs manquants : {', '.join(missing)}")
    if not fields["vads_amount"].isdigit() or len(fields["vads_trans_date"]) != 14:
        raise Malformed("montant ou date illisible")
    try:
        datetime.strptime(fields["vads_trans_date"], "%Y%m%d%H%M%S")
    except ValueError as error:
        raise Malformed("date illisible") from error
    return fields


def payzen_trans_day(fields: dict[str, str]) -> date:
    return datetime.strptime(fields["vads_trans_date"][:8], "%Y%m%d").date()


_PAYZEN_FAILURES = {
    "REFUSED": AttemptStatus.REFUSED,
    "ABANDONED": AttemptStatus.ABANDONED,
    "CANCELLED": AttemptStatus.CANCELLED,
    "EXPIRED": AttemptStatus.EXPIRED,
    "CAPTURE_FAILED": AttemptStatus.REFUSED,
}
_PAYZEN_PENDING = {
    "AUTHORISED_TO_VALIDATE",
    "WAITING_AUTHORISATION",
    "WAITING_AUTHORISATION_TO_VALIDATE",
    "UNDER_VERIFICATION",
    "ACCEPTED",
}


def payzen_event(fields: dict[str, str]) -> ProviderEvent:
    """Read a verified IPN. We never validate manually (vads_validation_mode 0), so only
    AUTHORISED and CAPTURED debits are money; a CREDIT is a refund."""
    status = fields["vads_trans_status"]
    txn = fields.get("vads_trans_uuid") or (
        f"{fields['vads_site_id']}-{fields['vads_trans_date'][:8]}-{fields['vads_trans_id']}"
    )
    amount = int(fields.get("vads_effective_amount") or fields["vads_amount"])
    currency = fields.get("vads_effective_currency") or fields["vads_currency"]
    operation = fields.get("vads_operation_type", "")
    detail = f"{status} {operation} {fields.get('vads_url_check_src', '')}".strip()
    if operation == "CREDIT":
        if status in ("AUTHORISED", "CAPTURED"):
            return ProviderEvent(EventKind.REFUND, txn, amount, currency, detail=detail)
        return ProviderEvent(EventKind.PENDING, txn, amount, currency, detail=detail)
    if status in ("AUTHORISED", "CAPTURED") and operation in ("DEBIT", ""):
        return ProviderEvent(EventKind.PAID, txn, amount, currency, detail=detail)
    if status in _PAYZEN_FAILURES:
        return ProviderEvent(
            EventKind.FAILED,
            txn,
            amount,
            currency,
            failed_status=_PAYZEN_FAILURES[status],
            reverses=status in ("CANCELLED", "EXPIRED", "CAPTURE_FAILED"),
            detail=detail,
        )
    if status in _PAYZEN_PENDING:
        return ProviderEvent(EventKind.PENDING, txn, amount, currency, detail=detail)
    raise Malformed(f"statut inconnu {status}")


def payzen_request(
    *,
    site_id: str,
    key: str,
    mode: str,
    trans_id: str,
    trans_date: datetime,
    amount_cents: int,
    order_ref: str,
    email: str,
    return_url: str,
    ipn_url: str,
) -> dict[str, str]:
    """The fields of the form the browser posts to PayZen, signature included."""
    fields = {
        "vads_action_mode": "INTERACTIVE",
        "vads_amount": str(amount_cents),
        "vads_capture_delay": "0",
        "vads_ctx_mode": mode,
        "vads_currency": EURO,
        "vads_cust_email": email,
        "vads_language": "fr",
        "vads_order_id": order_ref,
        "vads_page_action": "PAYMENT",
        "vads_payment_config": "SINGLE",
        "vads_return_mode": "GET",
        "vads_site_id": site_id,
        "vads_trans_date": trans_date.strftime("%Y%m%d%H%M%S"),
        "vads_trans_id": trans_id,
        "vads_url_check": ipn_url,
        "vads_url_return": return_url,
        "vads_validation_mode": "0",
        "vads_version": "V2",
    }
    fields["signature"] = payzen_signature(fields, key)
    return fields


# --- Paybox -------------------------------------------------------------------------


def paybox_hmac(fields: list[tuple[str, str]], hex_key: str) -> str:
    """PBX_HMAC: upper-case hex HMAC-SHA512 of ``KEY=value&…`` (not URL-encoded)."""
    message = "&".join(f"{name}={value}" for name, value in fields).encode()
    return hmac.new(bytes.fromhex(hex_key), message, hashlib.sha512).hexdigest().upper()


def paybox_request(
    *,
    site: str,
    rang: str,
    identifiant: str,
    hex_key: str,
    amount_cents: int,
    order_ref: str,
    email: str,
    when: datetime,
    return_url: str,
    ipn_url: str,
) -> list[tuple[str, str]]:
    """The ordered PBX_ fields of the form, PBX_HMAC last (it signs the others)."""
    fields = [
        ("PBX_SITE", site),
        ("PBX_RANG", rang),
        ("PBX_IDENTIFIANT", identifiant),
        ("PBX_TOTAL", f"{amount_cents:03d}"),
        ("PBX_DEVISE", EURO),
        ("PBX_CMD", order_ref),
        ("PBX_PORTEUR", email),
        ("PBX_RETOUR", PAYBOX_RETOUR),
        ("PBX_HASH", "SHA512"),
        ("PBX_TIME", when.isoformat(timespec="seconds")),
        ("PBX_EFFECTUE", return_url),
        ("PBX_REFUSE", return_url),
        ("PBX_ANNULE", return_url),
        ("PBX_ATTENTE", return_url),
        ("PBX_REPONDRE_A", ipn_url),
        ("PBX_AUTOSEULE", "N"),
    ]
    fields.append(("PBX_HMAC", paybox_hmac(fields, hex_key)))
    return fields


@dataclass(frozen=True)
class PayboxCallback:
    """A Paybox IPN read strictly: its fields, the exact bytes its signature covers (every
    variable before it) and the signature."""

    fields: dict[str, str]
    signed: bytes
    signature: str


PAYBOX_REQUIRED = ("montant", "reference", "erreur", "signature")


def paybox_callback(raw: bytes) -> PayboxCallback:
    """The variables of PBX_RETOUR, each once, in its order, the signature last: nothing
    after the signature, no other name (so nothing unsigned is read)."""
    text = _text(raw)
    segments = text.split("&") if text else []
    pairs = [_pair(segment) for segment in segments]
    fields = unique_fields(pairs, lambda name: name in PAYBOX_NAMES)
    positions = [PAYBOX_NAMES.index(name) for name in fields]
    if positions != sorted(positions):
        raise Malformed("variables dans un autre ordre que PBX_RETOUR")
    missing = [name for name in PAYBOX_REQUIRED if not fields.get(name)]
    if "signature" in missing:
        raise Malformed("signature absente")
    if missing or not fields["montant"].isdigit():
        raise Malformed(f"champs manquants ou illisibles : {', '.join(missing) or 'montant'}")
    # The signature is the last variable: it signs the received bytes before its "&".
    signed, _, _ = raw.rpartition(b"&")
    signature = unquote(segments[-1].partition("=")[2])
    del fields["signature"]
    return PayboxCallback(fields, signed, signature)


def paybox_verify(callback: PayboxCallback, public_key_pem: str) -> bool:
    """RSA-SHA1 (PKCS#1 v1.5) over the exact received bytes before the signature."""
    try:
        signature = base64.b64decode(callback.signature, validate=True)
        key = serialization.load_pem_public_key(public_key_pem.encode())
    except ValueError:
        return False
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, callback.signed, padding.PKCS1v15(), hashes.SHA1())
    except InvalidSignature:
        return False
    return True


def paybox_event(fields: dict[str, str]) -> ProviderEvent:
    """``erreur`` 00000 is paid, 99999 waits for the issuer, 00001 is the buyer cancelling,
    anything else a refusal. Paybox does not echo the currency: it is the one we sent."""
    error = fields["erreur"]
    amount = int(fields["montant"])
    number = fields.get("numero_transaction", "")
    txn = number if number.strip("0") else f"{fields['reference']}-{error}"
    if error == "00000":
        return ProviderEvent(EventKind.PAID, txn, amount, EURO, detail=error)
    if error == "99999":
        return ProviderEvent(EventKind.PENDING, txn, amount, EURO, detail=error)
    status = AttemptStatus.ABANDONED if error in ("00001", "00030") else AttemptStatus.REFUSED
    return ProviderEvent(EventKind.FAILED, txn, amount, EURO, failed_status=status, detail=error)


# --- PayFiP -------------------------------------------------------------------------


PAYFIP_NAMES = ("idop",)


def payfip_idop(raw: bytes) -> str:
    """The only thing PayFiP's notification carries (``idop``, once, alone); it proves
    nothing."""
    fields = unique_fields(form_pairs(raw), lambda name: name in PAYFIP_NAMES)
    idop = fields.get("idop", "").strip()
    if not (len(idop) == 36 and all(c.isalnum() or c == "-" for c in idop)):
        raise Malformed("idop absent ou illisible")
    return idop


def payfip_event(idop: str, resultrans: str, amount_cents: int) -> ProviderEvent:
    """P card / V direct debit paid, R / Z refused, A abandoned (the SOAP answer)."""
    if resultrans in ("P", "V"):
        return ProviderEvent(EventKind.PAID, idop, amount_cents, EURO, detail=resultrans)
    status = AttemptStatus.REFUSED if resultrans in ("R", "Z") else AttemptStatus.ABANDONED
    return ProviderEvent(
        EventKind.FAILED, idop, amount_cents, EURO, failed_status=status, detail=resultrans
    )
