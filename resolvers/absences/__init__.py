"""Absence reports (signalements d'absence): days within the deadline are cancelled, days past it
wait for staff, who justify them (not billed) or not (billed); their attachments are documents.

May call: core, calendar, documents, households, live.
"""
