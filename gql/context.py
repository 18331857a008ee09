"""The per-request context every resolver receives as ``info.context``."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import strawberry
from arq import ArqRedis
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from models.accounts import Account
from resolvers.core.clock import Clock
from resolvers.core.errors import NotAuthenticated

if TYPE_CHECKING:
    from gql.loaders import Loaders


@dataclass
class Context:
    """Who is asking, from where, with which clock, plus this request's DataLoaders.

    Over the websocket there is one context per connection: ``request`` is the websocket,
    ``response`` is None and ``connection_params`` the connection_init payload.
    """

    request: Request | WebSocket
    response: Response | None
    clock: Clock
    redis: ArqRedis | None
    request_id: str
    client_address: str
    account: Account | None = None
    session_id: int | None = None
    loaders: "Loaders" = field(default=None)  # type: ignore[assignment]
    connection_params: dict[str, object] | None = None

    def require_account(self) -> Account:
        if self.account is None:
            raise NotAuthenticated()
        return self.account


def bearer_token(headers: Mapping[str, object] | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` entry (any case of the key), if any."""
    for key, value in (headers or {}).items():
        if key.lower() == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


Info = strawberry.Info[Context, None]
