"""Messages (échanges) between a household and the town's services.

A thread concerns one request (demande) or nothing in particular; both sides write in it.
Each account has a read marker per thread: the other side's messages newer than it are
unread (the dashboard's « Échanges à lire »). Every message is mailed to the other side in
the transaction that writes it: the guardians with an account, or the town's contact
address.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from models.accounts import Account, AccountRole
from models.households import Household
from models.messages import Message, MessageRead, MessageThread
from models.requests import Request
from models.tenants import Tenant
from resolvers.core.clock import Clock
from resolvers.core.errors import (
    CommonErrorCode,
    CommunicationErrorCode,
    DomainError,
    NotAuthenticated,
    NotFound,
    ValidationErrors,
)
from resolvers.core.outbox import queue_mail
from resolvers.core.sql import Params, fetch
from resolvers.core.transactions import atomic
from resolvers.households.households import guardian_emails, household_for, require_staff

MAX_SUBJECT = 200
MAX_BODY = 5000
EXCERPT = 500  # what a notification mail quotes of a message


@dataclass
class ThreadPage:
    threads: list[MessageThread]
    unread: dict[int, int]
    has_next: bool
    total: int


def is_staff(account: Account) -> bool:
    return account.role != AccountRole.PARENT


async def _thread_for(actor: Account | None, thread_id: int) -> MessageThread:
    """A thread through its household's access rule; others' threads do not exist."""
    thread = await MessageThread.get_or_none(id=thread_id)
    if thread is None:
        raise NotFound("Échange", "threadId")
    try:
        await household_for(actor, thread.household_id)
    except DomainError as error:
        if error.code == CommonErrorCode.NOT_FOUND:
            raise NotFound("Échange", "threadId") from None
        raise
    return thread


def _checked_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise DomainError(CommunicationErrorCode.REQUIRED, "Le message est vide.", "body")
    if len(text) > MAX_BODY:
        raise DomainError(
            CommunicationErrorCode.INVALID,
            f"Le message dépasse {MAX_BODY} caractères.",
            "body",
        )
    return text


async def _mark_read(thread_id: int, account: Account, at: datetime) -> None:
    updated = await MessageRead.filter(thread_id=thread_id, account_id=account.id).update(
        read_at=at
    )
    if not updated:
        await MessageRead.create(thread_id=thread_id, account=account, read_at=at)


async def _write(thread: MessageThread, author: Account, body: str, *, clock: Clock) -> Message:
    """The message, the author's read marker, the thread's date and the notification."""
    now = clock.now()
    message = await Message.create(
        thread=thread, author=author, from_staff=is_staff(author), body=body, created_at=now
    )
    thread.last_message_at = now
    await thread.save(update_fields=["last_message_at"])
    await _mark_read(thread.id, author, now)
    household = await Household.get(id=thread.household_id)
    tenant = await Tenant.get(id=thread.tenant_id)
    excerpt = body if len(body) <= EXCERPT else body[:EXCERPT] + "…"
    context = {
        "town": tenant.name,
        "household": household.name,
        "subject": thread.subject,
        "body": excerpt,
        "author": f"{author.first_names} {author.last_name}",
    }
    if message.from_staff:
        for email in await guardian_emails(household.id):
            await queue_mail(email, "message_to_family", context, clock=clock)
    elif tenant.contact_email:
        await queue_mail(tenant.contact_email, "message_to_town", context, clock=clock)
    return message


async def start_thread(
    actor: Account | None,
    household_id: int,
    subject: str,
    body: str,
    *,
    clock: Clock,
    request_id: int | None = None,
) -> tuple[MessageThread, Message]:
    """A new conversation, from a guardian or an agent, about a request or not."""
    household = await household_for(actor, household_id)
    assert actor is not None
    problems = []
    title = subject.strip()
    if not title:
        problems.append(
            DomainError(CommunicationErrorCode.REQUIRED, "L'objet est obligatoire.", "subject")
        )
    elif len(title) > MAX_SUBJECT:
        problems.append(
            DomainError(
                CommunicationErrorCode.INVALID,
                f"L'objet dépasse {MAX_SUBJECT} caractères.",
                "subject",
            )
        )
    try:
        text = _checked_body(body)
    except DomainError as error:
        problems.append(error)
    if request_id is not None and not await Request.exists(
        id=request_id, household_id=household.id
    ):
        problems.append(NotFound("Demande", "requestId"))
    if problems:
        raise ValidationErrors(problems)
    now = clock.now()
    async with atomic():
        thread = await MessageThread.create(
            tenant_id=household.tenant_id,
            household=household,
            request_id=request_id,
            subject=title,
            created_at=now,
            last_message_at=now,
        )
        message = await _write(thread, actor, text, clock=clock)
    return thread, message


async def reply(
    actor: Account | None, thread_id: int, body: str, *, clock: Clock
) -> tuple[MessageThread, Message]:
    thread = await _thread_for(actor, thread_id)
    assert actor is not None
    text = _checked_body(body)
    async with atomic():
        message = await _write(thread, actor, text, clock=clock)
    return thread, message


async def mark_read(actor: Account | None, thread_id: int, *, clock: Clock) -> MessageThread:
    """Everything in the thread up to now is read by this account."""
    thread = await _thread_for(actor, thread_id)
    assert actor is not None
    await _mark_read(thread.id, actor, clock.now())
    return thread


async def thread_messages(actor: Account | None, thread_id: int) -> list[Message]:
    """The thread's messages, oldest first, with their authors."""
    thread = await _thread_for(actor, thread_id)
    return await Message.filter(thread=thread).order_by("created_at", "id").select_related("author")


async def message_for(actor: Account | None, message_id: int) -> Message:
    """One message, with its author, through its thread's household rule (``node(id)``);
    others' messages do not exist."""
    message = await Message.get_or_none(id=message_id).select_related("author")
    if message is None:
        raise NotFound("Message", "id")
    try:
        await _thread_for(actor, message.thread_id)
    except DomainError as error:
        if error.code == CommonErrorCode.NOT_FOUND:
            raise NotFound("Message", "id") from None
        raise
    return message


async def thread_messages_page(
    actor: Account | None, thread_id: int, *, first: int, after_id: int | None
) -> tuple[list[Message], bool, int]:
    """A page of ``thread_messages``, oldest first (``after_id``: the last message already
    shown), whether more follow, and how many the thread has."""
    thread = await _thread_for(actor, thread_id)
    query = Message.filter(thread=thread)
    total = await query.count()
    if after_id is not None:
        last = await query.filter(id=after_id).first()
        if last is None:
            raise DomainError(CommonErrorCode.INVALID, "Curseur invalide.", "after")
        query = query.filter(
            Q(created_at__gt=last.created_at) | Q(created_at=last.created_at, id__gt=last.id)
        )
    rows = await query.order_by("created_at", "id").limit(first + 1).select_related("author")
    return rows[:first], len(rows) > first, total


async def _unread(
    account: Account, *, thread_ids: Sequence[int] = (), household_id: int | None = None
) -> dict[int, int]:
    """Unread messages per thread for ``account``: the other side's, newer than its marker."""
    params = Params()
    if household_id is not None:
        scope = f"t.household_id = {params(household_id)}"
    elif thread_ids:
        scope = f"t.id IN ({params.many(thread_ids)})"
    else:
        scope = f"t.tenant_id = {params(account.tenant_id)}"
    rows = await fetch(
        f"""SELECT m.thread_id, COUNT(*) AS n
            FROM message m
            JOIN message_thread t ON t.id = m.thread_id
            LEFT JOIN message_read r ON r.thread_id = m.thread_id
                                    AND r.account_id = {params(account.id)}
            WHERE {scope} AND m.from_staff = {params(not is_staff(account))}
              AND (r.read_at IS NULL OR m.created_at > r.read_at)
            GROUP BY m.thread_id""",
        params,
    )
    return {row["thread_id"]: row["n"] for row in rows}


async def unread_by_thread(account: Account, thread_ids: Sequence[int]) -> dict[int, int]:
    """Unread messages of these threads for ``account`` (the request inbox shows them)."""
    return await _unread(account, thread_ids=thread_ids) if thread_ids else {}


async def _page(
    account: Account, query: QuerySet[MessageThread], first: int, after_id: int | None
) -> ThreadPage:
    """Latest activity first; the cursor is the last thread's id."""
    total = await query.count()
    if after_id is not None:
        last = await query.filter(id=after_id).first()
        if last is None:
            raise DomainError(CommunicationErrorCode.INVALID, "Curseur invalide.", "after")
        query = query.filter(
            Q(last_message_at__lt=last.last_message_at)
            | Q(last_message_at=last.last_message_at, id__lt=last.id)
        )
    rows = await query.order_by("-last_message_at", "-id").limit(first + 1)
    threads = rows[:first]
    unread = await _unread(account, thread_ids=[t.id for t in threads]) if threads else {}
    return ThreadPage(threads, unread, len(rows) > first, total)


async def household_threads(
    actor: Account | None, household_id: int, *, first: int, after_id: int | None
) -> ThreadPage:
    """A household's threads, as its guardians and the town's agents see them."""
    household = await household_for(actor, household_id)
    assert actor is not None
    return await _page(actor, MessageThread.filter(household=household), first, after_id)


async def town_threads(
    actor: Account | None, *, unread_only: bool, first: int, after_id: int | None
) -> ThreadPage:
    """Staff inbox: the town's threads, or only those with family messages unread by them."""
    staff = require_staff(actor)
    query = MessageThread.filter(tenant_id=staff.tenant_id)
    if unread_only:
        query = query.filter(id__in=list(await _unread(staff)) or [0])
    return await _page(staff, query, first, after_id)


async def unread_count(actor: Account | None, household_id: int | None) -> int:
    """« Échanges à lire »: a household's unread messages, or the whole town's for staff."""
    if actor is None:
        raise NotAuthenticated()
    if household_id is None:
        staff = require_staff(actor)
        return sum((await _unread(staff)).values())
    await household_for(actor, household_id)
    return await household_unread(actor, household_id)


async def household_unread(account: Account, household_id: int) -> int:
    """The household's messages ``account`` has not read (the other side's, newer than its
    marker of each thread), for a caller that checked the household's access rule: the
    dashboard's count and the home screen's."""
    return sum((await _unread(account, household_id=household_id)).values())
