"""The private document storage as a parent uses it, and what staff may and may not see."""

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from gql.app import create_app
from gql.ids import encode_id
from models.accounts import AccountRole
from models.audit import AuditEntry
from models.documents import Document, DocumentFile
from models.households import Guardian
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests import samples
from tests.conftest import Backend, GraphQL
from tests.factories import make_account, make_household, make_town, token_for

LIMIT = 3200 * 1024

UPLOAD = """
mutation($householdId: ID!, $input: DocumentInput!, $files: [Upload!]!) {
  uploadDocument(householdId: $householdId, input: $input, files: $files) {
    document { id title kind inStorage files { filename contentType size downloadUrl } }
    errors { code field message }
  }
}
"""
LIST = """
query($householdId: ID!) {
  documents(householdId: $householdId) { totalCount nodes { id title } }
}
"""
ONE = """
query($id: ID!) { document(id: $id) { title files { downloadUrl contentType } } }
"""
DELETE = """
mutation($id: ID!) { deleteDocument(id: $id) { deleted keptForRequests errors { code } } }
"""
CERTIFICATE = {"kind": "MEDICAL_CERTIFICATE", "title": "Certificat médical de Léa"}


async def post_files(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    files: dict[str, tuple[str, bytes]],
    *,
    token: str | None,
    preflight: bool = True,
) -> httpx.Response:
    """A GraphQL multipart request: ``files`` maps a variable path to (name, bytes)."""
    names = list(files)
    operations = {"query": query, "variables": variables}
    mapping = {str(i): [f"variables.{path}"] for i, path in enumerate(names)}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if preflight:
        headers["Apollo-Require-Preflight"] = "true"
    return await http.post(
        "/graphql",
        data={"operations": orjson.dumps(operations).decode(), "map": orjson.dumps(mapping)},
        files={str(i): files[path] for i, path in enumerate(names)},
        headers=headers,
    )


async def upload(
    http: httpx.AsyncClient,
    family: dict[str, Any],
    *contents: tuple[str, bytes],
    document: dict[str, Any] | None = None,
) -> dict[str, Any]:
    variables = {
        "householdId": family["household_id"],
        "input": document or CERTIFICATE,
        "files": [None] * len(contents),
    }
    response = await post_files(
        http,
        UPLOAD,
        variables,
        {f"files.{i}": content for i, content in enumerate(contents)},
        token=family["token"],
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["uploadDocument"]
    return result


async def family(clock: FrozenClock, tenant: Any = None) -> dict[str, Any]:
    tenant = tenant or await make_town()
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    household = await make_household(staff, clock, children=1, guardians=1)
    parent = await make_account(tenant, clock)
    await Guardian.filter(household=household).update(account_id=parent.id)
    return {
        "tenant": tenant,
        "household": household,
        "household_id": encode_id("Household", household.id),
        "token": await token_for(parent, clock),
        "staff_token": await token_for(staff, clock),
    }


async def stored_count(household_id: int) -> tuple[int, int]:
    return (
        await Document.filter(household_id=household_id).count(),
        await DocumentFile.filter(document__household_id=household_id).count(),
    )


async def test_a_file_of_exactly_3200_kb_is_kept_and_downloads_with_its_type(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock
) -> None:
    f = await family(clock)
    content = samples.pdf(LIMIT)
    result = await upload(http, f, ("certificat.pdf", content), ("dos.png", samples.png()))
    assert result["errors"] == []
    document = result["document"]
    assert document["inStorage"] is True
    assert [(x["filename"], x["contentType"], x["size"]) for x in document["files"]] == [
        ("certificat.pdf", "application/pdf", LIMIT),
        ("dos.png", "image/png", len(samples.png())),
    ]
    listed = await api(LIST, {"householdId": f["household_id"]}, token=f["token"])
    assert listed["data"]["documents"]["totalCount"] == 1
    url = document["files"][0]["downloadUrl"]
    download = await http.get(url.removeprefix(get_settings().public_url))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "certificat.pdf" in download.headers["content-disposition"]
    assert download.content == content


async def test_one_byte_over_3200_kb_is_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    f = await family(clock)
    result = await upload(
        http, f, ("ordonnance.pdf", samples.pdf()), ("scan.pdf", samples.pdf(LIMIT + 1))
    )
    assert result["document"] is None
    [error] = result["errors"]
    assert (error["code"], error["field"]) == ("FILE_TOO_LARGE", "files.1")
    assert "scan.pdf" in error["message"] and "3\u202f200 Ko" in error["message"]
    assert await stored_count(f["household"].id) == (0, 0)


async def test_a_renamed_executable_is_refused_by_its_content(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    f = await family(clock)
    result = await upload(
        http, f, ("certificat.pdf", samples.executable()), ("photo.jpg", samples.jpeg())
    )
    [error] = result["errors"]
    assert (error["code"], error["field"]) == ("FILE_TYPE_REFUSED", "files.0")
    assert "certificat.pdf" in error["message"]
    assert await stored_count(f["household"].id) == (0, 0)


async def test_every_accepted_format_gets_its_real_type_whatever_its_name(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    f = await family(clock)
    first = await upload(
        http,
        f,
        ("a.doc", samples.bmp()),
        ("b", samples.odt()),
        ("c.txt", samples.docx()),
        ("d.pdf", samples.doc()),
    )
    assert [x["contentType"] for x in first["document"]["files"]] == [
        "image/bmp",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/msword",
    ]


async def test_a_fifth_file_is_refused(http: httpx.AsyncClient, clock: FrozenClock) -> None:
    f = await family(clock)
    result = await upload(http, f, *[(f"page{i}.pdf", samples.pdf()) for i in range(5)])
    [error] = result["errors"]
    assert error["code"] == "TOO_MANY_FILES"
    assert await stored_count(f["household"].id) == (0, 0)


async def test_missing_title_and_bad_file_are_reported_together(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    f = await family(clock)
    result = await upload(
        http,
        f,
        ("vide.pdf", b""),
        document={
            "kind": "OTHER",
            "title": "  ",
            "issuedOn": "2026-05-01",
            "expiresOn": "2026-01-01",
        },
    )
    assert {(e["code"], e["field"]) for e in result["errors"]} == {
        ("REQUIRED", "title"),
        ("INVALID", "expiresOn"),
        ("FILE_EMPTY", "files.0"),
    }


async def test_a_cross_site_multipart_post_without_the_preflight_header_is_refused(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    f = await family(clock)
    variables = {"householdId": f["household_id"], "input": CERTIFICATE, "files": [None]}
    response = await post_files(
        http,
        UPLOAD,
        variables,
        {"files.0": ("c.pdf", samples.pdf())},
        token=f["token"],
        preflight=False,
    )
    assert response.status_code == 400
    assert "Apollo-Require-Preflight" in response.text
    assert await stored_count(f["household"].id) == (0, 0)


@pytest.fixture
def small_requests(backend: Backend) -> Iterator[None]:
    saved = os.environ.get("FAMILLE_REQUEST_MAX_MB")
    os.environ["FAMILLE_REQUEST_MAX_MB"] = "1"
    get_settings.cache_clear()
    yield
    if saved is None:
        os.environ.pop("FAMILLE_REQUEST_MAX_MB", None)
    else:
        os.environ["FAMILLE_REQUEST_MAX_MB"] = saved
    get_settings.cache_clear()


async def test_a_body_over_the_server_cap_gets_413_declared_or_streamed(
    backend: Backend, clock: FrozenClock, small_requests: None
) -> None:
    f = await family(clock)
    app = create_app(clock=clock, redis=backend.redis)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://famille.test"
    ) as client:
        variables = {"householdId": f["household_id"], "input": CERTIFICATE, "files": [None]}
        declared = await post_files(
            client,
            UPLOAD,
            variables,
            {"files.0": ("gros.pdf", samples.pdf(1024 * 1024 + 10))},
            token=f["token"],
        )
        assert declared.status_code == 413
        assert declared.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"

        async def chunks() -> Any:  # no Content-Length: the cap counts while streaming
            yield b'--abc\r\nContent-Disposition: form-data; name="0"; filename="x.pdf"\r\n\r\n'
            for _ in range(20):
                yield b"x" * 100_000

        streamed = await client.post(
            "/graphql",
            content=chunks(),
            headers={
                "Authorization": f"Bearer {f['token']}",
                "Content-Type": "multipart/form-data; boundary=abc",
                "Apollo-Require-Preflight": "true",
            },
        )
        assert streamed.status_code == 413
    assert await stored_count(f["household"].id) == (0, 0)


async def test_another_household_s_document_is_not_found(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock
) -> None:
    mine = await family(clock)
    theirs = await family(clock, mine["tenant"])
    result = await upload(http, theirs, ("c.pdf", samples.pdf()))
    their_id = result["document"]["id"]
    read = await api(ONE, {"id": their_id}, token=mine["token"])
    assert read["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    deleted = await api(DELETE, {"id": their_id}, token=mine["token"])
    assert deleted["data"]["deleteDocument"]["errors"] == [{"code": "NOT_FOUND"}]
    listed = await api(LIST, {"householdId": theirs["household_id"]}, token=mine["token"])
    assert listed["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # and uploading into their storage is refused the same way, storing nothing
    response = await post_files(
        http,
        UPLOAD,
        {"householdId": theirs["household_id"], "input": CERTIFICATE, "files": [None]},
        {"files.0": ("c.pdf", samples.pdf())},
        token=mine["token"],
    )
    assert response.json()["data"]["uploadDocument"]["errors"][0]["code"] == "NOT_FOUND"
    assert await stored_count(mine["household"].id) == (0, 0)


async def test_staff_cannot_read_a_household_s_private_storage(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock
) -> None:
    f = await family(clock)
    document_id = (await upload(http, f, ("c.pdf", samples.pdf())))["document"]["id"]
    listed = await api(LIST, {"householdId": f["household_id"]}, token=f["staff_token"])
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    read = await api(ONE, {"id": document_id}, token=f["staff_token"])
    assert read["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_download_links_expire_and_cannot_be_forged(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    f = await family(clock)
    result = await upload(http, f, ("c.pdf", samples.pdf()))
    path = result["document"]["files"][0]["downloadUrl"].removeprefix(get_settings().public_url)
    payload, _, mac = path.removeprefix("/files/").partition(".")
    forged = await http.get(f"/files/{payload}.{'A' * len(mac)}")
    assert forged.status_code == 403
    assert (await http.get(path)).status_code == 200
    clock.advance(timedelta(minutes=get_settings().signed_link_ttl_minutes, seconds=1))
    expired = await http.get(path)
    assert expired.status_code == 403
    assert "expiré" in expired.text


async def test_deleting_an_unattached_document_removes_it_and_its_files(
    http: httpx.AsyncClient, api: GraphQL, clock: FrozenClock
) -> None:
    f = await family(clock)
    document_id = (await upload(http, f, ("c.pdf", samples.pdf())))["document"]["id"]
    deleted = await api(DELETE, {"id": document_id}, token=f["token"])
    assert deleted["data"]["deleteDocument"] == {
        "deleted": True,
        "keptForRequests": False,
        "errors": [],
    }
    assert await stored_count(f["household"].id) == (0, 0)


@pytest.fixture
def filesystem_storage(backend: Backend, tmp_path: Path) -> Iterator[Path]:
    keys = ("FAMILLE_DOCUMENT_STORAGE", "FAMILLE_DOCUMENT_STORAGE_DIR")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ["FAMILLE_DOCUMENT_STORAGE"] = "filesystem"
    os.environ["FAMILLE_DOCUMENT_STORAGE_DIR"] = str(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


async def test_the_filesystem_backend_stores_serves_and_sweeps_orphans(
    http: httpx.AsyncClient, clock: FrozenClock, filesystem_storage: Path
) -> None:
    from jobs.reminders import sweep_document_files

    f = await family(clock)
    content = samples.jpeg()
    result = await upload(http, f, ("photo.jpg", content))
    [stored] = [p for p in filesystem_storage.glob("??/*")]
    assert stored.read_bytes() == content
    row = await DocumentFile.get(document__household_id=f["household"].id)
    assert row is not None and row.content is None and row.storage_key == stored.name
    path = result["document"]["files"][0]["downloadUrl"].removeprefix(get_settings().public_url)
    assert (await http.get(path)).content == content
    # a file whose metadata never committed (crash between the two) is swept once old
    orphan = filesystem_storage / "ab" / "ab0rphan"
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"%PDF-lost")
    old = stored.stat().st_mtime - 7200
    os.utime(orphan, (old, old))
    os.utime(stored, (old, old))
    assert await sweep_document_files({}) == 1
    assert not orphan.exists() and stored.exists()


async def test_a_staff_download_of_an_attached_document_is_audited(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    from models.requests import Request, RequestKind, RequestStatus
    from resolvers.documents.documents import attach

    f = await family(clock)
    document_gid = (await upload(http, f, ("c.pdf", samples.pdf())))["document"]["id"]
    request = await Request.create(
        tenant_id=f["tenant"].id,
        household=f["household"],
        kind=RequestKind.ABSENCE_REPORT,
        status=RequestStatus.IN_REVIEW,
        summary="Absence",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    document = await Document.get(household_id=f["household"].id)
    await attach(request, [document.id], clock=clock)
    api = GraphQL(http)
    read = await api(ONE, {"id": document_gid}, token=f["staff_token"])
    [file] = read["data"]["document"]["files"]
    assert await AuditEntry.filter(action="document.read", target_id=document.id).count() == 0
    response = await http.get(file["downloadUrl"].removeprefix(get_settings().public_url))
    assert response.status_code == 200
    [entry] = await AuditEntry.filter(action="document.read", target_id=document.id)
    assert entry.details["household_id"] == f["household"].id
