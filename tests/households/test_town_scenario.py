"""A town goes live, as issue 15 judges it, from an empty town to the next school year.

Everything goes through the product's doors, as its users meet them: the operator's
``famille create-town`` command, the GraphQL API (staff, parents), the mails they receive.
One story, in order: each step uses what the previous ones built.
"""

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from models.households import Child, Guardian, Household
from resolvers.core.clock import FrozenClock
from tests import samples
from tests.calendar.test_school_year import ANSWER as ANSWER_REENROLLMENTS
from tests.calendar.test_school_year import DECIDE as DECIDE_REENROLLMENTS
from tests.calendar.test_school_year import LINES, OPEN, ROLLOVER
from tests.conftest import GraphQL, Mailbox
from tests.documents.test_documents import UPLOAD, post_files
from tests.households.test_consents import ANSWER as ANSWER_CONSENT
from tests.households.test_consents import ENROLL, SAVE_TYPE
from tests.households.test_family_requests import COMPLETE_QUOTIENT, REQUEST_QUOTIENT
from tests.households.test_import_families import IMPORT, csv_file
from tests.staff.test_staff import (
    ACCEPT,
    INVITE,
    UPDATE_TOWN,
    accept_input,
    invitation_token,
    login,
    run_command,
)

Jobs = Callable[[], Awaitable[None]]
PASSWORD = "Secret-2026"

REGIE = """
mutation($input: BillingAuthorityInput!) {
  saveBillingAuthority(input: $input) { authority { id } errors { code field message } }
}
"""
SITE = """
mutation($name: String!) {
  createSite(name: $name, kind: SCHOOL, address: "1 place de la Mairie") {
    site { id } errors { code field message }
  }
}
"""
ACTIVITY = """
mutation($input: ActivityInput!) {
  saveActivity(input: $input) { activity { id } errors { code field message } }
}
"""
PERIOD = """
mutation {
  createPeriod(name: "Année scolaire 2026-2027", startsOn: "2026-09-01", endsOn: "2027-07-03") {
    period { id } errors { code field message }
  }
}
"""
OPENING = """
mutation($activity: ID!, $site: ID!, $period: ID!) {
  setOpening(activityId: $activity, siteId: $site, periodId: $period, weekdays: [0, 1, 3, 4],
             capacity: 40) { id errors { code field message } }
}
"""
REGISTER = """
mutation($input: RegisterInput!) { register(input: $input) { errors { code field message } } }
"""
ACTIVATE = """
mutation($token: String!) { activateAccount(token: $token) { errors { code message } } }
"""
LINK = """
mutation($key: String!) {
  linkHousehold(accessKey: $key) { household { id reference } errors { code message } }
}
"""
FILE = """
query($id: ID!) {
  household(id: $id) {
    name addressLine familyQuotient familyQuotientSource
    children { id firstNames schoolClass }
    enrollments { id childFirstNames status period { name } }
  }
}
"""
ADD_CHILD = """
mutation($id: ID!, $input: ChildInput!) {
  addChild(householdId: $id, input: $input) { child { id firstNames } errors { code message } }
}
"""
DECIDE_ENROLLMENT = """
mutation($id: ID!) {
  decideEnrollment(enrollmentId: $id, status: ACTIVE, comment: "Bienvenue à la cantine") {
    enrollment { status } errors { code message }
  }
}
"""
CALENDAR = """
query($id: ID!, $from: Date!, $to: Date!) {
  calendar(householdId: $id, from: $from, to: $to) { days { date status canChange } }
}
"""
BOOK = """
mutation($id: ID!, $input: BookingChangesInput!) {
  submitBookingChanges(householdId: $id, input: $input) { summary errors { code message } }
}
"""
HOUSEHOLD_NAME = "query($id: ID!) { household(id: $id) { name } }"
INVOICES = "query($id: ID!) { invoices(householdId: $id) { totalCount } }"
SHEETS = """
query($site: ID!) { attendanceSheets(siteId: $site, date: "2026-12-07") { siteId } }
"""
HOUSEHOLDS = "{ households { totalCount } }"


def link_in(mailbox: Mailbox, address: str, pattern: str) -> str:
    """The last link or key matching ``pattern`` mailed to ``address``."""
    for message in reversed(mailbox.to(address)):
        found = re.search(pattern, Mailbox.text(message))
        if found:
            return found.group(1) if found.groups() else found.group()
    raise AssertionError(f"nothing like {pattern} mailed to {address}")


def ok(answer: dict[str, Any], field: str) -> dict[str, Any]:
    """The payload of a mutation that must succeed."""
    assert "errors" not in answer, answer
    payload: dict[str, Any] = answer["data"][field]
    assert payload.get("errors", []) == [], payload
    return payload


def refused(answer: dict[str, Any], field: str) -> str:
    """The code a role was refused with, top-level or in the payload."""
    if answer.get("errors"):
        return str(answer["errors"][0]["extensions"]["code"])
    return str(answer["data"][field]["errors"][0]["code"])


async def staff_member(
    api: GraphQL, mailbox: Mailbox, run_jobs: Jobs, slug: str, email: str
) -> str:
    """An invited staff member follows the mailed link, then signs in."""
    link = await invitation_token(mailbox, run_jobs, email)
    ok(await api(ACCEPT, accept_input(link)), "acceptStaffInvitation")
    token: str = (await login(api, slug, email, PASSWORD))["token"]
    assert token
    return token


async def test_a_town_goes_live_and_runs_its_year(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, mailbox: Mailbox, run_jobs: Jobs
) -> None:
    suffix = uuid.uuid4().hex[:8]
    slug = f"lavaur-{suffix}"

    # --- 1. The operator creates the town; its administrator accepts the invitation ------
    admin_email = f"dgs-{suffix}@exemple.fr"
    status, out, err = await run_command(
        "create-town", "--slug", slug, "--name", "Ville de Lavaur", "--admin-email", admin_email
    )
    assert status == 0, err
    admin = await staff_member(api, mailbox, run_jobs, slug, admin_email)

    # --- 2. The administrator sets the town's rules ----------------------------------------
    ok(
        await api(
            UPDATE_TOWN,
            {
                "input": {
                    "name": "Ville de Lavaur",
                    "postalAddress": "Hôtel de ville\n81500 Lavaur",
                    "contactEmail": f"enfance-{suffix}@exemple.fr",
                    "timeZone": "Europe/Paris",
                    "passwordMinLength": 8,
                    "firstIllnessDayWithoutCertificate": True,
                    "unpaidBlockDays": 30,
                }
            },
            token=admin,
        ),
        "updateTown",
    )
    regie = ok(
        await api(REGIE, {"input": {"name": "Régie enfance"}}, token=admin), "saveBillingAuthority"
    )
    regie_id = regie["authority"]["id"]
    site_id = ok(await api(SITE, {"name": "École Jean Jaurès"}, token=admin), "createSite")["site"][
        "id"
    ]

    # --- 3. It invites an agent, a régisseur and a site member; each accepts ----------------
    tokens = {}
    for role, extra in (
        ("AGENT", {}),
        ("REGISSEUR", {"authorityIds": [regie_id]}),
        ("SITE", {"siteIds": [site_id]}),
    ):
        email = f"{role.lower()}-{suffix}@exemple.fr"
        ok(
            await api(
                INVITE, {"input": {"email": email, "role": {"role": role, **extra}}}, token=admin
            ),
            "inviteStaff",
        )
        tokens[role] = await staff_member(api, mailbox, run_jobs, slug, email)
    agent = tokens["AGENT"]

    # --- 4. The agent imports the families: a dry run, for real, then again with changes ----
    parent_email = f"claire-{suffix}@exemple.fr"
    rows = [
        {
            "reference": "L-001",
            "type": "responsable",
            "civilite": "Mme",
            "nom": "Martin",
            "prenoms": "Claire",
            "email": parent_email,
            "payeur": "oui",
            "nom_foyer": "Famille Martin",
            "adresse": "12 rue des Lilas",
            "code_postal": "81500",
            "ville": "Lavaur",
            "quotient": "640",
        },
        {
            "reference": "L-001",
            "type": "enfant",
            "nom": "Martin",
            "prenoms": "Léa",
            "date_naissance": "14/03/2017",
            "ecole": "École Jean Jaurès",
            "classe": "CE2",
        },
        {
            "reference": "L-002",
            "type": "responsable",
            "civilite": "M",
            "nom": "Nguyen",
            "prenoms": "Minh",
        },
    ]

    async def import_file(data: bytes, *, dry_run: bool, send_keys: bool) -> dict[str, Any]:
        response = await post_files(
            http,
            IMPORT,
            {"file": None, "dryRun": dry_run, "sendKeys": send_keys},
            {"file": ("familles.csv", data)},
            token=agent,
        )
        report: dict[str, Any] = ok(response.json(), "importFamilies")["report"]
        assert report["refusals"] == [], report
        return report

    dry = await import_file(csv_file(rows), dry_run=True, send_keys=True)
    assert (dry["familiesCreated"], dry["keysMailed"]) == (2, 1)
    assert not await Household.filter(tenant__slug=slug).exists()
    real = await import_file(csv_file(rows), dry_run=False, send_keys=True)
    assert (real["familiesCreated"], real["keysMailed"]) == (2, 1)
    rows[0]["adresse"] = "4 impasse du Moulin"
    again = await import_file(csv_file(rows), dry_run=False, send_keys=True)
    assert (again["familiesCreated"], again["familiesUpdated"], again["keysMailed"]) == (0, 1, 0)
    assert await Household.filter(tenant__slug=slug).count() == 2
    assert await Guardian.filter(household__tenant__slug=slug).count() == 2
    martin = await Household.get(tenant__slug=slug, reference="L-001")
    assert martin.address_line == "4 impasse du Moulin"
    assert (martin.family_quotient, martin.family_quotient_source) == (640, "manual")

    # --- 5. The year is set up: the canteen at the school, a period, its opening days -------
    canteen = ok(
        await api(
            ACTIVITY,
            {"input": {"code": "RS-REPAS", "name": "Restauration scolaire", "kind": "CANTEEN"}},
            token=agent,
        ),
        "saveActivity",
    )["activity"]["id"]
    period_id = ok(await api(PERIOD, token=agent), "createPeriod")["period"]["id"]
    ok(
        await api(
            OPENING, {"activity": canteen, "site": site_id, "period": period_id}, token=agent
        ),
        "setOpening",
    )
    soins = ok(
        await api(SAVE_TYPE, {"input": {"name": "Soins d'urgence", "required": True}}, token=admin),
        "saveConsentType",
    )["consentType"]["id"]

    # --- 6. Claire signs up, links her account with the mailed key, enrols and books --------
    await run_jobs()
    key = link_in(mailbox, parent_email, r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")
    ok(
        await api(
            REGISTER,
            {
                "input": {
                    "town": slug,
                    "email": parent_email,
                    "password": "soleil2026",
                    "civility": "MADAME",
                    "lastName": "Martin",
                    "firstNames": "Claire",
                    "acceptCgu": True,
                    "addressLine": "4 impasse du Moulin",
                    "postalCode": "81500",
                    "city": "Lavaur",
                }
            },
        ),
        "register",
    )
    await run_jobs()
    activation = link_in(mailbox, parent_email, r"http://famille\.test/activation/(\S+)")
    ok(await api(ACTIVATE, {"token": activation}), "activateAccount")
    parent = (await login(api, slug, parent_email, "soleil2026"))["token"]
    linked = ok(await api(LINK, {"key": key}, token=parent), "linkHousehold")
    household_gid = linked["household"]["id"]
    assert linked["household"]["reference"] == "L-001"
    file = (await api(FILE, {"id": household_gid}, token=parent))["data"]["household"]
    [lea] = file["children"]
    enrol = {"child": lea["id"], "activity": canteen, "site": site_id, "period": period_id}
    # a required consent unanswered blocks the enrolment; answered, it goes through
    assert refused(await api(ENROLL, enrol, token=parent), "enrollChild") == "CONSENT_MISSING"
    ok(
        await api(
            ANSWER_CONSENT, {"child": lea["id"], "type": soins, "granted": True}, token=parent
        ),
        "answerConsent",
    )
    ok(await api(ENROLL, enrol, token=parent), "enrollChild")
    [pending] = (await api(FILE, {"id": household_gid}, token=parent))["data"]["household"][
        "enrollments"
    ]
    ok(await api(DECIDE_ENROLLMENT, {"id": pending["id"]}, token=agent), "decideEnrollment")
    [line] = (
        await api(
            CALENDAR, {"id": household_gid, "from": "2026-12-07", "to": "2026-12-11"}, token=parent
        )
    )["data"]["calendar"]
    days = line["days"]
    bookable = [day["date"] for day in days if day["canChange"]]
    assert bookable == ["2026-12-07", "2026-12-08", "2026-12-10", "2026-12-11"]
    booked = ok(
        await api(
            BOOK,
            {
                "id": household_gid,
                "input": {
                    "changes": [
                        {"childId": lea["id"], "activityId": canteen, "date": day, "action": "BOOK"}
                        for day in bookable[:2]
                    ]
                },
            },
            token=parent,
        ),
        "submitBookingChanges",
    )
    assert booked["summary"]

    # --- 7. A child is added, a quotient updated from a proof -------------------------------
    ok(
        await api(
            ADD_CHILD,
            {
                "id": household_gid,
                "input": {"lastName": "Martin", "firstNames": "Hugo", "birthDate": "2020-09-02"},
            },
            token=agent,
        ),
        "addChild",
    )
    uploaded = await post_files(
        http,
        UPLOAD,
        {
            "householdId": household_gid,
            "input": {"kind": "TAX_NOTICE", "title": "Avis d'imposition 2026"},
            "files": [None],
        },
        {"files.0": ("avis.pdf", samples.pdf())},
        token=parent,
    )
    document = ok(uploaded.json(), "uploadDocument")["document"]["id"]
    asked = ok(
        await api(
            REQUEST_QUOTIENT,
            {"id": household_gid, "docs": [document], "comment": "Nouvel avis"},
            token=parent,
        ),
        "requestFamilyQuotient",
    )
    ok(
        await api(
            COMPLETE_QUOTIENT,
            {"id": asked["request"]["id"], "q": 520, "until": "2027-12-31"},
            token=agent,
        ),
        "completeFamilyQuotientRequest",
    )
    file = (await api(FILE, {"id": household_gid}, token=parent))["data"]["household"]
    assert (file["familyQuotient"], file["familyQuotientSource"]) == (520, "PROOF")
    assert [child["firstNames"] for child in file["children"]] == ["Léa", "Hugo"]
    assert await Child.filter(household_id=martin.id).count() == 2

    # --- 8. Each role is refused where it does not belong -----------------------------------
    site, regisseur = tokens["SITE"], tokens["REGISSEUR"]
    for who in (site, regisseur):
        assert refused(await api(HOUSEHOLD_NAME, {"id": household_gid}, token=who), "") == (
            "FORBIDDEN"
        )
        calendar = await api(
            CALENDAR, {"id": household_gid, "from": "2026-12-07", "to": "2026-12-11"}, token=who
        )
        assert refused(calendar, "") == "FORBIDDEN"
        assert refused(await api(HOUSEHOLDS, token=who), "") == "FORBIDDEN"
    # the site member has the attendance sheets of their site; the régisseur the bills
    assert "errors" not in await api(SHEETS, {"site": site_id}, token=site)
    assert refused(await api(INVOICES, {"id": household_gid}, token=site), "") == "FORBIDDEN"
    assert "errors" not in await api(INVOICES, {"id": household_gid}, token=regisseur)
    # the agent does not set the town's rules nor roll the year over; a parent imports nothing
    assert refused(await api(UPDATE_TOWN, {"input": {"name": "X"}}, token=agent), "updateTown") == (
        "FORBIDDEN"
    )
    assert (
        refused(await api(ROLLOVER, {"periodId": period_id}, token=agent), "rolloverYear")
        == "FORBIDDEN"
    )
    assert refused(await api(HOUSEHOLDS, token=parent), "") == "FORBIDDEN"

    # --- 9. The year rolls over and the family re-enrols ------------------------------------
    rolled = ok(await api(ROLLOVER, {"periodId": period_id}, token=admin), "rolloverYear")
    assert rolled["period"]["name"] == "Année scolaire 2027-2028"
    ok(
        await api(OPEN, {"periodId": period_id, "until": "2027-06-15"}, token=agent),
        "openReenrollment",
    )
    lines = (await api(LINES, {"householdId": household_gid}, token=parent))["data"][
        "reenrollments"
    ]
    assert [(line["child"]["firstNames"], line["nextSchoolClass"]) for line in lines] == [
        ("Léa", "CM1")
    ]
    ok(
        await api(
            ANSWER_REENROLLMENTS,
            {
                "householdId": household_gid,
                "answers": [{"reenrollmentId": lines[0]["id"], "choice": "CONFIRM"}],
            },
            token=parent,
        ),
        "answerReenrollments",
    )
    ok(
        await api(
            DECIDE_REENROLLMENTS,
            {"periodId": period_id, "all": True, "accept": [], "refuse": [], "comment": ""},
            token=agent,
        ),
        "decideReenrollments",
    )
    enrolments = (await api(FILE, {"id": household_gid}, token=parent))["data"]["household"][
        "enrollments"
    ]
    assert {(e["period"]["name"], e["status"]) for e in enrolments} == {
        ("Année scolaire 2026-2027", "ACTIVE"),
        ("Année scolaire 2027-2028", "ACTIVE"),
    }

    # --- 10. FranceConnect: Claire signs in through the local stand-in -----------------------
    # FRANCECONNECT_STEP: added with the FranceConnect sign-in (issue 15, item 7, another
    # engineer): she signs in through the local OpenID Connect provider and lands on the
    # same account (the same household, Léa and Hugo).

    # and every mail the families and staff received along the way was French
    for address in (parent_email, admin_email):
        for message in mailbox.to(address):
            assert "Bonjour" in Mailbox.text(message)
