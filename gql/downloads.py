"""Plain HTTP downloads of the operations area: the kitchen CSV and the attendance PDF
behind signed links, and the children's private ICS feeds.

They call the same resolvers as GraphQL, with the account the link was signed for, so the
access rules and the audit of health-notes reads are the same.
"""

from collections.abc import Awaitable, Callable
from datetime import date

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from gql.access import STAFF_OPERATIONS
from gql.ids import decode_id
from models.accounts import Account
from resolvers.core import signed_links
from resolvers.core.clock import Clock
from resolvers.core.errors import CommonErrorCode, DomainError
from resolvers.core.roles import OperationRoles, running
from resolvers.operations import attendance, feeds, kitchen
from resolvers.operations.attendance_pdf import attendance_pdf

Handler = Callable[[Request], Awaitable[Response]]

_STATUS = {CommonErrorCode.NOT_FOUND.value: 404, CommonErrorCode.INVALID.value: 400}


def _signed(
    kind: signed_links.LinkKind,
    operation: str,
    clock: Clock,
    produce: Callable[[Account, dict[str, str]], Awaitable[Response]],
) -> Handler:
    """A download behind a signed link, run as the operation that signed it: its declared
    roles are checked again, so a colleague whose role changed since loses the link."""
    roles = OperationRoles(operation, STAFF_OPERATIONS[operation].roles)

    async def handler(request: Request) -> Response:
        try:
            account, params = await kind.verify(request.query_params.get("token", ""), clock=clock)
            with running(roles):
                return await produce(account, params)
        except signed_links.InvalidLink:
            return PlainTextResponse(
                "Lien invalide ou expiré : demandez un nouveau lien.", status_code=403
            )
        except DomainError as error:
            return PlainTextResponse(error.message, status_code=_STATUS.get(error.code.value, 403))

    return handler


def routes(clock: Clock) -> list[Route]:
    async def kitchen_csv(account: Account, params: dict[str, str]) -> Response:
        start, end = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
        site = params.get("site")
        days = await kitchen.kitchen_forecast(
            account, start, end, site_id=decode_id(site, "Site", field="siteId") if site else None
        )
        name = f"prevision-repas-{start.isoformat()}-{end.isoformat()}.csv"
        return Response(
            kitchen.forecast_csv(days).encode(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def attendance_file(account: Account, params: dict[str, str]) -> Response:
        day = date.fromisoformat(params["date"])
        activity = params.get("activity")
        sheets = await attendance.attendance_sheets(
            account,
            decode_id(params["site"], "Site", field="siteId"),
            day,
            activity_id=decode_id(activity, "Activity", field="activityId") if activity else None,
            via="pdf",
            clock=clock,
        )
        name = f"liste-presence-{day.isoformat()}.pdf"
        return Response(
            attendance_pdf(sheets, printed_at=clock.now()),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    async def ics_feed(request: Request) -> Response:
        body = await feeds.feed_ics(request.path_params["token"], clock=clock)
        if body is None:
            return PlainTextResponse("Calendrier introuvable.", status_code=404)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300"},
        )

    return [
        Route(
            signed_links.KITCHEN_CSV.route,
            _signed(signed_links.KITCHEN_CSV, "kitchenForecastExport", clock, kitchen_csv),
        ),
        Route(
            signed_links.ATTENDANCE_PDF.route,
            _signed(signed_links.ATTENDANCE_PDF, "attendanceSheetsPdf", clock, attendance_file),
        ),
        Route("/ics/{token}.ics", ics_feed),
    ]
