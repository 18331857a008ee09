"""Attendance sheets as the school agent reads them: on screen and printed, with who may
pick each child up and their health notes, every read of which lands in the audit log."""

import io
from datetime import UTC, date, datetime
from typing import Any

import httpx
from pypdf import PdfReader

from gql.ids import encode_id
from models.absences import AbsenceReason
from models.accounts import AccountRole
from models.audit import AuditEntry
from resolvers.absences.absences import AbsenceForm, DatePreset, report_absence
from resolvers.calendar.bookings import BookingAction
from resolvers.core.clock import FrozenClock
from resolvers.households.consents import ConsentTypeForm, answer_consent, save_consent_type
from resolvers.operations.attendance import HEALTH_READ
from tests.conftest import GraphQL
from tests.factories import make_account, make_catalogue, make_town, token_for
from tests.ops_factories import OpsTown, change, make_ops_town

SHEETS = """
query($siteId: ID!, $date: Date!, $activityId: ID) {
  attendanceSheets(siteId: $siteId, date: $date, activityId: $activityId) {
    siteName activityName date expectedCount
    children {
      firstNames lastName schoolClass diet hasPai paiDetails healthNotes reportedAbsent
      pickups { name relationship phone isGuardian }
    }
  }
}
"""
PDF_LINK = """
query($siteId: ID!, $date: Date!) {
  attendanceSheetsPdf(siteId: $siteId, date: $date) { url expiresAt }
}
"""

THURSDAY = date(2026, 12, 3)


async def sheet_town(clock: FrozenClock) -> OpsTown:
    """Léa, Inès and Jade booked on Thursday 3 December; Jade then reported ill, late."""
    town = await make_ops_town(clock)
    for child, family in (("Léa", "Durand"), ("Inès", "Petit"), ("Jade", "Morel")):
        await change(town, town.parents[family], child, [THURSDAY], BookingAction.BOOK, clock)
    clock.current = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    await report_absence(
        town.parents["Morel"],
        town.households["Morel"].id,
        AbsenceForm(town.children["Jade"], AbsenceReason.ILLNESS, DatePreset.DAY, THURSDAY),
        clock=clock,
    )
    return town


def variables(town: OpsTown) -> dict[str, Any]:
    return {"siteId": encode_id("Site", town.catalogue.site.id), "date": "2026-12-03"}


async def test_the_sheet_lists_the_expected_children_with_pickups_and_health(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await sheet_town(clock)
    token = await token_for(town.staff, clock)

    result = await api(SHEETS, variables(town), token=token)

    assert "errors" not in result, result
    [sheet] = result["data"]["attendanceSheets"]
    assert sheet["activityName"] == "Restauration scolaire"
    assert sheet["siteName"] == "École Jean Jaurès"
    assert sheet["expectedCount"] == 2
    by_name = {child["firstNames"]: child for child in sheet["children"]}
    assert list(by_name) == ["Léa", "Jade", "Inès"]  # by last name: Durand, Morel, Petit
    assert by_name["Inès"] == {
        "firstNames": "Inès",
        "lastName": "Petit",
        "schoolClass": "CE1",
        "diet": "VEGETARIAN",
        "hasPai": True,
        "paiDetails": "Stylo d'adrénaline dans le cartable",
        "healthNotes": "Arachide",
        "reportedAbsent": False,
        "pickups": [
            {"name": "Claire Petit", "relationship": "Mère", "phone": "06 11 22 33 44",
             "isGuardian": True},
            {"name": "Paul Lemoine", "relationship": "Oncle", "phone": "0755667788",
             "isGuardian": False},
        ],
    }  # fmt: skip
    assert by_name["Jade"]["reportedAbsent"] is True
    assert by_name["Léa"]["reportedAbsent"] is False


async def test_every_read_of_health_notes_is_audited(api: GraphQL, clock: FrozenClock) -> None:
    town = await sheet_town(clock)
    token = await token_for(town.staff, clock)

    await api(SHEETS, variables(town), token=token)

    entries = await AuditEntry.filter(tenant_id=town.tenant.id, action=HEALTH_READ).order_by(
        "target_id"
    )
    assert sorted(e.target_id for e in entries) == sorted(
        town.children[name] for name in ("Léa", "Inès", "Jade")
    )
    assert {(e.actor_id, e.target_type) for e in entries} == {(town.staff.id, "child")}
    assert entries[0].details == {
        "via": "graphql",
        "site_id": town.catalogue.site.id,
        "day": "2026-12-03",
    }


async def test_the_printable_pdf_reads_as_the_sheet(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await sheet_town(clock)
    token = await token_for(town.staff, clock)
    link = (await api(PDF_LINK, variables(town), token=token))["data"]["attendanceSheetsPdf"]
    assert not await AuditEntry.exists(tenant_id=town.tenant.id, action=HEALTH_READ)

    response = await http.get(link["url"].removeprefix("http://famille.test"))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    # Read as a person would: cell lines wrap where the column ends.
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    for expected in (
        "Liste de présence - Restauration scolaire",
        "École Jean Jaurès - jeudi 3 décembre 2026",
        "Enfants attendus : 2 (absences signalées : 1)",
        "DURAND Léa",
        "PETIT Inès",
        "PAI : Stylo d'adrénaline dans le cartable",
        "Arachide",
        "Régime : Végétarien",
        "Claire Petit (Mère) 06 11 22 33 44",
        "Paul Lemoine (Oncle) 0755667788",
        "MOREL Jade CE1 Absence signalée",
        "Document confidentiel",
    ):
        assert expected in text, expected
    assert "Vidal" not in text  # the doctor is a contact, not someone who picks children up
    entries = await AuditEntry.filter(tenant_id=town.tenant.id, action=HEALTH_READ)
    assert [entry.details["via"] for entry in entries] == ["pdf"] * 3
    forged = await http.get("/exports/attendance.pdf?token=abc.def")
    assert forged.status_code == 403


READS = """
query($childId: ID!) {
  healthNotesReads(childId: $childId) { totalCount nodes { agentName via siteId date } }
}
"""


async def test_admins_see_who_read_a_childs_health_notes(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await sheet_town(clock)
    token = await token_for(town.staff, clock)
    admin = await make_account(town.tenant, clock, role=AccountRole.ADMIN)
    admin_token = await token_for(admin, clock)
    await api(SHEETS, variables(town), token=token)
    link = (await api(PDF_LINK, variables(town), token=token))["data"]["attendanceSheetsPdf"]
    await http.get(link["url"].removeprefix("http://famille.test"))
    ines = {"childId": encode_id("Child", town.children["Inès"])}

    result = await api(READS, ines, token=admin_token)

    assert result["data"]["healthNotesReads"] == {
        "totalCount": 2,
        "nodes": [
            {"agentName": "Camille Testeur", "via": via, "siteId": variables(town)["siteId"],
             "date": "2026-12-03"}
            for via in ("pdf", "graphql")
        ],
    }  # fmt: skip
    as_agent = await api(READS, ines, token=token)
    assert as_agent["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other_admin = await make_account(await make_town(), clock, role=AccountRole.ADMIN)
    elsewhere = await api(READS, ines, token=await token_for(other_admin, clock))
    assert elsewhere["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_only_the_towns_staff_read_sheets(api: GraphQL, clock: FrozenClock) -> None:
    town = await sheet_town(clock)
    parent_token = await token_for(town.parents["Petit"], clock)
    other = await make_town()
    other_staff = await make_account(other, clock, role=AccountRole.AGENT)
    await make_catalogue(other_staff, clock)
    other_token = await token_for(other_staff, clock)

    for query in (SHEETS, PDF_LINK):
        as_parent = await api(query, variables(town), token=parent_token)
        assert as_parent["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        elsewhere = await api(query, variables(town), token=other_token)
        assert elsewhere["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        anonymous = await api(query, variables(town))
        assert anonymous["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    assert not await AuditEntry.exists(target_id=town.children["Inès"], action=HEALTH_READ)


CONSENTS = """
query($siteId: ID!, $date: Date!) {
  attendanceSheets(siteId: $siteId, date: $date) {
    children { firstNames consents { name granted } }
  }
}
"""


async def test_the_sheet_shows_the_consents_as_answered(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given a town asking « Rentrer seul » and « Droit à l'image »; Léa's parent answered
    town = await sheet_town(clock)
    alone = await save_consent_type(town.staff, ConsentTypeForm("Rentrer seul"), clock=clock)
    await save_consent_type(town.staff, ConsentTypeForm("Droit à l'image"), clock=clock)
    await answer_consent(town.parents["Durand"], town.children["Léa"], alone.id, False, clock=clock)
    token = await token_for(town.staff, clock)

    # when the agent reads the sheet and prints it
    result = await api(CONSENTS, variables(town), token=token)
    link = (await api(PDF_LINK, variables(town), token=token))["data"]["attendanceSheetsPdf"]
    response = await http.get(link["url"].removeprefix("http://famille.test"))

    # then each child shows the answers in force, unanswered ones said so
    by_name = {
        c["firstNames"]: c["consents"] for c in result["data"]["attendanceSheets"][0]["children"]
    }
    assert by_name["Léa"] == [
        {"name": "Rentrer seul", "granted": False},
        {"name": "Droit à l'image", "granted": None},
    ]
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Rentrer seul : NON" in text
    assert "Droit à l'image : sans réponse" in text
