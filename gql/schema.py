"""The schema: areas' queries and mutations composed, plus the operation-wide extensions."""

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from gql.absences.mutations import AbsenceMutations
from gql.absences.queries import AbsenceQueries
from gql.access import STAFF_OPERATIONS, declare_access
from gql.accounting.queries import AccountingQueries
from gql.accounts.mutations import AccountMutations
from gql.accounts.queries import AccountQueries
from gql.billing.corrections import CorrectionMutations
from gql.billing.mutations import BillingMutations
from gql.billing.queries import BillingQueries
from gql.calendar.mutations import CalendarMutations
from gql.calendar.queries import CalendarQueries
from gql.calendar.school_year import SchoolYearMutations, SchoolYearQueries
from gql.calendar.staff_desk import StaffDeskMutations, StaffDeskQueries
from gql.documents.mutations import DocumentMutations
from gql.documents.queries import DocumentQueries
from gql.edge import InputGuard, list_limits
from gql.enum_values import describe_enum_values
from gql.error_codes import check_error_codes
from gql.errors import HANDLED, ErrorPolicy, log_unexpected
from gql.execution import FamilleExecutionContext
from gql.home.queries import HomeQueries
from gql.households.family_files import FamilyFileMutations
from gql.households.imports import HouseholdImportMutations
from gql.households.mutations import HouseholdMutations
from gql.households.queries import HouseholdQueries
from gql.live.subscriptions import LiveSubscriptions
from gql.live.websocket import SubscriptionsOnWebSocketOnly
from gql.messages.mutations import MessageMutations
from gql.messages.queries import MessageQueries
from gql.news.mutations import NewsMutations
from gql.news.queries import NewsQueries
from gql.nodes import NodeQueries
from gql.observability.operations import OperationMetrics
from gql.observability.tracing import operation_extension
from gql.operation_cache import OperationCache
from gql.operations.mutations import OperationsMutations
from gql.operations.queries import OperationsQueries
from gql.outbox_relay import relay_after_mutation
from gql.payments.mutations import PaymentMutations
from gql.payments.queries import PaymentQueries
from gql.payments.till import TillMutations, TillQueries
from gql.persisted import PersistedQueries
from gql.privacy.mutations import PrivacyMutations
from gql.quotients.mutations import QuotientMutations
from gql.quotients.queries import QuotientQueries
from gql.reminders.dunning import DunningMutations, DunningQueries
from gql.reminders.mutations import ReminderMutations
from gql.requests.mutations import RequestMutations
from gql.requests.queries import RequestQueries
from gql.requests.questions import QuestionMutations, QuestionQueries
from gql.sepa.mutations import SepaMutations
from gql.sepa.queries import SepaQueries
from gql.staff.mutations import StaffMutations
from gql.staff.queries import StaffQueries
from gql.treasury.mutations import TreasuryMutations
from gql.treasury.queries import TreasuryQueries
from settings import get_settings


@strawberry.type(description="Everything that can be read.")
class Query(
    AccountQueries,
    HouseholdQueries,
    CalendarQueries,
    HomeQueries,
    SchoolYearQueries,
    StaffDeskQueries,
    AbsenceQueries,
    DocumentQueries,
    OperationsQueries,
    NewsQueries,
    MessageQueries,
    BillingQueries,
    SepaQueries,
    TreasuryQueries,
    QuotientQueries,
    AccountingQueries,
    RequestQueries,
    QuestionQueries,
    PaymentQueries,
    TillQueries,
    DunningQueries,
    StaffQueries,
    NodeQueries,
):
    pass


@strawberry.type(description="Everything that can be changed.")
class Mutation(
    AccountMutations,
    HouseholdMutations,
    FamilyFileMutations,
    HouseholdImportMutations,
    CalendarMutations,
    SchoolYearMutations,
    StaffDeskMutations,
    AbsenceMutations,
    DocumentMutations,
    OperationsMutations,
    NewsMutations,
    MessageMutations,
    BillingMutations,
    CorrectionMutations,
    SepaMutations,
    TreasuryMutations,
    QuotientMutations,
    RequestMutations,
    QuestionMutations,
    PrivacyMutations,
    ReminderMutations,
    PaymentMutations,
    TillMutations,
    DunningMutations,
    StaffMutations,
):
    pass


@strawberry.type(
    description="What can be followed live: graphql-transport-ws on the /graphql websocket."
)
class Subscription(LiveSubscriptions):
    pass


class OutboxRelay(SchemaExtension):
    """After a mutation committed, hand its recorded jobs to arq at once: over HTTP once
    the answer is sent (a Starlette background task: the family's phone does not wait for
    Redis, about 3 ms of a booking's answer), over a websocket before answering.

    If Redis is unreachable the jobs stay in the outbox table and the worker's relay cron
    picks them up later: mail is delayed, never lost.
    """

    async def on_operation(self) -> Any:
        yield
        execution = self.execution_context
        if (  # a text that did not parse has no operation
            execution.graphql_document is None or execution.operation_type != OperationType.MUTATION
        ):
            return
        context = execution.context
        await relay_after_mutation(
            getattr(context, "redis", None), context.clock, getattr(context, "response", None)
        )


class FamilleSchema(strawberry.Schema):
    """Logs unexpected errors once, with the request id; expected ones are not noise.
    ``input_limits``: each list argument's maximum (gql/edge.py), which ``InputGuard``
    enforces and the compiled documents (gql/mobile/compiled.py) check the same way."""

    input_limits: dict[str, int]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        log_unexpected(errors, getattr(context, "request_id", "-"))


def build_schema() -> FamilleSchema:
    # Each mutation's error enum must hold every code its operations can raise.
    check_error_codes(HANDLED)
    describe_enum_values()
    # Each staff operation's roles, from the one table of gql/access.py.
    declare_access((Query, Mutation), STAFF_OPERATIONS)
    settings = get_settings()
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules,
    ]
    limits: dict[str, int] = {}
    root_fields: frozenset[str] = frozenset()
    built = FamilleSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=FamilleExecutionContext,
        extensions=[
            # Outermost: the trace's operation span, then the metrics, which see the errors
            # as ErrorPolicy rewrote them (extensions leave in the reverse order).
            operation_extension,
            lambda: OperationMetrics(root_fields),
            # A factory: strawberry builds fresh extensions per request; the cache of
            # checked operations is shared (class level), the limits' rules built once above.
            # Then: a persisted query's hash becomes its text before anything parses it.
            PersistedQueries,
            lambda: OperationCache(limit_rules, max_tokens=settings.graphql_max_tokens),
            lambda: InputGuard(limits),
            ErrorPolicy,
            OutboxRelay,
            SubscriptionsOnWebSocketOnly,
        ],
    )
    # Every list argument's maximum, in its description and refused past it (gql/edge.py).
    limits.update(list_limits(built._schema, settings))
    built.input_limits = limits
    # The operation labels of the metrics: the root fields' names (gql/observability).
    root_fields = frozenset(
        name
        for root in (Query, Mutation, Subscription)
        for name in built._schema.get_type(root.__name__).fields  # type: ignore[union-attr]
    )
    return built


schema = build_schema()


def export_sdl() -> str:
    return schema.as_str() + "\n"
