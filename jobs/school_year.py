"""The new school year's daily cron (Europe/Paris): families who have not answered a
re-enrolment campaign are reminded before its last day, and classes move up a level on the
first day of a rolled-over school year (resolvers/calendar/reenrollment.py and
school_year.py). Both are safe to run twice: what was done is marked in the transaction
that does it (``Reenrollment.reminded_at``, a unique ``ClassPromotion`` per town and year).
"""

from typing import Any

from resolvers.calendar.reenrollment import queue_reenrollment_reminders
from resolvers.calendar.school_year import promote_classes
from resolvers.core.clock import Clock, SystemClock


async def school_year_cron(ctx: dict[str, Any]) -> dict[str, int]:
    """Remind the families who have not answered, then move classes up where a year began."""
    clock: Clock = ctx.get("clock") or SystemClock()
    reminded = await queue_reenrollment_reminders(clock=clock)
    promoted = await promote_classes(clock=clock)
    return {"households_reminded": reminded, "children_promoted": promoted}
