"""Dunning for the régisseur: a régie's unpaid invoices past due by age, and a payment
reminder mailed on demand."""

import datetime as dt
from typing import Annotated

import strawberry

from gql.billing.types import Money
from gql.context import Info
from gql.errors import BillingError, handles_errors
from gql.ids import decode_id, encode_id
from resolvers.reminders import dunning


@strawberry.type(description="Unpaid invoices of one age bucket.")
class OverdueBucket:
    label: str = strawberry.field(description="Days late: 0-30, 31-60, 61-90 or 90+.")
    count: int = strawberry.field(description="Invoices.")
    amount_due: Money = strawberry.field(description="Left to pay on them.")


@strawberry.type(description="An invoice unpaid after its due date.")
class OverdueInvoice:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    number: str = strawberry.field(description="Its number.")
    household_id: strawberry.ID = strawberry.field(description="The household.")
    household_name: str = strawberry.field(description="The household's name.")
    due_on: dt.date = strawberry.field(description="Its due date.")
    days_late: int = strawberry.field(description="Days since the due date.")
    amount_due: Money = strawberry.field(description="Left to pay.")
    reminders_sent: int = strawberry.field(description="Reminders mailed (steps and on demand).")
    last_reminder_on: dt.date | None = strawberry.field(description="Last reminder (UTC day).")


@strawberry.type(description="A régie's unpaid invoices past due, by age.")
class OverdueReport:
    today: dt.date = strawberry.field(description="The town's day they are counted on.")
    buckets: list[OverdueBucket] = strawberry.field(description="Every age bucket, in order.")
    invoices: list[OverdueInvoice] = strawberry.field(description="Oldest due first (500 at most).")
    total_due: Money = strawberry.field(description="Left to pay on them all.")


@strawberry.type(description="Result of `sendPaymentReminder`.")
class PaymentReminderPayload:
    sent_to: list[str] = strawberry.field(
        default_factory=list, description="Addresses the reminder was mailed to."
    )
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type
class DunningQueries:
    @strawberry.field(
        description="Staff (régisseur): a régie's invoices unpaid after their due date, by "
        "age (0-30, 31-60, 61-90, 90+ days), with the reminders already sent."
    )
    async def overdue_invoices(
        self,
        info: Info,
        authority_id: Annotated[strawberry.ID, strawberry.argument(description="The régie.")],
    ) -> OverdueReport:
        report = await dunning.overdue_report(
            info.context.account,
            decode_id(authority_id, "BillingAuthority", field="authorityId"),
            clock=info.context.clock,
        )
        return OverdueReport(
            today=report.today,
            buckets=[
                OverdueBucket(label=label, count=count, amount_due=Money.of(cents))
                for label, count, cents in report.buckets()
            ],
            invoices=[
                OverdueInvoice(
                    invoice_id=strawberry.ID(encode_id("Invoice", row.invoice.id)),
                    number=row.invoice.number,
                    household_id=strawberry.ID(encode_id("Household", row.invoice.household_id)),
                    household_name=row.household_name,
                    due_on=row.invoice.due_on,
                    days_late=row.days_late,
                    amount_due=Money.of(row.amount_due_cents),
                    reminders_sent=row.reminders_sent,
                    last_reminder_on=row.last_reminder_on,
                )
                for row in report.invoices
            ],
            total_due=Money.of(sum(row.amount_due_cents for row in report.invoices)),
        )


@strawberry.type
class DunningMutations:
    @strawberry.mutation(
        description="Staff (régisseur): mail a payment reminder for an unpaid invoice now, to "
        "the household's guardians with an account; once a day at most. Audited."
    )
    @handles_errors()
    async def send_payment_reminder(
        self,
        info: Info,
        invoice_id: Annotated[strawberry.ID, strawberry.argument(description="The invoice.")],
    ) -> PaymentReminderPayload:
        sent = await dunning.send_payment_reminder(
            info.context.account,
            decode_id(invoice_id, "Invoice", field="invoiceId"),
            clock=info.context.clock,
        )
        return PaymentReminderPayload(sent_to=sent)
