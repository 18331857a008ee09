"""Reminder preference: each guardian turns their reminder mails on or off."""

from typing import Annotated

import strawberry

from gql.context import Info
from gql.errors import HouseholdError, handles_errors
from gql.households.types import Guardian
from gql.ids import decode_id
from resolvers.reminders import reminders


@strawberry.type(description="Result of `setReminders`.")
class ReminderPreferencePayload:
    guardian: Guardian | None = strawberry.field(
        default=None, description="The caller as a guardian of the household."
    )
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list, description="Why it was refused."
    )


@strawberry.type
class ReminderMutations:
    @strawberry.mutation(
        description="A guardian turns their reminder mails on (the default) or off: next week "
        "not booked yet, invoice due soon and unpaid, document expiring. Only their own."
    )
    @handles_errors()
    async def set_reminders(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        enabled: Annotated[bool, strawberry.argument(description="False stops the reminders.")],
    ) -> ReminderPreferencePayload:
        row = await reminders.set_reminders(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            enabled,
            clock=info.context.clock,
        )
        return ReminderPreferencePayload(guardian=Guardian.from_model(row))
