"""``GET /files/<token>``: a document file through a short-lived signed link.

The link is only issued to someone allowed to read the document (resolvers/documents.py);
the route checks its signature and lifetime, then answers with the sniffed content type,
as an attachment, never cached by shared caches.
"""

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from resolvers.clock import Clock
from resolvers.documents import open_download
from resolvers.signed_links import InvalidLink

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
