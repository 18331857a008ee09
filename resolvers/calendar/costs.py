"""What a change set costs, before it is made: each child's booked and cancelled days at
the household's price (``billing.household_prices``, the invoice run's own pricing), and
the total, worded in French (« + 48,60 € pour 18 repas de Léa »).

A booked day will be invoiced; a day cancelled in time will not be any more. Waiting-list
days cost nothing until a place comes, refused lines nothing at all.
"""

from dataclasses import dataclass, field

from models.catalogue import ActivityKind
from resolvers.billing.billing import HouseholdPrices, household_prices
from resolvers.calendar.bookings import LineOutcome, LineResult
from resolvers.core.french import format_euros


@dataclass
class ChildCost:
    """One child's share of a change set."""

    child_id: int
    child_name: str
    booked_days: int = 0
    cancelled_days: int = 0
    unpriced_days: int = 0  # booked or cancelled days no tariff prices
    cents: int = 0
    meals_only: bool = True  # every priced day is a canteen's: « repas » rather than « jours »

    @property
    def label(self) -> str:
        """« + 48,60 € pour 18 repas de Léa », « - 7,20 € pour 3 repas annulés de Léa »,
        « + 41,40 € pour Léa : 18 repas réservés, 3 annulés »."""
        name = self.child_name
        booked, cancelled = self.booked_days, self.cancelled_days
        if not booked and not cancelled:
            return f"{name} : pas de tarif en vigueur pour ces jours"
        amount = signed_euros(self.cents)
        if booked and cancelled:
            return (
                f"{amount} pour {name} : {self._days(booked)} réservé{_s(booked)}, "
                f"{cancelled} annulé{_s(cancelled)}"
            )
        if booked:
            return f"{amount} pour {self._days(booked)} de {name}"
        return f"{amount} pour {self._days(cancelled)} annulé{_s(cancelled)} de {name}"

    def _days(self, count: int) -> str:
        if self.meals_only:
            return f"{count} repas"
        return f"{count} jour{_s(count)}"


@dataclass
class ChangeCost:
    """The children's shares (in the change set's order) and the total in cents."""

    children: list[ChildCost] = field(default_factory=list)

    @property
    def cents(self) -> int:
        return sum(child.cents for child in self.children)

    @property
    def label(self) -> str:
        """« Coût des changements : + 56,60 € », or that the invoices do not change."""
        if not any(child.booked_days or child.cancelled_days for child in self.children):
            return "Ces changements ne modifient pas les factures"
        return f"Coût des changements : {signed_euros(self.cents)}"


def signed_euros(cents: int) -> str:
    """« + 48,60 € », « - 7,20 € »: what a change adds to or takes from the invoices."""
    return f"- {format_euros(-cents)}" if cents < 0 else f"+ {format_euros(cents)}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


async def change_cost(household_id: int, lines: list[LineResult]) -> ChangeCost:
    """The cost of the lines of a change set of the household (whose access the preview
    or submit checked): one statement, none when no line books or cancels a day."""
    moving = [line for line in lines if line.outcome in _SIGNS]
    prices = await household_prices(household_id, {line.activity_id for line in moving})
    return cost_of(moving, prices)


# What a line's outcome does to the invoices.
_SIGNS = {LineOutcome.BOOKED: 1, LineOutcome.CANCELLED: -1}


def cost_of(lines: list[LineResult], prices: HouseholdPrices) -> ChangeCost:
    """``change_cost`` on prices already loaded."""
    children: dict[int, ChildCost] = {}
    for line in lines:
        sign = _SIGNS.get(line.outcome)
        if sign is None:
            continue
        child = children.get(line.child_id)
        if child is None:
            child = children[line.child_id] = ChildCost(line.child_id, line.child_name)
        price = prices.day_price(line.activity_id, line.day)
        if price is None:
            child.unpriced_days += 1
            continue
        if sign > 0:
            child.booked_days += 1
        else:
            child.cancelled_days += 1
        child.cents += sign * price
        child.meals_only &= prices.kinds.get(line.activity_id) == ActivityKind.CANTEEN
    return ChangeCost(list(children.values()))
