"""The demo town: realistic families, a catalogue, the school year on show with its zone C
holidays, the last three months booked and billed, all dated from the day it is seeded
(demo_dates), created idempotently through the other domains' operations.

May call: core, billing, calendar, documents, households, news, operations, payments, treasury.
"""
