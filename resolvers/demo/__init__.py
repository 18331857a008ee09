"""The demo town: realistic families, a catalogue, a term of bookings and the invoices of months
already over, created idempotently through the other domains' operations.

May call: core, billing, calendar, documents, households, news, operations, payments.
"""
