"""``node(id)`` and ``nodes(ids)``: any main object by its global id alone.

Each type loads through the access rule of the query that lists it: family files and
what hangs from them (children, guardians, requests, invoices, payments, message threads
and their messages) through the household's rule (its guardians, or staff of its town),
documents through ``document(id)``'s, sites and activities as the public
``catalogue(town)``, news as the lists that show them (``publicNews``, ``householdNews``,
``townNews``). A refused,
unknown or malformed id answers null with a NOT_FOUND error, the same for each, so
nothing tells another family's objects from missing ones; anonymous callers get
NOT_AUTHENTICATED where the rule asks for an account.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar, cast

import strawberry

from gql.billing.queries import load_invoices
from gql.calendar.types import Activity, Site
from gql.context import Info
from gql.documents.types import Document
from gql.households.types import Child, Guardian, Household, Request
from gql.ids import decode_global_id
from gql.messages.queries import author_name
from gql.messages.types import Message, MessageThread
from gql.news.types import News
from gql.node import Node
from gql.payments.types import Payment
from models import catalogue
from models import households as family
from models.messages import MessageThread as ThreadModel
from models.requests import Request as RequestModel
from resolvers.billing import invoices
from resolvers.core.errors import CommonErrorCode, DomainError, NotFound
from resolvers.documents import documents
from resolvers.households.households import household_for
from resolvers.messages import messages
from resolvers.news import news
from resolvers.payments import payments

Loader = Callable[[Info, int], Awaitable[Node]]
Row = TypeVar("Row")


async def _in_household(info: Info, row: Row | None) -> Row:
    """``row`` through its household's rule (NOT_FOUND otherwise, or when there is none)."""
    if row is None:
        raise NotFound("Objet", "id")
    await household_for(info.context.account, cast(Any, row).household_id)
    return row


async def _household(info: Info, pk: int) -> Node:
    return Household.from_model(await household_for(info.context.account, pk))


async def _child(info: Info, pk: int) -> Node:
    row = await _in_household(info, await family.Child.get_or_none(id=pk))
    return Child.from_model(row)


async def _guardian(info: Info, pk: int) -> Node:
    row = await _in_household(info, await family.Guardian.get_or_none(id=pk))
    return Guardian.from_model(row)


async def _request(info: Info, pk: int) -> Node:
    row = await _in_household(info, await RequestModel.get_or_none(id=pk))
    return Request.from_model(row)


async def _thread(info: Info, pk: int) -> Node:
    row = await _in_household(info, await ThreadModel.get_or_none(id=pk))
    account = info.context.require_account()
    unread = await info.context.loaders.unread_by_thread.load((account, row.id))
    return MessageThread.from_model(row, unread)


async def _message(info: Info, pk: int) -> Node:
    row = await messages.message_for(info.context.account, pk)
    return Message.from_model(row, author_name(row))


async def _news(info: Info, pk: int) -> Node:
    return News.from_model(await news.news_for(info.context.account, pk, clock=info.context.clock))


async def _invoice(info: Info, pk: int) -> Node:
    row = await invoices.invoice_for(info.context.account, pk)
    [invoice] = await load_invoices([row], info.context.clock)
    return invoice


async def _payment(info: Info, pk: int) -> Node:
    return Payment.from_entry(await payments.payment_for(info.context.account, pk))


async def _document(info: Info, pk: int) -> Node:
    return Document.from_model(await documents.readable_document(info.context.account, pk))


async def _site(info: Info, pk: int) -> Node:
    row = await catalogue.Site.get_or_none(id=pk)
    if row is None:
        raise NotFound("Objet", "id")
    return Site.from_model(row)


async def _activity(info: Info, pk: int) -> Node:
    row = await catalogue.Activity.get_or_none(id=pk)
    if row is None:
        raise NotFound("Objet", "id")
    return Activity.from_model(row)


LOADERS: dict[str, Loader] = {
    "Household": _household,
    "Child": _child,
    "Guardian": _guardian,
    "Request": _request,
    "MessageThread": _thread,
    "Message": _message,
    "News": _news,
    "Invoice": _invoice,
    "Payment": _payment,
    "Document": _document,
    "Site": _site,
    "Activity": _activity,
}


# Loaders whose rule lets anonymous callers read some objects (the public catalogue, public news).
PUBLIC = frozenset({_site, _activity, _news})


async def load_node(info: Info, value: str) -> Node:
    """The object behind a global id, or NOT_FOUND (NOT_AUTHENTICATED without an account
    where its rule needs one)."""
    decoded = decode_global_id(value)
    loader = LOADERS.get(decoded[0]) if decoded else None
    if decoded is None or loader is None:
        raise NotFound("Objet", "id")
    if info.context.account is None and loader not in PUBLIC:
        info.context.require_account()  # raises NOT_AUTHENTICATED
    try:
        return await loader(info, decoded[1])
    except DomainError as error:
        if error.code == CommonErrorCode.NOT_FOUND:
            raise NotFound("Objet", "id") from None
        raise


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description="Any object implementing `Node` by its global id, through the access rule "
        "of the query that lists it. A refused, unknown or malformed id answers null with a "
        "NOT_FOUND error."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")],
    ) -> Node | None:
        return await load_node(info, id)

    @strawberry.field(
        description="Several objects by their global ids, in the order "
        "asked: each refused, unknown or malformed id answers null with a NOT_FOUND error "
        "at its position."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="Global ids."),
        ],
    ) -> list[Node | None]:
        answers: list[Any] = []
        for value in ids:  # one after the other: the ORM's connection is not shared
            try:
                answers.append(await load_node(info, value))
            except DomainError as error:
                answers.append(error)  # graphql-core reports it at this item's path
        return answers
