"""Opaque global ids (``base64("Household:12")``): stable, typed, not guessable as integers."""

import base64
import binascii
from functools import lru_cache

from resolvers.core.errors import CommonErrorCode, DomainError


# Both cached: a change set or its answer repeats the same few ids hundreds of times.
@lru_cache(maxsize=8192)
def encode_id(type_name: str, pk: int) -> str:
    """The global id of a row (cached: a long answer repeats the same few ids)."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_global_id(value: str) -> tuple[str, int] | None:
    """The type name and primary key behind a global id of any type, or None (``node``)."""
    try:
        padded = value + "=" * (-len(value) % 4)
        kind, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return (kind, int(pk)) if pk.isascii() and pk.isdigit() else None


@lru_cache(maxsize=8192)
def decode_id(value: str, type_name: str, *, field: str) -> int:
    """The primary key behind an id of the expected type, or a typed INVALID error (a
    refused id is not cached: its error is raised again each time)."""
    decoded = decode_global_id(value)
    if decoded is not None and decoded[0] == type_name:
        return decoded[1]
    raise DomainError(CommonErrorCode.INVALID, "Identifiant invalide.", field)
