"""Reminders mailed to guardians (next week not booked, invoice due soon), run once each, with each
guardian's opt-out.

May call: core, calendar, households, operations.
"""
