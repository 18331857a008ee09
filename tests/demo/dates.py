"""The dates the demo is seeded at in tests: the first five replay the README's walkthrough.

A term day, a winter Monday, the summer break (the coming year is on show), the day after
New Year, two weeks before the classes end (two school years in the calendar); then the
rentrée (a holiday: the August invoice is the open one) and the last evening of a month in
Paris (already the 1st in town time: the month just ended is billed).
"""

from datetime import UTC, datetime

DATES = [
    datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
    datetime(2027, 3, 15, 9, 0, tzinfo=UTC),
    datetime(2027, 7, 20, 9, 0, tzinfo=UTC),
    datetime(2028, 1, 10, 9, 0, tzinfo=UTC),
    datetime(2027, 6, 25, 16, 0, tzinfo=UTC),
    datetime(2027, 9, 1, 7, 0, tzinfo=UTC),
    datetime(2027, 10, 31, 23, 30, tzinfo=UTC),
]
WALKTHROUGH_DATES = DATES[:5]


def date_id(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H%M")
