"""A town goes live: created with the CLI, its administrator accepts the invitation, sets the
town's rules and invites colleagues with roles; roles change, accounts are disabled (their
sessions and signed links stop at once) and enabled again, all audited."""

import asyncio
import io
import re
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from gql.ids import encode_id
from models.accounts import Account, AccountRole
from models.audit import AuditEntry
from models.billing import Invoice
from models.tenants import Tenant
from resolvers.billing.invoicing import invoice_month
from resolvers.core.clock import FrozenClock
from tests.billing_factories import make_billing_town, make_family
from tests.conftest import GraphQL, Mailbox
from tests.factories import PASSWORD, make_account, make_town, token_for

pytestmark = pytest.mark.usefixtures("backend")

Jobs = Callable[[], Awaitable[None]]
LINK = re.compile(r"http://famille\.test/invitation/(\S+)")

ACCEPT = """
mutation Accept($input: AcceptStaffInvitationInput!) {
  acceptStaffInvitation(input: $input) { account { email role } errors { code field message } }
}"""
LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { token errors { code message } }
}"""
UPDATE_TOWN = """
mutation Update($input: UpdateTownInput!) {
  updateTown(input: $input) {
    town { name postalAddress contactEmail timeZone passwordMinLength cguVersion
           firstIllnessDayWithoutCertificate unpaidBlockDays }
    errors { code field message }
  }
}"""
TOWN_SETTINGS = "{ townSettings { slug name cguVersion unpaidBlockDays } }"
INVITE = """
mutation Invite($input: InviteStaffInput!) {
  inviteStaff(input: $input) {
    member { id email role activatedAt disabled authorityIds siteIds }
    errors { code field message }
  }
}"""
MEMBERS = "{ staffMembers { id email role lastName disabled authorityIds siteIds } }"
CHANGE_ROLE = """
mutation Change($accountId: ID!, $role: StaffRoleInput!) {
  changeStaffRole(accountId: $accountId, role: $role) {
    member { role authorityIds siteIds } errors { code field message }
  }
}"""
DISABLE = """
mutation Disable($accountId: ID!) {
  disableStaff(accountId: $accountId) { member { disabled } errors { code message } }
}"""
ENABLE = """
mutation Enable($accountId: ID!) {
  enableStaff(accountId: $accountId) { member { disabled } errors { code message } }
}"""
ME = "{ me { email role } }"
KITCHEN_EXPORT = """
query Export($from: Date!, $to: Date!) { kitchenForecastExport(from: $from, to: $to) { url } }"""
BILLING_AUTHORITIES = "{ billingAuthorities { id name } }"
TOWN_INVOICES = "{ invoices(status: ALL) { totalCount } }"
PAYMENT_SETUP = """
query Setup($authorityId: ID!) { paymentSetup(authorityId: $authorityId) { provider } }"""
ATTENDANCE_SHEETS = """
query Sheets($siteId: ID!) { attendanceSheets(siteId: $siteId, date: "2026-11-23") { siteId } }
"""


async def run_command(*args: str) -> tuple[int, str, str]:
    """``famille`` through its entry point, in a process of its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *args,
        cwd=Path(__file__).parent.parent.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def accept_input(token: str, password: str = "Secret-2026", **extra: Any) -> dict[str, Any]:
    return {
        "input": {
            "token": token,
            "password": password,
            "civility": "MADAME",
            "lastName": "Durand",
            "firstNames": "Sophie",
            **extra,
        }
    }


async def login(api: GraphQL, town: str, email: str, password: str, **extra: Any) -> Any:
    answer = await api(
        LOGIN, {"input": {"town": town, "email": email, "password": password, **extra}}
    )
    return answer["data"]["login"]


async def invitation_token(mailbox: Mailbox, run_jobs: Jobs, email: str) -> str:
    await run_jobs()
    message = mailbox.to(email)[-1]
    match = LINK.search(Mailbox.text(message))
    assert match, Mailbox.text(message)
    return match.group(1)


async def test_a_town_is_created_with_the_cli_and_its_admin_sets_it_up(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Jobs
) -> None:
    # given an operator creating a town from the command line
    slug = f"ville-{uuid.uuid4().hex[:8]}"
    admin_email = f"dgs-{slug}@exemple.fr"
    status, out, err = await run_command(
        "create-town", "--slug", slug, "--name", "Ville de Lavaur", "--admin-email", admin_email
    )
    assert status == 0, err
    assert f"Commune « Ville de Lavaur » créée (slug : {slug})" in out
    printed = LINK.search(out)
    assert printed, out

    # then the administrator is mailed the same link
    assert await invitation_token(mailbox, run_jobs, admin_email) == printed.group(1)
    [message] = mailbox.to(admin_email)
    assert message["Subject"] == "Invitation au portail famille — Ville de Lavaur"
    assert "« administrateur »" in Mailbox.text(message)

    # and the same slug cannot be created twice
    again, _, again_err = await run_command(
        "create-town", "--slug", slug, "--name", "Autre", "--admin-email", "x@exemple.fr"
    )
    assert again != 0
    assert f"Une commune « {slug} » existe déjà." in again_err

    # when the administrator follows the link with a weak password, then a good one
    weak = await api(ACCEPT, accept_input(printed.group(1), password="court"))
    accepted = await api(ACCEPT, accept_input(printed.group(1)))
    reused = await api(ACCEPT, accept_input(printed.group(1)))

    assert [e["code"] for e in weak["data"]["acceptStaffInvitation"]["errors"]] == [
        "PASSWORD_TOO_WEAK"
    ]
    assert accepted["data"]["acceptStaffInvitation"] == {
        "account": {"email": admin_email, "role": "ADMIN"},
        "errors": [],
    }
    assert [e["code"] for e in reused["data"]["acceptStaffInvitation"]["errors"]] == ["TOKEN_USED"]

    # and logs in and sets the town's rules
    token = (await login(api, slug, admin_email, "Secret-2026"))["token"]
    updated = await api(
        UPDATE_TOWN,
        {
            "input": {
                "name": "Ville de Lavaur (Tarn)",
                "postalAddress": "Hôtel de ville\n81500 Lavaur",
                "contactEmail": "enfance@lavaur.fr",
                "timeZone": "Europe/Paris",
                "passwordMinLength": 10,
                "cguVersion": "2026-12",
                "firstIllnessDayWithoutCertificate": True,
                "unpaidBlockDays": 30,
            }
        },
        token=token,
    )
    assert updated["data"]["updateTown"] == {
        "town": {
            "name": "Ville de Lavaur (Tarn)",
            "postalAddress": "Hôtel de ville\n81500 Lavaur",
            "contactEmail": "enfance@lavaur.fr",
            "timeZone": "Europe/Paris",
            "passwordMinLength": 10,
            "cguVersion": "2026-12",
            "firstIllnessDayWithoutCertificate": True,
            "unpaidBlockDays": 30,
        },
        "errors": [],
    }
    tenant = await Tenant.get(slug=slug)
    [entry] = await AuditEntry.filter(tenant_id=tenant.id, action="town.update")
    assert entry.details["unpaid_block_days"] == [None, 30]
    assert entry.details["cgu_version"] == ["2026-01", "2026-12"]


async def test_bad_town_rules_are_refused_field_by_field(api: GraphQL, clock: FrozenClock) -> None:
    town = await make_town()
    admin = await token_for(await make_account(town, clock, role=AccountRole.ADMIN), clock)

    answer = await api(
        UPDATE_TOWN,
        {
            "input": {
                "timeZone": "Europe/Atlantide",
                "passwordMinLength": 4,
                "unpaidBlockDays": 0,
                "contactEmail": "pas-une-adresse",
                "name": " ",
            }
        },
        token=admin,
    )

    errors = answer["data"]["updateTown"]["errors"]
    assert {e["field"]: e["code"] for e in errors} == {
        "name": "REQUIRED",
        "contactEmail": "EMAIL_INVALID",
        "timeZone": "INVALID",
        "passwordMinLength": "INVALID",
        "unpaidBlockDays": "INVALID",
    }
    assert (await Tenant.get(id=town.id)).timezone == "Europe/Paris"


async def test_a_new_terms_version_is_accepted_at_the_next_login(
    api: GraphQL, clock: FrozenClock
) -> None:
    # given a parent who accepted the 2026-01 terms, and the town publishing new ones
    town = await make_town()
    parent = await make_account(town, clock)
    admin = await token_for(await make_account(town, clock, role=AccountRole.ADMIN), clock)
    await api(
        UPDATE_TOWN,
        {"input": {"cguVersion": "2027-01", "cguText": "Nouvelles conditions."}},
        token=admin,
    )

    # when the parent logs in without accepting them, then accepting them
    refused = await login(api, town.slug, parent.email, PASSWORD)
    accepted = await login(api, town.slug, parent.email, PASSWORD, acceptCgu=True)
    next_time = await login(api, town.slug, parent.email, PASSWORD)

    # then the first login asks for them, the second records them, later ones just work
    assert refused["token"] is None
    assert [e["code"] for e in refused["errors"]] == ["CGU_NOT_ACCEPTED"]
    assert "version 2027-01" in refused["errors"][0]["message"]
    assert accepted["token"] and next_time["token"]
    assert (await Account.get(id=parent.id)).cgu_version == "2027-01"
    public = await api(
        "query T($s: String!) { town(slug: $s) { cguVersion cguText } }", {"s": town.slug}
    )
    assert public["data"]["town"] == {"cguVersion": "2027-01", "cguText": "Nouvelles conditions."}


async def test_an_admin_invites_each_role_and_manages_them(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock, mailbox: Mailbox, run_jobs: Jobs
) -> None:
    # given a town with a régie and a site, and its administrator
    town = await make_billing_town(clock)
    admin_account = await make_account(town.tenant, clock, role=AccountRole.ADMIN)
    admin = await token_for(admin_account, clock)
    authority_id = encode_id("BillingAuthority", town.authority.id)
    site_id = encode_id("Site", town.catalogue.site.id)
    suffix = uuid.uuid4().hex[:6]

    # when they invite an agent, a régisseur of the régie and a member of the site
    invited = {}
    for role, extra in (
        ("AGENT", {}),
        ("REGISSEUR", {"authorityIds": [authority_id]}),
        ("SITE", {"siteIds": [site_id]}),
    ):
        email = f"{role.lower()}-{suffix}@exemple.fr"
        answer = await api(
            INVITE, {"input": {"email": email, "role": {"role": role, **extra}}}, token=admin
        )
        payload = answer["data"]["inviteStaff"]
        assert payload["errors"] == [], payload
        assert payload["member"]["activatedAt"] is None
        invited[role] = (email, payload["member"]["id"])

    # then each accepts their mailed link and logs in with their role
    tokens = {}
    for role, (email, _) in invited.items():
        link = await invitation_token(mailbox, run_jobs, email)
        assert (await api(ACCEPT, accept_input(link)))["data"]["acceptStaffInvitation"][
            "errors"
        ] == []
        tokens[role] = (await login(api, town.tenant.slug, email, "Secret-2026"))["token"]
        assert (await api(ME, token=tokens[role]))["data"]["me"]["role"] == role

    # and the list shows them with their scopes
    members = (await api(MEMBERS, token=admin))["data"]["staffMembers"]
    by_email = {m["email"]: m for m in members}
    assert by_email[invited["REGISSEUR"][0]]["authorityIds"] == [authority_id]
    assert by_email[invited["SITE"][0]]["siteIds"] == [site_id]
    assert by_email[invited["AGENT"][0]]["lastName"] == "Durand"

    # and the scopes hold: the régisseur sees their régie, the site member their site only
    assert (await api(BILLING_AUTHORITIES, token=tokens["REGISSEUR"]))["data"][
        "billingAuthorities"
    ] == [{"id": authority_id, "name": "Régie périscolaire"}]
    sheets = await api(ATTENDANCE_SHEETS, {"siteId": site_id}, token=tokens["SITE"])
    assert "errors" not in sheets, sheets

    # and non-administrators cannot manage staff
    refused = await api(
        INVITE,
        {"input": {"email": f"x-{suffix}@exemple.fr", "role": {"role": "ADMIN"}}},
        token=tokens["AGENT"],
    )
    assert [e["code"] for e in refused["data"]["inviteStaff"]["errors"]] == ["FORBIDDEN"]

    # when the agent becomes a site member
    agent_id = invited["AGENT"][1]
    changed = await api(
        CHANGE_ROLE,
        {"accountId": agent_id, "role": {"role": "SITE", "siteIds": [site_id]}},
        token=admin,
    )
    assert changed["data"]["changeStaffRole"] == {
        "member": {"role": "SITE", "authorityIds": [], "siteIds": [site_id]},
        "errors": [],
    }
    # then their very next request has the new role's rights only
    news = await api("{ townNews { totalCount } }", token=tokens["AGENT"])
    assert news["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # and the administrator cannot demote or disable themselves
    own = await api(DISABLE, {"accountId": encode_id("Account", admin_account.id)}, token=admin)
    assert [e["code"] for e in own["data"]["disableStaff"]["errors"]] == ["OWN_ACCOUNT"]

    # and every change is in the audit trail
    actions = [
        entry.action
        for entry in await AuditEntry.filter(tenant_id=town.tenant.id, action__startswith="staff.")
    ]
    assert sorted(actions) == sorted(
        ["staff.invite"] * 3 + ["staff.accept_invitation"] * 3 + ["staff.change_role"]
    )


async def test_invitations_expire_and_a_regisseur_needs_a_regie(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Jobs
) -> None:
    town = await make_town()
    admin = await token_for(await make_account(town, clock, role=AccountRole.ADMIN), clock)
    email = f"tard-{uuid.uuid4().hex[:6]}@exemple.fr"

    no_regie = await api(
        INVITE, {"input": {"email": email, "role": {"role": "REGISSEUR"}}}, token=admin
    )
    taken = await api(
        INVITE,
        {
            "input": {
                "email": (await Account.filter(tenant_id=town.id).first()).email,  # type: ignore[union-attr]
                "role": {"role": "AGENT"},
            }
        },
        token=admin,
    )
    await api(INVITE, {"input": {"email": email, "role": {"role": "AGENT"}}}, token=admin)
    link = await invitation_token(mailbox, run_jobs, email)
    clock.advance(timedelta(days=8))
    late = await api(ACCEPT, accept_input(link))

    assert [e["field"] for e in no_regie["data"]["inviteStaff"]["errors"]] == ["authorityIds"]
    assert [e["code"] for e in taken["data"]["inviteStaff"]["errors"]] == ["EMAIL_TAKEN"]
    assert [e["code"] for e in late["data"]["acceptStaffInvitation"]["errors"]] == ["TOKEN_EXPIRED"]


async def test_a_disabled_agent_loses_sessions_and_links_at_once(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given an agent logged in with a signed download link in hand
    town = await make_town()
    admin = await token_for(await make_account(town, clock, role=AccountRole.ADMIN), clock)
    agent = await make_account(town, clock, role=AccountRole.AGENT)
    session = await token_for(agent, clock)
    export = await api(KITCHEN_EXPORT, {"from": "2026-11-23", "to": "2026-11-27"}, token=session)
    path = export["data"]["kitchenForecastExport"]["url"].removeprefix("http://famille.test")
    assert (await http.get(path)).status_code == 200

    # when the administrator disables them
    disabled = await api(DISABLE, {"accountId": encode_id("Account", agent.id)}, token=admin)
    assert disabled["data"]["disableStaff"] == {"member": {"disabled": True}, "errors": []}

    # then the session, the link and the password stop at once
    assert (await api(ME, token=session))["data"]["me"] is None
    assert (await http.get(path)).status_code == 403
    relogin = await login(api, town.slug, agent.email, PASSWORD)
    assert [e["code"] for e in relogin["errors"]] == ["INVALID_CREDENTIALS"]

    # and once enabled again they log in anew (the old session stays closed)
    enabled = await api(ENABLE, {"accountId": encode_id("Account", agent.id)}, token=admin)
    assert enabled["data"]["enableStaff"] == {"member": {"disabled": False}, "errors": []}
    assert (await api(ME, token=session))["data"]["me"] is None
    assert (await login(api, town.slug, agent.email, PASSWORD))["token"]
    actions = [entry.action for entry in await AuditEntry.filter(tenant_id=town.id).order_by("id")]
    assert [a for a in actions if a.startswith("staff.")] == ["staff.disable", "staff.enable"]


async def test_a_regisseur_is_refused_other_regies(api: GraphQL, clock: FrozenClock) -> None:
    # given a town with two régies, October billed by the first, and a régisseur of each
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    await make_family(town, clock)
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    admin = await make_account(town.tenant, clock, role=AccountRole.ADMIN)
    from resolvers.billing.billing import AuthorityForm, save_billing_authority
    from resolvers.staff.staff import RoleForm, change_role

    other = await save_billing_authority(
        admin, AuthorityForm(name="Régie des sports"), authority_id=None, clock=clock
    )
    regisseur = await make_account(town.tenant, clock, role=AccountRole.AGENT)
    await change_role(
        admin, regisseur.id, RoleForm(AccountRole.REGISSEUR, [town.authority.id]), clock=clock
    )
    token = await token_for(regisseur, clock)
    sports = await make_account(town.tenant, clock, role=AccountRole.AGENT)
    await change_role(admin, sports.id, RoleForm(AccountRole.REGISSEUR, [other.id]), clock=clock)
    sports_token = await token_for(sports, clock)

    # when they read each régie's payment setup
    own = await api(
        PAYMENT_SETUP,
        {"authorityId": encode_id("BillingAuthority", town.authority.id)},
        token=token,
    )
    foreign = await api(
        PAYMENT_SETUP, {"authorityId": encode_id("BillingAuthority", other.id)}, token=token
    )

    # then theirs answers and the other is refused
    assert "errors" not in own, own
    assert foreign["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert foreign["errors"][0]["message"] == "Cette régie ne vous est pas confiée."

    # and the town's invoices list shows each their régie's only
    listed = {
        who: (await api(TOWN_INVOICES, token=who_token))["data"]["invoices"]["totalCount"]
        for who, who_token in (("periscolaire", token), ("sports", sports_token))
    }
    assert listed == {"periscolaire": 1, "sports": 0}


async def test_the_towns_name_and_address_head_its_invoices(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given an October invoice, and the administrator setting the town's name and address
    clock.current = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    clock.current = datetime(2026, 11, 8, 6, 0, tzinfo=UTC)
    await invoice_month(date(2026, 10, 1), clock=clock, tenant_id=town.tenant.id)
    admin = await token_for(town.staff, clock)
    await api(
        UPDATE_TOWN,
        {
            "input": {
                "name": "Mairie de Graulhet",
                "postalAddress": "Service Enfance\n1 place du Mercadial\n81300 Graulhet",
            }
        },
        token=admin,
    )

    # when the parent downloads it
    invoice = await Invoice.get(household_id=family.household.id)
    parent = await token_for(family.parent, clock)
    detail = await api(
        "query($id: ID!) { invoice(id: $id) { pdfUrl } }",
        {"id": encode_id("Invoice", invoice.id)},
        token=parent,
    )
    response = await http.get(detail["data"]["invoice"]["pdfUrl"])

    # then its head reads the town's new name and address
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    for expected in (
        "Mairie de Graulhet",
        "Service Enfance",
        "1 place du Mercadial",
        "81300 Graulhet",
    ):
        assert expected in text, text
