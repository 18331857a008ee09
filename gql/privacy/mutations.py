"""RGPD mutations: a guardian exports their household's data."""

from datetime import datetime
from typing import Annotated

import strawberry

from gql.context import Info
from gql.errors import HouseholdError, handles_errors
from gql.ids import decode_id
from resolvers.privacy import privacy


@strawberry.type(description="Result of `exportHouseholdData`.")
class DataExportPayload:
    url: str | None = strawberry.field(
        default=None,
        description="Signed link to a ZIP (data.json and the document files); no bearer "
        "token needed, valid a few minutes.",
    )
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the link stops working (UTC)."
    )
    errors: list[HouseholdError] = strawberry.field(
        default_factory=list, description="Why it was refused."
    )


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(
        description="A guardian downloads everything the town holds about their household "
        "(RGPD right of access and portability): file, guardians, children, contacts, "
        "enrolments, bookings, absences, requests with history, messages, invoices with "
        "lines, documents with their files. The download is audited."
    )
    @handles_errors()
    async def export_household_data(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
    ) -> DataExportPayload:
        url, expires_at = await privacy.export_url(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            clock=info.context.clock,
        )
        return DataExportPayload(url=url, expires_at=expires_at)
