"""How money reached (or left) a régie, as the régie's books group it: the desk's modes,
online payment, direct debit, and a household's credit used by a later invoice.

The one mapping from a ledger entry to its mode, shared by the month's totals
(``billing_totals``) and the daily cash journal (payments' ``cash_journal``)."""

from enum import StrEnum

# Provider and desk-mode values as stored (models/payments.py); billing reads the ledger
# but does not import the payments area's models' enums for this.
_ONLINE = {"payzen", "paybox", "payfip"}


class LedgerMode(StrEnum):
    """A mode of the régie's books."""

    CASH = "cash"
    CHEQUE = "cheque"
    CESU = "cesu"
    TRANSFER = "transfer"
    OTHER = "other"
    ONLINE = "online"
    DIRECT_DEBIT = "direct_debit"
    CREDIT = "credit"


LABELS = {
    LedgerMode.CASH: "Espèces",
    LedgerMode.CHEQUE: "Chèques",
    LedgerMode.CESU: "CESU",
    LedgerMode.TRANSFER: "Virements",
    LedgerMode.OTHER: "Autres",
    LedgerMode.ONLINE: "Paiement en ligne",
    LedgerMode.DIRECT_DEBIT: "Prélèvements",
    LedgerMode.CREDIT: "Avoirs utilisés",
}


def mode_of(provider: str, desk_mode: str | None) -> LedgerMode:
    """The mode of a ledger entry from its provider and, at the desk, the desk's mode."""
    if provider in _ONLINE:
        return LedgerMode.ONLINE
    if provider == "sepa":
        return LedgerMode.DIRECT_DEBIT
    return LedgerMode(desk_mode) if desk_mode else LedgerMode.OTHER
