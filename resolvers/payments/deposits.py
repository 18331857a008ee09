"""Deposit slips (bordereaux de remise): the cheques, or the cash, a régie takes to the bank
together, with their count and total, as a French PDF behind a signed link.

A slip gathers the régie's desk payments of one mode (CASH or CHEQUE) received up to its
day, not cancelled and not yet on a slip (all of them, or those the régisseur picks); they
are locked (``FOR UPDATE``) while marked, as a cancellation locks its payment, so a payment
is either cancelled or deposited, never both. A deposited payment cannot be cancelled
(``desk.cancel_desk_payment`` says which slip holds it). Slips are numbered without gaps
per régie and year (« B… », ``numbering``).
"""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from tortoise.queryset import QuerySet

from models.accounts import Account
from models.authorities import BillingAuthority
from models.payments import DepositSlip, DeskPayment, DeskPaymentMode
from models.tenants import Tenant
from resolvers.core import audit, signed_links
from resolvers.core.clock import Clock
from resolvers.core.errors import BillingErrorCode, DomainError, NotFound
from resolvers.core.transactions import atomic
from resolvers.households.households import require_staff
from resolvers.payments.numbering import Series, next_number

DEPOSIT_MODES = (DeskPaymentMode.CASH, DeskPaymentMode.CHEQUE)


def _invalid(message: str, field_name: str) -> DomainError:
    return DomainError(BillingErrorCode.INVALID, message, field_name)


async def authority_of(staff: Account, authority_id: int) -> BillingAuthority:
    authority = await BillingAuthority.get_or_none(id=authority_id, tenant_id=staff.tenant_id)
    if authority is None:
        raise NotFound("Régie", "authorityId")
    return authority


def _check_mode(mode: DeskPaymentMode) -> None:
    if mode not in DEPOSIT_MODES:
        raise _invalid("Un bordereau de remise regroupe des chèques ou des espèces.", "mode")


def _waiting(authority_id: int, mode: DeskPaymentMode, day: date) -> QuerySet[DeskPayment]:
    return DeskPayment.filter(
        authority_id=authority_id,
        mode=mode,
        received_on__lte=day,
        cancelled_at__isnull=True,
        deposit_slip_id__isnull=True,
    )


async def payments_to_deposit(
    actor: Account | None, authority_id: int, mode: DeskPaymentMode, day: date
) -> list[DeskPayment]:
    """The régie's cheques (or cash) received up to ``day`` and not yet deposited, oldest
    first: what the next slip will hold.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    authority = await authority_of(staff, authority_id)
    _check_mode(mode)
    return await _waiting(authority.id, mode, day).order_by("received_on", "id").limit(500)


async def create_deposit_slip(
    actor: Account | None,
    authority_id: int,
    mode: DeskPaymentMode,
    day: date,
    desk_payment_ids: list[int] | None = None,
    *,
    clock: Clock,
) -> DepositSlip:
    """Staff: put the régie's waiting cheques (or cash) of ``day`` and before on a slip —
    all of them, or the ones named — and mark them deposited.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    authority = await authority_of(staff, authority_id)
    _check_mode(mode)
    tenant = await Tenant.get(id=staff.tenant_id)
    now = clock.now()
    today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    if day > today:
        raise _invalid("La date de remise ne peut pas être future.", "day")
    async with atomic():
        query = _waiting(authority.id, mode, day)
        if desk_payment_ids is not None:
            query = query.filter(id__in=desk_payment_ids)
        payments = await query.order_by("id").select_for_update()
        if desk_payment_ids is not None and len(payments) != len(set(desk_payment_ids)):
            raise _invalid(
                "Certains encaissements ne sont pas à remettre : autre régie ou autre mode, "
                "déjà remis, annulés ou reçus après la date de remise.",
                "deskPaymentIds",
            )
        if not payments:
            what = "chèque" if mode == DeskPaymentMode.CHEQUE else "encaissement en espèces"
            raise _invalid(f"Aucun {what} à remettre à cette date.", "day")
        slip = await DepositSlip.create(
            tenant_id=staff.tenant_id,
            authority_id=authority.id,
            number=await next_number(authority.id, Series.DEPOSIT, today.year),
            mode=mode,
            deposited_on=day,
            total_cents=sum(payment.amount_cents for payment in payments),
            payment_count=len(payments),
            created_by_id=staff.id,
            created_at=now,
        )
        await DeskPayment.filter(id__in=[payment.id for payment in payments]).update(
            deposit_slip_id=slip.id
        )
        await audit.record(
            "deposit_slip.created",
            tenant_id=staff.tenant_id,
            actor=staff,
            target_type="DepositSlip",
            target_id=slip.id,
            clock=clock,
            details={
                "number": slip.number,
                "mode": mode.value,
                "total_cents": slip.total_cents,
                "receipts": [payment.number for payment in payments],
            },
        )
    return slip


async def deposit_slip_for(actor: Account | None, slip_id: int) -> DepositSlip:
    """A slip of the staff member's town (else NOT_FOUND).

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    slip = await DepositSlip.get_or_none(id=slip_id, tenant_id=staff.tenant_id)
    if slip is None:
        raise NotFound("Bordereau de remise", "id")
    return slip


async def deposit_slips_of(
    actor: Account | None, authority_id: int, since: date, until: date
) -> list[DepositSlip]:
    """A régie's slips deposited between two days, newest first.

    Roles: REGISSEUR"""
    staff = require_staff(actor)
    authority = await authority_of(staff, authority_id)
    return (
        await DepositSlip.filter(
            authority_id=authority.id, deposited_on__gte=since, deposited_on__lte=until
        )
        .order_by("-deposited_on", "-id")
        .limit(500)
    )


async def slip_payments(slip_ids: list[int]) -> dict[int, list[DeskPayment]]:
    """The payments of each slip, in receipt order."""
    rows = await DeskPayment.filter(deposit_slip_id__in=slip_ids).order_by("id")
    by_slip: dict[int, list[DeskPayment]] = {slip_id: [] for slip_id in slip_ids}
    for row in rows:
        if row.deposit_slip_id is not None:
            by_slip[row.deposit_slip_id].append(row)
    return by_slip


@dataclass
class SlipDocument:
    """What the slip's PDF prints."""

    slip: DepositSlip
    town: str
    authority: str
    payments: list[DeskPayment]


async def load_slip(slip: DepositSlip) -> SlipDocument:
    tenant = await Tenant.get(id=slip.tenant_id)
    authority = await BillingAuthority.get(id=slip.authority_id)
    payments = (await slip_payments([slip.id]))[slip.id]
    return SlipDocument(slip, tenant.name, authority.name, payments)


def slip_url(slip_id: int, account: Account, *, clock: Clock) -> str:
    """A short-lived signed link to a slip's PDF, for the town's staff."""
    url, _ = signed_links.DEPOSIT_SLIP.url(account, {"slip": slip_id}, clock=clock)
    return url


async def slip_from_token(token: str, *, clock: Clock) -> DepositSlip:
    """The slip a link names, if its account is still staff of that town.

    Raises ``signed_links.InvalidLink`` or a DomainError (FORBIDDEN, NOT_FOUND)."""
    account, params = await signed_links.DEPOSIT_SLIP.verify(token, clock=clock)
    return await deposit_slip_for(account, int(params["slip"]))
