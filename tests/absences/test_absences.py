"""Absence reports as a parent sends them and an agent decides them."""

from datetime import UTC, datetime
from typing import Any

from gql.ids import encode_id
from models.accounts import AccountRole
from models.households import Guardian
from models.tenants import Tenant
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL, Mailbox
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)

SUBMIT = """
mutation($householdId: ID!, $input: BookingChangesInput!) {
  submitBookingChanges(householdId: $householdId, input: $input) { summary errors { code } }
}
"""
REPORT = """
mutation($householdId: ID!, $input: AbsenceInput!) {
  reportAbsence(householdId: $householdId, input: $input) {
    report { id status days { date outcome } }
    cancelledDays { date } pendingDays { date } justifiedDays { date }
    message errors { code field message }
  }
}
"""
QUEUE = """
query {
  pendingAbsenceReports { totalCount nodes { id childFirstNames reason days { date outcome } } }
}
"""
DECIDE = """
mutation($id: ID!, $accept: Boolean!, $comment: String!) {
  decideAbsenceReport(reportId: $id, accept: $accept, comment: $comment) {
    report { status decisionComment days { date outcome } } errors { code message }
  }
}
"""
CALENDAR = """
query($householdId: ID!, $from: Date!, $to: Date!) {
  calendar(householdId: $householdId, from: $from, to: $to) {
    days { date status canChange changeableUntil reason message }
  }
}
"""
REQUESTS = """
query($id: ID!) {
  household(id: $id) { requests { nodes { kind status history { status comment } } } }
}
"""


async def booked_family(
    api: GraphQL, clock: FrozenClock, days: list[str], **town: Any
) -> dict[str, Any]:
    """A family whose child has the canteen booked on ``days`` (booked on 23 November)."""
    tenant = await make_town(**town)
    staff = await make_account(tenant, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(staff, clock)
    household = await make_household(staff, clock, children=1, guardians=1)
    [child_id] = await enroll_all(staff, household, catalogue, clock)
    parent = await make_account(tenant, clock)
    await Guardian.filter(household=household).update(account_id=parent.id)
    f: dict[str, Any] = {
        "tenant": tenant,
        "staff": staff,
        "parent": parent,
        "household_id": encode_id("Household", household.id),
        "child_id": encode_id("Child", child_id),
        "activity_id": encode_id("Activity", catalogue.canteen.id),
        "token": await token_for(parent, clock),
        "staff_token": await token_for(staff, clock),
    }
    changes = [
        {"childId": f["child_id"], "activityId": f["activity_id"], "date": day, "action": "BOOK"}
        for day in days
    ]
    booked = await api(
        SUBMIT, {"householdId": f["household_id"], "input": {"changes": changes}}, token=f["token"]
    )
    assert booked["data"]["submitBookingChanges"]["errors"] == []
    return f


def statuses(calendar: dict[str, Any]) -> dict[str, tuple[str, str]]:
    [line] = calendar["data"]["calendar"]
    return {day["date"]: (day["status"], day["reason"]) for day in line["days"]}


async def test_an_absence_across_a_weekend_and_the_holidays_is_simply_cancelled(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    f = await booked_family(api, clock, ["2026-12-18", "2027-01-04", "2027-01-05"])
    result = await api(
        REPORT,
        {
            "householdId": f["household_id"],
            "input": {
                "childId": f["child_id"],
                "reason": "ILLNESS",
                "dates": "RANGE",
                "day": "2026-12-18",
                "end": "2027-01-05",
            },
        },
        token=f["token"],
    )
    payload = result["data"]["reportAbsence"]
    assert payload["errors"] == []
    assert [d["date"] for d in payload["cancelledDays"]] == [
        "2026-12-18",
        "2027-01-04",
        "2027-01-05",
    ]
    assert payload["pendingDays"] == []
    assert payload["report"]["status"] == "CANCELLED_IN_TIME"
    assert payload["message"] == "3 jour(s) annulé(s) dans les délais."
    calendar = await api(
        CALENDAR,
        {"householdId": f["household_id"], "from": "2027-01-04", "to": "2027-01-05"},
        token=f["token"],
    )
    assert statuses(calendar)["2027-01-04"][0] == "NOT_BOOKED"
    await run_jobs()
    [received] = [
        m
        for m in mailbox.to(f["parent"].email)
        if m["Subject"].startswith("Signalement d'absence reçu")
    ]
    assert "Annulé(s) dans les délais" in Mailbox.text(received)


async def test_an_absence_partly_past_the_deadline_goes_to_review_then_is_justified(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    f = await booked_family(api, clock, ["2026-11-30", "2026-12-01", "2026-12-03", "2026-12-04"])
    # given Friday 27 November, 11h00 in Paris: 4 December can still be cancelled, not the rest
    clock.current = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    report = (
        await api(
            REPORT,
            {
                "householdId": f["household_id"],
                "input": {
                    "childId": f["child_id"],
                    "reason": "ILLNESS",
                    "dates": "NEXT_WEEK",
                    "comment": "Varicelle",
                },
            },
            token=f["token"],
        )
    )["data"]["reportAbsence"]
    assert [d["date"] for d in report["pendingDays"]] == ["2026-11-30", "2026-12-01", "2026-12-03"]
    assert [d["date"] for d in report["cancelledDays"]] == ["2026-12-04"]
    assert report["report"]["status"] == "PENDING"
    calendar = await api(
        CALENDAR,
        {"householdId": f["household_id"], "from": "2026-11-30", "to": "2026-12-04"},
        token=f["token"],
    )
    assert statuses(calendar)["2026-11-30"] == ("ABSENT", "ABSENCE_PENDING")
    assert statuses(calendar)["2026-12-04"][0] == "NOT_BOOKED"

    # when the agent reviews the queue and accepts
    queue = (await api(QUEUE, token=f["staff_token"]))["data"]["pendingAbsenceReports"]
    assert [n["id"] for n in queue["nodes"]] == [report["report"]["id"]]
    decided = (
        await api(
            DECIDE,
            {"id": report["report"]["id"], "accept": True, "comment": "Certificat reçu"},
            token=f["staff_token"],
        )
    )["data"]["decideAbsenceReport"]
    assert decided["report"]["status"] == "ACCEPTED"

    # then the days are justified (not billed), the family is told, the history says so
    calendar = await api(
        CALENDAR,
        {"householdId": f["household_id"], "from": "2026-11-30", "to": "2026-11-30"},
        token=f["token"],
    )
    assert statuses(calendar)["2026-11-30"] == ("ABSENT", "ABSENCE_JUSTIFIED")
    requests = await api(REQUESTS, {"id": f["household_id"]}, token=f["token"])
    [absence] = [
        r
        for r in requests["data"]["household"]["requests"]["nodes"]
        if r["kind"] == "ABSENCE_REPORT"
    ]
    assert [s["status"] for s in absence["history"]] == ["SUBMITTED", "COMPLETED"]
    assert absence["history"][1]["comment"] == "Certificat reçu"
    await run_jobs()
    [decision] = [m for m in mailbox.to(f["parent"].email) if m["Subject"].startswith("Absence de")]
    assert "acceptée" in decision["Subject"]
    assert "lundi 30 novembre 2026" in Mailbox.text(decision)
    again = (
        await api(
            DECIDE,
            {"id": report["report"]["id"], "accept": False, "comment": ""},
            token=f["staff_token"],
        )
    )["data"]["decideAbsenceReport"]
    assert [e["code"] for e in again["errors"]] == ["INVALID"]


async def test_a_rejected_report_leaves_the_days_billable(api: GraphQL, clock: FrozenClock) -> None:
    f = await booked_family(api, clock, ["2026-11-30"])
    clock.current = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    report = (
        await api(
            REPORT,
            {
                "householdId": f["household_id"],
                "input": {
                    "childId": f["child_id"],
                    "reason": "OTHER",
                    "dates": "DAY",
                    "day": "2026-11-30",
                },
            },
            token=f["token"],
        )
    )["data"]["reportAbsence"]
    decided = (
        await api(
            DECIDE,
            {
                "id": report["report"]["id"],
                "accept": False,
                "comment": "Motif non prévu par le règlement",
            },
            token=f["staff_token"],
        )
    )["data"]["decideAbsenceReport"]
    assert decided["report"]["days"] == [{"date": "2026-11-30", "outcome": "UNJUSTIFIED"}]
    calendar = await api(
        CALENDAR,
        {"householdId": f["household_id"], "from": "2026-11-30", "to": "2026-11-30"},
        token=f["token"],
    )
    assert statuses(calendar)["2026-11-30"] == ("ABSENT", "ABSENCE_UNJUSTIFIED")


async def test_the_first_day_of_illness_is_justified_where_the_town_says_so(
    api: GraphQL, clock: FrozenClock
) -> None:
    f = await booked_family(
        api, clock, ["2026-11-30", "2026-12-01"], first_illness_day_without_certificate=True
    )
    clock.current = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    report = (
        await api(
            REPORT,
            {
                "householdId": f["household_id"],
                "input": {
                    "childId": f["child_id"],
                    "reason": "ILLNESS",
                    "dates": "RANGE",
                    "day": "2026-11-30",
                    "end": "2026-12-01",
                },
            },
            token=f["token"],
        )
    )["data"]["reportAbsence"]
    assert [d["date"] for d in report["justifiedDays"]] == ["2026-11-30"]
    assert [d["date"] for d in report["pendingDays"]] == ["2026-12-01"]


async def test_nothing_booked_nothing_to_report(api: GraphQL, clock: FrozenClock) -> None:
    f = await booked_family(api, clock, ["2026-11-30"])
    result = (
        await api(
            REPORT,
            {
                "householdId": f["household_id"],
                "input": {
                    "childId": f["child_id"],
                    "reason": "ILLNESS",
                    "dates": "DAY",
                    "day": "2026-12-02",
                },
            },
            token=f["token"],
        )
    )["data"]["reportAbsence"]
    assert [e["code"] for e in result["errors"]] == ["INVALID"]
    assert "Aucun jour réservé" in result["errors"][0]["message"]


async def test_absences_are_private_to_the_household_and_the_town(
    api: GraphQL, clock: FrozenClock
) -> None:
    mine = await booked_family(api, clock, ["2026-11-30"])
    theirs = await booked_family(api, clock, ["2026-11-30"])
    other_child = {
        "childId": theirs["child_id"],
        "reason": "ILLNESS",
        "dates": "DAY",
        "day": "2026-11-30",
    }
    wrong_household = await api(
        REPORT, {"householdId": theirs["household_id"], "input": other_child}, token=mine["token"]
    )
    assert [e["code"] for e in wrong_household["data"]["reportAbsence"]["errors"]] == ["NOT_FOUND"]
    wrong_child = await api(
        REPORT, {"householdId": mine["household_id"], "input": other_child}, token=mine["token"]
    )
    assert [e["code"] for e in wrong_child["data"]["reportAbsence"]["errors"]] == ["NOT_FOUND"]
    queue_as_parent = await api(QUEUE, token=mine["token"])
    assert queue_as_parent["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    clock.current = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    report = (
        await api(
            REPORT,
            {"householdId": theirs["household_id"], "input": other_child},
            token=theirs["token"],
        )
    )["data"]["reportAbsence"]["report"]
    assert (await api(QUEUE, token=mine["staff_token"]))["data"]["pendingAbsenceReports"][
        "totalCount"
    ] == 0
    other_town = (
        await api(
            DECIDE, {"id": report["id"], "accept": True, "comment": ""}, token=mine["staff_token"]
        )
    )["data"]["decideAbsenceReport"]
    assert [e["code"] for e in other_town["errors"]] == ["NOT_FOUND"]
    assert (await Tenant.get(id=theirs["tenant"].id)).first_illness_day_without_certificate is False
