"""GraphQL types of what was paid: tax certificates and per-régie month totals."""

import datetime as dt

import strawberry

from gql.billing.types import BillingAuthority, Money
from gql.context import Info
from gql.ids import encode_id
from resolvers.billing.billing_totals import MonthTotals
from resolvers.billing.ledger_modes import LABELS, LedgerMode
from resolvers.billing.tax_certificates import ChildCertificate, certificate_url

strawberry.enum(LedgerMode, description="How money reached or left a régie, as its books group it.")


@strawberry.type(description="Money of one payment mode.")
class ModeAmount:
    mode: LedgerMode = strawberry.field(description="The mode.")
    label: str = strawberry.field(description="Its French name.")
    amount: Money = strawberry.field(description="Amount.")


@strawberry.type(description="Childcare paid for one activity in the year.")
class CertifiedAmount:
    activity: str = strawberry.field(description="Activity name.")
    amount: Money = strawberry.field(description="Amount paid in the year.")


@strawberry.type(
    description="Attestation de frais de garde: childcare paid in a year for a child under 6 "
    "on 1 January, meals and surcharges excluded."
)
class TaxCertificate:
    household_id: strawberry.ID = strawberry.field(description="The household.")
    child_id: strawberry.ID = strawberry.field(description="The child.")
    child_name: str = strawberry.field(description="First names and last name.")
    birth_date: dt.date = strawberry.field(description="Date of birth.")
    year: int = strawberry.field(description="Year of payment.")
    total: Money = strawberry.field(description="Total certified.")
    activities: list[CertifiedAmount] = strawberry.field(description="Per activity.")
    certificate: strawberry.Private[ChildCertificate]

    @strawberry.field(
        description="Signed link to the PDF, valid FAMILLE_SIGNED_LINK_TTL_MINUTES, no login "
        "needed: ask again rather than storing it."
    )
    def pdf_url(self, info: Info) -> str:
        url, _ = certificate_url(
            self.certificate, info.context.require_account(), clock=info.context.clock
        )
        return url

    @classmethod
    def from_certificate(cls, certificate: ChildCertificate) -> "TaxCertificate":
        child = certificate.child
        return cls(
            household_id=strawberry.ID(encode_id("Household", certificate.household.id)),
            child_id=strawberry.ID(encode_id("Child", child.id)),
            child_name=f"{child.first_names} {child.last_name}",
            birth_date=child.birth_date,
            year=certificate.year,
            total=Money.of(certificate.total_cents),
            activities=[
                CertifiedAmount(activity=name, amount=Money.of(cents))
                for name, cents in sorted(certificate.by_activity.items())
            ],
            certificate=certificate,
        )


@strawberry.type(description="A régie's month: invoiced, credited, settled, still due.")
class BillingMonthTotals:
    authority: BillingAuthority = strawberry.field(description="The régie.")
    month: dt.date = strawberry.field(description="First day of the month billed.")
    invoiced: Money = strawberry.field(description="Invoices and complements issued.")
    credit_notes: Money = strawberry.field(description="Credit notes (avoirs), negative.")
    settled: Money = strawberry.field(description="Paid or credited so far.")
    still_due: Money = strawberry.field(description="Left to pay on the open invoices.")
    invoice_count: int = strawberry.field(description="Invoices and complements.")
    credit_note_count: int = strawberry.field(description="Credit notes.")
    credited: Money = strawberry.field(
        description="What credit notes cleared from the month's invoices: invoiced = settled "
        "+ still due + credited."
    )
    settled_by_mode: list[ModeAmount] = strawberry.field(
        description="The ledger's money settling the month's invoices, per payment mode "
        "(modes with money only); sums to `settled`."
    )

    @classmethod
    def from_totals(cls, totals: MonthTotals) -> "BillingMonthTotals":
        return cls(
            authority=BillingAuthority.from_model(totals.authority),
            month=totals.month,
            invoiced=Money.of(totals.invoiced_cents),
            credit_notes=Money.of(totals.credit_notes_cents),
            settled=Money.of(totals.settled_cents),
            still_due=Money.of(totals.due_cents),
            invoice_count=totals.invoice_count,
            credit_note_count=totals.credit_note_count,
            credited=Money.of(totals.credited_cents),
            settled_by_mode=[
                ModeAmount(mode=mode, label=LABELS[mode], amount=Money.of(cents))
                for mode, cents in totals.by_mode
            ],
        )
