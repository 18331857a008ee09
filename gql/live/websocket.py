"""Which transport carries what: subscriptions on the websocket, the rest over HTTP."""

from collections.abc import Iterator, Mapping

import orjson
from graphql import GraphQLError
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.extensions import SchemaExtension
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types.graphql import OperationType

from resolvers.core.errors import CommonErrorCode


def _refusal(message: str) -> GraphQLError:
    # Raised before execution, where strawberry answers without the ErrorPolicy pass:
    # the code is set here.
    return GraphQLError(message, extensions={"code": CommonErrorCode.INVALID.value})


class SubscriptionsOnWebSocketOnly(SchemaExtension):
    """Subscriptions need the websocket; queries and mutations go through HTTP.

    A websocket connection has one context for its whole life: its DataLoaders would serve
    stale rows to a second query, and its mutations would escape the per-request limits of
    HTTP (body size, rate limits by address). Over HTTP, a subscription has no stream to
    answer on. Both are refused with INVALID and a French message saying where to go.
    """

    def on_execute(self) -> Iterator[None]:
        execution = self.execution_context
        over_websocket = isinstance(getattr(execution.context, "request", None), WebSocket)
        subscription = execution.operation_type == OperationType.SUBSCRIPTION
        if over_websocket and not subscription:
            raise _refusal(
                "Le websocket ne sert qu'aux abonnements (subscription) : envoyez les "
                "requêtes et les mutations en POST sur /graphql."
            )
        if subscription and not over_websocket:
            raise _refusal(
                "Les abonnements passent par un websocket sur /graphql (protocole "
                "graphql-transport-ws)."
            )
        yield


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    """Sends every graphql-transport-ws message as a text frame.

    The protocol's messages are JSON text, and its clients read only text frames: the
    graphql-ws library closes with 4004 « Message is missing the 'type' property » on a
    binary one, and browsers hand binary frames over as Blobs. Strawberry sends bytes as a
    binary frame, and the view's ``encode_json`` returns bytes (orjson, for HTTP bodies).
    """

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
