"""What staff run each day on the ground: who is expected where (``expected``), kitchen forecasts,
attendance sheets and their PDF, pointage (``attendance_records``), and the parents' private
calendar feeds (ICS), which read the same expected days.

May call: core, accounts, calendar, households.
"""
