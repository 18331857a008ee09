"""Mail templates render what the jobs carry, including jobs queued by an earlier version.

A mail's data waits in the outbox (a Redis outage, a deploy between the queueing and the
sending), so the template reads every version of its data that ever was queued, chosen
by the data's ``version`` (none: version 1), never by guessing from its shape.
"""

from email.message import EmailMessage
from typing import Any

import pytest

from jobs.mail import MAIL_DATA_VERSIONS, render_mail
from resolvers.calendar.bookings import CONFIRMATION_MAIL_VERSION
from settings import get_settings

# (the data's version, its line's days): groups of ISO days, as submits queue them now;
# one worded day a line, as queued before grouping (no version, so version 1).
Form = tuple[dict[str, int], dict[str, Any]]
GROUPED: Form = ({"version": 2}, {"days": ["2026-12-14", "2026-12-15"]})
WORDED: Form = ({}, {"day": "lundi 14 décembre 2026"})


def text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def confirmation(form: Form) -> dict[str, Any]:
    """A booking confirmation's data, of ``form``'s version and with its days."""
    version, days = form
    line = {"child": "Léa", "activity": "Restauration scolaire", "outcome": "booked"}
    return {
        **version,
        "town": "Ville de Démoville",
        "household": "Famille Martin",
        "summary": "Réservations : 2 jours réservés",
        "lines": [{**line, "message": "Réservé", **days}],
        "skipped_closed_days": 0,
        "request_id": 8,
    }


def render(context: dict[str, Any]) -> EmailMessage:
    return render_mail(
        "booking_confirmation",
        context,
        to="claire@example.org",
        settings=get_settings(),
        message_id="<outbox-1@famille>",
    )


@pytest.mark.parametrize("form", [GROUPED, WORDED], ids=["version 2", "version 1"])
def test_a_booking_confirmation_words_its_days_in_french(form: Form) -> None:
    message = render(confirmation(form))
    html = message.get_body(("html",))
    assert html is not None
    if form is GROUPED:  # one line for the group, its days worded month by month
        line = "- Léa, Restauration scolaire : lundi 14, mardi 15 décembre 2026 — Réservé"
        cell = "<td>lundi 14, mardi 15 décembre 2026</td>"
    else:  # queued before grouping: one worded day a line, as it came
        line = "- Léa, Restauration scolaire : lundi 14 décembre 2026 — Réservé"
        cell = "<td>lundi 14 décembre 2026</td>"
    assert line in text(message).splitlines()
    assert cell in str(html.get_content())


def test_a_group_of_refused_days_is_one_line_saying_refused() -> None:
    """28 refusals of one sibling's lunches: one line, not 28 identical ones."""
    days = [f"2027-01-{day:02d}" for day in (4, 5, 7, 8, 11)] + ["2027-02-01"]
    context = confirmation(({"version": 2}, {"days": days}))
    context["lines"][0] |= {
        "child": "Hugo",
        "outcome": "rejected",
        "message": "Hugo n'est pas inscrit(e) à cette activité ce jour-là.",
    }
    lines = [line for line in text(render(context)).splitlines() if line.startswith("- ")]
    assert lines == [
        "- Hugo, Restauration scolaire : lundi 4, mardi 5, jeudi 7, vendredi 8, lundi 11 "
        "janvier 2027, lundi 1 février 2027 — refusé : Hugo n'est pas inscrit(e) à cette "
        "activité ce jour-là."
    ]


def test_the_version_submits_queue_is_one_the_template_reads() -> None:
    """The writer (resolvers) and the reader (jobs) cannot import each other's constant
    both ways: this ties them."""
    assert CONFIRMATION_MAIL_VERSION in MAIL_DATA_VERSIONS["booking_confirmation"]


def test_mail_data_of_an_unknown_version_is_refused_not_guessed() -> None:
    """A mail queued by a later release, met by a worker of this one: refused (the outbox
    retries it), rather than rendered with days missing."""
    with pytest.raises(ValueError, match="booking_confirmation: mail data of unknown version 3"):
        render(confirmation(({"version": 3}, GROUPED[1])))
    with pytest.raises(ValueError, match="access_key: mail data of unknown version 2"):
        render_mail(
            "access_key",
            {"version": 2},
            to="claire@example.org",
            settings=get_settings(),
            message_id="<outbox-2@famille>",
        )


def test_every_mail_template_compiles_with_the_filters_it_uses() -> None:
    """An unknown filter fails only when a mail is rendered, in the worker, retried for
    hours: compile every template here instead."""
    from jobs.mail import _templates

    names = _templates.list_templates()
    assert names
    for name in names:
        _templates.get_template(name)
