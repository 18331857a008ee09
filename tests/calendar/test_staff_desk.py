"""What staff do daily: edit and delete the catalogue (refused, with what depends on it, while
children are booked), find a family by a child, list the children expected at a site."""

from datetime import date
from typing import Any

from gql.ids import encode_id
from models.accounts import AccountRole, StaffSite
from models.bookings import Booking, BookingStatus
from models.catalogue import CalendarException, Opening, Period, Site, SiteKind
from models.households import Child, Diet
from resolvers.calendar.catalogue import add_calendar_exception, create_period, create_site
from resolvers.core.clock import FrozenClock
from tests.calendar.test_bookings import parent_of
from tests.conftest import GraphQL
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)

DELETE_SITE = """
mutation($id: ID!) { deleteSite(siteId: $id) { deletedId errors { code message field } } }
"""
UPDATE_SITE = """
mutation($id: ID!, $name: String!) {
  updateSite(siteId: $id, name: $name, kind: SCHOOL, address: "2 rue Haute") {
    site { name address } errors { code message field }
  }
}
"""
UPDATE_PERIOD = """
mutation($id: ID!, $from: Date!, $to: Date!) {
  updatePeriod(periodId: $id, name: "Année 2026-2027", startsOn: $from, endsOn: $to) {
    period { name startsOn endsOn } errors { code message field }
  }
}
"""
DELETE_PERIOD = """
mutation($id: ID!) { deletePeriod(periodId: $id) { deletedId errors { code message field } } }
"""
OPENINGS = """
query($id: ID!) { openings(periodId: $id) { id weekdays capacity activity { code } site { name } } }
"""
SET_OPENING = """
mutation($a: ID!, $s: ID!, $p: ID!, $weekdays: [Int!]!) {
  setOpening(activityId: $a, siteId: $s, periodId: $p, weekdays: $weekdays, capacity: 30) {
    id errors { code message field }
  }
}
"""
DELETE_OPENING = """
mutation($id: ID!) { deleteOpening(openingId: $id) { deletedId errors { code message field } } }
"""
EXCEPTIONS = """
query { calendarExceptions(from: "2026-09-01", to: "2027-07-03") { id day isOpen label } }
"""
UPDATE_EXCEPTION = """
mutation($id: ID!, $day: Date!, $open: Boolean!, $label: String!) {
  updateCalendarException(exceptionId: $id, day: $day, isOpen: $open, label: $label) {
    id errors { code message field }
  }
}
"""
DELETE_EXCEPTION = """
mutation($id: ID!) {
  deleteCalendarException(exceptionId: $id) { deletedId errors { code message field } }
}
"""
FIND = """
query($name: String, $birthDate: Date, $school: String, $first: Int, $after: String) {
  findFamilies(childName: $name, birthDate: $birthDate, school: $school, first: $first,
               after: $after) {
    totalCount nodes { name children { firstNames } } pageInfo { hasNextPage endCursor }
  }
}
"""
SITE_CHILDREN = """
query($site: ID!, $day: Date!, $class: String, $pai: Boolean, $waiting: Boolean, $name: String,
      $first: Int) {
  siteChildren(siteId: $site, day: $day, schoolClass: $class, hasPai: $pai,
               withWaitingList: $waiting, childName: $name, first: $first) {
    totalCount pageInfo { hasNextPage }
    nodes {
      child { firstNames schoolClass hasPai } household { name } activity { code } onWaitingList
    }
  }
}
"""
MONDAY = date(2026, 12, 14)


async def desk(clock: FrozenClock) -> dict[str, Any]:
    """A canteen at École Jean Jaurès; Hélène (CP, PAI) and Noé Lefèvre enrolled and booked
    on Monday 14 December, Noé on the waiting list."""
    town = await make_town()
    agent = await make_account(town, clock, role=AccountRole.AGENT)
    catalogue = await make_catalogue(agent, clock)
    household = await make_household(agent, clock, children=2, guardians=1, name="Famille Lefèvre")
    child_ids = await enroll_all(agent, household, catalogue, clock)
    await Child.filter(id=child_ids[0]).update(
        last_name="Lefèvre", first_names="Hélène", school_class="CP", has_pai=True
    )
    await Child.filter(id=child_ids[1]).update(
        last_name="Lefèvre", first_names="Noé", school_class="CE2", diet=Diet.NO_PORK
    )
    for child_id, status in zip(
        child_ids, (BookingStatus.BOOKED, BookingStatus.WAITING), strict=True
    ):
        await Booking.create(
            child_id=child_id,
            activity_id=catalogue.canteen.id,
            site_id=catalogue.site.id,
            day=MONDAY,
            status=status,
            updated_at=clock.now(),
        )
    return {
        "town": town,
        "agent": agent,
        "catalogue": catalogue,
        "household": household,
        "child_ids": child_ids,
        "token": await token_for(agent, clock),
        "site_id": encode_id("Site", catalogue.site.id),
        "period_id": encode_id("Period", catalogue.period.id),
        "activity_id": encode_id("Activity", catalogue.canteen.id),
    }


def errors(answer: dict[str, Any]) -> list[dict[str, Any]]:
    [payload] = answer["data"].values()
    result: list[dict[str, Any]] = payload["errors"]
    return result


async def test_a_site_children_went_to_stays_and_says_why(api: GraphQL, clock: FrozenClock) -> None:
    f = await desk(clock)

    [error] = errors(await api(DELETE_SITE, {"id": f["site_id"]}, token=f["token"]))

    assert (error["code"], error["field"]) == ("IN_USE", "siteId")
    assert error["message"] == (
        "Impossible de supprimer « École Jean Jaurès » : 2 réservations et 2 inscriptions en "
        "dépendent. Un lieu qui a servi reste pour l'historique et la facturation : "
        "renommez-le ou fermez ses ouvertures à venir."
    )
    renamed = await api(UPDATE_SITE, {"id": f["site_id"], "name": "École Jaurès"}, token=f["token"])
    assert renamed["data"]["updateSite"]["site"] == {
        "name": "École Jaurès",
        "address": "2 rue Haute",
    }

    # an unused site goes, with its openings and closures
    unused = await create_site(f["agent"], "Gymnase", SiteKind.LEISURE_CENTRE, "", clock=clock)
    await Opening.create(
        activity_id=f["catalogue"].canteen.id,
        site_id=unused.id,
        period_id=f["catalogue"].period.id,
        weekdays=1,
    )
    await add_calendar_exception(
        f["agent"], MONDAY, False, "Travaux", clock=clock, site_id=unused.id
    )
    deleted = await api(DELETE_SITE, {"id": encode_id("Site", unused.id)}, token=f["token"])
    assert deleted["data"]["deleteSite"]["errors"] == []
    assert not await Site.exists(id=unused.id)
    assert not await Opening.exists(site_id=unused.id)


async def test_a_period_keeps_its_booked_days(api: GraphQL, clock: FrozenClock) -> None:
    f = await desk(clock)
    shorter = {"id": f["period_id"], "from": "2027-01-04", "to": "2027-07-03"}

    [error] = errors(await api(UPDATE_PERIOD, shorter, token=f["token"]))
    assert error["code"] == "IN_USE"
    assert error["message"].startswith(
        "Impossible de ramener « Année scolaire 2026-2027 » du lundi 4 janvier 2027 au samedi "
        "3 juillet 2027 : 2 réservations en dépendent."
    )
    # the booking still fits: the dates move
    moved = await api(UPDATE_PERIOD, {**shorter, "from": "2026-12-01"}, token=f["token"])
    assert moved["data"]["updatePeriod"]["period"]["startsOn"] == "2026-12-01"

    [error] = errors(await api(DELETE_PERIOD, {"id": f["period_id"]}, token=f["token"]))
    assert error["code"] == "IN_USE" and "2 inscriptions" in error["message"]
    empty = await create_period(
        f["agent"], "Été 2027", date(2027, 7, 7), date(2027, 8, 27), clock=clock
    )
    deleted = await api(DELETE_PERIOD, {"id": encode_id("Period", empty.id)}, token=f["token"])
    assert deleted["data"]["deletePeriod"]["errors"] == []
    assert not await Period.exists(id=empty.id)


async def test_an_opening_keeps_its_booked_weekdays(api: GraphQL, clock: FrozenClock) -> None:
    f = await desk(clock)
    [opening] = (await api(OPENINGS, {"id": f["period_id"]}, token=f["token"]))["data"]["openings"]
    assert opening["weekdays"] == [0, 1, 3, 4] and opening["site"]["name"] == "École Jean Jaurès"
    slot = {"a": f["activity_id"], "s": f["site_id"], "p": f["period_id"]}

    # Monday has a booked child: it stays open; Friday may close
    [error] = errors(await api(SET_OPENING, {**slot, "weekdays": [1, 3, 4]}, token=f["token"]))
    assert (error["code"], error["field"]) == ("IN_USE", "weekdays")
    assert errors(await api(SET_OPENING, {**slot, "weekdays": [0, 1, 3]}, token=f["token"])) == []

    [error] = errors(await api(DELETE_OPENING, {"id": opening["id"]}, token=f["token"]))
    assert error["code"] == "IN_USE" and "2 inscriptions" in error["message"]
    assert await Opening.filter(period_id=f["catalogue"].period.id).count() == 1


async def test_closures_change_but_an_opened_day_with_children_stays(
    api: GraphQL, clock: FrozenClock
) -> None:
    f = await desk(clock)
    strike = await add_calendar_exception(
        f["agent"], date(2027, 1, 12), False, "Grève", clock=clock
    )
    opened = await add_calendar_exception(
        f["agent"], MONDAY, True, "Journée portes ouvertes", clock=clock
    )
    listed = (await api(EXCEPTIONS, token=f["token"]))["data"]["calendarExceptions"]
    assert [e["label"] for e in listed] == ["Journée portes ouvertes", "Grève"]

    strike_id = encode_id("CalendarException", strike.id)
    moved = {"id": strike_id, "day": "2027-01-14", "open": False, "label": "Grève des agents"}
    assert errors(await api(UPDATE_EXCEPTION, moved, token=f["token"])) == []
    assert (await CalendarException.get(id=strike.id)).day == date(2027, 1, 14)
    assert errors(await api(DELETE_EXCEPTION, {"id": strike_id}, token=f["token"])) == []

    opened_id = encode_id("CalendarException", opened.id)
    [error] = errors(await api(DELETE_EXCEPTION, {"id": opened_id}, token=f["token"]))
    assert error["code"] == "IN_USE" and "2 réservations" in error["message"]
    # its label still changes
    relabel = {"id": opened_id, "day": "2026-12-14", "open": True, "label": "Fête de l'école"}
    assert errors(await api(UPDATE_EXCEPTION, relabel, token=f["token"])) == []


async def test_staff_find_a_family_by_a_child(api: GraphQL, clock: FrozenClock) -> None:
    f = await desk(clock)
    await make_household(f["agent"], clock, children=1, guardians=1, name="Famille Martin")
    elsewhere = await make_town()
    other_agent = await make_account(elsewhere, clock, role=AccountRole.AGENT)
    other = await make_household(
        other_agent, clock, children=1, guardians=1, name="Famille Ailleurs"
    )
    await Child.filter(household=other).update(first_names="Hélène", last_name="Lefèvre")

    for variables in (
        {"name": "helene"},
        {"name": "LEFEVRE hélène"},
        {"name": "Hélène Lefèvre"},
        {"birthDate": "2015-01-01", "school": "jean jaures"},
        {"school": "JAURÈS", "name": "noé"},
    ):
        found = (await api(FIND, variables, token=f["token"]))["data"]["findFamilies"]
        assert [h["name"] for h in found["nodes"]] == ["Famille Lefèvre"], variables
        assert found["totalCount"] == 1

    nobody = await api(FIND, {"name": "helene", "school": "Ferry"}, token=f["token"])
    assert nobody["data"]["findFamilies"]["totalCount"] == 0
    # a % typed by the agent is a character, not a wildcard
    assert (await api(FIND, {"name": "%"}, token=f["token"]))["data"]["findFamilies"][
        "totalCount"
    ] == 0
    # two families of the town have a child whose name holds an « e »: one page each
    paged = (await api(FIND, {"name": "e", "first": 1}, token=f["token"]))["data"]["findFamilies"]
    assert paged["totalCount"] == 2 and paged["pageInfo"]["hasNextPage"] is True
    after = await api(
        FIND, {"name": "e", "first": 1, "after": paged["pageInfo"]["endCursor"]}, token=f["token"]
    )
    assert [h["name"] for h in after["data"]["findFamilies"]["nodes"]] == ["Famille Martin"]

    empty = await api(FIND, {}, token=f["token"])
    assert empty["errors"][0]["extensions"]["code"] == "INVALID"


async def test_staff_list_the_children_expected_at_a_site(api: GraphQL, clock: FrozenClock) -> None:
    f = await desk(clock)
    day = {"site": f["site_id"], "day": MONDAY.isoformat()}

    booked = (await api(SITE_CHILDREN, day, token=f["token"]))["data"]["siteChildren"]
    assert booked["totalCount"] == 1
    assert booked["nodes"] == [
        {
            "child": {"firstNames": "Hélène", "schoolClass": "CP", "hasPai": True},
            "household": {"name": "Famille Lefèvre"},
            "activity": {"code": "RS-REPAS"},
            "onWaitingList": False,
        }
    ]
    every = (await api(SITE_CHILDREN, {**day, "waiting": True}, token=f["token"]))["data"][
        "siteChildren"
    ]
    assert [(n["child"]["firstNames"], n["onWaitingList"]) for n in every["nodes"]] == [
        ("Hélène", False),
        ("Noé", True),
    ]
    for filters, expected in (
        ({"class": "ce2"}, ["Noé"]),
        ({"pai": True}, ["Hélène"]),
        ({"pai": False}, ["Noé"]),
        ({"name": "NOE"}, ["Noé"]),
    ):
        page = await api(SITE_CHILDREN, {**day, "waiting": True, **filters}, token=f["token"])
        assert [n["child"]["firstNames"] for n in page["data"]["siteChildren"]["nodes"]] == expected
    first = await api(SITE_CHILDREN, {**day, "waiting": True, "first": 1}, token=f["token"])
    assert first["data"]["siteChildren"]["pageInfo"]["hasNextPage"] is True


async def test_parents_and_other_towns_are_refused(api: GraphQL, clock: FrozenClock) -> None:
    f = await desk(clock)
    _, parent_token = await parent_of(f["household"], f["town"], clock)
    elsewhere = await make_town()
    other_token = await token_for(
        await make_account(elsewhere, clock, role=AccountRole.AGENT), clock
    )
    [opening_id] = [
        encode_id("Opening", pk)
        for pk in await Opening.filter(period_id=f["catalogue"].period.id).values_list(
            "id", flat=True
        )
    ]
    mutations = (
        (DELETE_SITE, {"id": f["site_id"]}),
        (UPDATE_SITE, {"id": f["site_id"], "name": "Volée"}),
        (UPDATE_PERIOD, {"id": f["period_id"], "from": "2026-09-01", "to": "2027-07-03"}),
        (DELETE_PERIOD, {"id": f["period_id"]}),
        (DELETE_OPENING, {"id": opening_id}),
    )
    for document, variables in mutations:
        assert errors(await api(document, variables, token=parent_token))[0]["code"] == "FORBIDDEN"
        assert errors(await api(document, variables, token=other_token))[0]["code"] == "NOT_FOUND"
    queries = (
        (OPENINGS, {"id": f["period_id"]}),
        (SITE_CHILDREN, {"site": f["site_id"], "day": MONDAY.isoformat()}),
    )
    for document, variables in queries:
        parent = await api(document, variables, token=parent_token)
        assert parent["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        town = await api(document, variables, token=other_token)
        assert town["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # another town's agent finds none of this town's families
    found = await api(FIND, {"name": "helene"}, token=other_token)
    assert found["data"]["findFamilies"]["totalCount"] == 0
    parent_search = await api(FIND, {"name": "helene"}, token=parent_token)
    assert parent_search["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the refused calls changed nothing
    assert (await Site.get(id=f["catalogue"].site.id)).name == "École Jean Jaurès"
    assert await Period.exists(id=f["catalogue"].period.id)


async def test_a_site_member_lists_only_their_sites(api: GraphQL, clock: FrozenClock) -> None:
    f = await desk(clock)
    other_site = await create_site(
        f["agent"], "École Jules Ferry", SiteKind.SCHOOL, "", clock=clock
    )
    member = await make_account(f["town"], clock, role=AccountRole.SITE)
    await StaffSite.create(account=member, site=other_site)
    token = await token_for(member, clock)
    day = {"site": f["site_id"], "day": MONDAY.isoformat()}

    refused = await api(SITE_CHILDREN, day, token=token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["errors"][0]["message"] == "Ce site ne vous est pas confié."

    await StaffSite.create(account=member, site=f["catalogue"].site)
    allowed = await api(SITE_CHILDREN, day, token=token)
    assert allowed["data"]["siteChildren"]["totalCount"] == 1
