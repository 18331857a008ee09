"""Gap-free numbers per régie, series and year: receipts (« R »), deposit slips (« B ») and
credit refunds (« V »), as the public accountant checks them.

The counter row is created if missing (``ON CONFLICT DO NOTHING``, so two first numbers of
a year cannot both insert it), then locked and moved inside the caller's transaction: a
transaction that fails gives its number back with everything else, so no number is lost,
and two régisseurs recording at once get consecutive numbers.
"""

from enum import StrEnum

from resolvers.core.sql import Params, connection, fetch, is_postgres
from resolvers.core.transactions import atomic


class Series(StrEnum):
    """A numbered series of a régie, and its prefix."""

    RECEIPT = "receipt"
    DEPOSIT = "deposit"
    REFUND = "refund"


PREFIXES = {Series.RECEIPT: "R", Series.DEPOSIT: "B", Series.REFUND: "V"}


async def next_number(authority_id: int, series: Series, year: int) -> str:
    """Inside the caller's transaction: the next number, e.g. ``R3-2026-000042`` (régie 3,
    42nd receipt of 2026). The régie's id keeps numbers unique across the town's régies."""
    async with atomic():
        p = Params()
        await connection().execute_query(
            "INSERT INTO document_counter (authority_id, series, year, last_sequence) "
            f"VALUES ({p(authority_id)}, {p(series.value)}, {p(year)}, 0) "
            "ON CONFLICT (authority_id, series, year) DO NOTHING",
            p.values,
        )
        p = Params()
        lock = " FOR UPDATE" if is_postgres() else ""
        [row] = await fetch(
            "SELECT id, last_sequence FROM document_counter "
            f"WHERE authority_id = {p(authority_id)} AND series = {p(series.value)} "
            f"AND year = {p(year)}{lock}",
            p,
        )
        sequence = int(row["last_sequence"]) + 1
        p = Params()
        await connection().execute_query(
            f"UPDATE document_counter SET last_sequence = {p(sequence)} WHERE id = {p(row['id'])}",
            p.values,
        )
    return f"{PREFIXES[series]}{authority_id}-{year}-{sequence:06d}"
