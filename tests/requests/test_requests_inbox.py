"""The staff's requests inbox: every request of the town, filtered and searched, with history,
attachments and threads; an agent moves a request along and the family is mailed."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gql.ids import encode_id
from models.absences import AbsenceDay, AbsenceOutcome
from models.accounts import Account, AccountRole
from models.audit import AuditEntry
from models.bookings import Enrollment, EnrollmentStatus
from models.documents import DocumentKind
from models.households import Child, Guardian, Household
from models.outbox import OutboxJob
from models.requests import Request, RequestEvent, RequestKind
from resolvers.calendar.enrollments import enroll
from resolvers.core.clock import FrozenClock
from resolvers.documents.documents import CheckedFile, DocumentForm, attach, store_document
from resolvers.live.live import LIVE_EVENTS_FUNCTION
from resolvers.messages.messages import start_thread
from tests import samples
from tests.conftest import GraphQL, Mailbox
from tests.factories import (
    Catalogue,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)
from tests.sql_count import count_queries

INBOX = """
query($statuses: [RequestStatus!], $kinds: [RequestKind!], $search: String!, $first: Int,
      $after: String) {
  townRequests(statuses: $statuses, kinds: $kinds, search: $search, first: $first,
               after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes {
      id kind status summary
      household { name reference }
      history { status comment }
      attachments { title files { filename } }
      messageThreads { subject unreadCount }
    }
  }
}
"""
CHANGE = """
mutation($id: ID!, $action: RequestAction!, $comment: String!) {
  changeRequestStatus(requestId: $id, action: $action, comment: $comment) {
    request { status history { status comment } }
    errors { code field message }
  }
}
"""


@dataclass
class Family:
    household: Household
    parent: Account
    token: str
    child_id: int


@dataclass
class Town:
    staff: Account
    staff_token: str
    catalogue: Catalogue
    martin: Family
    bernard: Family


async def family(staff: Account, name: str, clock: FrozenClock) -> Family:
    household = await make_household(staff, clock, children=1, guardians=1, name=name)
    parent = await make_account(await staff.tenant, clock)
    await Guardian.filter(household=household).update(account_id=parent.id)
    child = await Child.filter(household=household).get()
    child_id = child.id
    return Family(household, parent, await token_for(parent, clock), child_id)


async def town(clock: FrozenClock) -> Town:
    """Two families; each parent asks to enrol their child in the canteen (staff decide)."""
    tenant = await make_town()
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock)
    martin = await family(staff, "Famille Martin", clock)
    bernard = await family(staff, "Famille Bernard", clock)
    for member in (martin, bernard):
        await enroll(
            member.parent,
            member.child_id,
            catalogue.canteen.id,
            catalogue.site.id,
            catalogue.period.id,
            clock=clock,
        )
    return Town(staff, await token_for(staff, clock), catalogue, martin, bernard)


def nodes(result: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in result, result
    found: list[dict[str, Any]] = result["data"]["townRequests"]["nodes"]
    return found


async def inbox(api: GraphQL, token: str, **variables: Any) -> dict[str, Any]:
    return await api(INBOX, {"search": "", **variables}, token=token)


async def change(
    api: GraphQL, token: str, request_id: str, action: str, comment: str = ""
) -> dict[str, Any]:
    result = await api(
        CHANGE, {"id": request_id, "action": action, "comment": comment}, token=token
    )
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]["changeRequestStatus"]
    return payload


async def test_staff_filter_search_and_page_through_the_town_requests(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given two families of the town with an enrolment request each, and another town
    t = await town(clock)
    elsewhere = await make_town()
    other_staff = await make_account(elsewhere, clock, role=AccountRole.AGENT)
    await make_household(other_staff, clock, name="Famille Martin")

    # when the agent filters by status and kind
    submitted = await inbox(
        api, t.staff_token, statuses=["SUBMITTED"], kinds=["ENROLLMENT"], first=1
    )
    # then they see their town's two requests only, newest first, one page at a time
    page = submitted["data"]["townRequests"]
    assert page["totalCount"] == 2
    assert [n["household"]["name"] for n in nodes(submitted)] == ["Famille Bernard"]
    assert page["pageInfo"]["hasNextPage"] is True
    following = await inbox(
        api,
        t.staff_token,
        statuses=["SUBMITTED"],
        kinds=["ENROLLMENT"],
        first=1,
        after=page["pageInfo"]["endCursor"],
    )
    assert [n["household"]["name"] for n in nodes(following)] == ["Famille Martin"]
    assert following["data"]["townRequests"]["pageInfo"]["hasNextPage"] is False
    [request] = nodes(following)
    assert request["history"] == [{"status": "SUBMITTED", "comment": ""}]

    # a search by household name or dossier number narrows the list
    by_name = await inbox(api, t.staff_token, search="martin")
    assert {n["household"]["name"] for n in nodes(by_name)} == {"Famille Martin"}
    reference = t.bernard.household.reference
    by_reference = await inbox(api, t.staff_token, search=reference)
    assert {n["household"]["reference"] for n in nodes(by_reference)} == {reference}
    done = await inbox(api, t.staff_token, statuses=["COMPLETED"], kinds=["ENROLLMENT"])
    assert nodes(done) == []

    # and a parent may not open the inbox
    refused = await inbox(api, t.martin.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_enrolment_request_taken_in_review_then_accepted_mails_the_family(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    t = await town(clock)
    request = await Request.get(household=t.martin.household, kind=RequestKind.ENROLLMENT)
    request_id = encode_id("Request", request.id)

    # when the agent takes it in review
    reviewed = await change(api, t.staff_token, request_id, "TAKE_IN_REVIEW")
    assert reviewed["errors"] == []
    assert reviewed["request"]["status"] == "IN_REVIEW"

    # then completes it: the enrolment rule runs (the child becomes bookable)
    completed = await change(api, t.staff_token, request_id, "COMPLETE", "Bienvenue")
    assert completed["errors"] == []
    assert completed["request"]["status"] == "COMPLETED"
    assert [(s["status"], s["comment"]) for s in completed["request"]["history"]] == [
        ("SUBMITTED", ""),
        ("IN_REVIEW", "Demande prise en charge par le service"),
        ("COMPLETED", "Bienvenue"),
    ]
    enrollment = await Enrollment.get(request_id=request.id)
    assert enrollment.status == EnrollmentStatus.ACTIVE
    actions = await AuditEntry.filter(
        actor_id=t.staff.id, action__in=["enrollment.decide", "request.status"]
    ).values_list("action", "target_id")
    assert sorted(actions) == [("enrollment.decide", enrollment.id), ("request.status", request.id)]

    # and the family reads both steps in its mailbox
    await run_jobs()
    subjects = sorted(m["Subject"] for m in mailbox.to(t.martin.parent.email))
    assert subjects == [
        "Inscription de Enfant0 à Restauration scolaire : acceptée",
        "Votre demande a été prise en charge par le service",
    ]
    [review_mail] = [m for m in mailbox.to(t.martin.parent.email) if "prise en" in m["Subject"]]
    assert "Inscription de Enfant0 : Restauration scolaire" in Mailbox.text(review_mail)

    # a finished request no longer moves
    again = await change(api, t.staff_token, request_id, "REJECT", "Trop tard")
    assert [e["code"] for e in again["errors"]] == ["INVALID"]
    assert "déjà terminée" in again["errors"][0]["message"]


async def test_rejecting_needs_a_comment_and_refuses_the_enrolment(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    t = await town(clock)
    request = await Request.get(household=t.bernard.household, kind=RequestKind.ENROLLMENT)
    request_id = encode_id("Request", request.id)

    silent = await change(api, t.staff_token, request_id, "REJECT")
    assert [(e["code"], e["field"]) for e in silent["errors"]] == [("REQUIRED", "comment")]

    rejected = await change(api, t.staff_token, request_id, "REJECT", "Dossier incomplet")
    assert rejected["request"]["status"] == "REJECTED"
    assert (await Enrollment.get(request_id=request.id)).status == EnrollmentStatus.REFUSED
    await run_jobs()
    [mail] = mailbox.to(t.bernard.parent.email)
    assert mail["Subject"] == "Inscription de Enfant0 à Restauration scolaire : refusée"
    assert "Dossier incomplet" in Mailbox.text(mail)


async def test_a_contact_change_request_is_applied_or_rejected_by_staff(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    # given a contact change still waiting for the service (no object of its own to decide)
    t = await town(clock)
    request = await Request.create(
        tenant_id=t.martin.household.tenant_id,
        household=t.martin.household,
        submitted_by=t.martin.parent,
        kind=RequestKind.CONTACT_UPDATE,
        status="submitted",
        summary="Modification du contact Paul Lemoine (personne autorisée)",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    rejected = await change(
        api, t.staff_token, encode_id("Request", request.id), "REJECT", "Pièce d'identité absente"
    )
    assert rejected["errors"] == []
    assert rejected["request"]["history"] == [
        {"status": "REJECTED", "comment": "Pièce d'identité absente"}
    ]
    entry = await AuditEntry.get(action="request.status", target_id=request.id)
    assert entry.details == {"from": "submitted", "to": "rejected"}
    # the family's phones are told live, after commit
    live_events = [
        event
        for job in await OutboxJob.filter(function=LIVE_EVENTS_FUNCTION)
        for event in job.kwargs["events"]
        if event["request_id"] == request.id
    ]
    assert [(e["kind"], e["status"]) for e in live_events] == [("status_changed", "rejected")]
    await run_jobs()
    [mail] = mailbox.to(t.martin.parent.email)
    assert mail["Subject"] == "Votre demande a été refusée"
    body = Mailbox.text(mail)
    assert "Modification du contact Paul Lemoine" in body
    assert "Pièce d'identité absente" in body


async def test_an_agent_of_another_town_or_a_parent_cannot_move_a_request(
    api: GraphQL, clock: FrozenClock
) -> None:
    t = await town(clock)
    request = await Request.get(household=t.martin.household, kind=RequestKind.ENROLLMENT)
    request_id = encode_id("Request", request.id)
    stranger = await make_account(await make_town(), clock, role=AccountRole.AGENT)

    foreign = await change(api, await token_for(stranger, clock), request_id, "COMPLETE")
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    parent = await change(api, t.martin.token, request_id, "COMPLETE")
    assert [e["code"] for e in parent["errors"]] == ["FORBIDDEN"]
    assert (await Request.get(id=request.id)).status == "submitted"


async def test_a_late_absence_completed_from_the_inbox_follows_the_absence_rule(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a late absence report waiting for the service
    from models.absences import AbsenceReason
    from resolvers.absences.absences import AbsenceForm, DatePreset, report_absence
    from resolvers.calendar.bookings import BookingAction, BookingChange, ChangeSet, submit_changes

    t = await town(clock)
    await Enrollment.filter(request__household=t.martin.household).update(status="active")
    await submit_changes(
        t.martin.parent,
        t.martin.household.id,
        ChangeSet(
            changes=[
                BookingChange(
                    t.martin.child_id,
                    t.catalogue.canteen.id,
                    datetime(2026, 11, 30).date(),
                    BookingAction.BOOK,
                )
            ]
        ),
        clock=clock,
    )
    clock.current = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    result = await report_absence(
        t.martin.parent,
        t.martin.household.id,
        AbsenceForm(
            child_id=t.martin.child_id, reason=AbsenceReason.ILLNESS, preset=DatePreset.NEXT_WEEK
        ),
        clock=clock,
    )
    request_id = encode_id("Request", result.report.request_id)

    # when the agent takes it in review (it already is) then completes it
    same = await change(api, t.staff_token, request_id, "TAKE_IN_REVIEW")
    assert [e["code"] for e in same["errors"]] == ["INVALID"]
    completed = await change(api, t.staff_token, request_id, "COMPLETE", "Certificat reçu")

    # then the report is accepted and its days justified, as decideAbsenceReport does
    assert completed["request"]["status"] == "COMPLETED"
    await result.report.refresh_from_db()
    assert result.report.status == "accepted"
    days = await AbsenceDay.filter(report_id=result.report.id)
    assert [day.outcome for day in days] == [AbsenceOutcome.JUSTIFIED]


async def request_with_file_and_thread(member: Family, index: int, clock: FrozenClock) -> None:
    request = await Request.create(
        tenant_id=member.household.tenant_id,
        household=member.household,
        kind=RequestKind.CONTACT_ADD,
        status="submitted",
        summary=f"Ajout du contact {index}",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    document = await store_document(
        member.parent,
        member.household.id,
        DocumentForm(DocumentKind.OTHER, f"Pièce {index}"),
        [CheckedFile("piece.pdf", "application/pdf", samples.pdf())],
        in_storage=False,
        clock=clock,
    )
    await attach(request, [document.id], clock=clock)
    await start_thread(
        member.parent,
        member.household.id,
        f"Question {index}",
        "Bonjour",
        request_id=request.id,
        clock=clock,
    )


async def test_the_inbox_costs_the_same_statements_for_a_few_or_many_requests(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given requests with attachments and message threads: one each, then three each
    t = await town(clock)
    for member in (t.martin, t.bernard):
        await request_with_file_and_thread(member, 0, clock)
    async with count_queries() as few:
        before = await inbox(api, t.staff_token)
    assert len(nodes(before)) == 4
    for member in (t.martin, t.bernard):
        for index in (1, 2):
            await request_with_file_and_thread(member, index, clock)

    # when the agent opens the inbox again
    async with count_queries() as many:
        after = await inbox(api, t.staff_token)

    # then everything is there for the same number of statements
    found = nodes(after)
    assert len(found) == 8
    assert found[0]["attachments"][0]["files"] == [{"filename": "piece.pdf"}]
    assert found[0]["messageThreads"] == [{"subject": "Question 2", "unreadCount": 1}]
    # bearer 1, count 1, page 1, households 1, histories 1, attachment links 1 + documents 1
    # + files 1, threads 1, unread counts 1
    assert many.count == few.count == 10, many.statements


async def test_two_agents_completing_the_same_request_at_once_move_it_once(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    t = await town(clock)
    request = await Request.create(
        tenant_id=t.martin.household.tenant_id,
        household=t.martin.household,
        kind=RequestKind.CONTACT_REMOVE,
        status="in_review",
        summary="Suppression du contact Paul Lemoine (personne autorisée)",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    other_agent = await token_for(
        await make_account(await t.staff.tenant, clock, role=AccountRole.AGENT), clock
    )
    request_id = encode_id("Request", request.id)

    first, second = await asyncio.gather(
        change(api, t.staff_token, request_id, "COMPLETE"),
        change(api, other_agent, request_id, "COMPLETE"),
    )

    assert sorted(len(p["errors"]) for p in (first, second)) == [0, 1]
    assert await RequestEvent.filter(request_id=request.id).count() == 1
    await run_jobs()
    assert [m["Subject"] for m in mailbox.to(t.martin.parent.email)] == [
        "Votre demande a été traitée"
    ]
