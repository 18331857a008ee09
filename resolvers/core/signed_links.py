"""Short-lived signed download links (CSV, PDF): a browser or a spreadsheet follows them
without a bearer header, and the server keeps no state for them.

A link carries what it grants (purpose, account, parameters, expiry) and an HMAC-SHA256 of
that with ``FAMILLE_SECRET_KEY``; the account is loaded again when it is followed, so a
disabled account's links stop working at once.
"""

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from models.accounts import Account
from resolvers.core.clock import Clock
from settings import get_settings


class InvalidLink(Exception):
    """Tampered, expired, for another purpose, or its account is gone: answered 403."""


def _mac(payload: bytes) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def sign(
    purpose: str, account: Account, params: dict[str, Any], *, clock: Clock
) -> tuple[str, datetime]:
    """A token for ``purpose`` on behalf of ``account``, and when it expires."""
    expires_at = clock.now() + timedelta(minutes=get_settings().signed_link_ttl_minutes)
    body = {"p": purpose, "a": account.id, "e": int(expires_at.timestamp()), "q": params}
    payload = base64.urlsafe_b64encode(orjson.dumps(body)).rstrip(b"=")
    return f"{payload.decode()}.{_mac(payload)}", expires_at


async def verify(token: str, purpose: str, *, clock: Clock) -> tuple[Account, dict[str, Any]]:
    """The account and parameters a valid token grants, or ``InvalidLink``."""
    payload, _, mac = token.partition(".")
    if not hmac.compare_digest(_mac(payload.encode()), mac):
        raise InvalidLink()
    try:
        body = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        raise InvalidLink() from None
    if body.get("p") != purpose:
        raise InvalidLink()
    if clock.now() > datetime.fromtimestamp(int(body["e"]), UTC):
        raise InvalidLink()
    account = await Account.get_or_none(id=int(body["a"]), is_disabled=False)
    if account is None:
        raise InvalidLink()
    params: dict[str, Any] = body["q"]
    return account, params
