"""Messages (échanges) between a family and the town's services: threads about a request or
free-standing, mailed to the other side, with the dashboard's unread counts."""

from datetime import timedelta
from typing import Any

from gql.ids import encode_id
from models.requests import Request
from resolvers.core.clock import FrozenClock
from tests.conftest import GraphQL, Mailbox
from tests.factories import token_for
from tests.ops_factories import OpsTown, make_ops_town

START = """
mutation($householdId: ID!, $subject: String!, $body: String!, $requestId: ID) {
  startMessageThread(householdId: $householdId, subject: $subject, body: $body,
                     requestId: $requestId) {
    thread { id subject requestId } message { body fromStaff authorName }
    errors { code field message }
  }
}
"""
REPLY = """
mutation($threadId: ID!, $body: String!) {
  replyToThread(threadId: $threadId, body: $body) {
    message { body fromStaff } errors { code field message }
  }
}
"""
MARK_READ = """
mutation($threadId: ID!) { markThreadRead(threadId: $threadId) { errors { code } } }
"""
THREADS = """
query($householdId: ID!, $first: Int, $after: String) {
  messageThreads(householdId: $householdId, first: $first, after: $after) {
    totalCount nodes { subject unreadCount } pageInfo { hasNextPage endCursor }
  }
}
"""
INBOX = """
query($unreadOnly: Boolean!) {
  townMessageThreads(unreadOnly: $unreadOnly) { totalCount nodes { subject unreadCount } }
}
"""
MESSAGES = """
query($threadId: ID!) { threadMessages(threadId: $threadId) { body fromStaff authorName } }
"""
UNREAD = "query($householdId: ID) { unreadMessageCount(householdId: $householdId) }"


async def town_with_tokens(clock: FrozenClock) -> tuple[OpsTown, dict[str, str]]:
    town = await make_ops_town(clock, contact_email="famille@ville.exemple.fr")
    tokens = {
        "staff": await token_for(town.staff, clock),
        "durand": await token_for(town.parents["Durand"], clock),
        "petit": await token_for(town.parents["Petit"], clock),
    }
    return town, tokens


def household(town: OpsTown, name: str) -> str:
    return encode_id("Household", town.households[name].id)


async def unread(api: GraphQL, token: str, household_id: str | None = None) -> int:
    result = await api(UNREAD, {"householdId": household_id}, token=token)
    assert "errors" not in result, result
    count: int = result["data"]["unreadMessageCount"]
    return count


async def test_a_conversation_about_a_request_with_mails_and_unread_counts(
    api: GraphQL, clock: FrozenClock, mailbox: Mailbox, run_jobs: Any
) -> None:
    town, tokens = await town_with_tokens(clock)
    request = await Request.filter(household=town.households["Durand"]).order_by("id").first()
    assert request is not None
    durand = household(town, "Durand")

    started = await api(
        START,
        {
            "householdId": durand,
            "subject": "Inscription de Léa",
            "body": "Bonjour, Léa peut-elle déjeuner le mercredi ?",
            "requestId": encode_id("Request", request.id),
        },
        token=tokens["durand"],
    )
    payload = started["data"]["startMessageThread"]
    assert payload["errors"] == []
    assert payload["thread"]["requestId"] == encode_id("Request", request.id)
    assert payload["message"] == {
        "body": "Bonjour, Léa peut-elle déjeuner le mercredi ?",
        "fromStaff": False,
        "authorName": "Camille Testeur",
    }
    thread_id = payload["thread"]["id"]
    await run_jobs()
    [to_town] = mailbox.to("famille@ville.exemple.fr")
    assert to_town["Subject"] == "Nouveau message (Famille Durand) : Inscription de Léa"
    assert "Léa peut-elle déjeuner le mercredi ?" in Mailbox.text(to_town)

    # The town sees one unread message; the family none (it wrote it).
    assert await unread(api, tokens["staff"]) == 1
    assert await unread(api, tokens["durand"], durand) == 0
    inbox = await api(INBOX, {"unreadOnly": True}, token=tokens["staff"])
    assert inbox["data"]["townMessageThreads"]["nodes"] == [
        {"subject": "Inscription de Léa", "unreadCount": 1}
    ]

    clock.advance(timedelta(minutes=5))
    await api(MARK_READ, {"threadId": thread_id}, token=tokens["staff"])
    assert await unread(api, tokens["staff"]) == 0
    clock.advance(timedelta(minutes=5))
    replied = await api(
        REPLY,
        {"threadId": thread_id, "body": "Non : le mercredi, c'est le centre de loisirs."},
        token=tokens["staff"],
    )
    assert replied["data"]["replyToThread"]["errors"] == []
    await run_jobs()
    [to_family] = mailbox.to(town.parents["Durand"].email)
    assert to_family["Subject"] == "Nouveau message du service : Inscription de Léa"
    assert "Non : le mercredi, c'est le centre de loisirs." in Mailbox.text(to_family)
    assert await unread(api, tokens["durand"], durand) == 1
    listed = await api(THREADS, {"householdId": durand}, token=tokens["durand"])
    assert listed["data"]["messageThreads"]["nodes"] == [
        {"subject": "Inscription de Léa", "unreadCount": 1}
    ]
    messages = await api(MESSAGES, {"threadId": thread_id}, token=tokens["durand"])
    assert [m["fromStaff"] for m in messages["data"]["threadMessages"]] == [False, True]
    clock.advance(timedelta(minutes=1))
    await api(MARK_READ, {"threadId": thread_id}, token=tokens["durand"])
    assert await unread(api, tokens["durand"], durand) == 0


async def test_other_families_neither_see_nor_write_in_a_thread(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, tokens = await town_with_tokens(clock)
    started = await api(
        START,
        {"householdId": household(town, "Petit"), "subject": "PAI d'Inès", "body": "À renouveler"},
        token=tokens["staff"],
    )
    thread_id = started["data"]["startMessageThread"]["thread"]["id"]
    assert started["data"]["startMessageThread"]["message"]["fromStaff"] is True

    reply = await api(REPLY, {"threadId": thread_id, "body": "Bonjour"}, token=tokens["durand"])
    assert reply["data"]["replyToThread"]["errors"][0]["code"] == "NOT_FOUND"
    read = await api(MESSAGES, {"threadId": thread_id}, token=tokens["durand"])
    assert read["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    mark = await api(MARK_READ, {"threadId": thread_id}, token=tokens["durand"])
    assert mark["data"]["markThreadRead"]["errors"][0]["code"] == "NOT_FOUND"
    listed = await api(THREADS, {"householdId": household(town, "Petit")}, token=tokens["durand"])
    assert listed["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    town_wide = await api(UNREAD, {"householdId": None}, token=tokens["durand"])
    assert town_wide["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    inbox = await api(INBOX, {"unreadOnly": False}, token=tokens["durand"])
    assert inbox["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await unread(api, tokens["durand"], household(town, "Durand")) == 0
    assert await unread(api, tokens["petit"], household(town, "Petit")) == 1


async def test_a_thread_needs_a_subject_a_body_and_the_familys_own_request(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, tokens = await town_with_tokens(clock)
    petit_request = await Request.filter(household=town.households["Petit"]).first()
    assert petit_request is not None

    result = await api(
        START,
        {
            "householdId": household(town, "Durand"),
            "subject": " ",
            "body": "",
            "requestId": encode_id("Request", petit_request.id),
        },
        token=tokens["durand"],
    )

    assert [(e["code"], e["field"]) for e in result["data"]["startMessageThread"]["errors"]] == [
        ("REQUIRED", "subject"),
        ("REQUIRED", "body"),
        ("NOT_FOUND", "requestId"),
    ]


async def test_threads_are_paginated_latest_activity_first(
    api: GraphQL, clock: FrozenClock
) -> None:
    town, tokens = await town_with_tokens(clock)
    durand = household(town, "Durand")
    ids = []
    for subject in ("Premier", "Deuxième", "Troisième"):
        clock.advance(timedelta(minutes=1))
        started = await api(
            START,
            {"householdId": durand, "subject": subject, "body": "Bonjour"},
            token=tokens["durand"],
        )
        ids.append(started["data"]["startMessageThread"]["thread"]["id"])
    clock.advance(timedelta(minutes=1))
    await api(REPLY, {"threadId": ids[0], "body": "Relance"}, token=tokens["durand"])

    first = await api(THREADS, {"householdId": durand, "first": 2}, token=tokens["durand"])
    page = first["data"]["messageThreads"]
    assert [n["subject"] for n in page["nodes"]] == ["Premier", "Troisième"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    rest = await api(
        THREADS,
        {"householdId": durand, "first": 2, "after": page["pageInfo"]["endCursor"]},
        token=tokens["durand"],
    )
    assert [n["subject"] for n in rest["data"]["messageThreads"]["nodes"]] == ["Deuxième"]
