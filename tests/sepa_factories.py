"""Direct debit on top of the billing town: the régie's creditor settings and a payer's
mandate, created through the resolvers staff use."""

from datetime import date

from models.households import Guardian
from models.sepa import SepaCreditor, SepaMandate
from resolvers.core.clock import FrozenClock
from resolvers.sepa.sepa_mandates import CreditorForm, create_mandate, save_creditor
from tests.billing_factories import BillingTown, Family
from tests.samples import IBANS

# Valid test data: the EPC's example creditor identifier and public example IBANs.
ICS = "FR72ZZZ123456"
REGIE_IBAN, PAYER_IBAN = IBANS
PAYER_BIC = "PSSTFRPP"


async def make_creditor(town: BillingTown, clock: FrozenClock) -> SepaCreditor:
    return await save_creditor(
        town.staff,
        town.authority.id,
        CreditorForm(
            code="PERI",
            creditor_identifier=ICS,
            creditor_name="Régie périscolaire de la ville",
            iban=REGIE_IBAN,
            bic="AGRIFRPPXXX",
        ),
        clock=clock,
    )


async def make_payer(family: Family) -> Guardian:
    guardian = await Guardian.filter(household_id=family.household.id).order_by("id").first()
    assert guardian is not None
    guardian.is_payer = True
    await guardian.save(update_fields=["is_payer"])
    return guardian


async def make_mandate(
    town: BillingTown, family: Family, clock: FrozenClock, *, iban: str = PAYER_IBAN
) -> SepaMandate:
    guardian = await make_payer(family)
    return await create_mandate(
        town.staff,
        family.household.id,
        guardian.id,
        iban=iban,
        bic=None,
        signed_on=date(2026, 9, 1),
        clock=clock,
    )
