"""Attendance sheets (listes de présence): per site, day and activity, the children expected,
who may pick them up, and their health notes and PAI.

Health notes are sensitive: every staff read of them through a sheet (GraphQL or PDF) writes
one audit entry per child shown before the sheet is handed out, so no read goes unrecorded.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from models.accounts import Account, AccountRole
from models.audit import AuditEntry
from models.catalogue import Activity, Site
from models.households import Child, Contact, ContactKind, Guardian
from models.tenants import Tenant
from resolvers.core.clock import Clock
from resolvers.core.errors import Forbidden, NotFound
from resolvers.core.roles import require_site
from resolvers.households.households import require_staff
from resolvers.operations.expected import ExpectedDay, expected_days, load_openings

HEALTH_READ = "child.health_notes.read"


@dataclass(frozen=True)
class Pickup:
    """An adult who may take the child home: a guardian or an authorised contact."""

    name: str
    relationship: str
    phone: str
    is_guardian: bool


@dataclass
class SheetChild:
    expected: ExpectedDay
    pickups: list[Pickup]


@dataclass
class AttendanceSheet:
    """One activity at one site on one day."""

    tenant: Tenant
    site: Site
    activity: Activity
    day: date
    children: list[SheetChild] = field(default_factory=list)

    @property
    def expected_count(self) -> int:
        return sum(1 for child in self.children if not child.expected.reported_absent)


async def _pickups(household_ids: set[int]) -> dict[int, list[Pickup]]:
    """Guardians first, then the authorised contacts, per household: two statements."""
    found: dict[int, list[Pickup]] = defaultdict(list)
    for guardian in await Guardian.filter(household_id__in=household_ids).order_by("id"):
        found[guardian.household_id].append(
            Pickup(
                f"{guardian.first_names} {guardian.last_name}",
                guardian.relationship or "Responsable légal",
                guardian.phone_mobile or guardian.phone_work,
                True,
            )
        )
    contacts = await Contact.filter(
        household_id__in=household_ids, kind=ContactKind.AUTHORISED_PICKUP
    ).order_by("id")
    for contact in contacts:
        found[contact.household_id].append(
            Pickup(
                f"{contact.first_names} {contact.last_name}".strip(),
                contact.relationship or "Personne autorisée",
                contact.phone,
                False,
            )
        )
    return found


async def check_sheet_request(
    actor: Account | None, site_id: int, activity_id: int | None
) -> tuple[Account, Site]:
    """Staff only, a site (and activity) of their town: checked before signing a link too."""
    staff = require_staff(actor)
    site = await Site.get_or_none(id=site_id, tenant_id=staff.tenant_id)
    if site is None:
        raise NotFound("Lieu", "siteId")
    await require_site(staff, site.id)
    if activity_id is not None and not await Activity.exists(
        id=activity_id, tenant_id=staff.tenant_id
    ):
        raise NotFound("Activité", "activityId")
    return staff, site


async def attendance_sheets(
    actor: Account | None,
    site_id: int,
    day: date,
    *,
    activity_id: int | None = None,
    via: str,
    clock: Clock,
) -> list[AttendanceSheet]:
    """Staff: the sheets of a site on a day (every activity open there, or one).

    Children reported absent stay on the sheet, marked, so the agent knows not to wait.
    """
    staff, site = await check_sheet_request(actor, site_id, activity_id)
    tenant = await Tenant.get(id=staff.tenant_id)
    openings = await load_openings(
        staff.tenant_id, day, day, site_id=site_id, activity_id=activity_id
    )
    open_ids = [
        row.activity_id for row in openings.rows if openings.is_open(row.activity_id, site_id, day)
    ]
    activities = {a.id: a for a in await Activity.filter(id__in=open_ids).order_by("code")}
    sheets = {
        activity.id: AttendanceSheet(tenant, site, activity, day)
        for activity in activities.values()
    }
    rows = await expected_days(
        staff.tenant_id, day, day, openings, site_id=site_id, activity_id=activity_id
    )
    pickups = await _pickups({row.household_id for row in rows})
    for row in rows:
        sheets[row.activity_id].children.append(SheetChild(row, pickups[row.household_id]))
    await record_health_reads(
        staff,
        {row.child_id for row in rows},
        {"via": via, "site_id": site_id, "day": day.isoformat()},
        clock=clock,
    )
    return list(sheets.values())


async def record_health_reads(
    staff: Account, child_ids: Iterable[int], details: dict[str, Any], *, clock: Clock
) -> None:
    """One audit entry per child whose health notes an agent is about to see, in one
    statement: the sheets and the family file both go through here."""
    shown = sorted(set(child_ids))
    if not shown:
        return
    now = clock.now()
    await AuditEntry.bulk_create(
        [
            AuditEntry(
                tenant_id=staff.tenant_id,
                actor=staff,
                action=HEALTH_READ,
                target_type="child",
                target_id=child_id,
                details=details,
                created_at=now,
            )
            for child_id in shown
        ]
    )


@dataclass
class HealthReadPage:
    entries: list[AuditEntry]
    agents: dict[int, str]
    has_next: bool
    total: int


async def health_reads(
    actor: Account | None, child_id: int, *, first: int, after_id: int | None
) -> HealthReadPage:
    """Admins: who read a child's health notes, when and how, latest first (RGPD)."""
    admin = require_staff(actor)
    if admin.role != AccountRole.ADMIN:
        raise Forbidden("Le journal des consultations est réservé aux administrateurs.")
    if not await Child.exists(id=child_id, household__tenant_id=admin.tenant_id):
        raise NotFound("Enfant", "childId")
    query = AuditEntry.filter(
        tenant_id=admin.tenant_id, action=HEALTH_READ, target_type="child", target_id=child_id
    )
    total = await query.count()
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    rows = await query.order_by("-id").limit(first + 1)
    entries = rows[:first]
    agents = {
        account.id: f"{account.first_names} {account.last_name}"
        for account in await Account.filter(id__in={e.actor_id for e in entries if e.actor_id})
    }
    return HealthReadPage(entries, agents, len(rows) > first, total)
