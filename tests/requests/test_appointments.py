"""A parent asks for an appointment (« Solliciter un rendez-vous pour une demande de place en
crèche »); an agent answers with a date, a time and a place, or refuses with a reason. Both
are in the family's request history and mailed in French."""

from collections.abc import Awaitable, Callable

from gql.ids import encode_id
from models.accounts import AccountRole
from models.audit import AuditEntry
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL, Mailbox
from tests.factories import make_account, token_for
from tests.households.test_family_requests import DECIDE, errors_of, staff_token
from tests.households.test_households_contacts import linked_family

ASK = """
mutation($id: ID!, $subject: String!, $slots: [String!]!, $message: String!) {
  requestAppointment(householdId: $id, subject: $subject, preferredSlots: $slots,
                     message: $message) {
    request { id kind status summary history { status comment } }
    errors { code field message }
  }
}
"""
ANSWER = """
mutation($id: ID!, $at: DateTime!, $place: String!, $comment: String!) {
  answerAppointmentRequest(requestId: $id, startsAt: $at, place: $place, comment: $comment) {
    request { status appointment { startsAt place } }
    errors { code field message }
  }
}
"""
HISTORY = """
query($id: ID!) {
  household(id: $id) {
    requests { nodes { kind status summary appointment { startsAt place }
                       history { status comment } } }
  }
}
"""
CRECHE = "Demande de place en crèche"


async def test_an_appointment_asked_is_answered_with_a_date_and_a_place(
    api: GraphQL,
    clock: FrozenClock,
    mailbox: Mailbox,
    run_jobs: Callable[[], Awaitable[None]],
) -> None:
    # given a linked parent who asks for an appointment about a crèche place
    family = await linked_family(clock)
    asked = await api(
        ASK,
        {
            "id": family.household_id,
            "subject": CRECHE,
            "slots": ["mardi matin", " jeudi après 16 h "],
            "message": "Pour notre fille née en septembre.",
        },
        token=family.token,
    )
    request = asked["data"]["requestAppointment"]["request"]
    assert asked["data"]["requestAppointment"]["errors"] == []
    assert (request["kind"], request["status"]) == ("APPOINTMENT", "SUBMITTED")
    assert request["summary"] == f"Demande de rendez-vous : {CRECHE}"
    assert request["history"] == [
        {
            "status": "SUBMITTED",
            "comment": "Créneaux souhaités : mardi matin, jeudi après 16 h. "
            "Pour notre fille née en septembre.",
        }
    ]
    staff = await staff_token(family, clock)

    # when the agent tries to complete it without a date: refused, it needs one
    plain = await api(
        DECIDE, {"id": request["id"], "action": "COMPLETE", "comment": "ok"}, token=staff
    )
    assert errors_of(plain["data"]["changeRequestStatus"]) == {("INVALID", "action")}

    # when the agent answers with a date in the past: refused
    past = await api(
        ANSWER,
        {"id": request["id"], "at": "2026-11-20T09:00:00+00:00", "place": "Mairie", "comment": ""},
        token=staff,
    )
    assert errors_of(past["data"]["answerAppointmentRequest"]) == {("INVALID", "startsAt")}

    # when the agent sets Tuesday 1 December at 10:00 (Paris) at the town hall
    answered = await api(
        ANSWER,
        {
            "id": request["id"],
            "at": "2026-12-01T09:00:00+00:00",
            "place": "Mairie, service petite enfance",
            "comment": "Apportez le livret de famille.",
        },
        token=staff,
    )

    # then the request is completed with its appointment, in the parent's history
    assert answered["data"]["answerAppointmentRequest"]["errors"] == []
    history = await api(HISTORY, {"id": family.household_id}, token=family.token)
    [seen] = history["data"]["household"]["requests"]["nodes"]
    assert seen["status"] == "COMPLETED"
    assert seen["appointment"] == {
        "startsAt": "2026-12-01T09:00:00+00:00",
        "place": "Mairie, service petite enfance",
    }
    told = (
        "Rendez-vous fixé le mardi 1 décembre 2026 à 10h00, lieu : Mairie, service petite "
        "enfance. Apportez le livret de famille."
    )
    assert seen["history"][-1] == {"status": "COMPLETED", "comment": told}
    assert await AuditEntry.filter(action="request.status", target_type="request").exists()
    # and the family is mailed in French with the date and the place
    await run_jobs()
    [mail] = mailbox.to(family.parent.email)
    assert "mardi 1 décembre 2026 à 10h00" in mailbox.text(mail)
    assert "Mairie, service petite enfance" in mailbox.text(mail)

    # and a finished request no longer moves
    again = await api(
        ANSWER,
        {"id": request["id"], "at": "2026-12-02T09:00:00+00:00", "place": "Mairie", "comment": ""},
        token=staff,
    )
    assert errors_of(again["data"]["answerAppointmentRequest"]) == {("INVALID", "requestId")}


async def test_a_refused_appointment_says_why_and_checks_what_the_parent_sends(
    api: GraphQL,
    clock: FrozenClock,
    mailbox: Mailbox,
    run_jobs: Callable[[], Awaitable[None]],
) -> None:
    family = await linked_family(clock)
    # a subject and at least one slot are required; slots are limited
    empty = await api(
        ASK,
        {"id": family.household_id, "subject": " ", "slots": [" "], "message": ""},
        token=family.token,
    )
    assert errors_of(empty["data"]["requestAppointment"]) == {("REQUIRED", "subject")}
    no_slot = await api(
        ASK,
        {"id": family.household_id, "subject": CRECHE, "slots": [""], "message": ""},
        token=family.token,
    )
    assert errors_of(no_slot["data"]["requestAppointment"]) == {("REQUIRED", "preferredSlots")}
    long_slot = await api(
        ASK,
        {"id": family.household_id, "subject": CRECHE, "slots": ["x" * 101], "message": ""},
        token=family.token,
    )
    assert errors_of(long_slot["data"]["requestAppointment"]) == {("INVALID", "preferredSlots")}
    # staff do not ask for appointments on a family's behalf
    staff = await staff_token(family, clock)
    by_staff = await api(
        ASK,
        {"id": family.household_id, "subject": CRECHE, "slots": ["lundi"], "message": ""},
        token=staff,
    )
    assert errors_of(by_staff["data"]["requestAppointment"]) == {("FORBIDDEN", None)}

    asked = await api(
        ASK,
        {"id": family.household_id, "subject": CRECHE, "slots": ["lundi"], "message": ""},
        token=family.token,
    )
    request_id = asked["data"]["requestAppointment"]["request"]["id"]
    # a site member cannot answer it (not their role), an agent of another town finds nothing
    tenant = await family.household.tenant
    site = await token_for(await make_account(tenant, clock, role=AccountRole.SITE), clock)
    by_site = await api(
        ANSWER,
        {"id": request_id, "at": "2026-12-01T09:00:00+00:00", "place": "Mairie", "comment": ""},
        token=site,
    )
    assert errors_of(by_site["data"]["answerAppointmentRequest"]) == {("FORBIDDEN", None)}
    other = await linked_family(clock)
    elsewhere = await staff_token(other, clock)
    by_other = await api(
        ANSWER,
        {"id": request_id, "at": "2026-12-01T09:00:00+00:00", "place": "Mairie", "comment": ""},
        token=elsewhere,
    )
    assert errors_of(by_other["data"]["answerAppointmentRequest"]) == {("NOT_FOUND", "requestId")}

    # when the agent refuses it with a reason
    refused = await api(
        DECIDE,
        {"id": request_id, "action": "REJECT", "comment": "Aucune place avant septembre."},
        token=staff,
    )
    assert refused["data"]["changeRequestStatus"]["request"]["history"][-1] == {
        "status": "REJECTED",
        "comment": "Aucune place avant septembre.",
    }
    await run_jobs()
    [mail] = mailbox.to(family.parent.email)
    assert "Aucune place avant septembre." in mailbox.text(mail)
    assert mail["Subject"] == "Votre demande a été refusée"
    assert encode_id("Household", family.household.id) == family.household_id
