"""Family files (foyers): households, guardians, children, contacts, access keys that link a new
account to a file, who may read which file (``household_for``, the one access rule), and the
request journal (``requests``: « dernières demandes » with their status history) that every
domain records a parent's changes into.

May call: core, live.
"""
