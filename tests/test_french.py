"""French wording helpers (resolvers/core/french.py): what mails and answers read."""

from datetime import date

from resolvers.core.french import format_days


def test_days_of_one_month_name_the_month_once() -> None:
    days = [date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 7)]
    assert format_days(days) == "lundi 4, mardi 5, jeudi 7 janvier 2027"


def test_one_day_reads_as_a_full_date() -> None:
    assert format_days([date(2026, 12, 14)]) == "lundi 14 décembre 2026"


def test_days_across_months_and_years_are_grouped_in_order() -> None:
    days = [date(2027, 1, 4), date(2026, 12, 30), date(2026, 12, 29), date(2027, 2, 1)]
    assert format_days(days) == (
        "mardi 29, mercredi 30 décembre 2026, lundi 4 janvier 2027, lundi 1 février 2027"
    )


def test_repeated_days_are_worded_once_and_no_day_is_empty() -> None:
    assert format_days([date(2027, 3, 1), date(2027, 3, 1)]) == "lundi 1 mars 2027"
    assert format_days([]) == ""
