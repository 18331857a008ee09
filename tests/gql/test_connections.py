"""Connections have Relay's shape beside `nodes`: `edges { cursor node }`, and `pageInfo`
with `hasPreviousPage` and `startCursor`; the lists that used to be plain (payments, a
thread's messages, payments to review) have a paginated `…Connection` form, the plain
field kept (deprecated) so existing queries still work."""

from datetime import timedelta
from typing import Any

from gql.ids import encode_id
from models.messages import Message, MessageThread
from resolvers.core.clock import FrozenClock
from tests.conftest import Backend, GraphQL
from tests.factories import make_household, token_for
from tests.payment_factories import make_payment, paying_family

HOUSEHOLDS = """
query($first: Int, $after: String) {
  households(first: $first, after: $after) {
    nodes { id } edges { cursor node { id name } }
    pageInfo { hasNextPage endCursor hasPreviousPage startCursor } totalCount
  }
}
"""
PAYMENTS = """
query($householdId: ID!, $first: Int, $after: String) {
  payments(householdId: $householdId) { id }
  paymentsConnection(householdId: $householdId, first: $first, after: $after) {
    edges { cursor node { id amount { cents } } } pageInfo { hasNextPage endCursor } totalCount
  }
}
"""
MESSAGES = """
query($threadId: ID!, $first: Int, $after: String) {
  threadMessages(threadId: $threadId) { body }
  threadMessagesConnection(threadId: $threadId, first: $first, after: $after) {
    nodes { body } pageInfo { hasNextPage endCursor hasPreviousPage } totalCount
  }
}
"""
REVIEWS = "{ paymentsToReviewConnection { nodes { id } pageInfo { hasNextPage } totalCount } }"


def page(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"][field]
    return result


async def test_edges_and_page_info_walk_a_list_both_ways(
    api: GraphQL, backend: Backend, clock: FrozenClock
) -> None:
    family = await paying_family(clock)
    for _ in range(2):
        await make_household(family.staff, clock, children=1, guardians=1)
    token = await token_for(family.staff, clock)

    first = page(await api(HOUSEHOLDS, {"first": 2}, token=token), "households")
    assert [edge["node"]["id"] for edge in first["edges"]] == [n["id"] for n in first["nodes"]]
    info = first["pageInfo"]
    assert info["hasNextPage"] and not info["hasPreviousPage"]
    assert info["startCursor"] == first["edges"][0]["cursor"]
    assert info["endCursor"] == first["edges"][-1]["cursor"]

    rest = page(
        await api(HOUSEHOLDS, {"first": 2, "after": info["endCursor"]}, token=token), "households"
    )
    assert len(rest["edges"]) == 1 and rest["totalCount"] == 3
    assert rest["pageInfo"]["hasPreviousPage"] and not rest["pageInfo"]["hasNextPage"]
    # any edge's cursor is a place to start from
    after_first = page(
        await api(HOUSEHOLDS, {"after": first["edges"][0]["cursor"]}, token=token), "households"
    )
    assert [n["id"] for n in after_first["nodes"]] == [
        first["nodes"][1]["id"],
        rest["nodes"][0]["id"],
    ]


async def test_payments_and_messages_have_a_paginated_form_beside_the_plain_list(
    api: GraphQL, backend: Backend, clock: FrozenClock
) -> None:
    family = await paying_family(clock)
    now = clock.now()
    for cents in (1000, 2000, 3000):
        await make_payment(family, cents, now)

    household = {"householdId": encode_id("Household", family.household.id)}
    body = await api(PAYMENTS, {**household, "first": 2}, token=family.token)
    first = page(body, "paymentsConnection")
    assert [edge["node"]["amount"]["cents"] for edge in first["edges"]] == [3000, 2000]
    assert len(body["data"]["payments"]) == 3 and first["totalCount"] == 3
    after = first["pageInfo"]["endCursor"]
    rest = page(
        await api(PAYMENTS, {**household, "first": 2, "after": after}, token=family.token),
        "paymentsConnection",
    )
    assert [edge["node"]["amount"]["cents"] for edge in rest["edges"]] == [1000]
    assert not rest["pageInfo"]["hasNextPage"]

    thread = await MessageThread.create(
        tenant_id=family.tenant.id,
        household_id=family.household.id,
        subject="Cantine",
        created_at=now,
        last_message_at=now,
    )
    for minute, body_text in enumerate(("Bonjour", "Merci", "Au revoir")):
        await Message.create(
            thread=thread,
            author=family.parent,
            from_staff=False,
            body=body_text,
            created_at=now + timedelta(minutes=minute),
        )
    variables = {"threadId": encode_id("MessageThread", thread.id), "first": 2}
    body = await api(MESSAGES, variables, token=family.token)
    first = page(body, "threadMessagesConnection")
    assert [n["body"] for n in first["nodes"]] == ["Bonjour", "Merci"]
    assert [m["body"] for m in body["data"]["threadMessages"]] == ["Bonjour", "Merci", "Au revoir"]
    variables["after"] = first["pageInfo"]["endCursor"]
    rest = page(await api(MESSAGES, variables, token=family.token), "threadMessagesConnection")
    assert [n["body"] for n in rest["nodes"]] == ["Au revoir"]
    assert rest["pageInfo"]["hasPreviousPage"] and rest["totalCount"] == 3

    # another household's thread is not found, paginated or not
    other = await make_household(family.staff, clock, children=1, guardians=1)
    foreign = await MessageThread.create(
        tenant_id=family.tenant.id,
        household_id=other.id,
        subject="x",
        created_at=now,
        last_message_at=now,
    )
    body = await api(
        MESSAGES, {"threadId": encode_id("MessageThread", foreign.id)}, token=family.token
    )
    assert body["data"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"NOT_FOUND"}

    staff = await token_for(family.staff, clock)
    reviews = page(await api(REVIEWS, token=staff), "paymentsToReviewConnection")
    assert reviews == {"nodes": [], "pageInfo": {"hasNextPage": False}, "totalCount": 0}
