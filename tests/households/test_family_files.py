"""Family files for life: an agent adds, changes and removes children and guardians, updates
the household's data and quotient, archives and restores the file; every change audited,
other towns' files out of reach."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from gql.ids import encode_id
from models.accounts import Account, AccountRole
from models.audit import AuditEntry
from models.bookings import Booking, BookingStatus
from models.feeds import CalendarFeed
from models.households import Child, Guardian, Household
from resolvers.core.clock import FrozenClock
from resolvers.households.households import issue_access_key, link_household
from resolvers.operations.feeds import create_feed
from tests.conftest import GraphQL
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)

ADD_CHILD = """
mutation($id: ID!, $input: ChildInput!) {
  addChild(householdId: $id, input: $input) {
    child { id firstNames schoolClass hasPai diet archivedAt }
    errors { code field message }
  }
}
"""
UPDATE_CHILD = """
mutation($id: ID!, $input: ChildChangesInput!) {
  updateChild(childId: $id, input: $input) {
    child { id firstNames schoolClass hasPai paiDetails diet healthNotes }
    errors { code field message }
  }
}
"""
REMOVE_CHILD = """
mutation($id: ID!) {
  removeChild(childId: $id) { child { id archivedAt } archived errors { code field message } }
}
"""
ADD_GUARDIAN = """
mutation($id: ID!, $input: GuardianInput!) {
  addGuardian(householdId: $id, input: $input) {
    guardian { id firstNames isPayer receivesMail hasAccount }
    errors { code field message }
  }
}
"""
UPDATE_GUARDIAN = """
mutation($id: ID!, $input: GuardianChangesInput!) {
  updateGuardian(guardianId: $id, input: $input) {
    guardian { id isPayer receivesMail email }
    errors { code field message }
  }
}
"""
REMOVE_GUARDIAN = """
mutation($id: ID!) {
  removeGuardian(guardianId: $id) {
    household { guardians { firstNames } }
    errors { code field message }
  }
}
"""
UPDATE_HOUSEHOLD = """
mutation($id: ID!, $input: HouseholdChangesInput!) {
  updateHousehold(householdId: $id, input: $input) {
    household { addressLine postalCode city residency paperless }
    errors { code field message }
  }
}
"""
SET_QUOTIENT = """
mutation($id: ID!, $q: Int, $until: Date, $source: FamilyQuotientSource!) {
  setFamilyQuotient(
    householdId: $id, quotient: $q, validUntil: $until, quotientSource: $source
  ) {
    household {
      familyQuotient familyQuotientValidUntil familyQuotientSource familyQuotientSetOn
    }
    errors { code field message }
  }
}
"""
ARCHIVE = """
mutation($id: ID!, $archived: Boolean!) {
  setHouseholdArchived(householdId: $id, archived: $archived) {
    household { archivedAt }
    errors { code field message }
  }
}
"""
PAPERLESS = """
mutation($id: ID!, $on: Boolean!) {
  setPaperless(householdId: $id, paperless: $on) {
    household { paperless requests { nodes { kind status summary } } }
    errors { code field message }
  }
}
"""
HOUSEHOLD = """
query($id: ID!) {
  household(id: $id) {
    children { firstNames } all: children(includeArchived: true) { firstNames archivedAt }
  }
}
"""
LIST = """
query($archived: Boolean) { households(archived: $archived) { nodes { name } totalCount } }
"""
ENROLL = """
mutation($child: ID!, $activity: ID!, $site: ID!, $period: ID!) {
  enrollChild(childId: $child, activityId: $activity, siteId: $site, periodId: $period) {
    errors { code field message }
  }
}
"""


@dataclass
class Town:
    staff: Account
    token: str
    household: Household
    household_id: str


async def town_with_file(clock: FrozenClock) -> Town:
    town = await make_town()
    staff = await make_account(town, clock, role=AccountRole.AGENT)
    household = await make_household(staff, clock, children=1, name="Famille Martin")
    return Town(
        staff, await token_for(staff, clock), household, encode_id("Household", household.id)
    )


def errors_of(payload: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(error["code"], error["field"]) for error in payload["errors"]}


async def actions(household: Household) -> list[str]:
    rows = await AuditEntry.filter(tenant_id=household.tenant_id).order_by("id")
    return [row.action for row in rows]


async def test_an_agent_adds_then_updates_a_child_and_each_change_is_audited(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a family file of the agent's town
    town = await town_with_file(clock)

    # when the agent adds a newborn's elder sister, then records her PAI and class
    added = await api(
        ADD_CHILD,
        {
            "id": town.household_id,
            "input": {"lastName": "Martin", "firstNames": "Léa", "birthDate": "2019-04-02"},
        },
        token=town.token,
    )
    child = added["data"]["addChild"]["child"]
    changed = await api(
        UPDATE_CHILD,
        {
            "id": child["id"],
            "input": {
                "schoolClass": "CE1 - École Jaurès",
                "hasPai": True,
                "paiDetails": "Allergie arachide : trousse au bureau",
                "diet": "NO_PORK",
            },
        },
        token=town.token,
    )

    # then the child is in the file with her new details, and both changes are audited
    assert added["data"]["addChild"]["errors"] == []
    assert changed["data"]["updateChild"]["child"] == {
        "id": child["id"],
        "firstNames": "Léa",
        "schoolClass": "CE1 - École Jaurès",
        "hasPai": True,
        "paiDetails": "Allergie arachide : trousse au bureau",
        "diet": "NO_PORK",
        "healthNotes": "",
    }
    assert {"child.add", "child.update"} <= set(await actions(town.household))
    entry = await AuditEntry.get(action="child.update")
    assert sorted(entry.details["fields"]) == ["diet", "has_pai", "pai_details", "school_class"]


async def test_a_child_born_tomorrow_or_without_a_name_is_refused(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await town_with_file(clock)

    result = await api(
        ADD_CHILD,
        {
            "id": town.household_id,
            "input": {"lastName": "Martin", "firstNames": " ", "birthDate": "2026-11-24"},
        },
        token=town.token,
    )

    assert errors_of(result["data"]["addChild"]) == {
        ("REQUIRED", "firstNames"),
        ("INVALID", "birthDate"),
    }


async def test_another_towns_agent_and_a_parent_cannot_edit_the_file(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a file, an agent of another town, and a parent of the file's town
    town = await town_with_file(clock)
    elsewhere = await make_town()
    stranger = await make_account(elsewhere, clock, role=AccountRole.AGENT)
    stranger_token = await token_for(stranger, clock)
    parent = await make_account(await town.household.tenant, clock)
    parent_token = await token_for(parent, clock)
    child = await Child.get(household=town.household)
    guardian = await Guardian.filter(household=town.household).first()
    assert guardian is not None

    # when both try to change it
    child_id = encode_id("Child", child.id)
    by_stranger = await api(
        UPDATE_CHILD, {"id": child_id, "input": {"schoolClass": "CM2"}}, token=stranger_token
    )
    removal = await api(
        REMOVE_GUARDIAN, {"id": encode_id("Guardian", guardian.id)}, token=stranger_token
    )
    household = await api(
        UPDATE_HOUSEHOLD, {"id": town.household_id, "input": {"city": "Albi"}}, token=stranger_token
    )
    by_parent = await api(
        UPDATE_CHILD, {"id": child_id, "input": {"schoolClass": "CM2"}}, token=parent_token
    )

    # then the other town sees nothing, the parent is told it is for staff, nothing changed
    assert errors_of(by_stranger["data"]["updateChild"]) == {("NOT_FOUND", "childId")}
    assert errors_of(removal["data"]["removeGuardian"]) == {("NOT_FOUND", "guardianId")}
    assert errors_of(household["data"]["updateHousehold"]) == {("NOT_FOUND", "householdId")}
    assert [e["code"] for e in by_parent["data"]["updateChild"]["errors"]] == ["FORBIDDEN"]
    await child.refresh_from_db()
    assert child.school_class == ""
    assert await Guardian.exists(id=guardian.id)


async def test_a_child_without_history_is_deleted_one_with_history_is_archived(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a file whose two children are enrolled at the canteen; the elder ate there
    # in September, the younger never booked
    town = await town_with_file(clock)
    await api(
        ADD_CHILD,
        {
            "id": town.household_id,
            "input": {"lastName": "Martin", "firstNames": "Hugo", "birthDate": "2021-01-01"},
        },
        token=town.token,
    )
    catalogue = await make_catalogue(town.staff, clock)
    elder_id, younger_id = await enroll_all(town.staff, town.household, catalogue, clock)
    await Booking.create(
        child_id=elder_id,
        activity=catalogue.canteen,
        site=catalogue.site,
        day=date(2026, 9, 14),
        status=BookingStatus.BOOKED,
        updated_at=clock.now(),
    )

    # when the agent removes both
    elder = await api(REMOVE_CHILD, {"id": encode_id("Child", elder_id)}, token=town.token)
    younger = await api(REMOVE_CHILD, {"id": encode_id("Child", younger_id)}, token=town.token)
    file = await api(HOUSEHOLD, {"id": town.household_id}, token=town.token)

    # then the elder is archived (her September stays billable), the younger deleted
    assert elder["data"]["removeChild"]["archived"] is True
    assert elder["data"]["removeChild"]["child"]["archivedAt"] is not None
    assert younger["data"]["removeChild"] == {"child": None, "archived": False, "errors": []}
    assert not await Child.exists(id=younger_id)
    assert await Booking.exists(child_id=elder_id)
    assert file["data"]["household"]["children"] == []
    assert [c["firstNames"] for c in file["data"]["household"]["all"]] == ["Enfant0"]
    assert {"child.archive", "child.delete"} <= set(await actions(town.household))

    # and the archived child cannot be enrolled again
    enrolled = await api(
        ENROLL,
        {
            "child": encode_id("Child", elder_id),
            "activity": encode_id("Activity", catalogue.canteen.id),
            "site": encode_id("Site", catalogue.site.id),
            "period": encode_id("Period", catalogue.period.id),
        },
        token=town.token,
    )
    assert [e["code"] for e in enrolled["data"]["enrollChild"]["errors"]] == ["ARCHIVED"]


async def test_a_child_with_days_still_booked_is_not_removed(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await town_with_file(clock)
    catalogue = await make_catalogue(town.staff, clock)
    [child_id] = await enroll_all(town.staff, town.household, catalogue, clock)
    await Booking.create(
        child_id=child_id,
        activity=catalogue.canteen,
        site=catalogue.site,
        day=date(2026, 12, 3),
        status=BookingStatus.BOOKED,
        updated_at=clock.now(),
    )

    result = await api(REMOVE_CHILD, {"id": encode_id("Child", child_id)}, token=town.token)

    [error] = result["data"]["removeChild"]["errors"]
    assert error["code"] == "FUTURE_BOOKINGS"
    assert "annulez-les" in error["message"]
    assert await Child.exists(id=child_id, archived_at=None)


async def test_after_a_separation_the_removed_guardian_loses_the_file_at_once(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a file whose two guardians both linked their accounts; the mother pays
    town = await town_with_file(clock)
    mother, father = await Guardian.filter(household=town.household).order_by("id")
    tenant = await town.household.tenant
    tokens, accounts = {}, {}
    for guardian in (mother, father):
        issued = await issue_access_key(guardian.id, actor=town.staff, clock=clock)
        account = await make_account(tenant, clock)
        await link_household(account, issued.key, clock=clock)
        tokens[guardian.id] = await token_for(account, clock)
        accounts[guardian.id] = account
    child = await Child.get(household=town.household)
    father_feed, _ = await create_feed(accounts[father.id], child.id, clock=clock)
    mother_feed, _ = await create_feed(accounts[mother.id], child.id, clock=clock)
    await api(
        UPDATE_GUARDIAN,
        {"id": encode_id("Guardian", mother.id), "input": {"isPayer": True}},
        token=town.token,
    )
    assert "errors" not in await api(HOUSEHOLD, {"id": town.household_id}, token=tokens[father.id])

    # when the agent removes the father after the separation
    removed = await api(REMOVE_GUARDIAN, {"id": encode_id("Guardian", father.id)}, token=town.token)

    # then the father's session no longer reaches the file; the mother's still does
    assert removed["data"]["removeGuardian"]["household"]["guardians"] == [
        {"firstNames": "Parent0"}
    ]
    refused = await api(HOUSEHOLD, {"id": town.household_id}, token=tokens[father.id])
    assert refused["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    kept = await api(HOUSEHOLD, {"id": town.household_id}, token=tokens[mother.id])
    assert "errors" not in kept
    assert "guardian.remove" in await actions(town.household)
    # and the father's private calendar link of the child stops with his access
    assert (await CalendarFeed.get(id=father_feed.id)).revoked_at is not None
    assert (await CalendarFeed.get(id=mother_feed.id)).revoked_at is None

    # and the last guardian, who is also the only payer, cannot be removed nor stop paying
    last = await api(REMOVE_GUARDIAN, {"id": encode_id("Guardian", mother.id)}, token=town.token)
    assert errors_of(last["data"]["removeGuardian"]) == {("LAST_GUARDIAN", "guardianId")}
    unpaid = await api(
        UPDATE_GUARDIAN,
        {"id": encode_id("Guardian", mother.id), "input": {"isPayer": False}},
        token=town.token,
    )
    assert errors_of(unpaid["data"]["updateGuardian"]) == {("PAYER_REQUIRED", "isPayer")}


async def test_a_new_partner_joins_and_takes_over_the_payments(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await town_with_file(clock)
    [mother] = await Guardian.filter(household=town.household).order_by("id").limit(1)
    await api(
        UPDATE_GUARDIAN,
        {"id": encode_id("Guardian", mother.id), "input": {"isPayer": True}},
        token=town.token,
    )

    added = await api(
        ADD_GUARDIAN,
        {
            "id": town.household_id,
            "input": {
                "civility": "MONSIEUR",
                "lastName": "Durand",
                "firstNames": "Paul",
                "relationship": "Beau-père",
                "email": "Paul.Durand@exemple.fr",
                "isPayer": True,
            },
        },
        token=town.token,
    )
    partner = added["data"]["addGuardian"]["guardian"]
    mother_stops = await api(
        UPDATE_GUARDIAN,
        {
            "id": encode_id("Guardian", mother.id),
            "input": {"isPayer": False, "receivesMail": False},
        },
        token=town.token,
    )

    assert partner == {
        "id": partner["id"],
        "firstNames": "Paul",
        "isPayer": True,
        "receivesMail": True,
        "hasAccount": False,
    }
    assert mother_stops["data"]["updateGuardian"]["guardian"]["isPayer"] is False
    assert mother_stops["data"]["updateGuardian"]["guardian"]["receivesMail"] is False
    assert (await Guardian.get(id=mother.id)).receives_mail is False


async def test_the_agent_updates_address_residency_paperless_and_quotient(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await town_with_file(clock)

    updated = await api(
        UPDATE_HOUSEHOLD,
        {
            "id": town.household_id,
            "input": {
                "addressLine": "8 rue Villegoudou",
                "postalCode": "81100",
                "city": "Castres",
                "residency": "NON_RESIDENT",
                "paperless": True,
            },
        },
        token=town.token,
    )
    quotient = await api(
        SET_QUOTIENT,
        {"id": town.household_id, "q": 612, "until": "2027-08-31", "source": "CAF"},
        token=town.token,
    )
    bad = await api(
        UPDATE_HOUSEHOLD,
        {"id": town.household_id, "input": {"postalCode": "811"}},
        token=town.token,
    )
    past = await api(
        SET_QUOTIENT,
        {"id": town.household_id, "q": 500, "until": "2026-01-01", "source": "MANUAL"},
        token=town.token,
    )

    assert updated["data"]["updateHousehold"]["household"] == {
        "addressLine": "8 rue Villegoudou",
        "postalCode": "81100",
        "city": "Castres",
        "residency": "NON_RESIDENT",
        "paperless": True,
    }
    assert quotient["data"]["setFamilyQuotient"]["household"] == {
        "familyQuotient": 612,
        "familyQuotientValidUntil": "2027-08-31",
        "familyQuotientSource": "CAF",
        "familyQuotientSetOn": "2026-11-23",
    }
    assert errors_of(bad["data"]["updateHousehold"]) == {("INVALID", "postalCode")}
    assert errors_of(past["data"]["setFamilyQuotient"]) == {("INVALID", "validUntil")}
    assert (await Household.get(id=town.household.id)).resident_override is False
    assert {"household.update", "household.family_quotient"} <= set(await actions(town.household))


async def test_an_archived_file_leaves_the_list_takes_no_enrolment_and_can_be_restored(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given two files, one of which the agent archives (the family moved away)
    town = await town_with_file(clock)
    await make_household(town.staff, clock, name="Famille Petit")
    catalogue = await make_catalogue(town.staff, clock)
    child = await Child.get(household=town.household)

    archived = await api(ARCHIVE, {"id": town.household_id, "archived": True}, token=town.token)

    # then the default list hides it, the archived list shows it, enrolment is refused
    assert archived["data"]["setHouseholdArchived"]["household"]["archivedAt"] is not None
    default = await api(LIST, {}, token=town.token)
    assert [n["name"] for n in default["data"]["households"]["nodes"]] == ["Famille Petit"]
    only = await api(LIST, {"archived": True}, token=town.token)
    assert [n["name"] for n in only["data"]["households"]["nodes"]] == ["Famille Martin"]
    every = await api(LIST, {"archived": None}, token=town.token)
    assert every["data"]["households"]["totalCount"] == 2
    variables = {
        "child": encode_id("Child", child.id),
        "activity": encode_id("Activity", catalogue.canteen.id),
        "site": encode_id("Site", catalogue.site.id),
        "period": encode_id("Period", catalogue.period.id),
    }
    refused = await api(ENROLL, variables, token=town.token)
    assert [e["code"] for e in refused["data"]["enrollChild"]["errors"]] == ["ARCHIVED"]
    edit = await api(
        UPDATE_HOUSEHOLD, {"id": town.household_id, "input": {"city": "Albi"}}, token=town.token
    )
    assert errors_of(edit["data"]["updateHousehold"]) == {("ARCHIVED", "householdId")}

    # when it is restored, enrolment works again
    await api(ARCHIVE, {"id": town.household_id, "archived": False}, token=town.token)
    accepted = await api(ENROLL, variables, token=town.token)
    assert accepted["data"]["enrollChild"]["errors"] == []

    # and a file with days still booked cannot be archived
    await Booking.create(
        child_id=child.id,
        activity=catalogue.canteen,
        site=catalogue.site,
        day=date(2026, 12, 3),
        status=BookingStatus.BOOKED,
        updated_at=clock.now(),
    )
    again = await api(ARCHIVE, {"id": town.household_id, "archived": True}, token=town.token)
    assert errors_of(again["data"]["setHouseholdArchived"]) == {("FUTURE_BOOKINGS", "householdId")}
    assert {"household.archive", "household.restore"} <= set(await actions(town.household))


async def test_a_parent_switches_paperless_themselves(api: GraphQL, clock: FrozenClock) -> None:
    town = await town_with_file(clock)
    guardian = await Guardian.filter(household=town.household).order_by("id").first()
    assert guardian is not None
    issued = await issue_access_key(guardian.id, actor=town.staff, clock=clock)
    parent = await make_account(await town.household.tenant, clock)
    await link_household(parent, issued.key, clock=clock)
    token = await token_for(parent, clock)
    stranger = await make_account(await town.household.tenant, clock)

    result = await api(PAPERLESS, {"id": town.household_id, "on": True}, token=token)
    other = await api(
        PAPERLESS,
        {"id": town.household_id, "on": False},
        token=await token_for(stranger, clock),
    )

    household = result["data"]["setPaperless"]["household"]
    assert household["paperless"] is True
    assert household["requests"]["nodes"][0] == {
        "kind": "CONTACT_DETAILS_UPDATE",
        "status": "COMPLETED",
        "summary": "Facture en ligne activée",
    }
    assert errors_of(other["data"]["setPaperless"]) == {("NOT_FOUND", "householdId")}
