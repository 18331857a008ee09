"""Absence reports (signalements d'absence) and the days they concern."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.catalogue import Activity
    from models.households import Child, Household
    from models.requests import Request


class AbsenceReason(StrEnum):
    """Why the child is absent, as the form offers it."""

    ILLNESS = "illness"
    DEROGATION = "derogation"
    BEREAVEMENT = "bereavement"
    TEACHER_ABSENT = "teacher_absent"
    OTHER = "other"


class AbsenceStatus(StrEnum):
    """Where a report stands: decided by staff unless every day was cancelled in time."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED_IN_TIME = "cancelled_in_time"


class AbsenceOutcome(StrEnum):
    """What became of one booked day: cancelled, or billed unless justified."""

    CANCELLED_IN_TIME = "cancelled_in_time"
    PENDING_REVIEW = "pending_review"
    JUSTIFIED = "justified"
    UNJUSTIFIED = "unjustified"


class AbsenceReport(Model):
    """A parent's report for one child over a range of days."""

    id = fields.IntField(primary_key=True)
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="absence_reports", on_delete=fields.CASCADE
    )
    household_id: int
    child: fields.ForeignKeyRelation["Child"] = fields.ForeignKeyField(
        "models.Child", related_name="absence_reports", on_delete=fields.CASCADE
    )
    child_id: int
    reason = fields.CharEnumField(AbsenceReason, max_length=16)
    comment = fields.TextField(default="")
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    status = fields.CharEnumField(AbsenceStatus, max_length=24)
    request: fields.ForeignKeyRelation["Request"] = fields.ForeignKeyField(
        "models.Request", related_name="absence_reports", on_delete=fields.RESTRICT
    )
    request_id: int
    submitted_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="absence_reports", null=True, on_delete=fields.SET_NULL
    )
    submitted_by_id: int | None
    decided_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="absence_decisions", null=True, on_delete=fields.SET_NULL
    )
    decided_by_id: int | None
    decided_at = fields.DatetimeField(null=True)
    decision_comment = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "absence_report"
        indexes = (("status", "created_at"),)


class AbsenceDay(Model):
    """One booked day of one activity concerned by a report."""

    id = fields.IntField(primary_key=True)
    report: fields.ForeignKeyRelation[AbsenceReport] = fields.ForeignKeyField(
        "models.AbsenceReport", related_name="days", on_delete=fields.CASCADE
    )
    report_id: int
    child: fields.ForeignKeyRelation["Child"] = fields.ForeignKeyField(
        "models.Child", related_name="absence_days", on_delete=fields.CASCADE
    )
    child_id: int
    activity: fields.ForeignKeyRelation["Activity"] = fields.ForeignKeyField(
        "models.Activity", related_name="absence_days", on_delete=fields.RESTRICT
    )
    activity_id: int
    day = fields.DateField()
    outcome = fields.CharEnumField(AbsenceOutcome, max_length=24)

    class Meta:
        table = "absence_day"
        # No unique key: a day cancelled in time may be booked and reported again later;
        # the calendar shows a day ABSENT only while it is booked with a live report.
        indexes = (("child_id", "day"),)
