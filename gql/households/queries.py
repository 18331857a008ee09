"""Family-file queries: one household by id, and the staff's list of their town's files."""

from typing import Annotated

import strawberry

from gql.context import Info
from gql.households.types import ConsentType, Household, HouseholdConnection
from gql.ids import decode_id
from gql.pagination import after_pk, connection_fields, page_size
from resolvers.core.errors import DomainError
from resolvers.households import consents, households


@strawberry.type
class HouseholdQueries:
    @strawberry.field(
        description="A family file by id: parents reach their own, staff those of their town. "
        "Any other id answers NOT_FOUND, whether or not it exists."
    )
    async def household(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Household id.")],
    ) -> Household:
        try:
            row = await households.household_for(
                info.context.account, decode_id(id, "Household", field="id")
            )
        except DomainError as error:
            if error.field is None:
                raise
            # The rule names the household `householdId`, as most arguments do; here the
            # argument at fault is `id`.
            raise DomainError(error.code, error.message, "id") from error
        return Household.from_model(row)

    @strawberry.field(description="Staff only: the town's family files, by name or reference.")
    async def households(
        self,
        info: Info,
        search: Annotated[
            str, strawberry.argument(description="Part of the name, or the exact dossier number.")
        ] = "",
        first: Annotated[
            int | None, strawberry.argument(description="Page size (default 20, at most 100).")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="`endCursor` of the previous page.")
        ] = None,
        archived: Annotated[
            bool | None,
            strawberry.argument(
                description="False (default): open files; true: archived files only; null: all."
            ),
        ] = False,
    ) -> HouseholdConnection:
        rows, has_next, total = await households.search_households(
            info.context.account,
            search=search,
            first=page_size(first),
            after_id=after_pk(after),
            archived=archived,
        )
        return HouseholdConnection(
            **connection_fields(
                [Household.from_model(row) for row in rows],
                [row.id for row in rows],
                has_next,
                after,
            ),
            total_count=total,
        )

    @strawberry.field(
        description="The consents the town asks for each child (families: the active ones; "
        "staff may ask for the retired ones too)."
    )
    async def consent_types(
        self,
        info: Info,
        include_retired: Annotated[
            bool, strawberry.argument(description="Staff: also the retired types.")
        ] = False,
    ) -> list[ConsentType]:
        rows = await consents.consent_types(info.context.account, include_retired=include_retired)
        return [ConsentType.from_model(row) for row in rows]
