"""Invoice corrections for the régisseur: a manual line (charge or discount) and the
cancellation of an invoice by a credit note."""

from typing import Annotated

import strawberry

from gql.billing.queries import load_invoices
from gql.billing.types import Invoice
from gql.context import Info
from gql.errors import BillingError, handles_errors
from gql.ids import decode_id
from resolvers.billing import corrections


@strawberry.type(description="Result of `addInvoiceLine` and `cancelInvoice`.")
class InvoiceCorrectionPayload:
    invoice: Invoice | None = strawberry.field(
        default=None,
        description="The invoice changed, or the complementary invoice or credit note issued.",
    )
    errors: list[BillingError] = strawberry.field(default_factory=list, description="Why not.")


@strawberry.type
class CorrectionMutations:
    @strawberry.mutation(
        description="Staff (régisseur): add a charge (positive) or a discount (negative) with "
        "its label to an invoice. Not yet sent to the Treasury: the line goes on the invoice; "
        "sent (locked): a complementary invoice or a credit note is issued. A discount above "
        "what is still due is refused. Audited."
    )
    @handles_errors()
    async def add_invoice_line(
        self,
        info: Info,
        invoice_id: Annotated[strawberry.ID, strawberry.argument(description="The invoice.")],
        label: Annotated[str, strawberry.argument(description="What the line is, in French.")],
        amount_cents: Annotated[
            int, strawberry.argument(description="Cents: positive charge, negative discount.")
        ],
        activity_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Activity (product) of the line; null = the first."),
        ] = None,
    ) -> InvoiceCorrectionPayload:
        document = await corrections.add_manual_line(
            info.context.account,
            decode_id(invoice_id, "Invoice", field="invoiceId"),
            label,
            amount_cents,
            activity_id=(
                decode_id(activity_id, "Activity", field="activityId") if activity_id else None
            ),
            clock=info.context.clock,
        )
        [invoice] = await load_invoices([document], info.context.clock)
        return InvoiceCorrectionPayload(invoice=invoice)

    @strawberry.mutation(
        description="Staff (régisseur): cancel an invoice by a credit note of its whole amount, "
        "numbered in the régie's sequence; refused once it received payments. Audited."
    )
    @handles_errors()
    async def cancel_invoice(
        self,
        info: Info,
        invoice_id: Annotated[strawberry.ID, strawberry.argument(description="The invoice.")],
        reason: Annotated[str, strawberry.argument(description="Why, for the audit trail.")],
    ) -> InvoiceCorrectionPayload:
        credit_note = await corrections.cancel_invoice(
            info.context.account,
            decode_id(invoice_id, "Invoice", field="invoiceId"),
            reason,
            clock=info.context.clock,
        )
        [invoice] = await load_invoices([credit_note], info.context.clock)
        return InvoiceCorrectionPayload(invoice=invoice)
