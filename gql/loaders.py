"""Per-request DataLoaders, one per relation: no resolver touches an ORM relation directly.

Each loader runs one ``IN (…)`` query per batch, so the number of SQL statements of a
request does not grow with the number of households, children or contacts shown.
"""

from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from models.accounts import Account, FranceConnectLink
from models.bookings import Enrollment
from models.documents import Document, DocumentFile, RequestAttachment
from models.households import Child, ConsentAnswer, Contact, Guardian, Household
from models.messages import MessageThread
from models.reminders import ReminderOptOut
from models.requests import RequestEvent
from models.tenants import Tenant
from resolvers.core.clock import Clock, SystemClock
from resolvers.households.consents import ChildConsent, consent_history, consents_of
from resolvers.households.requests import Page, request_pages
from resolvers.messages.messages import unread_by_thread
from resolvers.operations.attendance import record_health_reads

M = TypeVar("M", bound=Model)


def _grouped_by(model: type[M], key: str, *order: str) -> DataLoader[int, list[M]]:
    """Rows grouped by ``key``, in ``order`` then by id, so that ties (twins born the same
    day) always come back in the same order."""

    async def load(keys: Sequence[int]) -> list[list[M]]:
        rows = await model.filter(**{f"{key}__in": list(keys)}).order_by(*order, "id")
        groups: dict[Any, list[M]] = defaultdict(list)
        for row in rows:
            groups[getattr(row, key)].append(row)
        return [groups.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def _by_id(model: type[M]) -> DataLoader[int, M | None]:
    async def load(keys: Sequence[int]) -> list[M | None]:
        rows = {row.pk: row for row in await model.filter(id__in=list(keys))}
        return [rows.get(k) for k in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """Named ``<Model>By<Key>Loader``, one per relation. Each is made on first use in
    the request: most requests (a calendar, a booking) use none of them."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    @cached_property
    def tenant_by_id(self) -> DataLoader[int, Tenant | None]:
        return _by_id(Tenant)

    @cached_property
    def franceconnect_link_by_account(self) -> DataLoader[int, FranceConnectLink | None]:
        async def load(keys: Sequence[int]) -> list[FranceConnectLink | None]:
            rows = {
                row.account_id: row
                for row in await FranceConnectLink.filter(account_id__in=list(keys))
            }
            return [rows.get(k) for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def household_by_id(self) -> DataLoader[int, Household | None]:
        return _by_id(Household)

    @cached_property
    def guardians_by_household(self) -> DataLoader[int, list[Guardian]]:
        return _grouped_by(Guardian, "household_id")

    @cached_property
    def children_by_household(self) -> DataLoader[int, list[Child]]:
        return _grouped_by(Child, "household_id", "birth_date")

    @cached_property
    def consents_by_child(self) -> DataLoader[int, list[ChildConsent]]:
        """The reader's town's consent types with each child's answer in force."""

        async def load(keys: Sequence[int]) -> list[list[ChildConsent]]:
            tenant_ids = await Child.filter(id__in=list(keys)).values_list(
                "household__tenant_id", flat=True
            )
            if not tenant_ids:
                return [[] for _ in keys]
            found = await consents_of(keys, int(str(tenant_ids[0])))
            return [found.get(k, []) for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def consent_history_by_child(self) -> DataLoader[int, list[ConsentAnswer]]:
        async def load(keys: Sequence[int]) -> list[list[ConsentAnswer]]:
            found = await consent_history(keys)
            return [found.get(k, []) for k in keys]

        return DataLoader(load_fn=load)

    @cached_property
    def contacts_by_household(self) -> DataLoader[int, list[Contact]]:
        return _grouped_by(Contact, "household_id")

    @cached_property
    def events_by_request(self) -> DataLoader[int, list[RequestEvent]]:
        return _grouped_by(RequestEvent, "request_id")

    @cached_property
    def households_by_account(self) -> DataLoader[int, list[Household]]:
        return _households_by_account()

    @cached_property
    def request_page_by_household(self) -> DataLoader[tuple[int, int, int | None], Page]:
        return _request_pages()

    @cached_property
    def enrollments_by_household(self) -> DataLoader[int, list[Enrollment]]:
        return _enrollments_by_household()

    @cached_property
    def files_by_document(self) -> DataLoader[int, list[DocumentFile]]:
        return _files_by_document()

    @cached_property
    def documents_by_request(self) -> DataLoader[int, list[Document]]:
        return _documents_by_request()

    @cached_property
    def threads_by_request(self) -> DataLoader[int, list[MessageThread]]:
        return _grouped_by(MessageThread, "request_id")

    @cached_property
    def unread_by_thread(self) -> DataLoader[tuple[Account, int], int]:
        return _unread_by_thread()

    @cached_property
    def health_read_by_child(self) -> DataLoader[tuple[Account, int], None]:
        return _health_read_by_child(self._clock)

    @cached_property
    def opt_outs_by_guardian(self) -> DataLoader[int, list[ReminderOptOut]]:
        return _grouped_by(ReminderOptOut, "guardian_id")


def _households_by_account() -> DataLoader[int, list[Household]]:
    async def load(keys: Sequence[int]) -> list[list[Household]]:
        links = await Guardian.filter(account_id__in=list(keys)).values_list(
            "account_id", "household_id"
        )
        households = {h.pk: h for h in await Household.filter(id__in={hid for _, hid in links})}
        groups: dict[int, list[Household]] = defaultdict(list)
        for account_id, household_id in sorted(links, key=lambda link: link[1]):
            groups[account_id].append(households[household_id])
        return [groups.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def _request_pages() -> DataLoader[tuple[int, int, int | None], Page]:
    """Keyed by (household id, page size, cursor): one batch per distinct page asked."""

    async def load(keys: Sequence[tuple[int, int, int | None]]) -> list[Page]:
        pages: dict[tuple[int, int, int | None], Page] = {}
        for first, after_id in {(first, after_id) for _, first, after_id in keys}:
            household_ids = [h for h, f, a in keys if (f, a) == (first, after_id)]
            found = await request_pages(household_ids, first=first, after_id=after_id)
            pages |= {(h, first, after_id): page for h, page in found.items()}
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def _enrollments_by_household() -> DataLoader[int, list[Enrollment]]:
    """Enrolments with their child, activity, site and period, in one joined statement."""

    async def load(keys: Sequence[int]) -> list[list[Enrollment]]:
        rows = (
            await Enrollment.filter(child__household_id__in=list(keys))
            .select_related("child", "activity", "site", "period")
            .order_by("child__birth_date", "activity__code", "-period__starts_on")
        )
        groups: dict[int, list[Enrollment]] = defaultdict(list)
        for row in rows:
            groups[row.child.household_id].append(row)
        return [groups.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def _files_by_document() -> DataLoader[int, list[DocumentFile]]:
    """File metadata only: the bytes are read by the download route, never here."""

    async def load(keys: Sequence[int]) -> list[list[DocumentFile]]:
        rows = (
            await DocumentFile.filter(document_id__in=list(keys))
            .only("id", "document_id", "position", "filename", "content_type", "size")
            .order_by("position")
        )
        groups: dict[int, list[DocumentFile]] = defaultdict(list)
        for row in rows:
            groups[row.document_id].append(row)
        return [groups.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def _documents_by_request() -> DataLoader[int, list[Document]]:
    async def load(keys: Sequence[int]) -> list[list[Document]]:
        links = await RequestAttachment.filter(request_id__in=list(keys)).values_list(
            "request_id", "document_id"
        )
        documents = {
            d.pk: d for d in await Document.filter(id__in={document for _, document in links})
        }
        groups: dict[int, list[Document]] = defaultdict(list)
        for request_id, document_id in sorted(links, key=lambda link: link[1]):
            groups[request_id].append(documents[document_id])
        return [groups.get(k, []) for k in keys]

    return DataLoader(load_fn=load)


def _unread_by_thread() -> DataLoader[tuple[Account, int], int]:
    """Keyed by (reader, thread id): one statement per reader, in practice one per request."""

    async def load(keys: Sequence[tuple[Account, int]]) -> list[int]:
        counts: dict[tuple[int, int], int] = {}
        readers = {account.id: account for account, _ in keys}
        for reader in readers.values():
            thread_ids = [thread for account, thread in keys if account.id == reader.id]
            found = await unread_by_thread(reader, thread_ids)
            counts |= {(reader.id, thread): found.get(thread, 0) for thread in thread_ids}
        return [counts[(account.id, thread)] for account, thread in keys]

    return DataLoader(load_fn=load, cache_key_fn=lambda key: (key[0].id, key[1]))


def _health_read_by_child(clock: Clock) -> DataLoader[tuple[Account, int], None]:
    """Keyed by (agent, child id): the children whose health notes a staff answer shows are
    audited in one statement per request, once per child however many fields show them."""

    async def load(keys: Sequence[tuple[Account, int]]) -> list[None]:
        readers = {account.id: account for account, _ in keys}
        for reader in readers.values():
            children = [child for account, child in keys if account.id == reader.id]
            await record_health_reads(reader, children, {"via": "household"}, clock=clock)
        return [None for _ in keys]

    return DataLoader(load_fn=load, cache_key_fn=lambda key: (key[0].id, key[1]))


def make_loaders(clock: Clock | None = None) -> Loaders:
    return Loaders(clock or SystemClock())
