"""The new school year: an admin rolls the period over, families re-enrol, staff decide in
batches, the unanswered are reminded, classes move up at the rentrée."""

from datetime import UTC, datetime
from typing import Any

from gql.ids import encode_id
from jobs.school_year import school_year_cron
from models.accounts import AccountRole
from models.bookings import Enrollment, EnrollmentStatus
from models.catalogue import Opening, Period
from models.households import Child
from models.outbox import OutboxJob
from models.requests import Request, RequestStatus
from resolvers.calendar.catalogue import create_site
from resolvers.core.clock import FrozenClock
from resolvers.live.live import LIVE_EVENTS_FUNCTION
from tests.calendar.test_bookings import parent_of
from tests.conftest import GraphQL, Mailbox
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)
from tests.sql_count import count_queries

ROLLOVER = """
mutation($periodId: ID!, $startsOn: Date) {
  rolloverYear(periodId: $periodId, startsOn: $startsOn) {
    period { id name startsOn endsOn } sourcePeriod { id } created openingsCopied warnings
    errors { code message field }
  }
}
"""
OPEN = """
mutation($periodId: ID!, $until: Date!) {
  openReenrollment(periodId: $periodId, until: $until) {
    nextPeriod { name } until proposed errors { code message field }
  }
}
"""
LINES = """
query($householdId: ID!) {
  reenrollments(householdId: $householdId) {
    id child { firstNames } nextSchoolClass status canAnswer until
    activity { code } site { name } currentSite { name } toPeriod { name }
  }
}
"""
ANSWER = """
mutation($householdId: ID!, $answers: [ReenrollmentAnswerInput!]!) {
  answerReenrollments(householdId: $householdId, answers: $answers) {
    reenrollments { id status site { name } } errors { code message field }
  }
}
"""
DECIDE = """
mutation($periodId: ID!, $all: Boolean!, $accept: [ID!], $refuse: [ID!], $comment: String!) {
  decideReenrollments(periodId: $periodId, acceptAllWithoutReview: $all, acceptIds: $accept,
                      refuseIds: $refuse, comment: $comment) {
    reenrollments { id status } errors { code message field }
  }
}
"""
TOWN_LINES = """
query($periodId: ID!, $statuses: [ReenrollmentStatus!]) {
  townReenrollments(periodId: $periodId, statuses: $statuses, first: 1) {
    totalCount nodes { status child { firstNames } } pageInfo { hasNextPage }
  }
}
"""


async def school(clock: FrozenClock) -> dict[str, Any]:
    """A canteen year with a family of two: Enfant0 in CP, Enfant1 in CM2, both enrolled."""
    town = await make_town()
    admin = await make_account(town, clock, role=AccountRole.ADMIN)
    agent = await make_account(town, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(agent, clock, capacity=30)
    household = await make_household(agent, clock, children=2, guardians=1)
    child_ids = await enroll_all(agent, household, catalogue, clock)
    await Child.filter(id=child_ids[0]).update(school_class="cp")
    await Child.filter(id=child_ids[1]).update(school_class="CM2")
    parent, token = await parent_of(household, town, clock)
    return {
        "town": town,
        "agent": agent,
        "catalogue": catalogue,
        "household": household,
        "household_id": encode_id("Household", household.id),
        "child_ids": child_ids,
        "parent": parent,
        "token": token,
        "admin_token": await token_for(admin, clock),
        "agent_token": await token_for(agent, clock),
        "period_id": encode_id("Period", catalogue.period.id),
    }


async def rolled_over(api: GraphQL, f: dict[str, Any]) -> dict[str, Any]:
    answer = await api(ROLLOVER, {"periodId": f["period_id"]}, token=f["admin_token"])
    result: dict[str, Any] = answer["data"]["rolloverYear"]
    assert result["errors"] == []
    return result


async def opened(api: GraphQL, f: dict[str, Any], until: str = "2027-06-15") -> dict[str, Any]:
    await rolled_over(api, f)
    answer = await api(OPEN, {"periodId": f["period_id"], "until": until}, token=f["agent_token"])
    result: dict[str, Any] = answer["data"]["openReenrollment"]
    assert result["errors"] == []
    return result


async def test_an_admin_rolls_the_year_over_once(api: GraphQL, clock: FrozenClock) -> None:
    f = await school(clock)

    first = await rolled_over(api, f)

    assert first["period"]["name"] == "Année scolaire 2027-2028"
    assert (first["period"]["startsOn"], first["period"]["endsOn"]) == ("2027-09-01", "2028-07-03")
    assert first["created"] is True and first["openingsCopied"] == 1
    # the new year's holidays are not loaded yet: the admin is told
    assert "vacances scolaires" in first["warnings"][0]
    new_period = await Period.get(tenant_id=f["town"].id, name="Année scolaire 2027-2028")
    [opening] = await Opening.filter(period_id=new_period.id)
    assert (opening.weekdays, opening.capacity) == (0b11011, 30)

    # twice: the same period back, nothing copied again
    again = await rolled_over(api, f)
    assert again["created"] is False and again["period"]["id"] == first["period"]["id"]
    assert await Period.filter(tenant_id=f["town"].id).count() == 2
    assert await Opening.filter(period_id=new_period.id).count() == 1


async def test_only_an_admin_of_the_town_rolls_a_year_over(
    api: GraphQL, clock: FrozenClock
) -> None:
    f = await school(clock)
    elsewhere = await make_town()
    other_admin = await make_account(elsewhere, clock, role=AccountRole.ADMIN)
    for token, code in (
        (f["token"], "FORBIDDEN"),
        (f["agent_token"], "FORBIDDEN"),
        (await token_for(other_admin, clock), "NOT_FOUND"),
        (None, "NOT_AUTHENTICATED"),
    ):
        answer = await api(ROLLOVER, {"periodId": f["period_id"]}, token=token)
        assert answer["data"]["rolloverYear"]["errors"][0]["code"] == code
    assert await Period.filter(tenant_id=f["town"].id).count() == 1


async def test_a_rollover_refuses_a_year_that_does_not_follow(
    api: GraphQL, clock: FrozenClock
) -> None:
    f = await school(clock)
    answer = await api(
        ROLLOVER, {"periodId": f["period_id"], "startsOn": "2026-08-01"}, token=f["admin_token"]
    )
    [error] = answer["data"]["rolloverYear"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "startsOn")


async def test_a_family_re_enrols_and_staff_accept_in_one_batch(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    f = await school(clock)
    campaign = await opened(api, f)
    assert (campaign["proposed"], campaign["nextPeriod"]["name"]) == (2, "Année scolaire 2027-2028")

    # the family finds both enrolments: the CP child's proposed, the CM2 child's leaving
    lines = (await api(LINES, {"householdId": f["household_id"]}, token=f["token"]))["data"][
        "reenrollments"
    ]
    by_child = {line["child"]["firstNames"]: line for line in lines}
    cp, cm2 = by_child["Enfant0"], by_child["Enfant1"]
    assert (cp["status"], cp["nextSchoolClass"], cp["canAnswer"]) == ("PROPOSED", "CE1", True)
    assert (cm2["status"], cm2["nextSchoolClass"], cm2["canAnswer"]) == ("LEAVING", "6e", False)
    assert cp["toPeriod"]["name"] == "Année scolaire 2027-2028"

    # a leaving child cannot be re-enrolled by the family
    refused = await api(
        ANSWER,
        {
            "householdId": f["household_id"],
            "answers": [{"reenrollmentId": cm2["id"], "choice": "CONFIRM"}],
        },
        token=f["token"],
    )
    assert refused["data"]["answerReenrollments"]["errors"][0]["code"] == "INVALID"

    answer = await api(
        ANSWER,
        {
            "householdId": f["household_id"],
            "answers": [{"reenrollmentId": cp["id"], "choice": "CONFIRM"}],
        },
        token=f["token"],
    )
    assert answer["data"]["answerReenrollments"]["reenrollments"][0]["status"] == "CONFIRMED"
    request = await Request.get(
        household_id=f["household"].id, summary__startswith="Réinscriptions"
    )
    assert request.status == RequestStatus.SUBMITTED

    decided = await api(
        DECIDE,
        {"periodId": f["period_id"], "all": True, "accept": None, "refuse": None, "comment": ""},
        token=f["agent_token"],
    )
    assert decided["data"]["decideReenrollments"]["reenrollments"] == [
        {"id": cp["id"], "status": "ACCEPTED"}
    ]
    next_period = await Period.get(tenant_id=f["town"].id, name="Année scolaire 2027-2028")
    [enrolment] = await Enrollment.filter(period_id=next_period.id)
    assert (enrolment.child_id, enrolment.status) == (f["child_ids"][0], EnrollmentStatus.ACTIVE)
    assert (await Request.get(id=request.id)).status == RequestStatus.COMPLETED

    # a second batch finds nothing left: no enrolment twice
    again = await api(
        DECIDE,
        {"periodId": f["period_id"], "all": True, "accept": None, "refuse": None, "comment": ""},
        token=f["agent_token"],
    )
    assert again["data"]["decideReenrollments"] == {"reenrollments": [], "errors": []}
    assert await Enrollment.filter(period_id=next_period.id).count() == 1

    await run_jobs()
    guardian_mail = [m for m in mailbox.to(f["parent"].email) if "Réinscriptions" in m["Subject"]]
    subjects = sorted(str(m["Subject"]) for m in guardian_mail)
    assert subjects == [
        "Réinscriptions Année scolaire 2027-2028 : décision du service",
        "Réinscriptions Année scolaire 2027-2028 : votre réponse est enregistrée",
        "Réinscriptions Année scolaire 2027-2028 : à confirmer avant le mardi 15 juin 2027",
    ]
    opening = next(m for m in guardian_mail if "à confirmer" in m["Subject"])
    assert "- Enfant0 : Restauration scolaire" in mailbox.text(opening)
    assert "Enfant1" not in mailbox.text(opening)  # leaving for collège
    assert "Enfant0, Restauration scolaire (École Jean Jaurès) : acceptée" in mailbox.text(
        next(m for m in guardian_mail if "décision" in m["Subject"])
    )


async def test_a_change_waits_for_a_decision_by_id(api: GraphQL, clock: FrozenClock) -> None:
    f = await school(clock)
    await opened(api, f)
    other_site = await create_site(f["agent"], "École Jules Ferry", "school", "", clock=clock)  # type: ignore[arg-type]
    lines = (await api(LINES, {"householdId": f["household_id"]}, token=f["token"]))["data"][
        "reenrollments"
    ]
    cp = next(line for line in lines if line["status"] == "PROPOSED")
    site_id = encode_id("Site", other_site.id)
    change = {"reenrollmentId": cp["id"], "choice": "CHANGE", "siteId": site_id}

    # the canteen is not open at the other school next year
    answer = await api(
        ANSWER, {"householdId": f["household_id"], "answers": [change]}, token=f["token"]
    )
    [error] = answer["data"]["answerReenrollments"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "answers.0.activityId")

    next_period = await Period.get(tenant_id=f["town"].id, name="Année scolaire 2027-2028")
    await Opening.create(
        activity_id=f["catalogue"].canteen.id,
        site_id=other_site.id,
        period_id=next_period.id,
        weekdays=0b11111,
    )
    answer = await api(
        ANSWER, {"householdId": f["household_id"], "answers": [change]}, token=f["token"]
    )
    [line] = answer["data"]["answerReenrollments"]["reenrollments"]
    assert (line["status"], line["site"]["name"]) == ("CHANGED", "École Jules Ferry")

    # accepting all that need no review leaves the change for a decision by id
    batch = {"periodId": f["period_id"], "all": True, "accept": None, "refuse": None, "comment": ""}
    assert (await api(DECIDE, batch, token=f["agent_token"]))["data"]["decideReenrollments"][
        "reenrollments"
    ] == []
    staff_view = await api(
        TOWN_LINES, {"periodId": f["period_id"], "statuses": ["CHANGED"]}, token=f["agent_token"]
    )
    assert staff_view["data"]["townReenrollments"]["totalCount"] == 1

    # a refusal needs a reason; then it is refused, and the family cannot answer again
    refuse = {**batch, "all": False, "refuse": [cp["id"]]}
    [error] = (await api(DECIDE, refuse, token=f["agent_token"]))["data"]["decideReenrollments"][
        "errors"
    ]
    assert (error["code"], error["field"]) == ("REQUIRED", "comment")
    refuse["comment"] = "Plus de place à Jules Ferry."
    decided = await api(DECIDE, refuse, token=f["agent_token"])
    assert decided["data"]["decideReenrollments"]["reenrollments"][0]["status"] == "REFUSED"
    late = await api(
        ANSWER, {"householdId": f["household_id"], "answers": [change]}, token=f["token"]
    )
    assert late["data"]["answerReenrollments"]["errors"][0]["code"] == "INVALID"
    assert await Enrollment.filter(period_id=next_period.id).count() == 0


async def test_answers_close_after_the_last_day(api: GraphQL, clock: FrozenClock) -> None:
    f = await school(clock)
    await opened(api, f, until="2027-06-15")
    lines = (await api(LINES, {"householdId": f["household_id"]}, token=f["token"]))["data"][
        "reenrollments"
    ]
    cp = next(line for line in lines if line["status"] == "PROPOSED")
    drop = {
        "householdId": f["household_id"],
        "answers": [{"reenrollmentId": cp["id"], "choice": "DROP"}],
    }

    confirm = {**drop, "answers": [{"reenrollmentId": cp["id"], "choice": "CONFIRM"}]}
    assert (await api(ANSWER, confirm, token=f["token"]))["data"]["answerReenrollments"][
        "errors"
    ] == []

    # 23h59 in Paris on the last day still counts: the family changes its mind
    clock.current = datetime(2027, 6, 15, 21, 59, tzinfo=UTC)
    f["token"] = await token_for(f["parent"], clock)
    assert (await api(ANSWER, drop, token=f["token"]))["data"]["answerReenrollments"][
        "errors"
    ] == []
    # the first answer is replaced; a drop needs no decision: both requests are done
    first, second = await Request.filter(
        household_id=f["household"].id, summary__startswith="Réinscriptions"
    ).order_by("id")
    assert (first.status, second.status) == (RequestStatus.COMPLETED, RequestStatus.COMPLETED)
    assert "(arrêtée)" in second.summary
    clock.current = datetime(2027, 6, 15, 22, 0, tzinfo=UTC)
    [error] = (await api(ANSWER, drop, token=f["token"]))["data"]["answerReenrollments"]["errors"]
    assert error["code"] == "DEADLINE_PASSED" and "15 juin 2027" in error["message"]


async def test_other_families_and_towns_cannot_reach_a_campaign(
    api: GraphQL, clock: FrozenClock
) -> None:
    f = await school(clock)
    await opened(api, f)
    lines = (await api(LINES, {"householdId": f["household_id"]}, token=f["token"]))["data"][
        "reenrollments"
    ]
    other = await make_household(f["agent"], clock, children=1, guardians=1, name="Famille Autre")
    _, other_token = await parent_of(other, f["town"], clock)
    elsewhere = await make_town()
    other_agent_token = await token_for(
        await make_account(elsewhere, clock, role=AccountRole.AGENT), clock
    )

    # another family: the household is not theirs, nor are its lines
    seen = await api(LINES, {"householdId": f["household_id"]}, token=other_token)
    assert seen["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    answer = await api(
        ANSWER,
        {
            "householdId": encode_id("Household", other.id),
            "answers": [{"reenrollmentId": lines[0]["id"], "choice": "DROP"}],
        },
        token=other_token,
    )
    assert answer["data"]["answerReenrollments"]["errors"][0]["code"] == "NOT_FOUND"
    # a parent cannot open, list or decide; another town's agent does not find the period
    for query, variables in (
        (OPEN, {"periodId": f["period_id"], "until": "2027-06-15"}),
        (
            DECIDE,
            {
                "periodId": f["period_id"],
                "all": True,
                "accept": None,
                "refuse": None,
                "comment": "",
            },
        ),
    ):
        parent = await api(query, variables, token=f["token"])
        assert next(iter(parent["data"].values()))["errors"][0]["code"] == "FORBIDDEN"
        town = await api(query, variables, token=other_agent_token)
        assert next(iter(town["data"].values()))["errors"][0]["code"] == "NOT_FOUND"
    listed = await api(TOWN_LINES, {"periodId": f["period_id"]}, token=f["token"])
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_campaign_needs_a_rolled_over_period(api: GraphQL, clock: FrozenClock) -> None:
    f = await school(clock)
    answer = await api(
        OPEN, {"periodId": f["period_id"], "until": "2027-06-15"}, token=f["agent_token"]
    )
    [error] = answer["data"]["openReenrollment"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "periodId")
    assert "rolloverYear" in error["message"]


async def test_families_who_have_not_answered_are_reminded_once(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    f = await school(clock)
    await opened(api, f, until="2027-06-15")
    answered = await make_household(
        f["agent"], clock, children=1, guardians=1, name="Famille Prompte"
    )
    [answered_child] = await enroll_all(f["agent"], answered, f["catalogue"], clock)
    answered_parent, answered_token = await parent_of(answered, f["town"], clock)
    await api(OPEN, {"periodId": f["period_id"], "until": "2027-06-15"}, token=f["agent_token"])
    [line] = (
        await api(LINES, {"householdId": encode_id("Household", answered.id)}, token=answered_token)
    )["data"]["reenrollments"]
    await api(
        ANSWER,
        {
            "householdId": encode_id("Household", answered.id),
            "answers": [{"reenrollmentId": line["id"], "choice": "CONFIRM"}],
        },
        token=answered_token,
    )

    # too early: nothing; a week before the last day: once, however often the cron runs
    clock.current = datetime(2027, 6, 1, 5, 15, tzinfo=UTC)
    assert (await school_year_cron({"clock": clock}))["households_reminded"] == 0
    clock.current = datetime(2027, 6, 8, 5, 15, tzinfo=UTC)
    # (other tests' towns share the database: count this family's mails below)
    assert (await school_year_cron({"clock": clock}))["households_reminded"] >= 1
    assert (await school_year_cron({"clock": clock}))["households_reminded"] == 0
    await run_jobs()

    reminders = [
        m
        for m in mailbox.to(f["parent"].email)
        if m["Subject"].startswith("Rappel : réinscriptions")
    ]
    assert len(reminders) == 1
    assert (
        reminders[0]["Subject"]
        == "Rappel : réinscriptions Année scolaire 2027-2028 avant le mardi 15 juin 2027"
    )
    assert "- Enfant0 : Restauration scolaire" in mailbox.text(reminders[0])
    assert "Enfant1" not in mailbox.text(reminders[0])  # leaving for collège: not asked
    assert not [m for m in mailbox.to(answered_parent.email) if "Rappel" in m["Subject"]]


async def test_classes_move_up_once_at_the_rentree(api: GraphQL, clock: FrozenClock) -> None:
    f = await school(clock)
    await rolled_over(api, f)
    await Child.filter(id=f["child_ids"][0]).update(school_class="GS")
    unknown = await make_household(f["agent"], clock, children=1, guardians=1)
    await Child.filter(household=unknown).update(school_class="ULIS")

    clock.current = datetime(2027, 8, 31, 12, 0, tzinfo=UTC)
    await school_year_cron({"clock": clock})
    assert (await Child.get(id=f["child_ids"][0])).school_class == "GS"
    clock.current = datetime(2027, 9, 1, 5, 15, tzinfo=UTC)
    assert (await school_year_cron({"clock": clock}))["children_promoted"] >= 2
    assert (await school_year_cron({"clock": clock}))["children_promoted"] == 0

    classes = {c.id: c.school_class for c in await Child.filter(household__tenant_id=f["town"].id)}
    assert classes[f["child_ids"][0]] == "CP"
    assert classes[f["child_ids"][1]] == "6e"  # CM2 left elementary school: collège
    assert "ULIS" in classes.values()  # a class off the ladder stays as it is


async def test_a_familys_proposals_cost_the_same_whatever_its_size(
    api: GraphQL, clock: FrozenClock
) -> None:
    """The parent's read of its proposals: a fixed number of statements (no N+1)."""
    f = await school(clock)
    big = await make_household(f["agent"], clock, children=5, guardians=1, name="Famille Grande")
    await enroll_all(f["agent"], big, f["catalogue"], clock)
    _, big_token = await parent_of(big, f["town"], clock)
    await opened(api, f)

    async with count_queries() as small_log:
        small = await api(LINES, {"householdId": f["household_id"]}, token=f["token"])
    async with count_queries() as big_log:
        large = await api(LINES, {"householdId": encode_id("Household", big.id)}, token=big_token)

    assert (len(small["data"]["reenrollments"]), len(large["data"]["reenrollments"])) == (2, 5)
    assert big_log.count == small_log.count, big_log.statements


async def test_an_answer_given_by_an_agent_shows_as_the_towns(
    api: GraphQL, clock: FrozenClock
) -> None:
    f = await school(clock)
    await opened(api, f)
    lines = (await api(LINES, {"householdId": f["household_id"]}, token=f["token"]))["data"][
        "reenrollments"
    ]
    cp = next(line for line in lines if line["status"] == "PROPOSED")

    # an agent at the desk answers for the family, who said so on the phone
    answer = await api(
        ANSWER,
        {
            "householdId": f["household_id"],
            "answers": [{"reenrollmentId": cp["id"], "choice": "CONFIRM"}],
        },
        token=f["agent_token"],
    )
    assert answer["data"]["answerReenrollments"]["errors"] == []

    # the family's live view says the town made the change, not the family
    request = await Request.get(
        household_id=f["household"].id, summary__startswith="Réinscriptions"
    )
    created = [
        event
        for job in await OutboxJob.filter(function=LIVE_EVENTS_FUNCTION)
        for event in job.kwargs["events"]
        if event.get("request_id") == request.id
    ]
    assert [event["by_staff"] for event in created] == [True]
