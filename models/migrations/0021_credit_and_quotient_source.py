"""Online surpluses become credit; one quotient source.

1. ``payment_attempt.credit_cents``: what an online payment brought that no invoice needed
   (resolvers/billing/credits.py reads the attempts it marks).
2. The quotient's origin had two overlapping descriptions: ``family_quotient_source``
   (MANUAL/CAF/MSA/PROOF, from the family files) and ``family_quotient_provider`` /
   ``family_quotient_month`` (from API Particulier). The source is now the one answer
   (CAF/MSA when fetched, with its month), ``family_quotient_set_on`` the day of the last
   change either way. The data moves here: a quotient fetched after (or without) the last
   one typed takes source CAF/MSA and the day of that fetch; one typed after the last
   fetch loses the stale month and provider. Expand then contract: the provider column
   stays, written in step with the source for the code still running during the deploy,
   read by nothing; a later migration drops it.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class StateOnlyAddField(ops.AddField):
    """The column is added by the RunSQL that follows, with its default for the rows that
    exist: Tortoise's AddField writes NOT NULL without a DEFAULT (see 0020)."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


# The consent's last lookup day, when the household has one (one consent per household).
LAST_FETCH = (
    "(SELECT quotient_consent.last_attempt_on FROM quotient_consent "
    "WHERE quotient_consent.household_id = household.id)"
)
# The fetched quotient is the one in force: nothing typed since that lookup.
FETCHED_LAST = (
    "family_quotient_provider IS NOT NULL AND "
    f"(family_quotient_set_on IS NULL OR family_quotient_set_on <= {LAST_FETCH})"
)


class Migration(migrations.Migration):
    dependencies = [('models', '0020_regie_ledger')]

    initial = False

    operations = [
        StateOnlyAddField(
            model_name='PaymentAttempt',
            name='credit_cents',
            field=fields.IntField(default=0, description="Surplus of its online payments kept as the household's credit"),
        ),
        ops.RunSQL(
            "ALTER TABLE payment_attempt ADD COLUMN credit_cents INT NOT NULL DEFAULT 0",
            "ALTER TABLE payment_attempt DROP COLUMN credit_cents",
        ),
        # A stale fetch first (its condition reads the set_on the next statement changes).
        ops.RunSQL(
            "UPDATE household SET family_quotient_month = NULL, "
            "family_quotient_provider = NULL "
            f"WHERE family_quotient_provider IS NOT NULL AND NOT ({FETCHED_LAST})",
            "SELECT 1",
        ),
        ops.RunSQL(
            "UPDATE household SET family_quotient_source = CASE family_quotient_provider "
            "WHEN 'MSA' THEN 'msa' ELSE 'caf' END, "
            f"family_quotient_set_on = COALESCE({LAST_FETCH}, family_quotient_set_on) "
            f"WHERE {FETCHED_LAST}",
            "SELECT 1",
        ),
    ]
