"""The demo follows the day it is seeded: whatever the date, the README's walkthrough has
what it needs (an invoice open for payment, evening-care days still bookable, a working
access key for Julien), the months already over are billed, and seeding again adds nothing.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.accounts import Account
from models.billing import Invoice
from models.bookings import Booking
from models.catalogue import Activity
from models.households import Child
from models.tenants import Tenant
from resolvers.billing.invoices import amount_due, payment_window
from resolvers.calendar.bookings import (
    BookingAction,
    ChangeSet,
    LineOutcome,
    Recurrence,
    preview_changes,
)
from resolvers.core.clock import FrozenClock
from resolvers.demo.demo import PARENT_EMAIL, seed_demo
from resolvers.demo.demo_dates import demo_dates, school_year
from resolvers.households.households import link_household
from tests.demo.dates import DATES, date_id
from tests.factories import make_account

pytestmark = pytest.mark.usefixtures("backend")


def test_school_years_come_from_zone_c_and_the_year_on_show_follows_today() -> None:
    year = school_year(2026)
    assert (year.classes_start, year.classes_end) == (date(2026, 9, 1), date(2027, 7, 2))
    assert ("Vacances de Noël", date(2026, 12, 19), date(2027, 1, 3)) in year.holidays
    assert demo_dates(date(2027, 3, 15)).on_show.label == "2026-2027"
    # From two weeks before the classes end, and all summer, the coming year is on show.
    assert demo_dates(date(2027, 6, 17)).on_show.label == "2026-2027"
    assert demo_dates(date(2027, 6, 25)).on_show.label == "2027-2028"
    assert demo_dates(date(2027, 8, 20)).on_show.label == "2027-2028"
    # The history (three months) reaches into the year before: it is seeded too.
    assert [y.label for y in demo_dates(date(2027, 9, 20)).years] == ["2026-2027", "2027-2028"]
    assert demo_dates(date(2027, 9, 20)).history_start == date(2027, 6, 1)


@pytest.mark.parametrize("now", DATES, ids=date_id)
async def test_the_walkthrough_has_what_it_needs_on_any_date(now: datetime) -> None:
    clock = FrozenClock(now)
    town = f"demo-{now:%Y%m%d%H%M}"
    credentials = await seed_demo(clock=clock, town=town)
    tenant = await Tenant.get(slug=town)
    dates = demo_dates(now.astimezone(ZoneInfo(tenant.timezone)).date())
    today = dates.today
    invoices = await Invoice.filter(household__tenant=tenant).order_by("month")

    # An invoice is open for online payment now, with something to pay.
    open_now = [
        i for i in invoices if amount_due(i) > 0 and payment_window(i, now, tenant.timezone).open
    ]
    assert open_now, [(i.number, i.payment_opens_at, i.payment_closes_at) for i in invoices]

    # Each of the three months before this one (town time) is billed, not this one.
    months = sorted({i.month for i in invoices})
    previous = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert months[0] == dates.history_start
    assert months[-1] == previous
    assert len(months) == 3

    # Evening care (the walkthrough's activity) has days Léa can still book ahead.
    claire = await Account.get(tenant=tenant, email=PARENT_EMAIL)
    lea = await Child.get(household__tenant=tenant, first_names="Léa")
    evening = await Activity.get(tenant=tenant, code="APS-SOIR")
    preview = await preview_changes(
        claire,
        lea.household_id,
        ChangeSet(
            recurrences=[
                Recurrence(
                    lea.id,
                    evening.id,
                    BookingAction.BOOK,
                    today,
                    today + timedelta(weeks=10),
                    frozenset({1, 4}),
                )
            ]
        ),
        clock=clock,
    )
    assert any(line.outcome == LineOutcome.BOOKED for line in preview.lines), preview.lines

    # Julien's access key links a new parent account to the Martins.
    assert credentials.access_key is not None
    julien = await make_account(tenant, clock, email="julien@exemple.fr")
    household = await link_household(julien, credentials.access_key, clock=clock)
    assert household.reference == "F-DEMO-001"

    # Seeding again (the next `famille dev`) adds nothing, and no key: Julien is linked.
    bookings = await Booking.filter(child__household__tenant=tenant).count()
    again = await seed_demo(clock=clock, town=town)
    assert again.access_key is None
    assert await Invoice.filter(household__tenant=tenant).count() == len(invoices)
    assert await Booking.filter(child__household__tenant=tenant).count() == bookings
