"""GraphQL types of régies, tariffs, attendance sheets, price simulations and invoices."""

import datetime as dt

import strawberry

from gql.context import Info
from gql.ids import encode_id
from gql.node import Node
from models.authorities import BillingAuthority as BillingAuthorityModel
from models.billing import Invoice as InvoiceModel
from models.billing import InvoiceDelivery, InvoiceKind, InvoiceLineKind
from models.billing import InvoiceLine as InvoiceLineModel
from models.billing import Tariff as TariffModel
from resolvers.billing.billing import Simulation
from resolvers.billing.invoices import InvoiceFilter, amount_due, payment_window, pdf_url
from resolvers.core.clock import Clock
from resolvers.core.french import format_euros, month_label
from resolvers.operations.attendance_records import AttendanceRow

strawberry.enum(InvoiceKind, description="INVOICE, or a later COMPLEMENT or CREDIT_NOTE (avoir).")
strawberry.enum(InvoiceLineKind, description="BOOKED day, SURCHARGE (no booking) or ABSENCE.")
strawberry.enum(InvoiceDelivery, description="EMAIL (paperless household) or PRINT.")
strawberry.enum(InvoiceFilter, description="ALL, UNPAID (something still due) or PAID.")


@strawberry.type(description="Money in integer cents and as French text.")
class Money:
    cents: int = strawberry.field(description="Amount in cents (negative for a credit).")
    text: str = strawberry.field(description="Formatted in French, e.g. « 63,98 € ».")

    @classmethod
    def of(cls, cents: int) -> "Money":
        return cls(cents=cents, text=format_euros(cents))


@strawberry.type(description="A régie: who invoices are paid to, with its calendar.")
class BillingAuthority:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    name: str = strawberry.field(description="Name, e.g. Régie périscolaire.")
    due_day: int = strawberry.field(description="Day of the month after the one billed to pay by.")
    payment_opens_day: int = strawberry.field(description="Online payment opens that day…")
    payment_opens_minutes: int = strawberry.field(description="…at this local time (minutes).")
    payment_closes_day: int = strawberry.field(description="Online payment closes that day…")
    payment_closes_minutes: int = strawberry.field(description="…at this local time (minutes).")
    unbooked_surcharge_percent: int = strawberry.field(
        description="Extra charged for attendance without booking, percent."
    )
    resident_postal_codes: list[str] = strawberry.field(
        description="Postal codes billed at the resident price; empty = everyone."
    )
    dunning_days: list[int] = strawberry.field(
        description="Automatic payment reminders: days after the due date of each."
    )

    @classmethod
    def from_model(cls, model: BillingAuthorityModel) -> "BillingAuthority":
        return cls(
            id=strawberry.ID(encode_id("BillingAuthority", model.id)),
            name=model.name,
            due_day=model.due_day,
            payment_opens_day=model.payment_opens_day,
            payment_opens_minutes=model.payment_opens_minutes,
            payment_closes_day=model.payment_closes_day,
            payment_closes_minutes=model.payment_closes_minutes,
            unbooked_surcharge_percent=model.unbooked_surcharge_percent,
            resident_postal_codes=model.resident_postal_codes.split(),
            dunning_days=[int(day) for day in model.dunning_days.split()],
        )


@strawberry.type(description="One bracket of an activity's price grid.")
class Tariff:
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    activity_id: strawberry.ID = strawberry.field(description="The activity priced.")
    valid_from: dt.date = strawberry.field(description="First day in force.")
    valid_until: dt.date | None = strawberry.field(description="Last day, null = open-ended.")
    resident: bool = strawberry.field(description="Price for residents (else non-residents).")
    quotient_min: int = strawberry.field(description="Family quotient from (euros).")
    quotient_max: int | None = strawberry.field(description="Up to (included), null = no cap.")
    unit_price: Money = strawberry.field(description="Price of one day.")

    @classmethod
    def from_model(cls, model: TariffModel) -> "Tariff":
        return cls(
            id=strawberry.ID(encode_id("Tariff", model.id)),
            activity_id=strawberry.ID(encode_id("Activity", model.activity_id)),
            valid_from=model.valid_from,
            valid_until=model.valid_until,
            resident=bool(model.resident),
            quotient_min=model.quotient_min,
            quotient_max=model.quotient_max,
            unit_price=Money.of(model.unit_price_cents),
        )


@strawberry.type(description="One activity of a price simulation.")
class SimulatedActivity:
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    activity_name: str = strawberry.field(description="Its name.")
    days_per_week: int = strawberry.field(description="Days chosen in a week.")
    unit_price: Money | None = strawberry.field(description="Price of a day; null = no tariff.")
    weekly: Money = strawberry.field(description="Cost of a week.")
    monthly: Money = strawberry.field(description="Cost of an average school month.")
    label: str = strawberry.field(description="The line in French.")


@strawberry.type(description="Simulation des tarifs: a week and a month for a quotient.")
class PriceSimulation:
    quotient: int | None = strawberry.field(description="Quotient used; null = maximum tariff.")
    resident: bool = strawberry.field(description="Resident prices.")
    date: dt.date = strawberry.field(description="Prices in force that day.")
    activities: list[SimulatedActivity] = strawberry.field(description="Per activity.")
    weekly: Money = strawberry.field(description="Total of a week.")
    monthly: Money = strawberry.field(description="Total of an average school month.")
    label: str = strawberry.field(description="The estimate in one French sentence.")

    @classmethod
    def from_result(cls, result: Simulation) -> "PriceSimulation":
        return cls(
            quotient=result.quotient,
            resident=result.resident,
            date=result.on,
            activities=[
                SimulatedActivity(
                    activity_id=strawberry.ID(encode_id("Activity", line.activity.id)),
                    activity_name=line.activity.name,
                    days_per_week=line.days_per_week,
                    unit_price=Money.of(line.unit_price_cents)
                    if line.unit_price_cents is not None
                    else None,
                    weekly=Money.of(line.weekly_cents),
                    monthly=Money.of(line.monthly_cents),
                    label=line.label,
                )
                for line in result.lines
            ],
            weekly=Money.of(result.weekly_cents),
            monthly=Money.of(result.monthly_cents),
            label=result.label,
        )


@strawberry.type(description="One child of an attendance sheet (pointage).")
class AttendanceEntry:
    child_id: strawberry.ID = strawberry.field(description="The child.")
    first_names: str = strawberry.field(description="First names.")
    last_name: str = strawberry.field(description="Last name.")
    booked: bool = strawberry.field(description="Booked that day.")
    present: bool | None = strawberry.field(description="Recorded presence; null = not yet.")

    @classmethod
    def from_row(cls, row: AttendanceRow) -> "AttendanceEntry":
        return cls(
            child_id=strawberry.ID(encode_id("Child", row.child.id)),
            first_names=row.child.first_names,
            last_name=row.child.last_name,
            booked=row.booked,
            present=row.present,
        )


@strawberry.type(description="One line of an invoice: quantity × unit price.")
class InvoiceLine:
    kind: InvoiceLineKind = strawberry.field(description="Why it is billed.")
    label: str = strawberry.field(description="Activity and child, in French.")
    child_id: strawberry.ID | None = strawberry.field(description="The child.")
    activity_id: strawberry.ID = strawberry.field(description="The activity.")
    quantity: int = strawberry.field(description="Days (negative in a credit note).")
    unit_price: Money = strawberry.field(description="Price of one day.")
    amount: Money = strawberry.field(description="Quantity × unit price.")

    @classmethod
    def from_model(cls, line: InvoiceLineModel) -> "InvoiceLine":
        return cls(
            kind=InvoiceLineKind(line.kind),
            label=line.label,
            child_id=strawberry.ID(encode_id("Child", line.child_id)) if line.child_id else None,
            activity_id=strawberry.ID(encode_id("Activity", line.activity_id)),
            quantity=line.quantity,
            unit_price=Money.of(line.unit_price_cents),
            amount=Money.of(line.amount_cents),
        )


@strawberry.type(description="Whether the invoice can be paid online now.")
class PaymentWindowState:
    open: bool = strawberry.field(description="True while online payment is possible.")
    opens_at: dt.datetime = strawberry.field(description="Opening (UTC).")
    closes_at: dt.datetime = strawberry.field(description="Last minute (UTC), included.")
    message: str = strawberry.field(
        description="« Le paiement en ligne est disponible du … au … », in French."
    )


@strawberry.type(description="A monthly invoice (facture), complementary invoice or credit note.")
class Invoice(Node):
    id: strawberry.ID = strawberry.field(description="Stable global id.")
    household_id: strawberry.ID = strawberry.field(description="The household billed.")
    number: str = strawberry.field(description="Number, e.g. 2610000012.")
    kind: InvoiceKind = strawberry.field(description="Invoice, complement or credit note.")
    month: dt.date = strawberry.field(description="First day of the month billed.")
    label: str = strawberry.field(description="« 2610000012 - Octobre 2026 ».")
    issued_on: dt.date = strawberry.field(description="Facture du.")
    due_on: dt.date = strawberry.field(description="A régler avant le.")
    payer_name: str = strawberry.field(description="Payeur.")
    total: Money = strawberry.field(description="Montant total.")
    amount_due: Money = strawberry.field(description="Reste à payer.")
    paid: bool = strawberry.field(description="Nothing left to pay.")
    payment_reference: str = strawberry.field(description="Reference to quote when paying.")
    delivery: InvoiceDelivery = strawberry.field(description="Mailed, or to print.")
    payment_window: PaymentWindowState = strawberry.field(description="Online payment.")
    lines: list[InvoiceLine] = strawberry.field(description="The lines, in order.")
    corrects_id: strawberry.ID | None = strawberry.field(
        description="Complement or credit note: the invoice it corrects."
    )
    locked: bool = strawberry.field(
        description="Sent to the Treasury in a PES batch: corrected only by a complementary "
        "invoice or a credit note (addInvoiceLine issues them)."
    )
    pk: strawberry.Private[int]

    @strawberry.field(
        description="Download link of the PDF, valid FAMILLE_SIGNED_LINK_TTL_MINUTES, "
        "no login needed: ask again rather than storing it."
    )
    def pdf_url(self, info: Info) -> str:
        account = info.context.require_account()
        return pdf_url(self.pk, account, clock=info.context.clock)

    @classmethod
    def from_model(
        cls, invoice: InvoiceModel, lines: list[InvoiceLineModel], clock: Clock, timezone: str
    ) -> "Invoice":
        window = payment_window(invoice, clock.now(), timezone)
        due = amount_due(invoice)
        return cls(
            id=strawberry.ID(encode_id("Invoice", invoice.id)),
            household_id=strawberry.ID(encode_id("Household", invoice.household_id)),
            number=invoice.number,
            kind=InvoiceKind(invoice.kind),
            month=invoice.month,
            label=f"{invoice.number} - {month_label(invoice.month)}",
            issued_on=invoice.issued_on,
            due_on=invoice.due_on,
            payer_name=invoice.payer_name,
            total=Money.of(invoice.total_cents),
            amount_due=Money.of(due),
            paid=due == 0,
            payment_reference=invoice.payment_reference,
            delivery=InvoiceDelivery(invoice.delivery),
            payment_window=PaymentWindowState(
                open=window.open,
                opens_at=invoice.payment_opens_at,
                closes_at=invoice.payment_closes_at,
                message=window.message,
            ),
            pk=invoice.id,
            lines=[InvoiceLine.from_model(line) for line in lines],
            corrects_id=(
                strawberry.ID(encode_id("Invoice", invoice.corrects_id))
                if invoice.corrects_id is not None
                else None
            ),
            locked=invoice.pes_batch_id is not None,
        )
