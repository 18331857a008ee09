"""Billing (facturation): régies and tariffs with the price of a day (``billing``, the one pricing
rule), the monthly invoice run (``invoicing``), invoices as parents and staff read them and
their PDF, per-régie totals, the yearly childcare tax certificates, and a household's credit
at a régie (``credits``), which the invoice run applies to the invoices it issues; staff's
corrections (``corrections``: manual lines, complements and credit notes) and the modes of
the régie's books (``ledger_modes``).

May call: core, households.
"""
