"""Billing mutations (staff): régies, price grids, attendance sheets."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.billing.types import BillingAuthority, Tariff
from gql.context import Info
from gql.errors import BillingError, handles_errors
from gql.ids import decode_id
from resolvers.billing import billing
from resolvers.operations import attendance_records


@strawberry.input(description="A régie's name and calendar.")
class BillingAuthorityInput:
    name: str = strawberry.field(description="Name, e.g. Régie périscolaire.")
    due_day: int = strawberry.field(default=30, description="Day of the next month to pay by.")
    payment_opens_day: int = strawberry.field(default=8, description="Online payment opens…")
    payment_opens_minutes: int = strawberry.field(
        default=9 * 60 + 30, description="…at this local time, minutes after midnight."
    )
    payment_closes_day: int = strawberry.field(default=30, description="Online payment closes…")
    payment_closes_minutes: int = strawberry.field(
        default=23 * 60 + 59, description="…at this local time (that minute included)."
    )
    unbooked_surcharge_percent: int = strawberry.field(
        default=30, description="Extra for attendance without booking, percent."
    )
    resident_postal_codes: list[str] = strawberry.field(
        default_factory=list, description="Resident postal codes; empty = everyone."
    )
    dunning_days: list[int] = strawberry.field(
        default_factory=lambda: [15, 45],
        description="Automatic payment reminders: days after the due date of each (empty: "
        "none, reminders on demand only).",
    )


@strawberry.input(description="One bracket of a price grid.")
class TariffInput:
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    valid_from: dt.date = strawberry.field(description="First day in force.")
    valid_until: dt.date | None = strawberry.field(default=None, description="Last day.")
    resident: bool = strawberry.field(default=True, description="Resident price.")
    quotient_min: int = strawberry.field(default=0, description="Quotient from (euros).")
    quotient_max: int | None = strawberry.field(
        default=None, description="Quotient up to (included); null = no cap."
    )
    unit_price_cents: int = strawberry.field(description="Price of one day, in cents.")


@strawberry.input(description="Whether one child was there.")
class AttendanceEntryInput:
    child_id: strawberry.ID = strawberry.field(description="The child.")
    present: bool = strawberry.field(description="True if present.")


@strawberry.input(description="An attendance sheet: site, activity, day and children.")
class AttendanceInput:
    site_id: strawberry.ID = strawberry.field(description="The site.")
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    day: dt.date = strawberry.field(description="The day (today or past).")
    entries: list[AttendanceEntryInput] = strawberry.field(description="One per child.")


@strawberry.type(description="Result of `saveBillingAuthority`.")
class BillingAuthorityPayload:
    authority: BillingAuthority | None = strawberry.field(default=None, description="Saved.")
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(description="Result of `setActivityBillingAuthority`, `deleteTariff`.")
class BillingPayload:
    ok: bool = strawberry.field(default=False, description="Done.")
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(description="Result of `addTariff`.")
class TariffPayload:
    tariff: Tariff | None = strawberry.field(default=None, description="The new bracket.")
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type(description="Result of `recordAttendance`.")
class AttendancePayload:
    recorded: int = strawberry.field(default=0, description="Entries saved.")
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type
class BillingMutations:
    @strawberry.mutation(description="Staff: create a régie, or change one (given its id).")
    @handles_errors()
    async def save_billing_authority(
        self,
        info: Info,
        input: Annotated[BillingAuthorityInput, strawberry.argument(description="The régie.")],
        id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Régie to change.")
        ] = None,
    ) -> BillingAuthorityPayload:
        authority = await billing.save_billing_authority(
            info.context.account,
            billing.AuthorityForm(
                name=input.name,
                due_day=input.due_day,
                payment_opens_day=input.payment_opens_day,
                payment_opens_minutes=input.payment_opens_minutes,
                payment_closes_day=input.payment_closes_day,
                payment_closes_minutes=input.payment_closes_minutes,
                unbooked_surcharge_percent=input.unbooked_surcharge_percent,
                resident_postal_codes=" ".join(input.resident_postal_codes),
                dunning_days=tuple(input.dunning_days),
            ),
            authority_id=decode_id(id, "BillingAuthority", field="id") if id else None,
            clock=info.context.clock,
        )
        return BillingAuthorityPayload(authority=BillingAuthority.from_model(authority))

    @strawberry.mutation(description="Staff: the régie that bills an activity (null: none).")
    @handles_errors()
    async def set_activity_billing_authority(
        self,
        info: Info,
        activity_id: Annotated[strawberry.ID, strawberry.argument(description="Activity.")],
        authority_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Régie.")
        ] = None,
    ) -> BillingPayload:
        await billing.assign_activity(
            info.context.account,
            decode_id(activity_id, "Activity", field="activityId"),
            decode_id(authority_id, "BillingAuthority", field="authorityId")
            if authority_id
            else None,
            clock=info.context.clock,
        )
        return BillingPayload(ok=True)

    @strawberry.mutation(description="Staff: add a bracket to an activity's price grid.")
    @handles_errors()
    async def add_tariff(
        self,
        info: Info,
        input: Annotated[TariffInput, strawberry.argument(description="The bracket.")],
    ) -> TariffPayload:
        tariff = await billing.add_tariff(
            info.context.account,
            billing.TariffForm(
                activity_id=decode_id(input.activity_id, "Activity", field="activityId"),
                valid_from=input.valid_from,
                valid_until=input.valid_until,
                resident=input.resident,
                quotient_min=input.quotient_min,
                quotient_max=input.quotient_max,
                unit_price_cents=input.unit_price_cents,
            ),
            clock=info.context.clock,
        )
        return TariffPayload(tariff=Tariff.from_model(tariff))

    @strawberry.mutation(description="Staff: remove a bracket (issued invoices keep prices).")
    @handles_errors()
    async def delete_tariff(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The bracket.")],
    ) -> BillingPayload:
        await billing.delete_tariff(
            info.context.account, decode_id(id, "Tariff", field="id"), clock=info.context.clock
        )
        return BillingPayload(ok=True)

    @strawberry.mutation(
        description="Staff: record a whole attendance sheet (pointage) at once; sending it "
        "again is harmless, a corrected entry replaces the earlier one."
    )
    @handles_errors()
    async def record_attendance(
        self,
        info: Info,
        input: Annotated[AttendanceInput, strawberry.argument(description="The sheet.")],
    ) -> AttendancePayload:
        recorded = await attendance_records.record_attendance(
            info.context.account,
            decode_id(input.site_id, "Site", field="siteId"),
            decode_id(input.activity_id, "Activity", field="activityId"),
            input.day,
            [
                attendance_records.AttendanceEntry(
                    decode_id(entry.child_id, "Child", field="entries"), entry.present
                )
                for entry in input.entries
            ],
            clock=info.context.clock,
        )
        return AttendancePayload(recorded=recorded)
