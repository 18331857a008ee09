"""Pointage: staff record who was actually there, for a site, a day and an activity.

What they record is what makes surcharges (present without booking) and billed absences
(booked, absent, not justified) computable by the invoice run.
"""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from models.accounts import Account
from models.billing import Attendance
from models.bookings import Booking, BookingStatus
from models.catalogue import Activity, Site
from models.households import Child
from models.tenants import Tenant
from resolvers.core.clock import Clock
from resolvers.core.errors import BillingErrorCode, DomainError, NotFound
from resolvers.core.roles import require_site
from resolvers.core.sql import Params, connection
from resolvers.core.transactions import atomic
from resolvers.households.households import require_staff


@dataclass
class AttendanceEntry:
    child_id: int
    present: bool


@dataclass
class AttendanceRow:
    """One child of the sheet: booked or not, and what staff recorded (None = not yet)."""

    child: Child
    booked: bool
    present: bool | None


async def _site_and_activity(staff: Account, site_id: int, activity_id: int) -> None:
    if not await Site.exists(id=site_id, tenant_id=staff.tenant_id):
        raise NotFound("Lieu", "siteId")
    await require_site(staff, site_id)
    if not await Activity.exists(id=activity_id, tenant_id=staff.tenant_id):
        raise NotFound("Activité", "activityId")


async def record_attendance(
    actor: Account | None,
    site_id: int,
    activity_id: int,
    day: date,
    entries: list[AttendanceEntry],
    *,
    clock: Clock,
) -> int:
    """Upsert the whole sheet in one statement: sending it again changes nothing, a
    corrected entry replaces the earlier one."""
    staff = require_staff(actor)
    await _site_and_activity(staff, site_id, activity_id)
    tenant = await Tenant.get(id=staff.tenant_id)
    today = clock.now().astimezone(ZoneInfo(tenant.timezone)).date()
    if day > today:
        raise DomainError(
            BillingErrorCode.INVALID, "On ne peut pas pointer un jour à venir.", "day"
        )
    child_ids = [entry.child_id for entry in entries]
    if len(set(child_ids)) != len(child_ids):
        raise DomainError(
            BillingErrorCode.INVALID, "Un enfant figure deux fois dans le pointage.", "entries"
        )
    if not entries:
        return 0
    known = await Child.filter(id__in=child_ids, household__tenant_id=staff.tenant_id).count()
    if known != len(child_ids):
        raise NotFound("Enfant", "entries")
    now = clock.now()
    params = Params()
    values = ", ".join(
        f"({params(entry.child_id)}, {params(activity_id)}, {params(site_id)}, {params(day)}, "
        f"{params(entry.present)}, {params(staff.id)}, {params(now)})"
        for entry in entries
    )
    async with atomic():
        await connection().execute_query(
            "INSERT INTO attendance (child_id, activity_id, site_id, day, present, "
            f"recorded_by_id, recorded_at) VALUES {values} "
            "ON CONFLICT (child_id, activity_id, day) DO UPDATE SET "
            "present = excluded.present, site_id = excluded.site_id, "
            "recorded_by_id = excluded.recorded_by_id, recorded_at = excluded.recorded_at",
            params.values,
        )
    return len(entries)


async def attendance_sheet(
    actor: Account | None, site_id: int, activity_id: int, day: date
) -> list[AttendanceRow]:
    """The children booked at the site that day, plus any recorded there without booking."""
    staff = require_staff(actor)
    await _site_and_activity(staff, site_id, activity_id)
    booked: set[int] = set(
        await Booking.filter(
            site_id=site_id, activity_id=activity_id, day=day, status=BookingStatus.BOOKED
        ).values_list("child_id", flat=True)  # type: ignore[arg-type]
    )
    recorded = {
        int(child_id): bool(present)
        for child_id, present in await Attendance.filter(
            site_id=site_id, activity_id=activity_id, day=day
        ).values_list("child_id", "present")
    }
    children = await Child.filter(id__in=booked | set(recorded)).order_by(
        "last_name", "first_names", "id"
    )
    return [AttendanceRow(child, child.id in booked, recorded.get(child.id)) for child in children]
