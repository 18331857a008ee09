"""Requests inbox mutations: an agent moves a request along; the family is mailed. A parent
asks for an appointment; an agent answers it with a date and a place."""

from datetime import datetime
from typing import Annotated

import strawberry

from gql.context import Info
from gql.enums import RequestAction
from gql.errors import CommunicationError, handles_errors
from gql.households.types import Request
from gql.ids import decode_id
from resolvers.requests import appointments, requests_inbox


@strawberry.type(
    description="Result of `changeRequestStatus`, `requestAppointment` and "
    "`answerAppointmentRequest`."
)
class RequestStatusPayload:
    request: Request | None = strawberry.field(
        default=None, description="The request, with its new status."
    )
    errors: list[CommunicationError] = strawberry.field(
        default_factory=list, description="Why it was refused."
    )


@strawberry.type
class RequestMutations:
    @strawberry.mutation(
        description="Staff: take a request in review, complete it or reject it (a comment is "
        "then required). Absence reports and enrolments are decided by their own rules, as "
        "`decideAbsenceReport` and `decideEnrollment` do; a finished request no longer moves. "
        "Each change is added to the history, audited and mailed to the family."
    )
    @handles_errors()
    async def change_request_status(
        self,
        info: Info,
        request_id: Annotated[strawberry.ID, strawberry.argument(description="The request.")],
        action: Annotated[RequestAction, strawberry.argument(description="What to do.")],
        comment: Annotated[
            str, strawberry.argument(description="Told to the family (required to reject).")
        ] = "",
    ) -> RequestStatusPayload:
        row = await requests_inbox.change_request_status(
            info.context.account,
            decode_id(request_id, "Request", field="requestId"),
            action,
            comment,
            clock=info.context.clock,
        )
        return RequestStatusPayload(request=Request.from_model(row))

    @strawberry.mutation(
        description="A guardian asks the town for an appointment (« Solliciter un "
        "rendez-vous », e.g. for a crèche place): an APPOINTMENT request staff answer with "
        "`answerAppointmentRequest` (date, time, place) or refuse with `changeRequestStatus` "
        "(a reason is then required); both are in the request history and mailed."
    )
    @handles_errors()
    async def request_appointment(
        self,
        info: Info,
        household_id: Annotated[strawberry.ID, strawberry.argument(description="Household.")],
        subject: Annotated[
            str,
            strawberry.argument(
                description="What the appointment is about, e.g. « Demande de place en "
                f"crèche » ({appointments.MAX_SUBJECT} characters at most)."
            ),
        ],
        preferred_slots: Annotated[
            list[str],
            strawberry.argument(
                description="When it suits the family, in their words (« mardi matin »), "
                f"{appointments.MAX_SLOTS} at most of {appointments.MAX_SLOT} characters."
            ),
        ],
        message: Annotated[
            str, strawberry.argument(description="A word for the town (optional).")
        ] = "",
    ) -> RequestStatusPayload:
        row = await appointments.request_appointment(
            info.context.account,
            decode_id(household_id, "Household", field="householdId"),
            subject,
            preferred_slots,
            message,
            clock=info.context.clock,
        )
        return RequestStatusPayload(request=Request.from_model(row))

    @strawberry.mutation(
        description="Staff: answer an APPOINTMENT request with the meeting's date, time and "
        "place: the request is completed, the family sees it in its history and is mailed."
    )
    @handles_errors()
    async def answer_appointment_request(
        self,
        info: Info,
        request_id: Annotated[strawberry.ID, strawberry.argument(description="The request.")],
        starts_at: Annotated[
            datetime, strawberry.argument(description="When the meeting starts (a future time).")
        ],
        place: Annotated[
            str, strawberry.argument(description="Where, e.g. « Mairie, service petite enfance ».")
        ],
        comment: Annotated[str, strawberry.argument(description="Told to the family.")] = "",
    ) -> RequestStatusPayload:
        row = await appointments.answer_appointment(
            info.context.account,
            decode_id(request_id, "Request", field="requestId"),
            starts_at,
            place,
            comment,
            clock=info.context.clock,
        )
        return RequestStatusPayload(request=Request.from_model(row))
