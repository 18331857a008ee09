"""Opaque global ids (``base64("Household:12")``): stable, typed, not guessable as integers."""

import base64
import binascii
import importlib
from functools import lru_cache

from tortoise import fields
from tortoise.models import Model

from resolvers.core.errors import CommonErrorCode, DomainError
from settings import MODEL_MODULES

# The largest key of PostgreSQL's ``integer`` and ``bigint``: a number beyond its column's
# range is no row, and sent as a parameter it would fail the statement (an internal error).
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1


@lru_cache(maxsize=1)
def _wide_keys() -> frozenset[str]:
    """The models whose primary key is a ``BigIntField``, read from the models themselves
    (a type's name is its model's, but for Town, the 32-bit ``Tenant``); every other key
    is 32-bit."""
    wide = set()
    for name in MODEL_MODULES:
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, type) and issubclass(value, Model) and value.__module__ == name:
                if isinstance(value._meta.fields_map.get(value._meta.pk_attr), fields.BigIntField):
                    wide.add(value.__name__)
    return frozenset(wide)


def key_limit(type_name: str) -> int:
    """The largest primary key a row of ``type_name`` can have."""
    return BIGINT_MAX if type_name in _wide_keys() else INT_MAX


# Both cached: a change set or its answer repeats the same few ids hundreds of times.
@lru_cache(maxsize=8192)
def encode_id(type_name: str, pk: int) -> str:
    """The global id of a row (cached: a long answer repeats the same few ids)."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_global_id(value: str) -> tuple[str, int] | None:
    """The type name and primary key behind a global id of any type, or None (``node``):
    None too for a number no row of that type can have, so that a forged id is refused
    like any malformed one rather than failing its statement."""
    try:
        padded = value + "=" * (-len(value) % 4)
        kind, _, digits = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    # 19 digits hold any bigint; the length check comes first, as int() refuses (with a
    # ValueError) strings of more than 4,300 digits. Only encode_id's own spelling is an
    # id: "Child:007" is not a second name for Child 7.
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 19):
        return None
    pk = int(digits)
    return (kind, pk) if pk <= key_limit(kind) and str(pk) == digits else None


@lru_cache(maxsize=8192)
def decode_id(value: str, type_name: str, *, field: str) -> int:
    """The primary key behind an id of the expected type, or a typed INVALID error (a
    refused id is not cached: its error is raised again each time)."""
    decoded = decode_global_id(value)
    if decoded is not None and decoded[0] == type_name:
        return decoded[1]
    raise DomainError(CommonErrorCode.INVALID, "Identifiant invalide.", field)
