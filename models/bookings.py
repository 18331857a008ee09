"""Enrolments (inscriptions) and bookings (réservations), one row per child, activity, day."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import PartialIndex
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.catalogue import Activity, Period, Site
    from models.households import Child
    from models.requests import Request


class EnrollmentStatus(StrEnum):
    """Where an enrolment stands; only ACTIVE ones can be booked."""

    REQUESTED = "requested"
    ACTIVE = "active"
    REFUSED = "refused"
    WAITING = "waiting"


class BookingStatus(StrEnum):
    """A day booked, waiting for a place, or cancelled (kept for the history)."""

    BOOKED = "booked"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Enrollment(Model):
    """A child in an activity at a site for a period."""

    id = fields.IntField(primary_key=True)
    child: fields.ForeignKeyRelation["Child"] = fields.ForeignKeyField(
        "models.Child", related_name="enrollments", on_delete=fields.CASCADE
    )
    child_id: int
    activity: fields.ForeignKeyRelation["Activity"] = fields.ForeignKeyField(
        "models.Activity", related_name="enrollments", on_delete=fields.RESTRICT
    )
    activity_id: int
    site: fields.ForeignKeyRelation["Site"] = fields.ForeignKeyField(
        "models.Site", related_name="enrollments", on_delete=fields.RESTRICT
    )
    site_id: int
    period: fields.ForeignKeyRelation["Period"] = fields.ForeignKeyField(
        "models.Period", related_name="enrollments", on_delete=fields.RESTRICT
    )
    period_id: int
    status = fields.CharEnumField(EnrollmentStatus, max_length=16)
    requested_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account",
        related_name="enrollments_requested",
        null=True,
        on_delete=fields.SET_NULL,
    )
    requested_by_id: int | None
    decided_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account",
        related_name="enrollments_decided",
        null=True,
        on_delete=fields.SET_NULL,
    )
    decided_by_id: int | None
    decided_at = fields.DatetimeField(null=True)
    comment = fields.CharField(max_length=500, default="")
    request: fields.ForeignKeyNullableRelation["Request"] = fields.ForeignKeyField(
        "models.Request", related_name="enrollments", null=True, on_delete=fields.SET_NULL
    )
    request_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "enrollment"
        unique_together = (("child", "activity", "period"),)
        # The enrolments of a slot, counted (index only) to know whether it can be full.
        indexes = (("activity_id", "site_id", "period_id"),)


class Booking(Model):
    """One child, one activity, one day: the unit parents book and towns bill."""

    id = fields.BigIntField(primary_key=True)
    child: fields.ForeignKeyRelation["Child"] = fields.ForeignKeyField(
        "models.Child", related_name="bookings", on_delete=fields.CASCADE
    )
    child_id: int
    activity: fields.ForeignKeyRelation["Activity"] = fields.ForeignKeyField(
        "models.Activity", related_name="bookings", on_delete=fields.RESTRICT
    )
    activity_id: int
    site: fields.ForeignKeyRelation["Site"] = fields.ForeignKeyField(
        "models.Site", related_name="bookings", on_delete=fields.RESTRICT
    )
    site_id: int
    day = fields.DateField()
    status = fields.CharEnumField(BookingStatus, max_length=16)
    request: fields.ForeignKeyNullableRelation["Request"] = fields.ForeignKeyField(
        "models.Request", related_name="bookings", null=True, on_delete=fields.SET_NULL
    )
    request_id: int | None
    updated_at = fields.DatetimeField(description="Also the waiting-list order")

    class Meta:
        table = "booking"
        unique_together = (("child", "activity", "day"),)
        indexes = (
            ("activity_id", "site_id", "day", "status"),
            # Whether anybody waits for the days a submit cancels (one probe a day, 180 for
            # a long submit): the waiting rows alone, a few pages where the index above
            # holds every booking of the school year (migration 0024).
            PartialIndex(
                fields=("activity_id", "site_id", "day"),
                name="booking_waiting",
                condition={"status": BookingStatus.WAITING.value},
            ),
        )
