"""SEPA direct debit (prélèvement): mandates and the régies' creditor settings (``sepa_mandates``),
the monthly pain.008 export, the bank's collection and rejected debits (``direct_debit``).

May call: core, households.
"""
