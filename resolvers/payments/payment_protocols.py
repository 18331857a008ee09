"""The three providers' wire formats (README, « Online payments »): signing what we send, verifying
and reading what they call us back with. Pure functions: no database, no network.

A callback is turned into one ``ProviderEvent`` so that reconciliation
(resolvers/payments/reconcile.py) applies the same rules whatever the provider.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from urllib.parse import parse_qsl, unquote

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


class Malformed(ValueError):
    """A callback that is not what the provider sends (missing or unreadable fields)."""


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


def payzen_fields(body: str) -> dict[str, str]:
    """The form fields of an IPN (POST, UTF-8); raises Malformed when one is missing."""
    try:
        fields = dict(parse_qsl(body, keep_blank_values=True, strict_parsing=True))
    except ValueError as error:
        raise Malformed("corps illisible") from error
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


def paybox_fields(raw: str) -> dict[str, str]:
    """The variables of PBX_RETOUR; the signature must be the last one."""
    if "&signature=" not in raw:
        raise Malformed("signature absente ou pas en dernier")
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    missing = [name for name in ("montant", "reference", "erreur") if not fields.get(name)]
    if missing or not fields["montant"].isdigit():
        raise Malformed(f"champs manquants ou illisibles : {', '.join(missing) or 'montant'}")
    return fields


def paybox_verify(raw: str, public_key_pem: str) -> bool:
    """RSA-SHA1 (PKCS#1 v1.5) over the exact received string before ``&signature=``."""
    signed, _, rest = raw.rpartition("&signature=")
    encoded = rest.split("&", 1)[0]
    try:
        signature = base64.b64decode(unquote(encoded), validate=True)
        key = serialization.load_pem_public_key(public_key_pem.encode())
    except ValueError:
        return False
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, signed.encode(), padding.PKCS1v15(), hashes.SHA1())
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


def payfip_idop(raw: str) -> str:
    """The only thing PayFiP's notification carries that we use; it proves nothing."""
    idop = dict(parse_qsl(raw, keep_blank_values=True)).get("idop", "").strip()
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
