"""The demo town bills its past months once, like the cron would have."""

from datetime import UTC, date, datetime

import pytest

from models.billing import Invoice, InvoiceLine
from resolvers.core.clock import FrozenClock
from resolvers.demo.demo import seed_demo

pytestmark = pytest.mark.usefixtures("backend")


async def test_the_demo_has_the_invoices_of_the_months_already_over() -> None:
    clock = FrozenClock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))

    await seed_demo(clock=clock)
    first = await Invoice.filter(household__reference="F-DEMO-001").order_by("month")
    await seed_demo(clock=clock)
    again = await Invoice.filter(household__reference="F-DEMO-001").count()

    assert [(i.month, i.number) for i in first][:3] == [
        (date(2026, 9, 1), "2609000001"),
        (date(2026, 10, 1), "2610000001"),
        (date(2026, 11, 1), "2611000001"),
    ]
    assert again == len(first)
    september = await InvoiceLine.filter(invoice=first[0]).values_list("kind", flat=True)
    assert {"booked", "absence", "surcharge"} <= set(september)
    assert first[0].delivery == "email"
