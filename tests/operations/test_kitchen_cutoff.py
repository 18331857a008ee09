"""Which days' forecast is due when the cron ticks: the booking deadline read in the town's
time zone, summer time included, caught up for a day if the worker was down."""

from datetime import UTC, date, datetime

from models.catalogue import DeadlineRule
from resolvers.calendar.booking_rules import Deadline
from resolvers.operations.kitchen import days_past_cutoff

PARIS = "Europe/Paris"
SEVEN_DAYS = Deadline(DeadlineRule.DAYS_BEFORE, 7, 23 * 60 + 59)
TWO_WORKING_DAYS_AT_SIX = Deadline(DeadlineRule.WORKING_DAYS_BEFORE, 2, 18 * 60)


def test_in_summer_the_cut_off_is_two_hours_before_utc() -> None:
    # 1 June 2027, 23:59 in Paris is 21:59 UTC: Tuesday 8 June is due just after. (Until
    # then 7 June, whose cut-off passed a day earlier, is still in the catch-up window:
    # already mailed, which its (site, day) row remembers.)
    before = days_past_cutoff(SEVEN_DAYS, PARIS, datetime(2027, 6, 1, 21, 59, 0, tzinfo=UTC))
    after = days_past_cutoff(SEVEN_DAYS, PARIS, datetime(2027, 6, 1, 22, 0, 30, tzinfo=UTC))
    assert before == [date(2027, 6, 7)]
    assert after == [date(2027, 6, 8)]


def test_working_days_skip_the_weekend() -> None:
    # Friday 4 June 2027, 18:00 in Paris: two working days before Tuesday 8 June.
    due = days_past_cutoff(TWO_WORKING_DAYS_AT_SIX, PARIS, datetime(2027, 6, 4, 16, 1, tzinfo=UTC))
    assert due == [date(2027, 6, 8)]


def test_a_worker_down_for_a_few_hours_catches_up_but_not_forever() -> None:
    # 02:00 in Paris on 2 June: the 8 June cut-off was two hours ago, still due.
    morning = datetime(2027, 6, 2, 0, 0, tzinfo=UTC)
    assert days_past_cutoff(SEVEN_DAYS, PARIS, morning) == [date(2027, 6, 8)]
    # A day and a half later it is no longer sent (the next day's mail is).
    assert days_past_cutoff(SEVEN_DAYS, PARIS, datetime(2027, 6, 3, 10, 0, tzinfo=UTC)) == [
        date(2027, 6, 9)
    ]
