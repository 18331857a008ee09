"""The staff's requests inbox (demandes): every request of the town and the actions that move its
status; absence reports and enrolments are decided by their own domains.

May call: core, absences, calendar, households, live.
"""
