"""Short-lived links signed with the server's secret key (HMAC-SHA-256).

A link carries what it opens and until when; any API server holding the same
``FAMILLE_SECRET_KEY`` can check it without a database lookup. The expiry is read from the
injectable clock, so tests move time instead of sleeping.
"""

import base64
import hashlib
import hmac
from datetime import datetime

from settings import get_settings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(purpose: str, payload: str) -> str:
    key = get_settings().secret_key.encode()
    digest = hmac.new(key, f"{purpose}\n{payload}".encode(), hashlib.sha256).digest()
    return _b64(digest[:20])


def sign(purpose: str, value: str, expires_at: datetime) -> str:
    """A token for ``value``, valid for ``purpose`` only, until ``expires_at``."""
    payload = _b64(f"{value}|{int(expires_at.timestamp())}".encode())
    return f"{payload}.{_mac(purpose, payload)}"


class LinkExpired(Exception):
    """Genuine but past its time: the page says to ask for a new one."""


def verify(purpose: str, token: str, now: datetime) -> str | None:
    """The signed value; None when forged or malformed; LinkExpired when too old."""
    payload, _, mac = token.partition(".")
    if not payload or not hmac.compare_digest(mac, _mac(purpose, payload)):
        return None
    try:
        value, _, expires = _unb64(payload).decode().rpartition("|")
        expires_at = int(expires)
    except (ValueError, UnicodeDecodeError):
        return None
    if now.timestamp() > expires_at:
        raise LinkExpired()
    return value
