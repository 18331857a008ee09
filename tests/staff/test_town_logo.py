"""The town's logo: an administrator uploads it with ``updateTown``; it is checked by decoding
it (PNG or JPEG, size-limited) and printed at the head of the town's invoice PDFs."""

import io
from datetime import UTC, date, datetime
from typing import Any

import httpx
from PIL import Image
from pypdf import PdfReader

from gql.ids import encode_id
from models.accounts import AccountRole
from models.audit import AuditEntry
from models.billing import Invoice
from models.tenants import TownLogo
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests import samples
from tests.billing_factories import make_billing_town, make_family
from tests.conftest import GraphQL
from tests.documents.test_documents import post_files
from tests.factories import make_account, make_town, token_for

UPDATE_LOGO = """
mutation($input: UpdateTownInput!, $logo: Upload) {
  updateTown(input: $input, logo: $logo) { town { name } errors { code field message } }
}
"""


def picture(kind: str, size: tuple[int, int] = (120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 160)).save(out, format=kind)
    return out.getvalue()


async def send_logo(http: httpx.AsyncClient, token: str, name: str, data: bytes) -> Any:
    response = await post_files(
        http, UPDATE_LOGO, {"input": {}, "logo": None}, {"logo": (name, data)}, token=token
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["updateTown"]


async def test_the_logo_heads_the_towns_invoices(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given an October invoice of a town
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    admin = await token_for(town.staff, clock)

    # when the administrator uploads a PNG logo, then replaces it with a JPEG one
    assert (await send_logo(http, admin, "logo.png", picture("PNG")))["errors"] == []
    assert (await send_logo(http, admin, "logo.jpg", picture("JPEG", (200, 80))))["errors"] == []

    # then the town has one logo, the last one, and the change is audited
    [logo] = await TownLogo.filter(tenant_id=town.tenant.id)
    assert (logo.content_type, logo.width, logo.height) == ("image/jpeg", 200, 80)
    entries = await AuditEntry.filter(tenant_id=town.tenant.id, action="town.update")
    assert [entry.details["logo"][1] for entry in entries] == [
        "image/png 120×60",
        "image/jpeg 200×80",
    ]
    # and the invoice the parent downloads carries it as a picture at its head
    invoice = await Invoice.get(household_id=family.household.id)
    parent = await token_for(family.parent, clock)
    detail = await api(
        "query($id: ID!) { invoice(id: $id) { pdfUrl } }",
        {"id": encode_id("Invoice", invoice.id)},
        token=parent,
    )
    response = await http.get(detail["data"]["invoice"]["pdfUrl"])
    page = PdfReader(io.BytesIO(response.content)).pages[0]
    [image] = page.images
    assert image.image is not None and image.image.size == (200, 80)
    assert town.tenant.name in page.extract_text()


async def test_a_file_that_is_not_a_picture_is_refused_whatever_its_name(
    http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    town = await make_town()
    admin = await token_for(await make_account(town, clock, role=AccountRole.ADMIN), clock)
    limit = get_settings().town_logo_max_kb * 1024
    for name, data, message in (
        ("logo.png", samples.pdf(), "Le logo doit être une image PNG ou JPEG lisible"),
        # a PNG signature with nothing decodable behind it
        ("logo.png", samples.png(), "Le logo doit être une image PNG ou JPEG lisible"),
        ("logo.bmp", picture("BMP"), "Le logo doit être une image PNG ou JPEG lisible"),
        ("logo.png", samples.pdf(limit + 10), "Le logo dépasse la taille maximale de"),
        ("logo.png", picture("PNG", (4100, 10)), "Le logo mesure 4100 × 10 pixels"),
    ):
        answer = await send_logo(http, admin, name, data)
        [error] = answer["errors"]
        assert (error["code"], error["field"]) == ("INVALID", "logo")
        assert error["message"].startswith(message), error["message"]
    assert not await TownLogo.filter(tenant_id=town.id).exists()
