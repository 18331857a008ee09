"""The demo town's billing: a régie, price grids by quotient, a term of past bookings with
some attendance, and the invoices of the months already over, issued as the run would."""

from datetime import UTC, date, datetime, timedelta

from models.accounts import Account
from models.authorities import BillingAuthority
from models.catalogue import Activity, Opening
from models.households import Child, Household
from models.payments import PaymentMode, PaymentProvider
from models.tenants import Tenant
from resolvers.billing.billing import (
    AuthorityForm,
    TariffForm,
    add_tariff,
    assign_activity,
    save_billing_authority,
)
from resolvers.billing.invoicing import first_of_month, invoice_month
from resolvers.calendar.bookings import BookingAction, ChangeSet, Recurrence, submit_changes
from resolvers.core.clock import Clock, FrozenClock
from resolvers.operations.attendance_records import AttendanceEntry, record_attendance
from resolvers.payments.payments import SetupForm, save_payment_setup

SCHOOL_YEAR_START = date(2026, 9, 1)
SCHOOL_YEAR_END = date(2027, 8, 31)
# Cents per day by quotient bracket (0-600, 601-1200, above), then the non-resident price.
_PRICES = {
    "RS-REPAS": (180, 320, 450, 560),
    "APS-MATIN": (90, 150, 210, 260),
    "APS-SOIR": (120, 200, 280, 340),
    "ETUDE": (100, 160, 220, 270),
    "ALSH-MER": (600, 1100, 1600, 1900),
    "ALSH-VAC": (700, 1250, 1800, 2100),
}


async def seed_billing(tenant: Tenant, staff: Account, clock: Clock) -> None:
    """Once: the régie and its grids, the Martins' quotient and past days."""
    if await BillingAuthority.exists(tenant=tenant):
        return
    authority = await save_billing_authority(
        staff,
        AuthorityForm(name="Régie périscolaire", resident_postal_codes="81100"),
        authority_id=None,
        clock=clock,
    )
    # Online payment on PayZen's test platform: `startPayment` signs a real form; the shop
    # and its key are made up, so PayZen itself would refuse it (set a town's own with
    # `setPaymentSetup`).
    await save_payment_setup(
        staff,
        authority.id,
        SetupForm(
            PaymentProvider.PAYZEN,
            PaymentMode.TEST,
            payzen_site_id="12345678",
            payzen_test_key="demo-cle-de-test",
        ),
        clock=clock,
    )
    for activity in await Activity.filter(tenant=tenant):
        await assign_activity(staff, activity.id, authority.id, clock=clock)
        low, middle, high, outsider = _PRICES.get(activity.code, (100, 200, 300, 400))
        for quotient_min, quotient_max, price, resident in (
            (0, 600, low, True),
            (601, 1200, middle, True),
            (1201, None, high, True),
            (0, None, outsider, False),
        ):
            await add_tariff(
                staff,
                TariffForm(
                    activity_id=activity.id,
                    valid_from=SCHOOL_YEAR_START,
                    valid_until=SCHOOL_YEAR_END,
                    resident=resident,
                    quotient_min=quotient_min,
                    quotient_max=quotient_max,
                    unit_price_cents=price,
                ),
                clock=clock,
            )
    martin = await Household.get(tenant=tenant, reference="F-DEMO-001")
    martin.family_quotient = martin.family_quotient or 850
    martin.family_quotient_valid_until = SCHOOL_YEAR_END
    martin.paperless = True
    await martin.save()
    yesterday = clock.now().date() - timedelta(days=1)
    if yesterday < SCHOOL_YEAR_START:
        return
    lea, hugo = await Child.filter(household=martin).order_by("birth_date")
    canteen = await Activity.get(tenant=tenant, code="RS-REPAS")
    evening = await Activity.get(tenant=tenant, code="APS-SOIR")
    # The days already over, booked by the service (as it does for families on paper).
    await submit_changes(
        staff,
        martin.id,
        ChangeSet(
            recurrences=[
                Recurrence(
                    lea.id,
                    canteen.id,
                    BookingAction.BOOK,
                    SCHOOL_YEAR_START,
                    yesterday,
                    frozenset({0, 1, 3, 4}),
                ),
                Recurrence(
                    lea.id,
                    evening.id,
                    BookingAction.BOOK,
                    SCHOOL_YEAR_START,
                    yesterday,
                    frozenset({0, 3}),
                ),
            ],
            same_for_child_ids=[hugo.id],
        ),
        clock=clock,
        idempotency_key="demo-past-days",
    )
    # Léa stayed on a Tuesday evening without booking (surcharge); Hugo missed a lunch
    # without telling anyone (billed absence).
    for activity, child, day, present in (
        (evening, lea, date(2026, 9, 8), True),
        (canteen, hugo, date(2026, 9, 10), False),
    ):
        opening = await Opening.filter(activity=activity).first()
        assert opening is not None
        await record_attendance(
            staff,
            opening.site_id,
            activity.id,
            day,
            [AttendanceEntry(child.id, present)],
            clock=clock,
        )


async def invoice_past_months(tenant: Tenant, clock: Clock) -> None:
    """Each month already over is billed on the 8th of the next, as the cron would have;
    a month already billed issues nothing again."""
    month = SCHOOL_YEAR_START
    current = first_of_month(clock.now().date())
    while month < current:
        next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        run_at = datetime(next_month.year, next_month.month, 8, 6, 0, tzinfo=UTC)
        await invoice_month(month, clock=FrozenClock(min(run_at, clock.now())), tenant_id=tenant.id)
        month = next_month
