"""News (actualités) published by staff for everyone or the families of a site or an activity,
between two dates.

May call: core, accounts, households.
"""
