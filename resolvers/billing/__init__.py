"""Billing (facturation): régies and tariffs with the price of a day (``billing``, the one pricing
rule), the monthly invoice run (``invoicing``), invoices as parents and staff read them and
their PDF, per-régie totals, and the yearly childcare tax certificates.

May call: core, households.
"""
