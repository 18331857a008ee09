"""Per-régie totals of a month for staff: what was invoiced, credited, settled and is
still due, in one aggregate statement."""

from dataclasses import dataclass
from datetime import date

from models.accounts import Account
from models.authorities import BillingAuthority
from models.billing import InvoiceKind
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


async def month_totals(
    actor: Account | None, month: date, authority_id: int | None = None
) -> list[MonthTotals]:
    """Totals of the town's régies (or one) for the month billed (staff)."""
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
        "AS credit_notes, COUNT(*) AS documents "
        f"FROM invoice WHERE month = {params(month)} "
        f"AND authority_id IN ({params.many([a.id for a in authorities])}) "
        "GROUP BY authority_id",
        params,
    )
    by_authority = {row["authority_id"]: row for row in rows}
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
            )
        )
    return result
