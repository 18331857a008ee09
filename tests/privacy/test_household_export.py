"""RGPD export: a guardian downloads everything the town holds about their household, with
the document files, and nothing of the family next door."""

import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import orjson

from gql.ids import encode_id
from models.audit import AuditEntry
from models.documents import DocumentKind
from models.households import ContactKind
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from resolvers.documents.documents import CheckedFile, DocumentForm, store_document
from resolvers.households.households import ContactForm, add_contact
from resolvers.messages.messages import start_thread
from tests import samples
from tests.billing_factories import BillingTown, Family, absence, make_billing_town, make_family
from tests.conftest import GraphQL
from tests.factories import token_for

EXPORT = """
mutation($householdId: ID!) {
  exportHouseholdData(householdId: $householdId) { url expiresAt errors { code message } }
}
"""


async def two_families(clock: FrozenClock) -> tuple[BillingTown, Family, Family, bytes]:
    """Two billed families of one town; the first has a contact, a document, a thread and
    an absence. Returns the first family's document bytes."""
    clock.current = datetime(2026, 8, 20, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    ours = await make_family(town, clock)
    theirs = await make_family(town, clock)
    await add_contact(
        ours.parent,
        ours.household.id,
        ContactForm(ContactKind.AUTHORISED_PICKUP, "Lemoine", "0755667788", "Paul", "Oncle"),
        clock=clock,
    )
    certificate = samples.pdf(3000)
    for family, data in ((ours, certificate), (theirs, samples.pdf(2500))):
        await store_document(
            family.parent,
            family.household.id,
            DocumentForm(DocumentKind.MEDICAL_CERTIFICATE, "Certificat médical"),
            [CheckedFile("certificat.pdf", "application/pdf", data)],
            in_storage=True,
            clock=clock,
        )
        await start_thread(family.parent, family.household.id, "Question", "Bonjour", clock=clock)
    await absence(town, ours, date(2026, 10, 5), justified=True, clock=clock)
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    return town, ours, theirs, certificate


async def export_link(api: GraphQL, family: Family, token: str) -> dict[str, Any]:
    result = await api(
        EXPORT, {"householdId": encode_id("Household", family.household.id)}, token=token
    )
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]["exportHouseholdData"]
    return payload


async def test_the_export_holds_everything_of_the_household_and_nothing_of_another(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    _, ours, theirs, certificate = await two_families(clock)
    token = await token_for(ours.parent, clock)

    # when the parent asks for the export and follows the link
    link = await export_link(api, ours, token)
    assert link["errors"] == []
    assert link["url"].startswith("http://famille.test/export/")
    response = await http.get(link["url"])

    # then a ZIP comes back with data.json and the document file, byte for byte
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert ours.household.reference in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    raw = archive.read("data.json")
    data = orjson.loads(raw)
    [document] = data["documents"]
    [file] = document["files"]
    assert archive.read(file["path_in_archive"]) == certificate
    assert sorted(archive.namelist()) == ["data.json", file["path_in_archive"]]

    assert data["household"]["reference"] == ours.household.reference
    assert [c["id"] for c in data["children"]] == [ours.child_id]
    assert [g["account_id"] for g in data["guardians"]] == [ours.parent.id]
    assert [c["last_name"] for c in data["contacts"]] == ["Lemoine"]
    assert [e["activity"] for e in data["enrollments"]] == ["Restauration scolaire"]
    assert len(data["bookings"]) > 10
    assert {b["child_id"] for b in data["bookings"]} == {ours.child_id}
    [report] = data["absences"]
    assert report["status"] == "accepted" and report["days"][0]["day"] == "2026-10-05"
    kinds = {r["kind"] for r in data["requests"]}
    assert {"booking_change", "enrollment", "absence_report", "contact_add"} <= kinds
    assert all(r["history"] for r in data["requests"])
    [thread] = data["messages"]
    assert [m["body"] for m in thread["messages"]] == ["Bonjour"]
    [invoice] = data["invoices"]
    assert invoice["lines"] and invoice["total_cents"] > 0

    # and nothing names the other family
    other_ids = {theirs.household.id}
    assert theirs.household.reference.encode() not in raw
    assert all(item["household_id"] not in other_ids for item in data["requests"])
    assert all(item["household_id"] not in other_ids for item in data["invoices"])
    assert all(item["household_id"] not in other_ids for item in data["documents"])
    assert b"password" not in raw and b"token" not in raw

    # and the download is in the audit log
    assert await AuditEntry.exists(
        action="household.export", target_id=ours.household.id, actor_id=ours.parent.id
    )


async def test_only_the_households_guardians_export_it_and_links_expire(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town, ours, theirs, _ = await two_families(clock)
    neighbour = await export_link(api, ours, await token_for(theirs.parent, clock))
    assert [e["code"] for e in neighbour["errors"]] == ["NOT_FOUND"]
    agent = await export_link(api, ours, await token_for(town.staff, clock))
    assert [e["code"] for e in agent["errors"]] == ["FORBIDDEN"]

    link = await export_link(api, ours, await token_for(ours.parent, clock))
    forged = link["url"][:-3] + ("AAA" if not link["url"].endswith("AAA") else "BBB")
    assert (await http.get(forged)).status_code == 403
    clock.advance(timedelta(minutes=16))
    expired = await http.get(link["url"])
    assert expired.status_code == 403
    assert "expiré" in expired.text
