"""Connections have Relay's shape beside `nodes`: `edges { cursor node }`, and `pageInfo`
with `hasPreviousPage` and `startCursor`; the lists that used to be plain and can grow
(payments, a thread's messages, payments to review, the price grid, a household's mandates
and calendar links, a régie's direct-debit exports) have a paginated `…Connection` form,
the plain field kept (deprecated) so existing queries still work."""

from datetime import date, timedelta
from typing import Any

from gql.ids import encode_id
from models.messages import Message, MessageThread
from models.sepa import DirectDebitBatch
from resolvers.billing.billing import TariffForm, add_tariff
from resolvers.core.clock import FrozenClock
from resolvers.sepa.sepa_mandates import revoke_mandate
from tests.billing_factories import make_billing_town, make_family
from tests.conftest import Backend, GraphQL
from tests.factories import make_household, token_for
from tests.payment_factories import make_payment, paying_family
from tests.sepa_factories import make_mandate

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
CREATE_FEED = """
mutation($childId: ID!) { createCalendarFeed(childId: $childId) { errors { code } } }
"""
SECOND_IBAN = "DE89 3704 0044 0532 0130 00"  # a public example IBAN
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


# The lists that were plain and can grow: (field, its plain form, the argument naming them).
GROWING = {
    "tariffs": ("tariffsConnection", "tariffs", "activityId: $id"),
    "mandates": ("sepaMandatesConnection", "sepaMandates", "householdId: $id"),
    "batches": ("directDebitBatchesConnection", "directDebitBatches", "authorityId: $id"),
    "feeds": ("calendarFeedsConnection", "calendarFeeds", "householdId: $id"),
}


def growing_query(name: str) -> str:
    connection, plain, argument = GROWING[name]
    return f"""query($id: ID!, $first: Int, $after: String) {{
      {plain}({argument}) {{ id }}
      {connection}({argument}, first: $first, after: $after) {{
        edges {{ cursor node {{ id }} }}
        pageInfo {{ hasNextPage endCursor hasPreviousPage }} totalCount
      }}
    }}"""


async def walk(api: GraphQL, name: str, ids: dict[str, str], token: str) -> list[str]:
    """Every id of the connection a page of 2 at a time, checked against the plain list
    (same items, same order) and the page info of each page."""
    connection, plain, _ = GROWING[name]
    seen: list[str] = []
    after: str | None = None
    while True:
        variables = {"id": ids[name], "first": 2, "after": after}
        body = await api(growing_query(name), variables, token=token)
        result = page(body, connection)
        seen += [edge["node"]["id"] for edge in result["edges"]]
        assert result["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not result["pageInfo"]["hasNextPage"]:
            break
        after = result["pageInfo"]["endCursor"]
    assert seen == [item["id"] for item in body["data"][plain]]
    assert result["totalCount"] == len(seen)
    return seen


async def test_growing_lists_have_a_paginated_form_in_the_same_order(
    api: GraphQL, backend: Backend, clock: FrozenClock
) -> None:
    town = await make_billing_town(clock)
    family = await make_family(town, clock)
    staff = await token_for(town.staff, clock)
    parent = await token_for(family.parent, clock)
    # Given three more tariffs (five in all), two mandates (the first one revoked before the
    # second), three direct-debit exports and three calendar links
    for year in (2027, 2028, 2029):
        await add_tariff(
            town.staff,
            TariffForm(
                activity_id=town.catalogue.canteen.id,
                valid_from=date(year, 9, 1),
                valid_until=None if year == 2029 else date(year + 1, 8, 31),
                quotient_min=0,
                quotient_max=None,
                unit_price_cents=300,
            ),
            clock=clock,
        )
    first_mandate = await make_mandate(town, family, clock)
    await revoke_mandate(town.staff, first_mandate.id, "Changement de banque", clock=clock)
    await make_mandate(town, family, clock, iban=SECOND_IBAN)
    for month in (9, 10, 11):
        await DirectDebitBatch.create(
            tenant_id=town.tenant.id,
            authority_id=town.authority.id,
            month=date(2026, month, 1),
            message_id=f"M{month}",
            collection_date=date(2026, month, 28),
            total_cents=0,
            line_count=0,
            xml="",
            created_at=clock.now(),
        )
    for _ in range(3):
        created = await api(
            CREATE_FEED, {"childId": encode_id("Child", family.child_id)}, token=parent
        )
        assert created["data"]["createCalendarFeed"]["errors"] == []
    ids = {
        "tariffs": encode_id("Activity", town.catalogue.canteen.id),
        "mandates": encode_id("Household", family.household.id),
        "batches": encode_id("BillingAuthority", town.authority.id),
        "feeds": encode_id("Household", family.household.id),
    }

    # then each is walked two by two, in the order of its plain list, which still answers
    assert len(await walk(api, "tariffs", ids, staff)) == 5
    mandates = await walk(api, "mandates", ids, parent)
    statuses = await api(
        "query($id: ID!) { sepaMandates(householdId: $id) { status } }",
        {"id": ids["mandates"]},
        token=parent,
    )
    assert [m["status"] for m in statuses["data"]["sepaMandates"]][0] == "ACTIVE"
    assert len(mandates) == 2
    assert len(await walk(api, "batches", ids, staff)) == 3
    assert len(await walk(api, "feeds", ids, parent)) == 3

    # a cursor that is no item of the list is refused, naming `after`
    body = await api(
        growing_query("tariffs"),
        {"id": ids["tariffs"], "after": encode_id("Cursor", 999_999)},
        token=staff,
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    # the family does not read the price grid; another household's parent not its mandates
    body = await api(growing_query("tariffs"), {"id": ids["tariffs"]}, token=parent)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await make_family(town, clock)
    stranger = await token_for(other.parent, clock)
    body = await api(growing_query("mandates"), {"id": ids["mandates"]}, token=stranger)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"NOT_FOUND"}
