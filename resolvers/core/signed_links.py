"""Short-lived signed download links (CSV, PDF): a browser or a spreadsheet follows them
without a bearer header, and the server keeps no state for them.

A link carries what it grants (purpose, account, parameters, expiry) and an HMAC-SHA256 of
that with ``FAMILLE_SECRET_KEY``; the account is loaded again when it is followed, so a
disabled account's links stop working at once.

Every kind of link is declared here once (``LinkKind``: its purpose and its path), followed
at ``<public URL>/<path>/<token>``, or at ``<public URL>/<path>?token=<token>`` for the
staff's exports whose path ends with the file's name: the resolvers issue and open their
links through it, gql/app.py and gql/downloads.py route its path and gql/access_log.py
redacts its tokens, so a purpose, a path and the URL built from them cannot drift apart.
"""

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

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


@dataclass(frozen=True)
class LinkKind:
    """One kind of signed link: what it grants (``purpose``, inside the signature) and where
    it is followed (``path``, the first segment of the URL, before the token)."""

    purpose: str
    path: str
    in_query: bool = False  # the token in ``?token=``, not in the path

    @property
    def route(self) -> str:
        """The Starlette route serving these links."""
        return f"/{self.path}" if self.in_query else f"/{self.path}/{{token}}"

    @property
    def prefix(self) -> str:
        """What the URLs start with, before the token (redacted from the access log)."""
        return f"/{self.path}/"

    def url(
        self, account: Account, params: dict[str, Any], *, clock: Clock
    ) -> tuple[str, datetime]:
        """A link granting ``params`` to ``account``, and when it expires."""
        token, expires_at = sign(self.purpose, account, params, clock=clock)
        base = get_settings().public_url.rstrip("/")
        if self.in_query:
            return f"{base}/{self.path}?{urlencode({'token': token})}", expires_at
        return f"{base}{self.prefix}{token}", expires_at

    async def verify(self, token: str, *, clock: Clock) -> tuple[Account, dict[str, Any]]:
        """The account (still enabled) and parameters a valid link of this kind grants, or
        ``InvalidLink``."""
        return await verify(token, self.purpose, clock=clock)


# Purposes are inside links already mailed or shown: changing one breaks them.
DOCUMENT_FILE = LinkKind("document-file", "files")
INVOICE_PDF = LinkKind("invoice-pdf", "factures")
DIRECT_DEBIT_XML = LinkKind("direct-debit-xml", "prelevements")
PES_XML = LinkKind("pes-xml", "titres")
TAX_CERTIFICATE = LinkKind("tax-certificate", "attestations")
DESK_RECEIPT = LinkKind("desk-receipt", "recus")
DEPOSIT_SLIP = LinkKind("deposit-slip", "bordereaux")
CASH_JOURNAL = LinkKind("cash-journal", "journal-caisse")
HOUSEHOLD_EXPORT = LinkKind("household-export", "export")
# The staff's exports (gql/downloads.py): the query string is redacted from the log whole.
KITCHEN_CSV = LinkKind("kitchen-forecast.csv", "exports/kitchen-forecast.csv", in_query=True)
ATTENDANCE_PDF = LinkKind("attendance.pdf", "exports/attendance.pdf", in_query=True)
# The links whose token is in the path (redacted after ``prefix``).
LINK_KINDS = (
    DOCUMENT_FILE,
    INVOICE_PDF,
    DIRECT_DEBIT_XML,
    PES_XML,
    TAX_CERTIFICATE,
    DESK_RECEIPT,
    DEPOSIT_SLIP,
    CASH_JOURNAL,
    HOUSEHOLD_EXPORT,
)
