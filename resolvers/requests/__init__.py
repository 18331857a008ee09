"""The staff's requests inbox (demandes): every request of the town and the actions that move its
status; absence reports and enrolments are decided by their own domains; a family quotient
request is completed with the quotient read on its proof; an appointment request with the
meeting's date, time and place.

May call: core, absences, calendar, documents, households, live.
"""
