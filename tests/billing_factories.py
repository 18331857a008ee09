"""A town that bills: a régie, a canteen price grid and families with October 2026 booked,
built through the same resolvers staff and parents use."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from models.absences import AbsenceReason
from models.accounts import Account, AccountRole
from models.authorities import BillingAuthority
from models.households import Guardian, Household
from models.tenants import Tenant
from resolvers.absences.absences import AbsenceForm, DatePreset, decide_absence, report_absence
from resolvers.billing.billing import (
    AuthorityForm,
    TariffForm,
    add_tariff,
    assign_activity,
    save_billing_authority,
)
from resolvers.calendar.bookings import BookingAction, ChangeSet, Recurrence, submit_changes
from resolvers.core.clock import FrozenClock
from resolvers.operations.attendance_records import AttendanceEntry, record_attendance
from tests.factories import (
    Catalogue,
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
)

# The canteen's brackets: up to 700 € of quotient 2,50 €, above 4,00 € (the maximum).
LOW_PRICE = 250
HIGH_PRICE = 400


@dataclass
class BillingTown:
    tenant: Tenant
    staff: Account
    catalogue: Catalogue
    authority: BillingAuthority


@dataclass
class Family:
    household: Household
    child_id: int
    parent: Account


async def make_billing_town(clock: FrozenClock) -> BillingTown:
    tenant = await make_town()
    staff = await make_account(tenant, clock, role=AccountRole.ADMIN)
    catalogue = await make_catalogue(staff, clock)
    authority = await save_billing_authority(
        staff, AuthorityForm(name="Régie périscolaire"), authority_id=None, clock=clock
    )
    await assign_activity(staff, catalogue.canteen.id, authority.id, clock=clock)
    for quotient_min, quotient_max, price in ((0, 700, LOW_PRICE), (701, None, HIGH_PRICE)):
        await add_tariff(
            staff,
            TariffForm(
                activity_id=catalogue.canteen.id,
                valid_from=date(2026, 9, 1),
                valid_until=date(2027, 8, 31),
                quotient_min=quotient_min,
                quotient_max=quotient_max,
                unit_price_cents=price,
            ),
            clock=clock,
        )
    return BillingTown(tenant, staff, catalogue, authority)


async def make_family(
    town: BillingTown,
    clock: FrozenClock,
    *,
    quotient: int | None = 600,
    quotient_valid_until: date | None = date(2027, 8, 31),
    paperless: bool = False,
    book_from: date = date(2026, 10, 1),
    book_to: date = date(2026, 10, 29),
) -> Family:
    """One child with the canteen booked every open day between the two dates."""
    household = await make_household(town.staff, clock, children=1, guardians=1)
    household.family_quotient = quotient
    household.family_quotient_valid_until = quotient_valid_until
    household.paperless = paperless
    await household.save()
    [child_id] = await enroll_all(town.staff, household, town.catalogue, clock)
    parent = await make_account(town.tenant, clock)
    await Guardian.filter(household=household).update(account_id=parent.id)
    result = await submit_changes(
        town.staff,
        household.id,
        ChangeSet(
            recurrences=[
                Recurrence(
                    child_id,
                    town.catalogue.canteen.id,
                    BookingAction.BOOK,
                    book_from,
                    book_to,
                    frozenset({0, 1, 3, 4}),
                )
            ]
        ),
        clock=clock,
    )
    assert result.lines and all(line.accepted for line in result.lines)
    return Family(household, child_id, parent)


async def absence(
    town: BillingTown, family: Family, day: date, *, justified: bool, clock: FrozenClock
) -> None:
    """The parent reports ``day`` past the deadline; staff justify it or not."""
    saved = clock.current
    clock.current = datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
    result = await report_absence(
        family.parent,
        family.household.id,
        AbsenceForm(family.child_id, AbsenceReason.ILLNESS, DatePreset.DAY, day=day),
        clock=clock,
    )
    await decide_absence(town.staff, result.report.id, justified, "", clock=clock)
    clock.current = saved


async def attendance(
    town: BillingTown, family: Family, day: date, *, present: bool, clock: FrozenClock
) -> None:
    await record_attendance(
        town.staff,
        town.catalogue.site.id,
        town.catalogue.canteen.id,
        day,
        [AttendanceEntry(family.child_id, present)],
        clock=clock,
    )
