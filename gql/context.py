"""The per-request context every resolver receives as ``info.context``."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import strawberry
from arq import ArqRedis
from starlette.requests import Request
from starlette.responses import Response

from models.accounts import Account
from resolvers.clock import Clock
from resolvers.errors import NotAuthenticated

if TYPE_CHECKING:
    from gql.loaders import Loaders


@dataclass
class Context:
    """Who is asking, from where, with which clock, plus this request's DataLoaders."""

    request: Request
    response: Response
    clock: Clock
    redis: ArqRedis | None
    request_id: str
    client_address: str
    account: Account | None = None
    session_id: int | None = None
    loaders: "Loaders" = field(default=None)  # type: ignore[assignment]

    def require_account(self) -> Account:
        if self.account is None:
            raise NotAuthenticated()
        return self.account


Info = strawberry.Info[Context, None]
