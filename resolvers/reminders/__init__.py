"""Reminders mailed to guardians (next week not booked, invoice due soon), run once each, with each
guardian's opt-out; and dunning (``dunning``): unpaid invoices past due by age for the
régisseur, reminders on demand and at the days after the due date each régie sets.

May call: core, calendar, households, operations.
"""
