"""Trésor public mutations: the PES model, exporting a month's titres, cancelling an export."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.context import Info
from gql.errors import TreasuryError, handles_errors
from gql.ids import decode_id
from gql.treasury.types import PesSettings, TitresExport
from models.treasury import PesBatch as BatchModel
from resolvers.treasury import pes_export, pes_settings


@strawberry.input(description="An activity billed under its own product code.")
class PesActivityCodeInput:
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    product_code: str = strawberry.field(description="CodProdLoc, 1 to 4 letters or digits.")
    nature: str | None = strawberry.field(
        default=None, description="Nature, digits; null = the model's default nature."
    )


@strawberry.input(description="A régie's PES model, as agreed with its trésorerie.")
class PesSettingsInput:
    code: str = strawberry.field(description="Short code, e.g. PERI (CLI `--regie`).")
    siret: str = strawberry.field(description="IdColl: the town's SIRET, 14 digits.")
    accounting_post: str = strawberry.field(
        description="IdPost: the poste comptable codique (6-7 digits, or 02A/02B + 3-4 digits)."
    )
    collectivity_code: str = strawberry.field(description="CodCol, 3 characters.")
    budget_code: str = strawberry.field(description="CodBud, 2 characters.")
    product_code: str = strawberry.field(description="Default CodProdLoc, 1 to 4 characters.")
    nature: str = strawberry.field(default="588", description="Default nature, digits.")
    bordereau_subject: str = strawberry.field(
        default="", description="Objet of the bordereau (160 characters at most)."
    )
    attach_invoice_pdf: bool = strawberry.field(
        default=False,
        description="Send each invoice PDF in the file for the DGFiP's print centre to print "
        "and mail (Edition 06, PJ 010).",
    )
    activity_codes: list[PesActivityCodeInput] = strawberry.field(
        default_factory=list, description="Activities billed under another product code."
    )


@strawberry.type(description="Result of `updatePesSettings`.")
class PesSettingsPayload:
    settings: PesSettings | None = strawberry.field(default=None, description="Saved.")
    errors: list[TreasuryError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(description="Result of `exportTitres` and `cancelTitresExport`.")
class TitresExportPayload:
    export: TitresExport | None = strawberry.field(default=None, description="The export.")
    errors: list[TreasuryError] = strawberry.field(default_factory=list, description="Why not.")


async def _loaded(batch: BatchModel) -> TitresExport:
    titres = await pes_export.titres_of([batch.id])
    return TitresExport.from_model(batch, titres[batch.id])


@strawberry.type
class TreasuryMutations:
    @strawberry.mutation(
        description="Admin: create or replace a régie's PES model (SIRET, poste comptable, "
        "codes, product codes per activity, invoice PDFs or not)."
    )
    @handles_errors()
    async def update_pes_settings(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
        input: Annotated[PesSettingsInput, strawberry.argument(description="The model.")],
    ) -> PesSettingsPayload:
        form = pes_settings.PesSettingsForm(
            code=input.code,
            siret=input.siret,
            accounting_post=input.accounting_post,
            collectivity_code=input.collectivity_code,
            budget_code=input.budget_code,
            product_code=input.product_code,
            nature=input.nature,
            bordereau_subject=input.bordereau_subject,
            attach_invoice_pdf=input.attach_invoice_pdf,
            activity_codes=[
                pes_settings.ActivityCodeForm(
                    activity_id=decode_id(
                        entry.activity_id, "Activity", field=f"activityCodes.{index}.activityId"
                    ),
                    product_code=entry.product_code,
                    nature=entry.nature,
                )
                for index, entry in enumerate(input.activity_codes)
            ],
        )
        saved = await pes_settings.update_pes_settings(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            form,
            clock=info.context.clock,
        )
        codes = await pes_settings.activity_codes_of([saved.id])
        return PesSettingsPayload(settings=PesSettings.from_model(saved, codes[saved.id]))

    @strawberry.mutation(
        description="Régisseur: the month's rôle of a régie as one PES V2 ORMC file for "
        "Hélios (one titre per invoice still due; debits under mandates; PDFs if the model "
        "says so). The invoices sent are locked; refused if the month was exported and not "
        "cancelled. The export's `downloadUrl` fetches the file."
    )
    @handles_errors()
    async def export_titres(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
        month: Annotated[dt.date, strawberry.argument(description="Any day of the month.")],
    ) -> TitresExportPayload:
        batch = await pes_export.export_titres(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            month,
            clock=info.context.clock,
        )
        return TitresExportPayload(export=await _loaded(batch))

    @strawberry.mutation(
        description="Régisseur: withdraw a PES file Hélios never took; its invoices are "
        "unlocked and the month can be exported again."
    )
    @handles_errors()
    async def cancel_titres_export(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The export.")],
        reason: Annotated[str, strawberry.argument(description="Why, in French.")] = "",
    ) -> TitresExportPayload:
        batch = await pes_export.cancel_titres_export(
            info.context.account,
            decode_id(id, "PesBatch", field="id"),
            reason,
            clock=info.context.clock,
        )
        return TitresExportPayload(export=await _loaded(batch))
