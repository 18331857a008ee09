"""bench/raw_app.py's copies of the calendar's and the submit's SQL, checked in the suite.

The benchmark measures the product against a raw endpoint that must run the same SQL;
``bench.inprocess`` compares them, but only when ``bench/run`` runs (a seeded database,
minutes of load), and there a drift is only a warning. A copy that drifted makes the
benchmark compare with something else: so the same comparison runs here, on every test
run, through the benchmark's own code (``bench.inprocess``), against a small household.
PostgreSQL only: the copies are asyncpg SQL, as the benchmark runs them.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from bench import inprocess, scenarios
from bench.scenarios import BookingLine, Target
from gql.app import create_app
from models.accounts import AccountRole
from models.households import Guardian
from resolvers.core.clock import FrozenClock
from tests.conftest import Backend
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)

# Open days (Mon, Tue, Thu, Fri) more than 7 days after the test's clock (23 November).
DECEMBER = [date(2026, 12, day) for day in (1, 3, 4, 7, 8, 10, 11, 14, 15, 17)]


@dataclass(frozen=True)
class _Target(Target):
    """The benchmark's target, signed in with a token of the test's own login."""

    session: str = ""

    @property
    def token(self) -> str:
        return self.session


async def _family(clock: FrozenClock) -> tuple[_Target, _Target, list[BookingLine]]:
    """A two-child household enrolled in the canteen (600 places, as the benchmark seeds
    it), its parent signed in; and ten December days the first child can book now."""
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock, capacity=600)
    household = await make_household(staff, clock, children=2, guardians=1)
    parent = await make_account(town, clock)
    await Guardian.filter(household=household).update(account_id=parent.id)
    child_ids = await enroll_all(staff, household, catalogue, clock)
    token = await token_for(parent, clock)
    first, second = (_Target(child, household.id, parent.id, token) for child in child_ids)
    lines = [BookingLine(catalogue.canteen.id, catalogue.site.id, day) for day in DECEMBER]
    return first, second, lines


# bench/raw_app.py runs PostgreSQL (asyncpg) SQL only.
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_the_raw_endpoint_still_runs_the_products_sql(
    backend: Backend, clock: FrozenClock
) -> None:
    # given a family, and our app called in process as the benchmark calls it
    first, second, lines = await _family(clock)
    client = inprocess.AsgiClient(create_app(clock=clock, redis=backend.redis))
    days = scenarios.days_selection("OBJECT")
    cases: dict[str, tuple[Target, dict[str, Any]]] = {
        "month, 1 child": (first, scenarios.ours_calendar(first, scenarios.MONTH, days)),
        "year, 1 child": (first, scenarios.ours_calendar(first, scenarios.YEAR, days)),
        "year, 2 children": (
            second,
            scenarios.ours_calendar(second, scenarios.YEAR, days, whole_household=True),
        ),
    }
    # when its calendars are read and its days cancelled then booked back
    report = await inprocess.sql_report(client, cases, first, lines)
    # then every statement the benchmark compares was there, and none drifted
    assert all(count >= 3 for count in report.counts.values()), report.counts
    assert report.booking_writes, [s.sql[:200] for s in report.booking_statements]
    assert {write.rows for write in report.booking_writes} == {len(lines)}  # as printed
    assert report.drift == []
