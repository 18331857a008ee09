"""Mail templates render what the jobs carry, including jobs queued by an earlier version."""

from email.message import EmailMessage

import pytest

from jobs.mail import render_mail
from settings import get_settings

GROUPED = {"days": ["2026-12-14", "2026-12-15"]}  # a group of days, as submits queue them now
WORDED = {"day": "lundi 14 décembre 2026"}  # one worded day a line, as queued before grouping


def text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.mark.parametrize("days", [GROUPED, WORDED], ids=["grouped", "worded"])
def test_a_booking_confirmation_lists_each_day_in_french(days: dict[str, object]) -> None:
    line = {"child": "Léa", "activity": "Restauration scolaire", "outcome": "booked"}
    context = {
        "town": "Ville de Démoville",
        "household": "Famille Martin",
        "summary": "Réservations : 2 jours réservés",
        "lines": [{**line, "message": "Réservé", **days}],
        "skipped_closed_days": 0,
        "request_id": 8,
    }
    message = render_mail(
        "booking_confirmation",
        context,
        to="claire@example.org",
        settings=get_settings(),
        message_id="<outbox-1@famille>",
    )
    assert "- Léa, Restauration scolaire, lundi 14 décembre 2026 : Réservé" in text(message)
    html = message.get_body(("html",))
    assert html is not None and "<td>lundi 14 décembre 2026</td>" in str(html.get_content())
    if days is GROUPED:
        assert "mardi 15 décembre 2026 : Réservé" in text(message)
