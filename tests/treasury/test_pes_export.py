"""PES V2 ORMC through the API: the admin's PES model, the month's rôle checked against every
structural rule of the fact sheet (tests/treasury/pes_checks.py), sums, debits under
mandates, attached PDFs, locked invoices, re-export and cancellation, refusals in French."""

import asyncio
import base64
import gzip
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import httpx
from defusedxml.ElementTree import fromstring

from gql.ids import encode_id
from models.accounts import AccountRole
from models.billing import Invoice, InvoiceLine, InvoiceLineKind
from models.catalogue import Activity, ActivityKind
from models.households import Guardian, Household
from models.sepa import SepaMandate, SequenceType
from models.treasury import PesBatch
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from resolvers.treasury.pes_export import BilledLine, titre_lines
from resolvers.treasury.pes_settings import siret_is_valid
from resolvers.treasury.pes_xml import PesLine, pes_amount, pes_text
from tests.billing_factories import LOW_PRICE, BillingTown, Family, make_billing_town, make_family
from tests.conftest import Backend, GraphQL
from tests.factories import make_account, make_town, token_for
from tests.sepa_factories import PAYER_BIC, PAYER_IBAN, make_mandate
from tests.treasury.pes_checks import cents, pes_problems, value

OCTOBER = "2026-10-01"
SIRET = "21810065400019"
OCTOBER_TOTAL = 17 * LOW_PRICE  # 17 canteen days at 2,50 €

SETTINGS_FIELDS = """
settings {
  code siret accountingPost collectivityCode budgetCode productCode nature attachInvoicePdf
  activityCodes { activityId productCode nature }
}
errors { code field message }
"""
UPDATE_SETTINGS = (
    "mutation($authorityId: ID!, $input: PesSettingsInput!) "
    "{ updatePesSettings(authorityId: $authorityId, input: $input) { " + SETTINGS_FIELDS + " } }"
)
EXPORT_FIELDS = """
export {
  id status exercise bordereauNumber fileName pieceCount total { cents text } downloadUrl
  titres { invoiceNumber pieceNumber amount { cents } sequenceType }
}
errors { code field message }
"""
EXPORT = (
    "mutation($authorityId: ID!, $month: Date!) "
    "{ exportTitres(authorityId: $authorityId, month: $month) { " + EXPORT_FIELDS + " } }"
)
CANCEL = (
    'mutation($id: ID!) { cancelTitresExport(id: $id, reason: "Rejet du flux") { '
    + EXPORT_FIELDS
    + " } }"
)
EXPORTS = """
query($authorityId: ID!) { titresExports(authorityId: $authorityId) { id status bordereauNumber } }
"""


def settings_input(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "PERI",
        "siret": SIRET,
        "accountingPost": "081004",
        "collectivityCode": "123",
        "budgetCode": "01",
        "productCode": "REST",
        **overrides,
    }


async def billed_october(clock: FrozenClock, families: int = 1) -> tuple[BillingTown, list[Family]]:
    """October booked (17 days at 2,50 €) and invoiced on 8 November."""
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    members = [await make_family(town, clock) for _ in range(families)]
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    return town, members


async def save_settings(
    api: GraphQL, town: BillingTown, clock: FrozenClock, **overrides: Any
) -> dict[str, Any]:
    staff = await token_for(town.staff, clock)
    result = await api(
        UPDATE_SETTINGS,
        {
            "authorityId": encode_id("BillingAuthority", town.authority.id),
            "input": settings_input(**overrides),
        },
        token=staff,
    )
    payload: dict[str, Any] = result["data"]["updatePesSettings"]
    return payload


async def export(api: GraphQL, town: BillingTown, clock: FrozenClock) -> dict[str, Any]:
    staff = await token_for(town.staff, clock)
    result = await api(
        EXPORT,
        {"authorityId": encode_id("BillingAuthority", town.authority.id), "month": OCTOBER},
        token=staff,
    )
    payload: dict[str, Any] = result["data"]["exportTitres"]
    return payload


async def download(http: httpx.AsyncClient, url: str) -> bytes:
    response = await http.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml; charset=ISO-8859-1"
    return response.content


async def add_line(family: Family, activity: Activity, label: str, amount: int) -> Invoice:
    """A second activity's line on the family's October invoice (the invoice run only
    bills the canteen in this town)."""
    invoice = await Invoice.get(household_id=family.household.id)
    position = await InvoiceLine.filter(invoice_id=invoice.id).count() + 1
    await InvoiceLine.create(
        invoice_id=invoice.id,
        position=position,
        kind=InvoiceLineKind.BOOKED,
        child_id=family.child_id,
        activity_id=activity.id,
        label=label,
        quantity=1,
        unit_price_cents=amount,
        amount_cents=amount,
    )
    invoice.total_cents += amount
    await invoice.save(update_fields=["total_cents"])
    return invoice


def pieces(root: Element) -> list[Element]:
    return root.findall("PES_RecetteAller/Bordereau/Piece")


def lines_of(piece: Element) -> list[Element]:
    return piece.findall("LigneDePiece")


async def test_the_admin_sets_the_pes_model_and_wrong_values_are_refused_in_french(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, _ = await billed_october(clock)
    care = await Activity.create(
        tenant_id=town.tenant.id, code="GARD", name="Garderie", kind=ActivityKind.MORNING_CARE
    )

    wrong = await save_settings(
        api,
        town,
        clock,
        siret="21810065400018",
        accountingPost="81004",
        collectivityCode="1234",
        budgetCode="1",
        productCode="REPAS",
        nature="58A",
    )
    saved = await save_settings(
        api,
        town,
        clock,
        activityCodes=[{"activityId": encode_id("Activity", care.id), "productCode": "garD"}],
        attachInvoicePdf=True,
    )

    assert wrong["settings"] is None
    assert {error["field"]: error["message"] for error in wrong["errors"]} == {
        "siret": "Le SIRET de la collectivité (IdColl) doit compter 14 chiffres et avoir une "
        "clé valide.",
        "accountingPost": "Le poste comptable (IdPost) : le codique de la trésorerie, 6 ou 7 "
        "chiffres (02A ou 02B suivi de 3 ou 4 chiffres en Corse).",
        "collectivityCode": "Le code collectivité (CodCol) compte exactement 3 caractères.",
        "budgetCode": "Le code budget (CodBud) compte exactement 2 caractères.",
        "productCode": "Le code produit (CodProdLoc) : 1 à 4 lettres ou chiffres, convenus "
        "avec la trésorerie.",
        "nature": "La nature comptable : 1 à 12 chiffres (588 pour un rôle ORMC).",
    }
    assert saved["errors"] == []
    assert saved["settings"] == {
        "code": "PERI",
        "siret": SIRET,
        "accountingPost": "081004",
        "collectivityCode": "123",
        "budgetCode": "01",
        "productCode": "REST",
        "nature": "588",
        "attachInvoicePdf": True,
        "activityCodes": [
            {"activityId": encode_id("Activity", care.id), "productCode": "GARD", "nature": "588"}
        ],
    }
    # A parent may not, staff of another town do not see the régie.
    parent = await token_for((await make_family(town, clock)).parent, clock)
    stranger = await token_for(
        await make_account(await make_town(), clock, role=AccountRole.ADMIN), clock
    )
    variables = {
        "authorityId": encode_id("BillingAuthority", town.authority.id),
        "input": settings_input(),
    }
    forbidden = await api(UPDATE_SETTINGS, variables, token=parent)
    unknown = await api(UPDATE_SETTINGS, variables, token=stranger)
    assert [e["code"] for e in forbidden["data"]["updatePesSettings"]["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in unknown["data"]["updatePesSettings"]["errors"]] == ["NOT_FOUND"]


async def test_the_month_is_one_pes_file_that_passes_every_check_of_the_sheet(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, [plain, debited, mixed] = await billed_october(clock, families=3)
    # A debtor whose name and street need cleaning and cutting.
    guardian = await Guardian.get(household_id=plain.household.id)
    guardian.last_name = "D'Âubigné-Lœwenthal de la Rochefoucauld-Montmorency"
    guardian.first_names = "Françoise Hélène"
    await guardian.save()
    await Household.filter(id=plain.household.id).update(
        address_line="12 bis avenue du Maréchal Jean-Marie-Gabriel de Lattre de Tassigny",
        address_complement="Résidence « Les Érables » & bâtiment B",
    )
    await make_mandate(town, debited, clock)
    care = await Activity.create(
        tenant_id=town.tenant.id, code="GARD", name="Garderie", kind=ActivityKind.MORNING_CARE
    )
    # Mixed: a second product code, a discount on the canteen, and 10 € already paid.
    await add_line(mixed, care, "Garderie du matin", 1200)
    invoice = await add_line(mixed, town.catalogue.canteen, "Remise fratrie", -500)
    await Invoice.filter(id=invoice.id).update(settled_cents=1000)
    saved = await save_settings(
        api,
        town,
        clock,
        activityCodes=[{"activityId": encode_id("Activity", care.id), "productCode": "GARD"}],
    )
    assert saved["errors"] == []

    payload = await export(api, town, clock)

    assert payload["errors"] == []
    batch = payload["export"]
    due = OCTOBER_TOTAL + OCTOBER_TOTAL + (OCTOBER_TOTAL + 1200 - 500 - 1000)
    assert (batch["status"], batch["exercise"], batch["bordereauNumber"]) == ("EXPORTED", 2026, 1)
    assert (batch["pieceCount"], batch["total"]["cents"]) == (3, due)
    assert batch["fileName"] == "PES_PERI_202610_2026_0000001.xml"
    content = await download(http, batch["downloadUrl"])
    assert content.startswith(b"<?xml version='1.0' encoding='ISO-8859-1'?>")
    assert pes_problems(content) == []
    root = fromstring(content)
    assert value(root, "Enveloppe/Parametres/TypFic") == "PESORMC"
    assert value(root, "EnTetePES/IdColl") == SIRET
    assert value(root, "EnTetePES/IdPost") == "081004"
    assert (value(root, "EnTetePES/CodCol"), value(root, "EnTetePES/CodBud")) == ("123", "01")
    block = root.find("PES_RecetteAller/Bordereau/BlocBordereau")
    assert block is not None
    assert (value(block, "Exer"), value(block, "IdBord"), value(block, "DteBordEm")) == (
        "2026",
        "1",
        "2026-11-08",
    )
    # Bordereau total = Σ pièces = Σ lines.
    assert (
        cents(value(block, "MtBordHt")) == due == sum(t["amount"]["cents"] for t in batch["titres"])
    )
    by_number = {value(piece, "BlocPiece/NumeroFacture"): piece for piece in pieces(root)}
    invoices = {
        family.household.id: await Invoice.get(household_id=family.household.id)
        for family in (plain, debited, mixed)
    }

    first = by_number[invoices[plain.household.id].number]
    assert value(first, "BlocPiece/NumDette") == invoices[plain.household.id].number
    [line] = lines_of(first)
    assert value(line, "BlocLignePiece/InfoLignePiece/CodProdLoc") == "REST"
    assert value(line, "BlocLignePiece/InfoLignePiece/Nature") == "588"
    assert value(line, "BlocLignePiece/InfoLignePiece/MtHT") == pes_amount(OCTOBER_TOTAL)
    assert line.find("BlocLignePiece/InfoPrelevementSEPA") is None
    tiers = line.find("Tiers")
    assert tiers is not None
    assert value(tiers, "InfoTiers/Civilite") == "MME"
    assert value(tiers, "InfoTiers/Nom") == "D'AUBIGNE-LOEWENTHAL DE LA ROCHEFOUCAU"
    assert value(tiers, "InfoTiers/Prenom") == "FRANCOISE"
    assert value(tiers, "InfoTiers/RefTiers") == plain.household.reference
    assert value(tiers, "Adresse/Adr2") == "12 BIS AVENUE DU MARECHAL JEAN-MARIE-G"
    assert value(tiers, "Adresse/Adr3") == "RESIDENCE LES ERABLES BATIMENT B"
    assert (value(tiers, "Adresse/CP"), value(tiers, "Adresse/Ville")) == ("81100", "CASTRES")
    assert tiers.find("CpteBancaire") is None

    [debit_line] = lines_of(by_number[invoices[debited.household.id].number])
    sepa = debit_line.find("BlocLignePiece/InfoPrelevementSEPA")
    assert sepa is not None
    mandate = await SepaMandate.get(household_id=debited.household.id)
    assert {child.tag: child.attrib["V"] for child in sepa} == {
        "NatPrel": "01",
        "PerPrel": "07",
        "DtePrel": "2026-11-30",
        "MtPrel": pes_amount(OCTOBER_TOTAL),
        "SequencePres": "02",
        "DateSignMandat": "2026-09-01",
        "RefUniMdt": mandate.reference,
        "LibPrel": f"FACTURE {invoices[debited.household.id].number} OCTOBRE 2026",
    }
    assert value(debit_line, "Tiers/CpteBancaire/IBAN") == PAYER_IBAN.replace(" ", "")
    assert value(debit_line, "Tiers/CpteBancaire/BIC") == PAYER_BIC
    # The Trésor presented the first debit: the mandate's next one is recurring.
    assert (await SepaMandate.get(id=mandate.id)).sequence_type == SequenceType.RCUR

    mixed_lines = lines_of(by_number[invoices[mixed.household.id].number])
    assert [
        (
            value(line, "BlocLignePiece/InfoLignePiece/IdLigne"),
            value(line, "BlocLignePiece/InfoLignePiece/CodProdLoc"),
            cents(value(line, "BlocLignePiece/InfoLignePiece/MtHT")),
        )
        for line in mixed_lines
    ] == [("1", "REST", OCTOBER_TOTAL - 500 - 1000), ("2", "GARD", 1200)]
    # Sent invoices are locked.
    assert all(
        invoice.pes_batch_id is not None
        for invoice in await Invoice.filter(id__in=[i.id for i in invoices.values()])
    )


async def test_the_invoice_pdfs_go_gzipped_for_the_print_centre_when_the_model_asks(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, [family] = await billed_october(clock)
    await save_settings(api, town, clock, attachInvoicePdf=True)

    batch = (await export(api, town, clock))["export"]

    content = await download(http, batch["downloadUrl"])
    assert pes_problems(content) == []
    root = fromstring(content)
    [piece] = pieces(root)
    invoice = await Invoice.get(household_id=family.household.id)
    assert value(piece, "BlocPiece/Edition") == "06"
    assert value(piece, "BlocPiece/PJRef/TypePJ") == "010"
    unique = value(piece, "BlocPiece/PJRef/IdUnique")
    [pj] = root.findall("PES_PJ/PJ")
    assert value(pj, "IdUnique") == unique
    assert value(pj, "NomPJ") == f"facture-{invoice.number}.pdf"
    fichier = pj.find("Contenu/Fichier")
    assert fichier is not None and fichier.attrib["MIMEType"] == "application/pdf"
    assert gzip.decompress(base64.b64decode(fichier.text or "")).startswith(b"%PDF")
    assert value(pj, "RefCompta/Identifiant") == str(batch["bordereauNumber"])


async def test_a_second_export_is_refused_until_the_first_is_cancelled_which_unlocks(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, [family] = await billed_october(clock)
    mandate = await make_mandate(town, family, clock)
    await save_settings(api, town, clock)
    staff = await token_for(town.staff, clock)
    first = (await export(api, town, clock))["export"]

    twice = await export(api, town, clock)
    cancelled = (await api(CANCEL, {"id": first["id"]}, token=staff))["data"]
    unlocked = await Invoice.get(household_id=family.household.id)
    sequence_after_cancel = (await SepaMandate.get(id=mandate.id)).sequence_type
    again = (await export(api, town, clock))["export"]
    cancel_twice = (await api(CANCEL, {"id": first["id"]}, token=staff))["data"]

    assert twice == {
        "export": None,
        "errors": [
            {
                "code": "ALREADY_EXPORTED",
                "field": "month",
                "message": "Les titres de Octobre 2026 ont déjà été exportés : annulez d'abord "
                "cet export pour en produire un nouveau.",
            }
        ],
    }
    assert cancelled["cancelTitresExport"]["export"]["status"] == "CANCELLED"
    assert unlocked.pes_batch_id is None
    # The cancelled file's first debit never happened: the mandate is FRST again.
    assert sequence_after_cancel == SequenceType.FRST
    assert again["id"] != first["id"]
    assert [t["sequenceType"] for t in again["titres"]] == ["FRST"]
    # Hélios never took the cancelled file: its bordereau number is used again.
    assert again["bordereauNumber"] == 1
    assert [e["code"] for e in cancel_twice["cancelTitresExport"]["errors"]] == ["BATCH_CLOSED"]
    listed = await api(
        EXPORTS, {"authorityId": encode_id("BillingAuthority", town.authority.id)}, token=staff
    )
    assert [row["status"] for row in listed["data"]["titresExports"]] == ["EXPORTED", "CANCELLED"]


async def test_november_follows_with_the_next_bordereau_and_recurring_debits(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock, book_to=date(2026, 11, 30))
    await make_mandate(town, family, clock)
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    await save_settings(api, town, clock)
    october = (await export(api, town, clock))["export"]
    clock.current = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 11, 1), clock=clock, tenant_id=town.tenant.id)
    staff = await token_for(town.staff, clock)

    result = await api(
        EXPORT,
        {"authorityId": encode_id("BillingAuthority", town.authority.id), "month": "2026-11-01"},
        token=staff,
    )

    november = result["data"]["exportTitres"]["export"]
    assert (october["bordereauNumber"], november["bordereauNumber"]) == (1, 2)
    content = await download(http, november["downloadUrl"])
    assert pes_problems(content) == []
    [piece] = pieces(fromstring(content))
    [line] = lines_of(piece)
    assert value(line, "BlocLignePiece/InfoPrelevementSEPA/SequencePres") == "03"


async def test_refusals_name_what_is_missing_in_french(api: GraphQL, clock: FrozenClock) -> None:
    town, [family, homeless, nameless] = await billed_october(clock, families=3)

    no_model = await export(api, town, clock)
    await save_settings(api, town, clock)
    await Household.filter(id=homeless.household.id).update(address_line="", postal_code="8110")
    await Guardian.filter(household_id=nameless.household.id).delete()
    incomplete = await export(api, town, clock)

    assert no_model["errors"] == [
        {
            "code": "NO_PES_SETTINGS",
            "field": "authorityId",
            "message": "Renseignez d'abord le modèle PES de la régie (SIRET, poste comptable, "
            "codes collectivité, budget et produit).",
        }
    ]
    homeless_invoice = await Invoice.get(household_id=homeless.household.id)
    nameless_invoice = await Invoice.get(household_id=nameless.household.id)
    assert incomplete["export"] is None
    assert sorted(error["message"] for error in incomplete["errors"]) == sorted(
        [
            f"Facture {homeless_invoice.number} (Famille Test, dossier "
            f"{homeless.household.reference}) : il manque l'adresse (rue), un code postal de "
            "5 chiffres. Complétez le dossier de la famille avant l'export.",
            f"Facture {nameless_invoice.number} (Famille Test, dossier "
            f"{nameless.household.reference}) : il manque aucun responsable payeur. Complétez "
            "le dossier de la famille avant l'export.",
        ]
    )
    assert {error["code"] for error in incomplete["errors"]} == {"DEBTOR_INCOMPLETE"}
    # Nothing was written: no batch, no invoice locked.
    assert not await PesBatch.filter(authority_id=town.authority.id).exists()
    assert not await Invoice.filter(
        tenant_id=town.tenant.id, pes_batch_id__not_isnull=True
    ).exists()
    # Once everything is paid there is nothing to send.
    await Invoice.filter(tenant_id=town.tenant.id).update(settled_cents=OCTOBER_TOTAL)
    nothing = await export(api, town, clock)
    assert [e["code"] for e in nothing["errors"]] == ["NOTHING_TO_EXPORT"]
    assert family.household.id


async def test_invoices_in_a_direct_debit_batch_not_collected_are_not_sent_twice(
    api: GraphQL, clock: FrozenClock
) -> None:
    from resolvers.sepa.direct_debit import export_month
    from tests.sepa_factories import make_creditor

    town, [family] = await billed_october(clock)
    await make_creditor(town, clock)
    await make_mandate(town, family, clock)
    await export_month(town.staff, town.authority.id, date(2026, 10, 1), clock=clock)
    await save_settings(api, town, clock)

    refused = await export(api, town, clock)

    invoice = await Invoice.get(household_id=family.household.id)
    assert refused["errors"] == [
        {
            "code": "DIRECT_DEBIT_PENDING",
            "field": "month",
            "message": "Ces factures sont dans un lot de prélèvement SEPA pas encore encaissé : "
            f"{invoice.number}. Encaissez ou annulez ce lot avant d'envoyer les titres au "
            "Trésor public.",
        }
    ]


async def test_parents_and_other_towns_cannot_export_or_download(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, [family] = await billed_october(clock)
    await save_settings(api, town, clock)
    batch = (await export(api, town, clock))["export"]
    parent = await token_for(family.parent, clock)
    stranger = await token_for(
        await make_account(await make_town(), clock, role=AccountRole.ADMIN), clock
    )
    variables = {"authorityId": encode_id("BillingAuthority", town.authority.id), "month": OCTOBER}

    as_parent = await api(EXPORT, variables, token=parent)
    as_stranger = await api(EXPORT, variables, token=stranger)
    cancel_as_stranger = await api(CANCEL, {"id": batch["id"]}, token=stranger)

    assert [e["code"] for e in as_parent["data"]["exportTitres"]["errors"]] == ["FORBIDDEN"]
    assert [e["code"] for e in as_stranger["data"]["exportTitres"]["errors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in cancel_as_stranger["data"]["cancelTitresExport"]["errors"]] == [
        "NOT_FOUND"
    ]
    assert (await http.get(batch["downloadUrl"][:-2] + "xx")).status_code == 403


def test_free_text_is_cleaned_and_cut_and_amounts_have_two_decimals() -> None:
    assert pes_text("  Zoé  L'Haÿ-les-Roses <&> œuvre ", 38) == "ZOE L'HAY-LES-ROSES OEUVRE"
    assert pes_text("x" * 50, 38) == "X" * 38
    assert pes_text("€€€", 10) == ""
    assert (pes_amount(5), pes_amount(4250), pes_amount(123456789012)) == (
        "0.05",
        "42.50",
        "1234567890.12",
    )


def test_lines_group_by_product_code_and_sum_to_what_is_due() -> None:
    lines = [
        BilledLine("REST", "588", "Restauration", 3000),
        BilledLine("GARD", "588", "Garderie", 1000),
        BilledLine("REST", "588", "Restauration", 500),
        BilledLine("REM", "588", "Remise", -800),
    ]

    assert titre_lines(lines, 0) == [
        PesLine("REST", "588", "Restauration", 2700),
        PesLine("GARD", "588", "Garderie", 1000),
    ]
    assert titre_lines(lines, 3000) == [PesLine("GARD", "588", "Garderie", 700)]
    assert sum(line.amount_cents for line in titre_lines(lines, 1234)) == 3700 - 1234


def test_siret_keys() -> None:
    assert siret_is_valid(SIRET)
    assert not siret_is_valid("21810065400018")
    assert not siret_is_valid("2181006540001")
    assert not siret_is_valid("2181006540001A")


def test_the_checks_catch_a_broken_file() -> None:
    broken = (
        b"<?xml version='1.0' encoding='UTF-8'?>"
        b'<n:PES_Aller xmlns:n="http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller">'
        b'<EnTetePES><DteStr V="2026-11-08"/><IdPost V="81004"/><IdColl V="123"/>'
        b'<CodCol V="123"/><CodBud V="01"/></EnTetePES><Enveloppe/>'
        b"<PES_RecetteAller><EnTeteRecette><IdVer V='2'/></EnTeteRecette><Bordereau>"
        b'<BlocBordereau><Exer V="2026"/><IdBord V="1"/><DteBordEm V="2026-11-08"/>'
        b'<TypBord V="06"/><NbrPce V="2"/><MtBordHt V="10.00"/></BlocBordereau>'
        b'<Piece><BlocPiece><IdPce V="1"/><TypPce V="14"/><NatPce V="01"/></BlocPiece>'
        b'<LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/>'
        b'<CodProdLoc V="REST"/><Nature V="588"/><Majo V="0"/><TvaIntraCom V="0"/>'
        b'<MtHT V="9.00"/></InfoLignePiece></BlocLignePiece><Tiers><InfoTiers>'
        b'<CatTiers V="01"/><NatJur V="01"/><TypTiers V="01"/><Nom V="X"/></InfoTiers>'
        b'<Adresse><TypAdr V="1"/><Adr2 V="RUE"/><CP V="8110"/><Ville V="C"/>'
        b'<CodRes V="0"/></Adresse></Tiers></LigneDePiece></Piece>'
        b"</Bordereau></PES_RecetteAller></n:PES_Aller>"
    )

    problems = pes_problems(broken)

    for expected in (
        "the XML declaration does not say ISO-8859-1",
        "PES_Aller: children out of order ['EnTetePES', 'Enveloppe', 'PES_RecetteAller']",
        "Enveloppe: Parametres missing",
        "EnTetePES/IdPost: '81004' does not match \\d{6,7}|02[AB]\\d{3,4}",
        "EnTetePES/IdColl: '123' does not match \\d{14}",
        "BlocPiece/TypPce: '14' does not match 15",
        "Adresse/CP: '8110' does not match \\d{5}",
        "NbrPce is not the number of Piece",
        "TypBord/TypPce/NatPce is not 06/15/01",
        "person without Civilite",
        "person without Prenom",
        "MtBordHt 10.00 is not the sum of the lines 900",
    ):
        assert expected in problems, (expected, problems)


async def run_command(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *args,
        cwd=Path(__file__).parent.parent.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_pes_export_command_writes_the_file_once(
    backend: Backend, api: GraphQL, clock: FrozenClock, tmp_path: Path
) -> None:
    town, [family] = await billed_october(clock)
    # Codes are per town: give this test's régie a code no other test uses.
    code = f"PES{town.tenant.id}"
    await save_settings(api, town, clock, code=code)
    output = tmp_path / "octobre.xml"

    status, out, err = await run_command(
        "pes-export", "--regie", code, "--month", "2026-10", "--output", str(output)
    )
    again_status, _, again_err = await run_command(
        "pes-export", "--regie", code, "--month", "2026-10", "--output", str(output)
    )

    assert status == 0, err
    assert "Octobre 2026 : bordereau 1 de " in out
    assert "1 titre(s), total 42,50 €" in out
    assert pes_problems(output.read_bytes()) == []
    assert again_status != 0
    assert "ont déjà été exportés" in again_err
    assert (await Invoice.get(household_id=family.household.id)).pes_batch_id is not None


async def test_two_exports_at_once_make_one_file(backend: Backend, clock: FrozenClock) -> None:
    # The race is real on PostgreSQL (PES models locked FOR UPDATE); SQLite has one writer.
    from resolvers.core.errors import DomainError, TreasuryErrorCode
    from resolvers.treasury.pes_export import export_titres
    from resolvers.treasury.pes_settings import PesSettingsForm, update_pes_settings

    town, _ = await billed_october(clock, families=3)
    await update_pes_settings(
        town.staff,
        town.authority.id,
        PesSettingsForm(
            code="PERI",
            siret=SIRET,
            accounting_post="081004",
            collectivity_code="123",
            budget_code="01",
            product_code="REST",
        ),
        clock=clock,
    )

    outcomes = await asyncio.gather(
        *(
            export_titres(town.staff, town.authority.id, date(2026, 10, 1), clock=clock)
            for _ in range(3)
        ),
        return_exceptions=True,
    )

    batches = [outcome for outcome in outcomes if isinstance(outcome, PesBatch)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, DomainError)]
    assert len(batches) == 1 and batches[0].piece_count == 3
    assert [error.code for error in refusals] == [TreasuryErrorCode.ALREADY_EXPORTED] * 2
    assert await PesBatch.filter(authority_id=town.authority.id).count() == 1


async def test_the_towns_own_direct_debit_skips_invoices_sent_to_the_tresor(
    api: GraphQL, clock: FrozenClock
) -> None:
    from resolvers.core.errors import DirectDebitErrorCode, DomainError
    from resolvers.sepa.direct_debit import export_month
    from tests.sepa_factories import make_creditor

    town, [family] = await billed_october(clock)
    await make_creditor(town, clock)
    await make_mandate(town, family, clock)
    await save_settings(api, town, clock)
    assert (await export(api, town, clock))["errors"] == []

    try:
        await export_month(town.staff, town.authority.id, date(2026, 10, 1), clock=clock)
    except DomainError as error:
        refused = error

    # The Trésor debits it (InfoPrelevementSEPA): the régie's pain.008 must not debit it again.
    assert refused.code == DirectDebitErrorCode.NOTHING_TO_EXPORT


async def test_the_export_sends_the_same_statements_for_more_invoices(
    backend: Backend, clock: FrozenClock
) -> None:
    from resolvers.treasury.pes_export import export_titres
    from resolvers.treasury.pes_settings import PesSettingsForm, update_pes_settings
    from tests.sql_count import count_queries

    small, [alone] = await billed_october(clock)
    big, trio = await billed_october(clock, families=3)
    counts = []
    for town, families in ((small, [alone]), (big, trio)):
        await make_mandate(town, families[0], clock)
        await update_pes_settings(
            town.staff,
            town.authority.id,
            PesSettingsForm(
                code="PERI",
                siret=SIRET,
                accounting_post="081004",
                collectivity_code="123",
                budget_code="01",
                product_code="REST",
            ),
            clock=clock,
        )
        async with count_queries() as statements:
            batch = await export_titres(
                town.staff, town.authority.id, date(2026, 10, 1), clock=clock
            )
        counts.append(statements.count)
        assert batch.piece_count == len(families)

    assert counts[0] == counts[1]
