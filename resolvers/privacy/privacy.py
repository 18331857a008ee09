"""RGPD: a household's export of all its data, and the retention of families that are gone.

Export: a guardian asks for a short-lived signed link (resolvers/core/signed_links.py); following
it builds a ZIP with ``data.json`` (everything the town holds about the household) and the
document files. The link names the account, and the household is checked again through
``household_for`` when it is followed, so it never serves another family's data.

Retention: a family is *gone* once, for ``FAMILLE_RETENTION_DAYS``, it had no enrolment in a
period still running, submitted no request, exchanged no message and no guardian logged in,
and its file is older than that. Its document files are then deleted, its children's health
notes, its contacts and its contact details anonymised, with every copy of them the database
holds (requests, history, messages, outbox mails, audit details); invoices stay (public
accounting keeps them). A
``HouseholdErasure`` row marks it done, so the daily job is idempotent; each run writes one
audit entry per town.
"""

import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import orjson

from models.absences import AbsenceDay, AbsenceReport
from models.accounts import Account, AccountRole, LoginAttempt
from models.audit import AuditEntry
from models.billing import Invoice, InvoiceLine
from models.bookings import Booking, Enrollment, EnrollmentStatus
from models.documents import Document, DocumentFile, RequestAttachment
from models.households import Child, Contact, Guardian, Household
from models.messages import Message, MessageThread
from models.outbox import OutboxJob
from models.payments import CreditRefund, DeskPayment, Payment, PaymentAllocation
from models.privacy import HouseholdErasure
from models.quotients import QuotientConsent
from models.requests import Request, RequestEvent, RequestKind
from models.tenants import Tenant
from resolvers.core import audit, signed_links
from resolvers.core.clock import Clock
from resolvers.core.errors import Forbidden
from resolvers.core.sql import Params, fetch
from resolvers.core.transactions import atomic
from resolvers.documents.storage import store_for
from resolvers.households.households import (
    CONTACT_REQUEST_SUMMARIES,
    contact_request_summary,
    household_for,
)
from settings import get_settings

PARIS = ZoneInfo("Europe/Paris")
ANONYMOUS = "Anonymisé"


def _require_guardian(actor: Account | None) -> Account:
    if actor is not None and actor.role != AccountRole.PARENT:
        raise Forbidden("L'export des données est demandé par un responsable de la famille.")
    assert actor is not None
    return actor


async def export_url(
    actor: Account | None, household_id: int, *, clock: Clock
) -> tuple[str, datetime]:
    """A guardian's short-lived link to the ZIP of their household's data."""
    household = await household_for(actor, household_id)
    parent = _require_guardian(actor)
    return signed_links.HOUSEHOLD_EXPORT.url(parent, {"household": household.id}, clock=clock)


@dataclass
class Export:
    filename: str
    data: bytes


def _rows(rows: list[dict[str, Any]], *drop: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k not in drop} for row in rows]


async def export_from_token(token: str, *, clock: Clock) -> Export:
    """The ZIP a link names, if its account may still read the household.

    Raises ``signed_links.InvalidLink`` (tampered, expired) or NOT_FOUND. A fixed number of
    statements plus one read per stored file.
    """
    account, params = await signed_links.HOUSEHOLD_EXPORT.verify(token, clock=clock)
    household = await household_for(account, int(params["household"]))
    _require_guardian(account)
    h = household.id
    requests = await Request.filter(household_id=h).order_by("id").values()
    events = await RequestEvent.filter(request__household_id=h).order_by("id").values()
    attachments = await RequestAttachment.filter(request__household_id=h).values_list(
        "request_id", "document_id"
    )
    history: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        history[event["request_id"]].append(event)
    attached: dict[int, list[int]] = defaultdict(list)
    for request_id, document_id in attachments:
        attached[request_id].append(document_id)
    threads = await MessageThread.filter(household_id=h).order_by("id").values()
    messages = await Message.filter(thread__household_id=h).order_by("id").values()
    by_thread: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for message in messages:
        by_thread[message["thread_id"]].append(message)
    invoices = await Invoice.filter(household_id=h).order_by("id").values()
    desk_payments = await DeskPayment.filter(household_id=h).order_by("id").values()
    # The payment ledger: every payment, refund and reversal (online, direct debit, desk),
    # with what it settled, and the credit refunds.
    ledger = (
        await Payment.filter(household_id=h)
        .order_by("id")
        .values("id", "provider", "provider_txn_id", "kind", "amount_cents", "created_at")
    )
    allocated: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for allocation in (
        await PaymentAllocation.filter(payment__household_id=h)
        .order_by("id")
        .values("payment_id", "invoice_id", "amount_cents")
    ):
        allocated[allocation["payment_id"]].append(allocation)
    credit_refunds = await CreditRefund.filter(household_id=h).order_by("id").values()
    lines = (
        await InvoiceLine.filter(invoice__household_id=h)
        .order_by("invoice_id", "position")
        .values()
    )
    by_invoice: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        by_invoice[line["invoice_id"]].append(line)
    reports = await AbsenceReport.filter(household_id=h).order_by("id").values()
    days = await AbsenceDay.filter(report__household_id=h).order_by("day").values()
    by_report: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for day in days:
        by_report[day["report_id"]].append(day)
    documents = await Document.filter(household_id=h).order_by("id").values()
    files = await DocumentFile.filter(document__household_id=h).order_by("document_id", "position")
    by_document: dict[int, list[dict[str, Any]]] = defaultdict(list)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for file in files:
            path = f"documents/{file.document_id}/{file.position + 1}-{file.filename}"
            zipped.writestr(path, await store_for(file.backend).get(file.storage_key, file.content))
            by_document[file.document_id].append(
                {
                    "filename": file.filename,
                    "content_type": file.content_type,
                    "size": file.size,
                    "sha256": file.sha256,
                    "path_in_archive": path,
                }
            )
        data = {
            "exported_at": clock.now(),
            "household": (await Household.filter(id=h).values())[0],
            "guardians": await Guardian.filter(household_id=h).order_by("id").values(),
            "children": await Child.filter(household_id=h).order_by("id").values(),
            "contacts": await Contact.filter(household_id=h).order_by("id").values(),
            "enrollments": await Enrollment.filter(child__household_id=h)
            .order_by("id")
            .values(
                "id",
                "child_id",
                "status",
                "comment",
                "created_at",
                "decided_at",
                activity="activity__name",
                site="site__name",
                period="period__name",
            ),
            "bookings": await Booking.filter(child__household_id=h)
            .order_by("day", "id")
            .values(
                "id",
                "child_id",
                "day",
                "status",
                "updated_at",
                activity="activity__name",
                site="site__name",
            ),
            "absences": [{**report, "days": by_report[report["id"]]} for report in _rows(reports)],
            "requests": [
                {
                    **request,
                    "history": _rows(history[request["id"]], "request_id"),
                    "attachment_document_ids": attached[request["id"]],
                }
                for request in _rows(requests, "idempotency_key")
            ],
            "messages": [
                {**thread, "messages": _rows(by_thread[thread["id"]], "thread_id")}
                for thread in threads
            ],
            "invoices": [
                {**invoice, "lines": _rows(by_invoice[invoice["id"]], "invoice_id")}
                for invoice in invoices
            ],
            "documents": [
                {**document, "files": by_document[document["id"]]} for document in documents
            ],
            "desk_payments": desk_payments,
            "payments": [
                {**payment, "allocations": _rows(allocated[payment["id"]], "payment_id")}
                for payment in ledger
            ],
            "credit_refunds": credit_refunds,
            # The identity the CAF/MSA quotient is asked with, and the parent's consent.
            "quotient_consents": await QuotientConsent.filter(household_id=h).values(),
        }
        zipped.writestr(
            "data.json",
            orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS),
        )
    await audit.record(
        "household.export",
        tenant_id=household.tenant_id,
        actor=account,
        target_type="household",
        target_id=h,
        clock=clock,
        details={"files": len(files)},
    )
    stamp = clock.now().astimezone(PARIS).strftime("%Y%m%d")
    return Export(f"donnees-{household.reference}-{stamp}.zip", archive.getvalue())


@dataclass
class RetentionRun:
    """What one run did, per town: households erased and files deleted."""

    households: dict[int, list[int]]
    files_deleted: int


async def gone_households(
    now: datetime, retention_days: int, *, tenant_id: int | None = None
) -> list[Household]:
    """Families (of one town, or of all) with no sign of life for the retention period,
    not yet erased. Seven statements whatever the number of families."""
    since = now - timedelta(days=retention_days)
    since_day = since.astimezone(PARIS).date()
    enrolled = (
        await Enrollment.filter(period__ends_on__gte=since_day)
        .exclude(status=EnrollmentStatus.REFUSED)
        .values_list("child__household_id", flat=True)
    )
    asked = await Request.filter(created_at__gte=since).values_list("household_id", flat=True)
    wrote = await MessageThread.filter(last_message_at__gte=since).values_list(
        "household_id", flat=True
    )
    logins = set(
        await LoginAttempt.filter(succeeded=True, created_at__gte=since).values_list(
            "tenant_id", "email"
        )
    )
    linked = await Guardian.filter(
        account__email__in=[email for _, email in logins] or [""]
    ).values_list("household_id", "account__tenant_id", "account__email")
    logged_in = {h for h, tenant, email in linked if (tenant, email) in logins}
    erased = await HouseholdErasure.all().values_list("household_id", flat=True)
    alive = {*enrolled, *asked, *wrote, *logged_in, *erased}
    households = Household.filter(created_at__lt=since)
    if tenant_id is not None:
        households = households.filter(tenant_id=tenant_id)
    return [h for h in await households.order_by("id") if h.id not in alive]


@dataclass
class _Erased:
    """What one family's erasure removed: its distinctive values (names, e-mails, phones,
    address, health), searched for in the tables shared by every family (the outbox, the
    audit log), and the addresses its mails went to."""

    values: set[str]
    # Too common to look for everywhere (first names, subjects): replaced in the family's
    # own mails only.
    own: set[str]
    addresses: set[str]
    children: int
    contacts: int


# Shorter values (initials, "CP") would match unrelated text in the shared tables.
_MIN_VALUE_LENGTH = 4


def _distinctive(*values: str) -> set[str]:
    """The values worth looking for, line by line (JSON text escapes line breaks)."""
    lines = (line.strip() for value in values for line in value.splitlines())
    return {line for line in lines if len(line) >= _MIN_VALUE_LENGTH}


def _contact_name(kind: RequestKind, summary: str) -> str:
    """The name in « Ajout du contact Paul Lemoine (personne autorisée…) »: it outlives a
    renamed or removed contact."""
    label = summary.removeprefix(CONTACT_REQUEST_SUMMARIES[kind]).strip()
    return label.rsplit(" (", 1)[0] if label.endswith(")") else label


def _scrub(value: Any, values: list[str]) -> Any:
    """``value`` (JSON) with each of ``values`` (longest first) replaced in its strings."""
    if isinstance(value, str):
        for erased in values:
            value = value.replace(erased, ANONYMOUS)
        return value
    if isinstance(value, list):
        return [_scrub(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, values) for key, item in value.items()}
    return value


def _longest_first(values: set[str]) -> list[str]:
    return sorted(values, key=len, reverse=True)


async def _erase_family(household: Household) -> _Erased:
    """Inside the caller's transaction: the family file loses its contact details (address,
    phones, e-mails), its contacts, its children's health notes and every copy of them in
    its own rows: request summaries and payloads, history comments, messages, absence and
    enrolment comments, document numbers. Names of the household, guardians and children
    stay (the invoices kept for public accounting carry them)."""
    h = household.id
    contacts = await Contact.filter(household_id=h).values_list(
        "first_names", "last_name", "phone", "notes", "relationship"
    )
    guardians = await Guardian.filter(household_id=h).values_list(
        "email", "phone_mobile", "phone_work", "account__email"
    )
    children = await Child.filter(household_id=h).values_list("health_notes", "pai_details")
    requests = await Request.filter(household_id=h).values_list("id", "kind", "summary", "payload")
    values = _distinctive(
        household.address_line,
        household.address_complement,
        household.phone,
        household.email,
        *(f"{first} {last}" for first, last, *_ in contacts),
        *(value for row in contacts for value in row[1:4]),
        *(value for row in guardians for value in row[:3] if value),
        *(value for row in children for value in row),
    )
    for _, kind, summary, payload in requests:
        if kind in CONTACT_REQUEST_SUMMARIES:
            values |= _distinctive(_contact_name(RequestKind(kind), summary))
        for name, change in (payload or {}).get("changes", {}).items():
            # A town's name or postal code is everybody's: cleared here, not searched for.
            if name not in ("city", "postal_code"):
                values |= _distinctive(str(change.get("before", "")), str(change.get("after", "")))
    bodies = await Message.filter(thread__household_id=h).values_list("body", flat=True)
    # A mail quotes the start of a message: enough to find it in the outbox.
    values |= _distinctive(*(str(body)[:60] for body in bodies))
    subjects = await MessageThread.filter(household_id=h).values_list("subject", flat=True)
    own = _distinctive(*(first for first, *_ in contacts), *map(str, subjects))
    ordered = _longest_first(values)

    await Household.filter(id=h).update(
        address_line=ANONYMOUS,
        address_complement="",
        postal_code="",
        city="",
        phone="",
        email="",
    )
    await Guardian.filter(household_id=h).update(email="", phone_mobile="", phone_work="")
    # Birth name, date and place given for the CAF/MSA quotient: no longer needed.
    await QuotientConsent.filter(household_id=h).delete()
    # Where receipts went: payment records stay (public accounting), their address not.
    await DeskPayment.filter(household_id=h).update(email="")
    cleared = await Child.filter(household_id=h).update(
        health_notes="", pai_details="", has_pai=False
    )
    anonymised = await Contact.filter(household_id=h).update(
        last_name=ANONYMOUS, first_names="", relationship="", phone="", notes=""
    )
    for request_id, kind, summary, payload in requests:
        if kind in CONTACT_REQUEST_SUMMARIES:
            summary = contact_request_summary(RequestKind(kind), ANONYMOUS)
        payload = dict(payload or {})
        if "changes" in payload:
            payload["changes"] = {
                name: {"before": ANONYMOUS, "after": ANONYMOUS} for name in payload["changes"]
            }
        await Request.filter(id=request_id).update(
            summary=_scrub(summary, ordered), payload=_scrub(payload, ordered)
        )
    # Free text may name anyone: it goes whole.
    await RequestEvent.filter(request__household_id=h).exclude(comment="").update(comment=ANONYMOUS)
    await MessageThread.filter(household_id=h).update(subject=ANONYMOUS)
    await Message.filter(thread__household_id=h).update(body=ANONYMOUS)
    await AbsenceReport.filter(household_id=h).exclude(comment="").update(comment=ANONYMOUS)
    await (
        AbsenceReport.filter(household_id=h)
        .exclude(decision_comment="")
        .update(decision_comment=ANONYMOUS)
    )
    await Enrollment.filter(child__household_id=h).exclude(comment="").update(comment=ANONYMOUS)
    await Document.filter(household_id=h).update(number="")
    addresses = {email.lower() for row in guardians for email in (row[0], row[3]) if email}
    if household.email:
        addresses.add(household.email.lower())
    return _Erased(values, own - values, addresses, cleared, anonymised)


async def _scrub_shared_tables(tenant_id: int, family: _Erased) -> None:
    """The copies outside the family's own rows. Outbox: a mail already sent that quotes an
    erased value or went to the family is deleted (it is done, nothing needs it); one still
    to send has the values replaced (and, sent to the family, its first names and subjects
    too). Audit log: the values are replaced in the town's entries' details (their action,
    target and date stay)."""
    if not family.values and not family.addresses:
        return
    ordered = _longest_first(family.values)
    with_own = _longest_first(family.values | family.own)
    # JSON text quotes a value as orjson writes it (PostgreSQL's jsonb too): the SQL finds
    # candidates, Python decides on the decoded row.
    patterns = [
        f"%{orjson.dumps(value).decode()[1:-1]}%" for value in (*ordered, *sorted(family.addresses))
    ]

    async def candidates(table: str, column: str, tenant: int | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for start in range(0, len(patterns), 50):
            params = Params()
            like = " OR ".join(
                f"CAST({column} AS TEXT) LIKE {params(pattern)}"
                for pattern in patterns[start : start + 50]
            )
            scope = "" if tenant is None else f" AND tenant_id = {params(tenant)}"
            found += await fetch(f"SELECT * FROM {table} WHERE ({like}){scope}", params)
        return list({row["id"]: row for row in found}.values())

    def decoded(value: Any) -> Any:
        return orjson.loads(value) if isinstance(value, str | bytes) else value

    done: list[int] = []
    for row in await candidates("outbox_job", "kwargs", None):
        kwargs = decoded(row["kwargs"])
        to_family = str(kwargs.get("to", "")).lower() in family.addresses
        if row["completed_at"] is not None:
            done.append(row["id"])
        else:
            scrubbed = _scrub(kwargs, with_own if to_family else ordered)
            if scrubbed != kwargs:
                await OutboxJob.filter(id=row["id"]).update(kwargs=scrubbed)
    if done:
        await OutboxJob.filter(id__in=done).delete()
    for row in await candidates("audit_entry", "details", tenant_id):
        details = decoded(row["details"])
        scrubbed = _scrub(details, ordered)
        if scrubbed != details:
            await AuditEntry.filter(id=row["id"]).update(details=scrubbed)


async def apply_retention(*, clock: Clock, tenant_id: int | None = None) -> RetentionRun:
    """Delete the files and anonymise the contact details, contacts and health notes of gone
    families (of one town, or of all), with every copy the database holds of them."""
    retention_days = get_settings().retention_days
    now = clock.now()
    erased: dict[int, list[int]] = defaultdict(list)
    files_deleted = 0
    for household in await gone_households(now, retention_days, tenant_id=tenant_id):
        files = await DocumentFile.filter(document__household_id=household.id).values_list(
            "id", "backend", "storage_key"
        )
        async with atomic():
            await DocumentFile.filter(id__in=[file_id for file_id, _, _ in files]).delete()
            family = await _erase_family(household)
            await _scrub_shared_tables(household.tenant_id, family)
            await HouseholdErasure.create(
                household=household,
                files_deleted=len(files),
                children_cleared=family.children,
                contacts_anonymised=family.contacts,
                erased_at=now,
            )
        # After the commit: a file is removed only once no row names it.
        for backend, key in {(backend, key) for _, backend, key in files if key}:
            await store_for(backend).discard([key])
        erased[household.tenant_id].append(household.id)
        files_deleted += len(files)
    towns = Tenant.all() if tenant_id is None else Tenant.filter(id=tenant_id)
    tenants = cast(list[int], await towns.values_list("id", flat=True))
    await AuditEntry.bulk_create(
        [
            AuditEntry(
                tenant_id=tenant_id,
                actor=None,
                action="retention.run",
                target_type="tenant",
                target_id=tenant_id,
                details={"retention_days": retention_days, "households": erased.get(tenant_id, [])},
                created_at=now,
            )
            for tenant_id in tenants
        ]
    )
    return RetentionRun(dict(erased), files_deleted)
