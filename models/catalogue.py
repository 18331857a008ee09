"""What a town offers: sites, activities with their booking rules, periods, opening
calendars, exceptional closures and openings, and the school holidays of its zone; and how a
school year follows the last one: the period copied to next year's dates, the re-enrolment
campaign proposing each child's enrolments again, and the classes moved up a level."""

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account
    from models.authorities import BillingAuthority
    from models.bookings import Enrollment
    from models.households import Child, Household
    from models.requests import Request
    from models.tenants import Tenant


class SiteKind(StrEnum):
    """Where an activity takes place."""

    SCHOOL = "school"
    RESTAURANT = "restaurant"
    LEISURE_CENTRE = "leisure_centre"


class ActivityKind(StrEnum):
    """Family of service, for display and for the kitchen's forecasts."""

    CANTEEN = "canteen"
    MORNING_CARE = "morning_care"
    EVENING_CARE = "evening_care"
    STUDY = "study"
    LEISURE_CENTRE = "leisure_centre"


class HolidayPolicy(StrEnum):
    """How school holidays affect an activity: canteens close, leisure centres open."""

    SCHOOL_DAYS = "school_days"
    HOLIDAYS = "holidays"
    ALL_DAYS = "all_days"


class DeadlineRule(StrEnum):
    """How the last moment to change a day is computed (délai de prévenance)."""

    DAYS_BEFORE = "days_before"
    WORKING_DAYS_BEFORE = "working_days_before"
    WEEKDAY_OF_PREVIOUS_WEEK = "weekday_of_previous_week"


class Site(Model):
    """A school, a restaurant or a leisure centre of the town."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="sites", on_delete=fields.RESTRICT
    )
    tenant_id: int
    name = fields.CharField(max_length=150)
    kind = fields.CharEnumField(SiteKind, max_length=16)
    address = fields.CharField(max_length=250, default="")
    # Nullable so that adding the column to a town's existing sites needs no default.
    kitchen_email = fields.CharField(
        max_length=254, null=True, description="Where the daily meal forecast is mailed"
    )

    class Meta:
        table = "site"
        unique_together = (("tenant", "name"),)


class Activity(Model):
    """A bookable service (prestation) and the town's booking rules for it."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="activities", on_delete=fields.RESTRICT
    )
    tenant_id: int
    code = fields.CharField(max_length=32, description="Town's code, e.g. RS-REPAS")
    name = fields.CharField(max_length=150)
    kind = fields.CharEnumField(ActivityKind, max_length=16)
    holiday_policy = fields.CharEnumField(
        HolidayPolicy, max_length=16, default=HolidayPolicy.SCHOOL_DAYS
    )
    enrollment_required = fields.BooleanField(default=True)
    booking_rule = fields.CharEnumField(
        DeadlineRule, max_length=32, default=DeadlineRule.DAYS_BEFORE
    )
    booking_value = fields.SmallIntField(default=7, description="N days, or weekday 0-6")
    booking_cutoff_minutes = fields.SmallIntField(
        default=23 * 60 + 59, description="Local time of day the deadline falls at"
    )
    cancellation_rule = fields.CharEnumField(
        DeadlineRule, max_length=32, default=DeadlineRule.DAYS_BEFORE
    )
    cancellation_value = fields.SmallIntField(default=7)
    cancellation_cutoff_minutes = fields.SmallIntField(default=23 * 60 + 59)
    booking_opens_days_ahead = fields.SmallIntField(
        null=True, description="Booking opens this many days before the day, null = always"
    )
    billing_authority: fields.ForeignKeyNullableRelation["BillingAuthority"] = (
        fields.ForeignKeyField(
            "models.BillingAuthority",
            related_name="activities",
            null=True,
            on_delete=fields.RESTRICT,
        )
    )
    billing_authority_id: int | None

    class Meta:
        table = "activity"
        unique_together = (("tenant", "code"),)


class Period(Model):
    """A reservation period, usually the school year (01/09 to early July)."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="periods", on_delete=fields.RESTRICT
    )
    tenant_id: int
    name = fields.CharField(max_length=100)
    starts_on = fields.DateField()
    ends_on = fields.DateField()

    class Meta:
        table = "period"


class Opening(Model):
    """An activity open at a site over a period, on some weekdays, with a daily capacity."""

    id = fields.IntField(primary_key=True)
    activity: fields.ForeignKeyRelation[Activity] = fields.ForeignKeyField(
        "models.Activity", related_name="openings", on_delete=fields.CASCADE
    )
    activity_id: int
    site: fields.ForeignKeyRelation[Site] = fields.ForeignKeyField(
        "models.Site", related_name="openings", on_delete=fields.CASCADE
    )
    site_id: int
    period: fields.ForeignKeyRelation[Period] = fields.ForeignKeyField(
        "models.Period", related_name="openings", on_delete=fields.CASCADE
    )
    period_id: int
    weekdays = fields.SmallIntField(description="Bit 0 = Monday … bit 6 = Sunday")
    capacity = fields.IntField(null=True, description="Children per day, null = no limit")

    class Meta:
        table = "opening"
        unique_together = (("activity", "site", "period"),)


class CalendarException(Model):
    """An exceptional closure (strike, teachers' day) or opening, for one day."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="calendar_exceptions", on_delete=fields.CASCADE
    )
    tenant_id: int
    activity: fields.ForeignKeyNullableRelation[Activity] = fields.ForeignKeyField(
        "models.Activity",
        related_name="calendar_exceptions",
        null=True,
        on_delete=fields.CASCADE,
    )
    activity_id: int | None
    site: fields.ForeignKeyNullableRelation[Site] = fields.ForeignKeyField(
        "models.Site", related_name="calendar_exceptions", null=True, on_delete=fields.CASCADE
    )
    site_id: int | None
    day = fields.DateField()
    is_open = fields.BooleanField(description="True opens a day that would be closed")
    label = fields.CharField(max_length=150, description="Shown to parents, in French")

    class Meta:
        table = "calendar_exception"
        indexes = (("tenant_id", "day"),)


class SchoolHoliday(Model):
    """School holidays of the town's zone, as the town loads them (both days included)."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="school_holidays", on_delete=fields.CASCADE
    )
    tenant_id: int
    name = fields.CharField(max_length=100, description="e.g. Vacances de Noël")
    starts_on = fields.DateField()
    ends_on = fields.DateField()

    class Meta:
        table = "school_holiday"


class YearRollover(Model):
    """A period copied to next year's dates (openings, weekdays, capacities): one copy per
    period, so rolling over twice finds this row instead of duplicating the year."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="year_rollovers", on_delete=fields.CASCADE
    )
    tenant_id: int
    source_period: fields.OneToOneRelation[Period] = fields.OneToOneField(
        "models.Period", related_name="rolled_over_to", on_delete=fields.CASCADE
    )
    source_period_id: int
    next_period: fields.OneToOneRelation[Period] = fields.OneToOneField(
        "models.Period", related_name="rolled_over_from", on_delete=fields.CASCADE
    )
    next_period_id: int
    created_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="year_rollovers", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "year_rollover"


class ReenrollmentCampaign(Model):
    """Families confirm, change or drop their children's enrolments for next year, until a day."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="reenrollment_campaigns", on_delete=fields.CASCADE
    )
    tenant_id: int
    rollover: fields.OneToOneRelation[YearRollover] = fields.OneToOneField(
        "models.YearRollover", related_name="campaign", on_delete=fields.CASCADE
    )
    rollover_id: int
    until = fields.DateField(description="Last day families answer (town time, through 23h59)")
    opened_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account",
        related_name="reenrollment_campaigns",
        null=True,
        on_delete=fields.SET_NULL,
    )
    opened_by_id: int | None
    opened_at = fields.DatetimeField()

    class Meta:
        table = "reenrollment_campaign"


class ReenrollmentStatus(StrEnum):
    """A proposal's answer, then the staff's decision."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    CHANGED = "changed"
    DROPPED = "dropped"
    LEAVING = "leaving"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class Reenrollment(Model):
    """One enrolment of this year proposed again for next year, and what became of it."""

    id = fields.IntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[ReenrollmentCampaign] = fields.ForeignKeyField(
        "models.ReenrollmentCampaign", related_name="reenrollments", on_delete=fields.CASCADE
    )
    campaign_id: int
    household: fields.ForeignKeyRelation["Household"] = fields.ForeignKeyField(
        "models.Household", related_name="reenrollments", on_delete=fields.CASCADE
    )
    household_id: int
    child: fields.ForeignKeyRelation["Child"] = fields.ForeignKeyField(
        "models.Child", related_name="reenrollments", on_delete=fields.CASCADE
    )
    child_id: int
    enrollment: fields.ForeignKeyRelation["Enrollment"] = fields.ForeignKeyField(
        "models.Enrollment", related_name="reenrollments", on_delete=fields.CASCADE
    )
    enrollment_id: int
    activity: fields.ForeignKeyRelation[Activity] = fields.ForeignKeyField(
        "models.Activity", related_name="reenrollments", on_delete=fields.CASCADE
    )
    activity_id: int
    site: fields.ForeignKeyRelation[Site] = fields.ForeignKeyField(
        "models.Site", related_name="reenrollments", on_delete=fields.CASCADE
    )
    site_id: int
    next_school_class = fields.CharField(max_length=32, default="", description="CE1, 6e…")
    status = fields.CharEnumField(ReenrollmentStatus, max_length=16)
    answered_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account",
        related_name="reenrollments_answered",
        null=True,
        on_delete=fields.SET_NULL,
    )
    answered_by_id: int | None
    answered_at = fields.DatetimeField(null=True)
    decided_by: fields.ForeignKeyNullableRelation["Account"] = fields.ForeignKeyField(
        "models.Account", related_name="reenrollments_decided", null=True, on_delete=fields.SET_NULL
    )
    decided_by_id: int | None
    decided_at = fields.DatetimeField(null=True)
    request: fields.ForeignKeyNullableRelation["Request"] = fields.ForeignKeyField(
        "models.Request", related_name="reenrollments", null=True, on_delete=fields.SET_NULL
    )
    request_id: int | None
    new_enrollment: fields.ForeignKeyNullableRelation["Enrollment"] = fields.ForeignKeyField(
        "models.Enrollment", related_name="reenrolled_from", null=True, on_delete=fields.SET_NULL
    )
    new_enrollment_id: int | None
    reminded_at = fields.DatetimeField(null=True, description="When the family was reminded")

    class Meta:
        table = "reenrollment"
        unique_together = (("campaign", "enrollment"),)
        indexes = (("campaign_id", "household_id"),)


class ClassPromotion(Model):
    """Children's classes moved up a level once per school year and town (CP to CE1…)."""

    id = fields.IntField(primary_key=True)
    tenant: fields.ForeignKeyRelation["Tenant"] = fields.ForeignKeyField(
        "models.Tenant", related_name="class_promotions", on_delete=fields.CASCADE
    )
    tenant_id: int
    school_year = fields.SmallIntField(description="Year the school year starts, e.g. 2027")
    children = fields.IntField(description="Children whose class moved up")
    promoted_at = fields.DatetimeField()

    class Meta:
        table = "class_promotion"
        unique_together = (("tenant", "school_year"),)
