"""Who may run each staff operation: one table, keyed by the operation's root field.

ADMIN may run every operation; each row names the other staff roles that may. A row with
``parents=True`` is an operation parents run too (on their own household, checked by the
domain); without it, parents are refused with ``FORBIDDEN``. How a role is scoped inside an
operation (a régisseur's régies, a site member's sites) is the domain's rule
(``resolvers/core/roles.py``).

Adding a staff operation = adding its row here. Without a row, its ``require_staff`` call
fails (``UndeclaredStaffOperation``, a masked error, logged) and
``tests/staff/test_role_matrix.py``, generated from the schema, fails naming it; a row naming
no root field fails the schema build. Each declared field's description ends with its roles,
so GraphiQL's Docs show them.
"""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.types.field import StrawberryField

from gql.context import Info
from models.accounts import Account, AccountRole
from resolvers.core.errors import DomainError, Forbidden, NotAuthenticated
from resolvers.core.roles import OperationRoles, current_operation, refusal, role_allowed

ADMIN = AccountRole.ADMIN
AGENT = AccountRole.AGENT
REGISSEUR = AccountRole.REGISSEUR
SITE = AccountRole.SITE


@dataclass(frozen=True)
class Access:
    """The staff roles of one operation (ADMIN implied), and whether parents run it too."""

    roles: frozenset[AccountRole]
    parents: bool = False


def staff(*roles: AccountRole, parents: bool = False) -> Access:
    return Access(frozenset({ADMIN, *roles}), parents)


# Family side (AGENT): family files, requests, bookings, absences, messages, news,
# enrolments, catalogue. Money (REGISSEUR): billing, payments, desk, SEPA, exports.
# Sites (SITE): attendance sheets and kitchen forecasts. Town and staff: ADMIN only.
STAFF_OPERATIONS: dict[str, Access] = {
    # Family files, requests, enrolments, absences, messages, news, catalogue.
    "households": staff(AGENT),
    "createHousehold": staff(AGENT),
    "issueAccessKey": staff(AGENT),
    "addChild": staff(AGENT),
    "updateChild": staff(AGENT),
    "removeChild": staff(AGENT),
    "addGuardian": staff(AGENT),
    "updateGuardian": staff(AGENT),
    "removeGuardian": staff(AGENT),
    "updateHousehold": staff(AGENT),
    "setFamilyQuotient": staff(AGENT),
    "setHouseholdArchived": staff(AGENT),
    "completeFamilyQuotientRequest": staff(AGENT),
    "answerAppointmentRequest": staff(AGENT),
    "townQuestions": staff(AGENT),
    "answerTownQuestion": staff(AGENT),
    # The consents a town asks are one of its settings.
    "saveConsentType": staff(),
    "townRequests": staff(AGENT),
    "changeRequestStatus": staff(AGENT),
    "decideEnrollment": staff(AGENT),
    "pendingAbsenceReports": staff(AGENT),
    "decideAbsenceReport": staff(AGENT),
    "townMessageThreads": staff(AGENT),
    "unreadMessageCount": staff(AGENT, parents=True),
    "townNews": staff(AGENT),
    "publishNews": staff(AGENT),
    "deleteNews": staff(AGENT),
    "createSite": staff(AGENT),
    "saveActivity": staff(AGENT),
    "createPeriod": staff(AGENT),
    "setOpening": staff(AGENT),
    "addCalendarException": staff(AGENT),
    "addSchoolHoliday": staff(AGENT),
    "setKitchenEmail": staff(AGENT),
    "updateSite": staff(AGENT),
    "deleteSite": staff(AGENT),
    "updatePeriod": staff(AGENT),
    "deletePeriod": staff(AGENT),
    "deleteOpening": staff(AGENT),
    "updateCalendarException": staff(AGENT),
    "deleteCalendarException": staff(AGENT),
    "openings": staff(AGENT),
    "calendarExceptions": staff(AGENT),
    "findFamilies": staff(AGENT),
    "openReenrollment": staff(AGENT),
    "townReenrollments": staff(AGENT),
    "decideReenrollments": staff(AGENT),
    "importFamilies": staff(AGENT),
    "fetchFamilyQuotient": staff(AGENT),
    "quotientConsent": staff(AGENT),
    # Sites: attendance sheets and kitchen forecasts (a site member: their sites only).
    "attendanceSheets": staff(AGENT, SITE),
    "siteChildren": staff(AGENT, SITE),
    "attendanceSheetsPdf": staff(AGENT, SITE),
    "kitchenForecast": staff(AGENT, SITE),
    "kitchenForecastExport": staff(AGENT, SITE),
    "attendance": staff(AGENT, SITE, REGISSEUR),
    "recordAttendance": staff(AGENT, SITE),
    # Money (a régisseur: their régies only).
    "billingAuthorities": staff(REGISSEUR),
    "tariffs": staff(REGISSEUR),
    "tariffsConnection": staff(REGISSEUR),
    "addTariff": staff(REGISSEUR),
    "deleteTariff": staff(REGISSEUR),
    "billingMonthTotals": staff(REGISSEUR),
    "paymentsToReview": staff(REGISSEUR),
    "paymentsToReviewConnection": staff(REGISSEUR),
    "resolvePaymentReview": staff(REGISSEUR),
    "recordDeskPayment": staff(REGISSEUR),
    "cancelDeskPayment": staff(REGISSEUR),
    "refundCredit": staff(REGISSEUR),
    "paymentsToDeposit": staff(REGISSEUR),
    "createDepositSlip": staff(REGISSEUR),
    "depositSlip": staff(REGISSEUR),
    "depositSlips": staff(REGISSEUR),
    "cashJournal": staff(REGISSEUR),
    "addInvoiceLine": staff(REGISSEUR),
    "cancelInvoice": staff(REGISSEUR),
    "overdueInvoices": staff(REGISSEUR),
    "sendPaymentReminder": staff(REGISSEUR),
    "paymentSetup": staff(REGISSEUR),
    "setPaymentSetup": staff(REGISSEUR),
    "sepaCreditor": staff(REGISSEUR),
    "saveSepaCreditor": staff(REGISSEUR),
    "createSepaMandate": staff(REGISSEUR),
    "revokeSepaMandate": staff(REGISSEUR),
    "directDebitBatches": staff(REGISSEUR),
    "directDebitBatchesConnection": staff(REGISSEUR),
    "exportDirectDebits": staff(REGISSEUR),
    "markDirectDebitBatchCollected": staff(REGISSEUR),
    "cancelDirectDebitBatch": staff(REGISSEUR),
    "recordDirectDebitRejection": staff(REGISSEUR),
    "pesSettings": staff(REGISSEUR),
    "exportTitres": staff(REGISSEUR),
    "cancelTitresExport": staff(REGISSEUR),
    "titresExports": staff(REGISSEUR),
    # Every staff member reads the town's rules.
    "townSettings": staff(AGENT, REGISSEUR, SITE),
    # Settings, staff and audit: administrators only.
    "updateTown": staff(),
    "rolloverYear": staff(),
    "staffMembers": staff(),
    "inviteStaff": staff(),
    "changeStaffRole": staff(),
    "disableStaff": staff(),
    "enableStaff": staff(),
    "saveBillingAuthority": staff(),
    "updatePesSettings": staff(),
    "setActivityBillingAuthority": staff(),
    "healthNotesReads": staff(),
}


class OperationAccess(FieldExtension):
    """Checks an operation's declaration before its resolver, and makes it the current
    operation while the resolver runs (what ``require_staff`` enforces)."""

    def __init__(self, name: str, access: Access | None) -> None:
        self.access = access
        self.operation = OperationRoles(name, access.roles if access else None)
        self.refuse: Callable[[DomainError], Any] | None = None

    def apply(self, field: StrawberryField) -> None:
        resolver = field.base_resolver.wrapped_func if field.base_resolver else None
        # A mutation under handles_errors answers a refusal in its payload's errors.
        self.refuse = getattr(resolver, "refuse", None)

    def _refusal(self, info: Info) -> DomainError | None:
        return self.refusal_of(info.context.account)

    def refusal_of(self, actor: Account | None) -> DomainError | None:
        """Why ``actor`` may not run the operation, or None."""
        if self.access is None:
            return None
        if actor is None:
            return NotAuthenticated()
        if actor.role == AccountRole.PARENT:
            if self.access.parents:
                return None
            return Forbidden("Cette opération est réservée aux agents de la commune.")
        if not role_allowed(actor.role, self.access.roles):
            return refusal(actor.role)
        return None

    def _refused(self, failure: DomainError) -> Any:
        if self.refuse is None:
            raise failure
        return self.refuse(failure)

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        failure = self._refusal(info)
        if failure is not None:
            return self._refused(failure)
        token = current_operation.set(self.operation)
        try:
            return next_(source, info, **kwargs)
        finally:
            current_operation.reset(token)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        failure = self._refusal(info)
        if failure is not None:
            return self._refused(failure)
        # set/reset rather than ``running()``: this wraps every root field of every request.
        token = current_operation.set(self.operation)
        try:
            return await next_(source, info, **kwargs)
        finally:
            current_operation.reset(token)

    async def run(self, actor: Account | None, call: Callable[[], Awaitable[Any]]) -> Any:
        """``call()`` as the field's resolver runs under this extension, for a caller that
        skips the executor (gql/mobile/compiled.py): the same check, the same current
        operation."""
        failure = self.refusal_of(actor)
        if failure is not None:
            return self._refused(failure)
        token = current_operation.set(self.operation)
        try:
            return await call()
        finally:
            current_operation.reset(token)


def role_names(access: Access) -> str:
    return ", ".join(role.name for role in sorted(access.roles, key=list(AccountRole).index))


def declare_access(root_types: Iterable[type], table: dict[str, Access]) -> None:
    """Give every root field of ``root_types`` its ``OperationAccess`` (before the schema is
    built); a row of ``table`` naming no root field is an error."""
    seen: set[str] = set()
    for root in root_types:
        for field in root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            name = field.graphql_name or _camel(field.python_name)
            access = table.get(name)
            seen.add(name)
            if any(isinstance(e, OperationAccess) for e in field.extensions):
                continue
            field.extensions.append(OperationAccess(name, access))
            if access is not None:
                parents = " and parents" if access.parents else ""
                field.description = (
                    f"{field.description or ''} Roles: {role_names(access)}{parents}."
                ).strip()
    stale = sorted(set(table) - seen)
    if stale:
        raise TypeError(f"STAFF_OPERATIONS names no root field: {', '.join(stale)}")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
