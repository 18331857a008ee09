"""Staff area queries: the town's rules and its staff."""

import strawberry

from gql.context import Info
from gql.staff.types import StaffMember, TownSettings
from resolvers.staff import staff, towns


@strawberry.type
class StaffQueries:
    @strawberry.field(description="Staff: the town's rules (`updateTown` sets them).")
    async def town_settings(self, info: Info) -> TownSettings:
        return TownSettings.from_model(await towns.town_of(info.context.account))

    @strawberry.field(
        description="Administrators: the town's staff accounts by name, with role, state and "
        "the régies or sites they are given."
    )
    async def staff_members(self, info: Info) -> list[StaffMember]:
        return [
            StaffMember.from_row(row) for row in await staff.staff_members(info.context.account)
        ]
