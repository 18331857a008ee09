"""Trésor public queries: a régie's PES model and its PES exports."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.context import Info
from gql.ids import decode_id
from gql.treasury.types import PesSettings, TitresExport
from resolvers.treasury import pes_export, pes_settings


@strawberry.type
class TreasuryQueries:
    @strawberry.field(description="Staff: a régie's PES model; null = not set yet.")
    async def pes_settings(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
    ) -> PesSettings | None:
        row = await pes_settings.pes_settings_of(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
        )
        if row is None:
            return None
        codes = await pes_settings.activity_codes_of([row.id])
        return PesSettings.from_model(row, codes[row.id])

    @strawberry.field(description="Staff: a régie's PES exports (titres), newest first.")
    async def titres_exports(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
        month: Annotated[
            dt.date | None, strawberry.argument(description="Only this month (any day of it).")
        ] = None,
    ) -> list[TitresExport]:
        rows = await pes_export.titres_exports_of(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            month,
        )
        titres = await pes_export.titres_of([row.id for row in rows])
        return [TitresExport.from_model(row, titres[row.id]) for row in rows]
