"""« Poser une question »: a visitor without an account asks the town; the question is kept,
acknowledged by mail, listed for staff who answer it by mail (audited). A honeypot, a
per-address and per-e-mail limit (Redis) and length checks keep the form usable."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx

from models.accounts import AccountRole
from models.audit import AuditEntry
from models.outbox import OutboxJob
from models.requests import TownQuestion
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL, Mailbox
from tests.factories import make_account, make_town, token_for

ASK = """
mutation($town: String!, $name: String!, $email: String!, $subject: String!,
         $message: String!, $website: String!) {
  askTownQuestion(town: $town, name: $name, email: $email, subject: $subject,
                  message: $message, website: $website) {
    accepted errors { code field message }
  }
}
"""
LIST = """
query($answered: Boolean) {
  townQuestions(answered: $answered) {
    totalCount nodes { id name email subject message answer answeredAt }
  }
}
"""
ANSWER = """
mutation($id: ID!, $answer: String!) {
  answerTownQuestion(questionId: $id, answer: $answer) {
    question { answer answeredAt } errors { code field message }
  }
}
"""


def question(town: str, **changes: str) -> dict[str, Any]:
    return {
        "town": town,
        "name": "Marie Curie",
        "email": "marie.curie@exemple.fr",
        "subject": "Inscription à la cantine",
        "message": "Mon fils arrive en janvier : comment l'inscrire à la cantine ?",
        "website": "",
    } | changes


def errors(answer: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(e["code"], e["field"]) for e in answer["data"]["askTownQuestion"]["errors"]}


async def test_a_question_is_kept_acknowledged_listed_and_answered_by_mail(
    api: GraphQL,
    clock: FrozenClock,
    mailbox: Mailbox,
    run_jobs: Callable[[], Awaitable[None]],
) -> None:
    # given a town and a visitor without an account
    town = await make_town()
    asked = await api(ASK, question(town.slug))
    # then the question is accepted, kept and acknowledged by mail
    assert asked["data"]["askTownQuestion"] == {"accepted": True, "errors": []}
    assert await TownQuestion.filter(tenant=town).count() == 1
    await run_jobs()
    [ack] = mailbox.to("marie.curie@exemple.fr")
    assert ack["Subject"] == "Votre question a bien été reçue"
    assert "Inscription à la cantine" in mailbox.text(ack)

    # when an agent lists the questions waiting and answers
    agent = await token_for(await make_account(town, clock, role=AccountRole.AGENT), clock)
    waiting = await api(LIST, {"answered": False}, token=agent)
    [listed] = waiting["data"]["townQuestions"]["nodes"]
    assert (listed["name"], listed["answer"]) == ("Marie Curie", None)
    empty = await api(ANSWER, {"id": listed["id"], "answer": "  "}, token=agent)
    assert empty["data"]["answerTownQuestion"]["errors"][0]["code"] == "REQUIRED"
    answered = await api(
        ANSWER,
        {"id": listed["id"], "answer": "Remplissez le dossier unique en mairie."},
        token=agent,
    )
    assert answered["data"]["answerTownQuestion"]["errors"] == []

    # then the visitor is mailed the answer, the answer is audited and kept, once
    await run_jobs()
    mails = mailbox.to("marie.curie@exemple.fr")
    assert [m["Subject"] for m in mails][
        -1
    ] == "Réponse à votre question « Inscription à la cantine »"
    assert "Remplissez le dossier unique en mairie." in mailbox.text(mails[-1])
    assert await AuditEntry.filter(tenant_id=town.id, action="question.answer").count() == 1
    assert (await api(LIST, {"answered": False}, token=agent))["data"]["townQuestions"][
        "totalCount"
    ] == 0
    twice = await api(ANSWER, {"id": listed["id"], "answer": "Encore"}, token=agent)
    assert twice["data"]["answerTownQuestion"]["errors"][0]["code"] == "INVALID"

    # and staff of another town, a site member or a parent neither list nor answer it
    other = await make_town()
    elsewhere = await token_for(await make_account(other, clock, role=AccountRole.AGENT), clock)
    assert (await api(LIST, {}, token=elsewhere))["data"]["townQuestions"]["totalCount"] == 0
    foreign = await api(ANSWER, {"id": listed["id"], "answer": "x"}, token=elsewhere)
    assert foreign["data"]["answerTownQuestion"]["errors"][0]["code"] == "NOT_FOUND"
    site = await token_for(await make_account(town, clock, role=AccountRole.SITE), clock)
    refused = await api(LIST, {}, token=site)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_form_refuses_what_it_cannot_keep_in_french(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_town()
    missing = await api(ASK, question(town.slug, name=" ", message=""))
    assert errors(missing) == {("REQUIRED", "name"), ("REQUIRED", "message")}
    too_long = await api(ASK, question(town.slug, subject="x" * 151))
    assert errors(too_long) == {("INVALID", "subject")}
    assert too_long["data"]["askTownQuestion"]["errors"][0]["message"] == (
        "Ce texte dépasse 150 caractères (151)."
    )
    bad_mail = await api(ASK, question(town.slug, email="marie.curie"))
    [message] = [e["message"] for e in bad_mail["data"]["askTownQuestion"]["errors"]]
    assert message.startswith("L'adresse e-mail n'est pas valide")
    nul = await api(ASK, question(town.slug, message="Bonjour\x00"))
    assert nul["errors"][0]["extensions"]["code"] == "INVALID"
    unknown = await api(ASK, question("ville-inconnue"))
    assert errors(unknown) == {("NOT_FOUND", "town")}
    assert await TownQuestion.filter(tenant=town).count() == 0


async def test_a_robot_filling_the_honeypot_is_answered_as_accepted_and_dropped(
    api: GraphQL, clock: FrozenClock
) -> None:
    town = await make_town()
    jobs_before = await OutboxJob.all().count()
    robot = await api(ASK, question(town.slug, website="http://spam.example"))
    assert robot["data"]["askTownQuestion"] == {"accepted": True, "errors": []}
    assert await TownQuestion.filter(tenant=town).count() == 0
    assert await OutboxJob.all().count() == jobs_before  # no mail to whoever it names


async def test_an_e_mail_or_an_address_asking_too_often_waits_for_the_window(
    api: GraphQL, http: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # given the limits: 3 questions an hour per e-mail, 10 per client address
    town = await make_town()
    for number in range(3):
        sent = await api(ASK, question(town.slug, subject=f"Question {number}"))
        assert sent["data"]["askTownQuestion"]["accepted"] is True
    # when the same e-mail asks a fourth time within the hour: refused, told when to retry
    fourth = await api(ASK, question(town.slug))
    [refusal] = fourth["data"]["askTownQuestion"]["errors"]
    assert refusal["code"] == "RATE_LIMITED"
    assert refusal["message"].startswith("Vous avez envoyé plusieurs questions en peu de temps")
    assert "11h00" in refusal["message"]  # the window ends at 10:00 UTC, 11h00 in Paris
    assert await TownQuestion.filter(tenant=town).count() == 3
    # and other e-mails from the same address reach the address's limit (the refused
    # fourth counted for the address too)
    for number in range(6):
        ok = await api(ASK, question(town.slug, email=f"voisin{number}@exemple.fr"))
        assert ok["data"]["askTownQuestion"]["accepted"] is True, ok
    crowded = await api(ASK, question(town.slug, email="encore@exemple.fr"))
    assert crowded["data"]["askTownQuestion"]["errors"][0]["code"] == "RATE_LIMITED"
    # when the window has passed, the e-mail may ask again
    clock.advance(timedelta(hours=1))
    later = await api(ASK, question(town.slug))
    assert later["data"]["askTownQuestion"]["accepted"] is True
