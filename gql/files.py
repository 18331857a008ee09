"""Files behind short-lived signed links: ``/files/<token>`` (a document's file) and
``/factures/<token>`` (an invoice's PDF), ``/prelevements/<token>`` (a direct-debit file)
``/attestations/<token>`` (a tax certificate) and ``/export/<token>`` (a household's RGPD
export).

A link is only issued to someone allowed to read what it names; the route checks its
signature and lifetime (resolvers/signed_links.py) and the reader's access again, then
answers as an attachment, never cached by shared caches.
"""

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from resolvers.clock import Clock
from resolvers.direct_debit import batch_from_token, xml_filename
from resolvers.documents import open_download
from resolvers.errors import DomainError, NotFound
from resolvers.invoice_pdf import load_document, pdf_filename, render_pdf
from resolvers.invoices import invoice_from_token
from resolvers.privacy import export_from_token
from resolvers.signed_links import InvalidLink
from resolvers.tax_certificates import certificate_filename, certificate_from_token, render_for

Endpoint = Callable[[Request], Awaitable[Response]]


def file_download(clock: Clock) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            download = await open_download(request.path_params["token"], clock=clock)
        except InvalidLink:
            return PlainTextResponse(
                "Ce lien de téléchargement a expiré ou n'est pas valide : rouvrez le document "
                "pour en obtenir un nouveau.",
                status_code=403,
            )
        if download is None:
            return PlainTextResponse("Ce fichier n'existe plus.", status_code=404)
        ascii_name = download.filename.encode("ascii", "replace").decode().replace('"', "")
        disposition = (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download.filename)}"
        )
        return Response(
            download.data,
            media_type=download.content_type,
            headers={
                "Content-Disposition": disposition,
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    return endpoint


def invoice_pdf(clock: Clock) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            invoice = await invoice_from_token(request.path_params["token"], clock=clock)
        except InvalidLink:
            return PlainTextResponse(
                "Ce lien de téléchargement a expiré ou n'est pas valide : téléchargez à nouveau "
                "la facture depuis votre espace.",
                status_code=403,
            )
        except NotFound as error:
            return PlainTextResponse(error.message, status_code=404)
        return Response(
            render_pdf(await load_document(invoice)),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{pdf_filename(invoice)}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    return endpoint


def direct_debit_xml(clock: Clock) -> Endpoint:
    """``/prelevements/<token>``: a batch's pain.008 file, for staff of its town."""

    async def endpoint(request: Request) -> Response:
        try:
            batch = await batch_from_token(request.path_params["token"], clock=clock)
        except InvalidLink:
            return PlainTextResponse(
                "Ce lien de téléchargement a expiré ou n'est pas valide : demandez-en un "
                "nouveau depuis la liste des prélèvements.",
                status_code=403,
            )
        except DomainError as error:
            return PlainTextResponse(error.message, status_code=404)
        return Response(
            batch.xml.encode(),
            media_type="application/xml",
            headers={
                "Content-Disposition": f'attachment; filename="{xml_filename(batch)}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    return endpoint


def tax_certificate_pdf(clock: Clock) -> Endpoint:
    """``/attestations/<token>``: a child's certificate, computed again when followed."""

    async def endpoint(request: Request) -> Response:
        try:
            certificate = await certificate_from_token(request.path_params["token"], clock=clock)
        except InvalidLink:
            return PlainTextResponse(
                "Ce lien de téléchargement a expiré ou n'est pas valide : demandez à nouveau "
                "l'attestation depuis votre espace.",
                status_code=403,
            )
        except DomainError as error:
            return PlainTextResponse(error.message, status_code=404)
        return Response(
            await render_for(certificate, clock=clock),
            media_type="application/pdf",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{certificate_filename(certificate)}"'
                ),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    return endpoint


def household_export(clock: Clock) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        try:
            export = await export_from_token(request.path_params["token"], clock=clock)
        except InvalidLink:
            return PlainTextResponse(
                "Ce lien d'export a expiré ou n'est pas valide : demandez un nouvel export "
                "depuis votre espace.",
                status_code=403,
            )
        except DomainError as error:
            return PlainTextResponse(error.message, status_code=404)
        return Response(
            export.data,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{export.filename}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    return endpoint
