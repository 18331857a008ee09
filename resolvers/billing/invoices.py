"""Invoices as parents and staff read them, and the signed links that download their PDF."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from tortoise.expressions import F

from models.accounts import Account, AccountRole
from models.billing import Invoice, InvoiceDelivery, InvoiceLine
from models.tenants import Tenant
from resolvers.core import signed_links
from resolvers.core.clock import Clock
from resolvers.core.errors import DomainError, NotAuthenticated, NotFound
from resolvers.core.roles import FamilyData, authority_ids_of
from resolvers.core.sql import Params, fetch
from resolvers.households.households import household_for


class InvoiceFilter(StrEnum):
    """Which invoices a list shows."""

    ALL = "all"
    UNPAID = "unpaid"
    PAID = "paid"


def amount_due(invoice: Invoice) -> int:
    """What is still to pay; a credit note or an overpaid invoice owes nothing."""
    return max(invoice.total_cents - invoice.settled_cents, 0)


@dataclass
class PaymentWindow:
    """Whether online payment is open now, and the sentence that says when it is."""

    open: bool
    message: str


def payment_window(invoice: Invoice, now: datetime, timezone: str) -> PaymentWindow:
    from resolvers.billing.invoicing import payment_window_text

    text = payment_window_text(invoice.payment_opens_at, invoice.payment_closes_at, timezone)
    # « jusqu'au 30/11 à 23h59 » includes that minute.
    is_open = invoice.payment_opens_at <= now < invoice.payment_closes_at + timedelta(minutes=1)
    if amount_due(invoice) == 0:
        return PaymentWindow(False, "Rien à payer pour cette facture.")
    if is_open:
        return PaymentWindow(True, f"{text}.")
    if now < invoice.payment_opens_at:
        return PaymentWindow(False, f"{text}.")
    return PaymentWindow(
        False,
        f"{text} : la période est terminée, réglez auprès de la régie.",
    )


async def invoices_of(
    actor: Account | None,
    household_id: int | None,
    status: InvoiceFilter,
    *,
    first: int,
    after_id: int | None,
    delivery: InvoiceDelivery | None = None,
) -> tuple[list[Invoice], bool, int]:
    """Newest first. Parents see their household's; staff one household's or the town's
    (``delivery=PRINT``: the ones to print and post)."""
    if household_id is not None:
        household = await household_for(actor, household_id, FamilyData.BILLING)
        query = Invoice.filter(household_id=household.id)
    else:
        if actor is None:
            raise NotAuthenticated()
        if actor.role == AccountRole.PARENT:
            query = Invoice.filter(household__guardians__account_id=actor.id)
        else:
            query = Invoice.filter(tenant_id=actor.tenant_id)
            given = await authority_ids_of(actor)  # a régisseur: their régies' invoices
            if given is not None:
                query = query.filter(authority_id__in=given)
    if status != InvoiceFilter.ALL:
        query = query.annotate(due=F("total_cents") - F("settled_cents"))
        query = (
            query.filter(due__gt=0) if status == InvoiceFilter.UNPAID else query.filter(due__lte=0)
        )
    if delivery is not None:
        query = query.filter(delivery=delivery)
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(first + 1)
    return rows[:first], len(rows) > first, total


@dataclass(frozen=True)
class Unpaid:
    """A household's unpaid invoices: how many, and what they still owe together."""

    count: int
    due_cents: int


async def unpaid_of(household_id: int) -> Unpaid:
    """The household's invoices with something still to pay (``amount_due`` above 0: a
    credit note or an overpaid invoice owes nothing) and their sum, in one statement: the
    dashboard's count and the home screen's total read the same rule, after their own
    access check."""
    params = Params()
    [row] = await fetch(
        f"""SELECT COUNT(*) AS n, CAST(COALESCE(SUM(total_cents - settled_cents), 0) AS BIGINT)
                   AS due
            FROM invoice
            WHERE household_id = {params(household_id)} AND total_cents > settled_cents""",
        params,
    )
    return Unpaid(count=int(row["n"]), due_cents=int(row["due"]))


async def unpaid_count(actor: Account | None, household_id: int) -> int:
    """« Vous avez 1 facture non réglée »"""
    household = await household_for(actor, household_id, FamilyData.BILLING)
    return (await unpaid_of(household.id)).count


async def invoice_for(actor: Account | None, invoice_id: int) -> Invoice:
    """The one access rule of invoices: that of their household (else NOT_FOUND)."""
    invoice = await Invoice.get_or_none(id=invoice_id)
    if invoice is None:
        raise NotFound("Facture", "invoiceId")
    try:
        await household_for(actor, invoice.household_id, FamilyData.BILLING)
    except DomainError as error:
        if error.code.value == "NOT_FOUND":
            raise NotFound("Facture", "invoiceId") from error
        raise
    return invoice


async def lines_of(invoice_ids: list[int]) -> dict[int, list[InvoiceLine]]:
    lines = await InvoiceLine.filter(invoice_id__in=invoice_ids).order_by("invoice_id", "position")
    by_invoice: dict[int, list[InvoiceLine]] = {invoice_id: [] for invoice_id in invoice_ids}
    for line in lines:
        by_invoice[line.invoice_id].append(line)
    return by_invoice


async def time_zones(tenant_ids: set[int]) -> dict[int, str]:
    """The time zone of each town, in which invoices' due dates are read."""
    rows = await Tenant.filter(id__in=tenant_ids).values_list("id", "timezone")
    return {int(tenant_id): str(timezone) for tenant_id, timezone in rows}


def pdf_url(invoice_id: int, account: Account, *, clock: Clock) -> str:
    """A short-lived signed link to one invoice's PDF, followed without the bearer token
    (a browser opens it); it names the account it was issued to."""
    url, _ = signed_links.INVOICE_PDF.url(account, {"invoice": invoice_id}, clock=clock)
    return url


async def invoice_from_token(token: str, *, clock: Clock) -> Invoice:
    """The invoice a link names, if its account may still read it.

    Raises ``signed_links.InvalidLink`` (tampered, expired) or NOT_FOUND.
    """
    account, params = await signed_links.INVOICE_PDF.verify(token, clock=clock)
    return await invoice_for(account, int(params["invoice"]))
