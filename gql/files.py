"""Files behind short-lived signed links: ``/files/<token>`` (a document's file),
``/factures/<token>`` (an invoice's PDF), ``/prelevements/<token>`` (a direct-debit file),
``/titres/<token>`` (a PES file of titres for the Trésor public),
``/attestations/<token>`` (a tax certificate), ``/recus/<token>`` (a desk payment's
receipt) and ``/export/<token>`` (a household's RGPD
export).

A link is only issued to someone allowed to read what it names; each route's resolver
checks the link's signature and lifetime (resolvers/core/signed_links.py) and the reader's
access again. ``signed_file`` answers them all the same way: 403 for a tampered or expired
link, 404 for what is gone, otherwise the file as an attachment, never cached by shared
caches.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from resolvers.billing.invoice_pdf import load_document, pdf_filename, render_pdf
from resolvers.billing.invoices import invoice_from_token
from resolvers.billing.tax_certificates import (
    certificate_filename,
    certificate_from_token,
    render_for,
)
from resolvers.core.clock import Clock
from resolvers.core.errors import DomainError
from resolvers.core.signed_links import InvalidLink
from resolvers.documents.documents import open_download
from resolvers.payments.desk import load_receipt, receipt_from_token
from resolvers.payments.desk_receipt import receipt_filename, render_receipt
from resolvers.privacy.privacy import export_from_token
from resolvers.sepa.direct_debit import batch_from_token, xml_filename
from resolvers.treasury.pes_export import batch_from_token as pes_batch_from_token

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Attachment:
    data: bytes
    media_type: str
    filename: str


def signed_file(open_file: Callable[[str], Awaitable[Attachment]], refused: str) -> Endpoint:
    """A route serving what ``open_file(token)`` opens; ``refused`` tells what to do when
    the link is tampered or expired."""

    async def endpoint(request: Request) -> Response:
        try:
            file = await open_file(request.path_params["token"])
        except InvalidLink:
            return PlainTextResponse(refused, status_code=403)
        except DomainError as error:
            return PlainTextResponse(error.message, status_code=404)
        ascii_name = file.filename.encode("ascii", "replace").decode().replace('"', "")
        return Response(
            file.data,
            media_type=file.media_type,
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{ascii_name}"; '
                    f"filename*=UTF-8''{quote(file.filename)}"
                ),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    return endpoint


def _expired(what_to_do: str) -> str:
    return f"Ce lien de téléchargement a expiré ou n'est pas valide : {what_to_do}"


def file_download(clock: Clock) -> Endpoint:
    async def open_file(token: str) -> Attachment:
        download = await open_download(token, clock=clock)
        return Attachment(download.data, download.content_type, download.filename)

    return signed_file(open_file, _expired("rouvrez le document pour en obtenir un nouveau."))


def invoice_pdf(clock: Clock) -> Endpoint:
    async def open_file(token: str) -> Attachment:
        invoice = await invoice_from_token(token, clock=clock)
        pdf = render_pdf(await load_document(invoice))
        return Attachment(pdf, "application/pdf", pdf_filename(invoice))

    return signed_file(open_file, _expired("téléchargez à nouveau la facture depuis votre espace."))


def direct_debit_xml(clock: Clock) -> Endpoint:
    """``/prelevements/<token>``: a batch's pain.008 file, for staff of its town."""

    async def open_file(token: str) -> Attachment:
        batch = await batch_from_token(token, clock=clock)
        return Attachment(batch.xml.encode(), "application/xml", xml_filename(batch))

    return signed_file(
        open_file, _expired("demandez-en un nouveau depuis la liste des prélèvements.")
    )


def pes_xml(clock: Clock) -> Endpoint:
    """``/titres/<token>``: a PES file as exported (ISO-8859-1), for staff of its town."""

    async def open_file(token: str) -> Attachment:
        batch = await pes_batch_from_token(token, clock=clock)
        return Attachment(
            bytes(batch.content), "application/xml; charset=ISO-8859-1", batch.file_name
        )

    return signed_file(open_file, _expired("demandez-en un nouveau depuis la liste des exports."))


def tax_certificate_pdf(clock: Clock) -> Endpoint:
    """``/attestations/<token>``: a child's certificate, computed again when followed."""

    async def open_file(token: str) -> Attachment:
        certificate = await certificate_from_token(token, clock=clock)
        pdf = await render_for(certificate, clock=clock)
        return Attachment(pdf, "application/pdf", certificate_filename(certificate))

    return signed_file(open_file, _expired("demandez à nouveau l'attestation depuis votre espace."))


def desk_receipt_pdf(clock: Clock) -> Endpoint:
    """``/recus/<token>``: a desk payment's receipt, rendered from the ledger when followed."""

    async def open_file(token: str) -> Attachment:
        receipt = await load_receipt(await receipt_from_token(token, clock=clock))
        return Attachment(render_receipt(receipt), "application/pdf", receipt_filename(receipt))

    return signed_file(open_file, _expired("rouvrez le paiement pour obtenir un nouveau lien."))


def household_export(clock: Clock) -> Endpoint:
    async def open_file(token: str) -> Attachment:
        export = await export_from_token(token, clock=clock)
        return Attachment(export.data, "application/zip", export.filename)

    return signed_file(
        open_file,
        "Ce lien d'export a expiré ou n'est pas valide : demandez un nouvel export depuis "
        "votre espace.",
    )
