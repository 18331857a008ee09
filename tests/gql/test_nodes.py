"""Relay's ``node(id)`` / ``nodes(ids)``: each type through its own access rule.

For every type implementing ``Node``: the family reaches its own object, and so does the
staff of its town; another household's parent and another town's staff get null with
NOT_FOUND (the same answer as an id that does not exist), an anonymous caller null with
NOT_AUTHENTICATED. Sites and activities follow the public ``catalogue(town)``: anyone
reads them, and so a public news item being published. A news item for a site's families
reaches its parents only (and the town's staff), as ``householdNews`` lists it. A document
reaches staff only once attached to one of their town's requests, as ``document(id)``
says.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from gql.ids import encode_id
from gql.nodes import LOADERS
from models.accounts import AccountRole
from models.documents import Document, DocumentKind, RequestAttachment
from models.households import Child, Guardian
from models.messages import Message, MessageThread
from models.news import News, NewsAudience
from models.requests import Request, RequestKind, RequestStatus
from resolvers.core.clock import FrozenClock
from settings import get_settings
from tests.conftest import Backend, GraphQL
from tests.factories import (
    enroll_all,
    make_account,
    make_catalogue,
    make_household,
    make_town,
    token_for,
)
from tests.payment_factories import make_payment, paying_family

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"

CALLERS = ("parent", "staff", "other_parent", "other_town_staff", "anonymous")
HOUSEHOLD_RULE = {
    "parent": "own",
    "staff": "own",
    "other_parent": "NOT_FOUND",
    "other_town_staff": "NOT_FOUND",
    "anonymous": "NOT_AUTHENTICATED",
}
PUBLIC = dict.fromkeys(CALLERS, "own")
EXPECTED = {
    **dict.fromkeys(
        [
            "Household",
            "Child",
            "Guardian",
            "Request",
            "MessageThread",
            "Message",
            "Invoice",
            "Payment",
        ],
        HOUSEHOLD_RULE,
    ),
    "Document": HOUSEHOLD_RULE,  # attached to the Martins' request: the town's staff see it
    "Site": PUBLIC,
    "Activity": PUBLIC,
    "News": PUBLIC,  # published today for everyone, as `publicNews` shows it
}
# The other news items of the world: who reaches each.
NEWS_RULES = {
    # for the families of the Martins' school (their child is enrolled there)
    "site": {**HOUSEHOLD_RULE, "anonymous": "NOT_FOUND"},
    # public, but published from next month: staff only
    "scheduled": {
        **dict.fromkeys(CALLERS, "NOT_FOUND"),
        "staff": "own",
    },
}


@dataclass
class World:
    ids: dict[str, str]  # type name → the global id of one object of the Martins (or town)
    tokens: dict[str, str | None]
    unattached_document: str
    news: dict[str, str]  # NEWS_RULES' items


@pytest.fixture(scope="module")
async def world(backend: Backend) -> World:
    clock = FrozenClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    family = await paying_family(clock)  # a town, its staff, the Martins and an invoice
    town, staff, martins = family.tenant, family.staff, family.household
    catalogue = await make_catalogue(staff, clock)
    bernards = await make_household(staff, clock, children=1, guardians=1)
    other_parent = await make_account(town, clock)
    await Guardian.filter(household=bernards).update(account_id=other_parent.id)
    other_town_staff = await make_account(await make_town(), clock, role=AccountRole.AGENT)

    now = clock.now()
    child = await Child.filter(household=martins).first()
    guardian = await Guardian.filter(household=martins).first()
    assert child is not None and guardian is not None
    request = await Request.create(
        tenant_id=town.id,
        household_id=martins.id,
        kind=RequestKind.CONTACT_ADD,
        status=RequestStatus.SUBMITTED,
        summary="Ajout d'un contact",
        created_at=now,
        updated_at=now,
    )
    thread = await MessageThread.create(
        tenant_id=town.id,
        household_id=martins.id,
        subject="Cantine",
        created_at=now,
        last_message_at=now,
    )
    document, unattached = [
        await Document.create(
            household_id=martins.id, kind=DocumentKind.OTHER, title=title, created_at=now
        )
        for title in ("Attestation", "Brouillon")
    ]
    await RequestAttachment.create(request=request, document=document, created_at=now)
    payment = await make_payment(family, 4250, now)
    message = await Message.create(
        thread=thread, author_id=None, from_staff=True, body="Bonjour", created_at=now
    )
    await enroll_all(staff, martins, catalogue, clock)
    news = {
        name: await News.create(
            tenant_id=town.id,
            title=name,
            body="…",
            audience=audience,
            site_id=catalogue.site.id if audience == NewsAudience.SITE else None,
            publish_from=starts,
            created_at=now,
        )
        for name, audience, starts in (
            ("public", NewsAudience.PUBLIC, date(2026, 11, 1)),
            ("site", NewsAudience.SITE, date(2026, 11, 1)),
            ("scheduled", NewsAudience.PUBLIC, date(2026, 12, 1)),
        )
    }
    rows = {
        "Household": martins.id,
        "Child": child.id,
        "Guardian": guardian.id,
        "Request": request.id,
        "MessageThread": thread.id,
        "Message": message.id,
        "News": news["public"].id,
        "Invoice": family.invoices[0].id,
        "Payment": payment.id,
        "Document": document.id,
        "Site": catalogue.site.id,
        "Activity": catalogue.canteen.id,
    }
    tokens = {
        "parent": family.token,
        "staff": await token_for(staff, clock),
        "other_parent": await token_for(other_parent, clock),
        "other_town_staff": await token_for(other_town_staff, clock),
        "anonymous": None,
    }
    return World(
        {name: encode_id(name, pk) for name, pk in rows.items()},
        tokens,
        encode_id("Document", unattached.id),
        {name: encode_id("News", row.id) for name, row in news.items() if name in NEWS_RULES},
    )


def test_every_node_type_is_in_the_matrix() -> None:
    assert set(EXPECTED) == set(LOADERS)


def outcome(body: dict[str, Any], expected_id: str) -> str:
    node = body["data"]["node"]
    if node is not None:
        assert node == {"__typename": node["__typename"], "id": expected_id}
        assert "errors" not in body
        return "own"
    [error] = body["errors"]
    assert error["path"] == ["node"]
    return str(error["extensions"]["code"])


@pytest.mark.parametrize("type_name", sorted(EXPECTED))
async def test_node_answers_each_caller_as_the_type_s_own_rule(
    api: GraphQL, world: World, type_name: str
) -> None:
    global_id = world.ids[type_name]
    answers = {
        caller: outcome(await api(NODE, {"id": global_id}, token=world.tokens[caller]), global_id)
        for caller in CALLERS
    }
    assert answers == EXPECTED[type_name]
    own = await api(NODE, {"id": global_id}, token=world.tokens["parent"])
    assert own["data"]["node"]["__typename"] == type_name


@pytest.mark.parametrize("name", sorted(NEWS_RULES))
async def test_news_reach_whom_their_lists_show_them_to(
    api: GraphQL, world: World, name: str
) -> None:
    global_id = world.news[name]
    answers = {
        caller: outcome(await api(NODE, {"id": global_id}, token=world.tokens[caller]), global_id)
        for caller in CALLERS
    }
    assert answers == NEWS_RULES[name]


async def test_a_document_never_given_to_the_town_is_not_found_for_its_staff(
    api: GraphQL, world: World
) -> None:
    document = world.unattached_document
    assert outcome(await api(NODE, {"id": document}, token=world.tokens["parent"]), document) == (
        "own"
    )
    assert outcome(await api(NODE, {"id": document}, token=world.tokens["staff"]), document) == (
        "NOT_FOUND"
    )


@pytest.mark.parametrize(
    "global_id",
    [
        encode_id("Household", 10**9),  # no such row
        encode_id("Household", 2**31),  # past its column's integer: no row can have it
        encode_id("Message", 2**63),  # past its column's bigint
        encode_id("Child", 10**40),
        encode_id("Tariff", 1),  # a type that is not a Node
        encode_id("Cursor", 1),
        "pas-un-identifiant",
        "",
    ],
)
async def test_unknown_or_malformed_ids_are_not_found(
    api: GraphQL, world: World, global_id: str
) -> None:
    body = await api(NODE, {"id": global_id}, token=world.tokens["staff"])
    assert body["data"] == {"node": None}
    assert [error["extensions"]["code"] for error in body["errors"]] == ["NOT_FOUND"]


async def test_nodes_answers_in_order_with_an_error_at_each_refused_position(
    api: GraphQL, world: World
) -> None:
    ids = [world.ids["Child"], encode_id("Household", 10**9), world.ids["Invoice"]]
    body = await api(NODES, {"ids": ids}, token=world.tokens["parent"])
    assert body["data"]["nodes"] == [
        {"__typename": "Child", "id": ids[0]},
        None,
        {"__typename": "Invoice", "id": ids[2]},
    ]
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["nodes", 1], "NOT_FOUND")
    ]
    # another household's parent gets nothing of the Martins'
    body = await api(NODES, {"ids": ids}, token=world.tokens["other_parent"])
    assert body["data"]["nodes"] == [None, None, None]


async def test_nodes_takes_at_most_its_documented_maximum(api: GraphQL, world: World) -> None:
    ids = [world.ids["Site"]] * (get_settings().input_max_ids + 1)
    body = await api(NODES, {"ids": ids}, token=world.tokens["staff"])
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    body = await api(
        NODES, {"ids": ids[: get_settings().input_max_ids]}, token=world.tokens["staff"]
    )
    assert len(body["data"]["nodes"]) == get_settings().input_max_ids
