"""What the websocket on /graphql accepts: subscriptions only."""

from collections.abc import Iterator

from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from resolvers.errors import CommonErrorCode, DomainError


class SubscriptionsOnlyOverWebSocket(SchemaExtension):
    """Queries and mutations go through ``POST /graphql``.

    A websocket connection has one context for its whole life: its DataLoaders would serve
    stale rows to a second query, and its mutations would escape the per-request limits
    of HTTP (body size, rate limits by address). Refused with INVALID.
    """

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        request = getattr(execution.context, "request", None)
        if (
            isinstance(request, WebSocket)
            and execution.operation_type != OperationType.SUBSCRIPTION
        ):
            raise DomainError(
                CommonErrorCode.INVALID,
                "Le websocket ne sert qu'aux abonnements (subscription) : envoyez les "
                "requêtes et les mutations en POST sur /graphql.",
            )
        yield
