"""Per-régie totals of a month for staff: what was invoiced, credited, settled and is still
due, and what was settled by each payment mode, in two aggregate statements.

The régie's books balance: invoiced = settled + still due + credited, where ``settled``
is the money of the payment ledger (online, direct debit, the desk's modes and credit
used), read through ``settled_cents`` summed over the month's documents (a credit note
applied to an invoice adds to that invoice what it keeps negative itself, so they cancel
out), and ``credited`` is what credit notes cleared from the month's invoices. Credit notes
not applied to an invoice (issued by the run) are in ``credit_notes_cents`` only."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from models.accounts import Account
from models.authorities import BillingAuthority
from models.billing import InvoiceKind
from resolvers.billing.ledger_modes import LedgerMode, mode_of
from resolvers.core.errors import NotFound
from resolvers.core.roles import authority_ids_of, require_authority
from resolvers.core.sql import Params, fetch
from resolvers.households.households import require_staff


@dataclass
class MonthTotals:
    """One régie's month, in cents: credit notes are negative, ``due`` never is."""

    authority: BillingAuthority
    month: date
    invoiced_cents: int
    credit_notes_cents: int
    settled_cents: int
    due_cents: int
    invoice_count: int
    credit_note_count: int
    credited_cents: int = 0
    by_mode: list[tuple[LedgerMode, int]] = field(default_factory=list)


async def month_totals(
    actor: Account | None, month: date, authority_id: int | None = None
) -> list[MonthTotals]:
    """Totals of the town's régies (or one) for the month billed (staff).

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    month = month.replace(day=1)
    query = BillingAuthority.filter(tenant_id=staff.tenant_id)
    if authority_id is not None:
        query = query.filter(id=authority_id)
        await require_authority(staff, authority_id)
    given = await authority_ids_of(staff)  # a régisseur: their régies only
    if given is not None:
        query = query.filter(id__in=given)
    authorities = await query.order_by("name")
    if authority_id is not None and not authorities:
        raise NotFound("Régie", "authorityId")
    if not authorities:
        return []
    params = Params()
    rows = await fetch(
        "SELECT authority_id, "
        "SUM(CASE WHEN total_cents > 0 THEN total_cents ELSE 0 END) AS invoiced, "
        "SUM(CASE WHEN total_cents < 0 THEN total_cents ELSE 0 END) AS credited, "
        "SUM(settled_cents) AS settled, "
        "SUM(CASE WHEN total_cents > settled_cents THEN total_cents - settled_cents ELSE 0 END) "
        "AS due, "
        f"SUM(CASE WHEN kind = {params(InvoiceKind.CREDIT_NOTE.value)} THEN 1 ELSE 0 END) "
        "AS credit_notes, COUNT(*) AS documents, "
        "SUM(CASE WHEN total_cents < 0 AND corrects_id IS NOT NULL THEN -settled_cents "
        "ELSE 0 END) AS applied "
        f"FROM invoice WHERE month = {params(month)} "
        f"AND authority_id IN ({params.many([a.id for a in authorities])}) "
        "GROUP BY authority_id",
        params,
    )
    by_authority = {row["authority_id"]: row for row in rows}
    modes = await _settled_by_mode(month, [a.id for a in authorities])
    result = []
    for authority in authorities:
        row = by_authority.get(authority.id, {})
        credit_notes = int(row.get("credit_notes") or 0)
        result.append(
            MonthTotals(
                authority=authority,
                month=month,
                invoiced_cents=int(row.get("invoiced") or 0),
                credit_notes_cents=int(row.get("credited") or 0),
                settled_cents=int(row.get("settled") or 0),
                due_cents=int(row.get("due") or 0),
                invoice_count=int(row.get("documents") or 0) - credit_notes,
                credit_note_count=credit_notes,
                credited_cents=int(row.get("applied") or 0),
                by_mode=[
                    (mode, cents)
                    for mode, cents in sorted(
                        modes.get(authority.id, {}).items(),
                        key=lambda item: list(LedgerMode).index(item[0]),
                    )
                    if cents
                ],
            )
        )
    return result


async def _settled_by_mode(
    month: date, authority_ids: list[int]
) -> dict[int, dict[LedgerMode, int]]:
    """The ledger's allocations to the month's documents, per régie and mode. A desk
    payment's allocation to an invoice it was not recorded for is its credit used by a
    later invoice (CREDIT)."""
    params = Params()
    rows = await fetch(
        "SELECT i.authority_id, p.provider, d.mode AS desk_mode, "
        "CASE WHEN pai.id IS NULL THEN 1 ELSE 0 END AS later, "
        "SUM(a.amount_cents) AS cents "
        "FROM payment_allocation a JOIN invoice i ON i.id = a.invoice_id "
        "JOIN payment p ON p.id = a.payment_id "
        "LEFT JOIN desk_payment d ON d.attempt_id = p.attempt_id "
        "LEFT JOIN payment_attempt_invoice pai "
        "ON pai.attempt_id = p.attempt_id AND pai.invoice_id = a.invoice_id "
        f"WHERE i.month = {params(month)} AND i.authority_id IN ({params.many(authority_ids)}) "
        "GROUP BY i.authority_id, p.provider, d.mode, "
        "CASE WHEN pai.id IS NULL THEN 1 ELSE 0 END",
        params,
    )
    totals: dict[int, dict[LedgerMode, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        provider = str(row["provider"])
        if provider == "desk" and int(row["later"]):
            mode = LedgerMode.CREDIT
        else:
            mode = mode_of(provider, row["desk_mode"])
        totals[int(row["authority_id"])][mode] += int(row["cents"] or 0)
    return totals
