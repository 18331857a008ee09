"""Password hashing (argon2id) and random secrets stored only as SHA-256 digests."""

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# A hash of a random password, verified when the e-mail is unknown, so that a login for an
# unknown address costs the same time as a wrong password (no account enumeration).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

# Crockford-like alphabet without 0/O/1/I/L: access keys are read on paper and typed by hand.
_KEY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A URL-safe secret with 256 bits of entropy (session, activation, reset)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex digest: what the database keeps of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_access_key() -> str:
    """A 12-character key grouped by 4 (``K7QF-9PXM-2HCD``), about 59 bits of entropy."""
    raw = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def normalise_access_key(key: str) -> str:
    """Accept lower case, spaces and missing dashes as typed by a parent."""
    raw = "".join(ch for ch in key.upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))
