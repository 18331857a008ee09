"""The absence form's date shortcuts, seen from the town's today."""

from datetime import date

import pytest

from models.absences import AbsenceReason
from resolvers.absences.absences import AbsenceForm, DatePreset, resolve_dates
from resolvers.core.errors import DomainError

TODAY = date(2026, 12, 31)  # a Thursday, last day of the year


def dates(
    preset: DatePreset, day: date | None = None, end: date | None = None
) -> tuple[date, date]:
    return resolve_dates(AbsenceForm(1, AbsenceReason.ILLNESS, preset, day, end), TODAY)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        (DatePreset.TODAY, (date(2026, 12, 31), date(2026, 12, 31))),
        (DatePreset.YESTERDAY, (date(2026, 12, 30), date(2026, 12, 30))),
        (DatePreset.TOMORROW, (date(2027, 1, 1), date(2027, 1, 1))),
        (DatePreset.THIS_WEEK, (date(2026, 12, 28), date(2027, 1, 3))),
        (DatePreset.LAST_WEEK, (date(2026, 12, 21), date(2026, 12, 27))),
        (DatePreset.NEXT_WEEK, (date(2027, 1, 4), date(2027, 1, 10))),
        (DatePreset.THIS_MONTH, (date(2026, 12, 1), date(2026, 12, 31))),
        (DatePreset.LAST_MONTH, (date(2026, 11, 1), date(2026, 11, 30))),
        (DatePreset.NEXT_MONTH, (date(2027, 1, 1), date(2027, 1, 31))),
    ],
)
def test_presets_across_the_new_year(preset: DatePreset, expected: tuple[date, date]) -> None:
    assert dates(preset) == expected


def test_one_day_and_a_range_need_their_dates() -> None:
    assert dates(DatePreset.DAY, day=date(2027, 2, 1)) == (date(2027, 2, 1), date(2027, 2, 1))
    assert dates(DatePreset.RANGE, day=date(2027, 2, 1), end=date(2027, 2, 5)) == (
        date(2027, 2, 1),
        date(2027, 2, 5),
    )
    with pytest.raises(DomainError) as missing:
        dates(DatePreset.DAY)
    assert missing.value.field == "day"
    with pytest.raises(DomainError) as backwards:
        dates(DatePreset.RANGE, day=date(2027, 2, 5), end=date(2027, 2, 1))
    assert backwards.value.message == "La fin de l'absence doit suivre son début."
