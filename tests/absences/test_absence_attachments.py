"""Absence reports with their justifications: new uploads or documents from the storage."""

from datetime import UTC, date, datetime
from typing import Any

import httpx

from gql.ids import decode_id
from models.absences import AbsenceReport
from models.bookings import Booking, BookingStatus
from models.documents import Document
from models.requests import Request
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests import samples
from tests.absences.test_absences import booked_family
from tests.conftest import GraphQL
from tests.documents.test_documents import post_files, upload

REPORT = """
mutation($householdId: ID!, $input: AbsenceInput!) {
  reportAbsence(householdId: $householdId, input: $input) {
    report { id status attachments { title inStorage files { filename contentType } } }
    pendingDays { date }
    errors { code field message }
  }
}
"""
QUEUE = """
query {
  pendingAbsenceReports {
    nodes { childFirstNames attachments { title files { filename downloadUrl } } }
  }
}
"""
STORAGE = """
query($householdId: ID!) { documents(householdId: $householdId) { nodes { id title } } }
"""
REQUESTS = """
query($id: ID!) {
  household(id: $id) { requests { nodes { kind attachments { id title } } } }
}
"""
DELETE = """
mutation($id: ID!) { deleteDocument(id: $id) { deleted keptForRequests errors { code } } }
"""


def absence(f: dict[str, Any], attachments: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "householdId": f["household_id"],
        "input": {
            "childId": f["child_id"],
            "reason": "ILLNESS",
            "dates": "DAY",
            "day": "2026-11-30",
            "comment": "Gastro",
            "attachments": attachments,
        },
    }


def new_upload(title: str, keep: bool) -> dict[str, Any]:
    return {
        "upload": {
            "document": {"kind": "MEDICAL_CERTIFICATE", "title": title},
            "files": [None],
            "keepInStorage": keep,
        }
    }


async def late_family(api: GraphQL, clock: FrozenClock) -> dict[str, Any]:
    """Monday 30 November booked; now Friday 27th: past the 7-day cancellation deadline."""
    f = await booked_family(api, clock, ["2026-11-30"])
    clock.current = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    return f


async def test_staff_review_a_late_absence_with_its_certificates(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock
) -> None:
    f = await booked_family(api, clock, ["2026-11-30"])
    stored = await upload(http, f, ("attestation.pdf", samples.pdf()))
    stored_id = stored["document"]["id"]
    clock.current = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    variables = absence(
        f,
        [
            {"documentId": stored_id},
            new_upload("Certificat du Dr Martin", keep=False),
            new_upload("Ordonnance", keep=True),
        ],
    )
    response = await post_files(
        http,
        REPORT,
        variables,
        {
            "input.attachments.1.upload.files.0": ("certificat.jpg", samples.jpeg()),
            "input.attachments.2.upload.files.0": ("ordonnance.pdf", samples.pdf()),
        },
        token=f["token"],
    )
    payload = response.json()["data"]["reportAbsence"]
    assert payload["errors"] == []
    assert payload["report"]["status"] == "PENDING"
    assert [(a["title"], a["inStorage"]) for a in payload["report"]["attachments"]] == [
        ("Certificat médical de Léa", True),
        ("Certificat du Dr Martin", False),
        ("Ordonnance", True),
    ]
    # the storage offers what the parent chose to keep, not the one-off certificate
    storage = await api(STORAGE, {"householdId": f["household_id"]}, token=f["token"])
    assert {d["title"] for d in storage["data"]["documents"]["nodes"]} == {
        "Certificat médical de Léa",
        "Ordonnance",
    }
    # staff see the attachments in their queue and can download them
    queue = await api(QUEUE, token=f["staff_token"])
    [report] = queue["data"]["pendingAbsenceReports"]["nodes"]
    certificate = report["attachments"][1]["files"][0]
    assert certificate["filename"] == "certificat.jpg"
    download = await http.get(certificate["downloadUrl"].removeprefix(get_settings().public_url))
    assert download.headers["content-type"] == "image/jpeg"
    assert download.content == samples.jpeg()
    # the family's request history shows them too
    requests = await api(REQUESTS, {"id": f["household_id"]}, token=f["token"])
    [absence_request] = [
        r
        for r in requests["data"]["household"]["requests"]["nodes"]
        if r["kind"] == "ABSENCE_REPORT"
    ]
    assert len(absence_request["attachments"]) == 3


async def test_a_refused_attachment_refuses_the_whole_report_and_cancels_nothing(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock
) -> None:
    f = await late_family(api, clock)
    response = await post_files(
        http,
        REPORT,
        absence(f, [new_upload("Certificat", keep=True)]),
        {"input.attachments.0.upload.files.0": ("certificat.pdf", samples.executable())},
        token=f["token"],
    )
    payload = response.json()["data"]["reportAbsence"]
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == (
        "FILE_TYPE_REFUSED",
        "attachments.0.files.0",
    )
    assert payload["report"] is None
    household_id = decode_id(f["household_id"], "Household", field="householdId")
    child_id = decode_id(f["child_id"], "Child", field="childId")
    assert await AbsenceReport.filter(household_id=household_id).count() == 0
    assert await Request.filter(household_id=household_id, kind="absence_report").count() == 0
    assert await Document.filter(household_id=household_id).count() == 0
    [booking] = await Booking.filter(child_id=child_id, day=date(2026, 11, 30))
    assert booking.status == BookingStatus.BOOKED


async def test_another_household_s_document_cannot_be_attached(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock
) -> None:
    theirs = await booked_family(api, clock, ["2026-11-30"])
    their_document = (await upload(http, theirs, ("c.pdf", samples.pdf())))["document"]["id"]
    mine = await booked_family(api, clock, ["2026-11-30"])
    clock.current = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    result = await api(REPORT, absence(mine, [{"documentId": their_document}]), token=mine["token"])
    [error] = result["data"]["reportAbsence"]["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", "attachments")
    household_id = decode_id(mine["household_id"], "Household", field="householdId")
    assert await Request.filter(household_id=household_id, kind="absence_report").count() == 0


async def test_a_document_attached_to_a_request_leaves_the_storage_but_stays_with_it(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock
) -> None:
    f = await late_family(api, clock)
    document_id = (await upload(http, f, ("c.pdf", samples.pdf())))["document"]["id"]
    reported = await api(REPORT, absence(f, [{"documentId": document_id}]), token=f["token"])
    assert reported["data"]["reportAbsence"]["errors"] == []
    deleted = await api(DELETE, {"id": document_id}, token=f["token"])
    assert deleted["data"]["deleteDocument"] == {
        "deleted": False,
        "keptForRequests": True,
        "errors": [],
    }
    storage = await api(STORAGE, {"householdId": f["household_id"]}, token=f["token"])
    assert storage["data"]["documents"]["nodes"] == []
    requests = await api(REQUESTS, {"id": f["household_id"]}, token=f["token"])
    attached = [
        a["id"]
        for r in requests["data"]["household"]["requests"]["nodes"]
        for a in r["attachments"]
    ]
    assert attached == [document_id]
