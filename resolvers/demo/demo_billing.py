"""The demo town's billing: a régie, price grids by quotient, the last months' bookings with
some attendance, and the invoices of the months already over, issued as the run would."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.accounts import Account
from models.authorities import BillingAuthority
from models.bookings import Booking, BookingStatus
from models.catalogue import Activity, Opening
from models.households import Child, Household
from models.payments import PaymentMode, PaymentProvider
from models.quotients import FakeQuotientFile
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
from resolvers.demo.demo_dates import DemoDates
from resolvers.operations.attendance_records import AttendanceEntry, record_attendance
from resolvers.payments.payments import SetupForm, save_payment_setup
from resolvers.treasury.pes_settings import PesSettingsForm, update_pes_settings

# Cents per day by quotient bracket (0-600, 601-1200, above), then the non-resident price.
_PRICES = {
    "RS-REPAS": (180, 320, 450, 560),
    "APS-MATIN": (90, 150, 210, 260),
    "APS-SOIR": (120, 200, 280, 340),
    "ETUDE": (100, 160, 220, 270),
    "ALSH-MER": (600, 1100, 1600, 1900),
    "ALSH-VAC": (700, 1250, 1800, 2100),
}


async def seed_billing(tenant: Tenant, staff: Account, dates: DemoDates, clock: Clock) -> None:
    """Once: the régie and its grids, the Martins' quotient and past days."""
    if await BillingAuthority.exists(tenant=tenant):
        return
    # Online payment open all the month after the one billed (a town would open it from the
    # 8th, say): whatever the day, the last month's invoice can be paid in the demo.
    authority = await save_billing_authority(
        staff,
        AuthorityForm(
            name="Régie périscolaire",
            resident_postal_codes="81100",
            payment_opens_day=1,
            payment_opens_minutes=0,
            payment_closes_day=31,
        ),
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
    # The régie's PES model, so `exportTitres` / `famille pes-export --regie PERI` work (made-up
    # codes: a town enters those its trésorerie gives it).
    await update_pes_settings(
        staff,
        authority.id,
        PesSettingsForm(
            code="PERI",
            siret="21810065400019",
            accounting_post="081004",
            collectivity_code="123",
            budget_code="01",
            product_code="PERI",
        ),
        clock=clock,
    )
    # The fake CAF knows Minh Nguyen (born in Castres): `fetchFamilyQuotient` with his
    # identity stores 540 € for the Nguyens (birthName Nguyen, firstNames Minh, sex M).
    last_month = first_of_month(dates.today) - timedelta(days=1)
    # A file of the fake CAF (resolvers/quotients/api_particulier.py), keyed as it keys them.
    await FakeQuotientFile.update_or_create(
        {"provider": "CNAF", "value": 540, "year": last_month.year, "month": last_month.month},
        birth_name="NGUYEN",
        first_name="MINH",
        sex="M",
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
                    valid_from=dates.years[0].classes_start,
                    valid_until=dates.on_show.ends_on,
                    resident=resident,
                    quotient_min=quotient_min,
                    quotient_max=quotient_max,
                    unit_price_cents=price,
                ),
                clock=clock,
            )
    martin = await Household.get(tenant=tenant, reference="F-DEMO-001")
    martin.family_quotient = martin.family_quotient or 850
    martin.family_quotient_valid_until = dates.on_show.ends_on
    martin.paperless = True
    await martin.save()
    start, yesterday = dates.history_start, dates.today - timedelta(days=1)
    if yesterday < start:
        return
    lea, hugo = await Child.filter(household=martin).order_by("birth_date")
    canteen = await Activity.get(tenant=tenant, code="RS-REPAS")
    evening = await Activity.get(tenant=tenant, code="APS-SOIR")
    holiday_centre = await Activity.get(tenant=tenant, code="ALSH-VAC")
    # The days already over, booked by the service (as it does for families on paper):
    # lunches and evenings on school days, and the leisure centre for Hugo in the holidays
    # (so the summer months have an invoice too).
    await submit_changes(
        staff,
        martin.id,
        ChangeSet(
            recurrences=[
                Recurrence(
                    lea.id,
                    canteen.id,
                    BookingAction.BOOK,
                    start,
                    yesterday,
                    frozenset({0, 1, 3, 4}),
                ),
                Recurrence(
                    lea.id, evening.id, BookingAction.BOOK, start, yesterday, frozenset({0, 3})
                ),
                Recurrence(
                    hugo.id,
                    holiday_centre.id,
                    BookingAction.BOOK,
                    start,
                    yesterday,
                    frozenset({0, 1, 2, 3, 4}),
                ),
            ],
            same_for_child_ids=[hugo.id],
        ),
        clock=clock,
        idempotency_key="demo-past-days",
    )
    # Léa stayed on a Tuesday evening without booking (surcharge); Hugo missed a lunch
    # without telling anyone (billed absence): the first such school days of the history.
    booked = Booking.filter(
        child=lea, activity=canteen, status=BookingStatus.BOOKED, day__lt=dates.today
    )
    lunches = [booking.day for booking in await booked.order_by("day")]
    tuesday = next((day for day in lunches if day.weekday() == 1), None)
    thursday = next((day for day in lunches if day.weekday() == 3), None)
    for activity, child, day, present in (
        (evening, lea, tuesday, True),
        (canteen, hugo, thursday, False),
    ):
        if day is None:
            continue
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


async def invoice_past_months(tenant: Tenant, since: date, clock: Clock) -> None:
    """Each month already over (town time) since ``since`` is billed on the 1st of the next
    at 02:00, as the cron would have; a month already billed issues nothing again."""
    zone = ZoneInfo(tenant.timezone)
    month = first_of_month(since)
    current = first_of_month(clock.now().astimezone(zone).date())
    while month < current:
        next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        run_at = datetime.combine(next_month, time(2, 0), zone)
        await invoice_month(month, clock=FrozenClock(min(run_at, clock.now())), tenant_id=tenant.id)
        month = next_month
