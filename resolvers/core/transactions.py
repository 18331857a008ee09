"""One transaction per operation: ``atomic()`` joins the caller's, or opens one.

The GraphQL mutation wrapper (gql/errors.py ``handles_errors``) runs each mutation inside
``atomic()``; the operations it calls use ``atomic()`` too, so a job or the CLI calling the
same operation still gets its transaction, and a mutation pays no savepoint for it.

``savepoint()`` is Tortoise's nested ``in_transaction()``, for the few blocks that catch a
database error and go on querying: PostgreSQL refuses every statement of a transaction
after an error, except behind a savepoint rolled back to.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.backends.base.client import TransactionalDBClient, TransactionContext
from tortoise.transactions import in_transaction

from resolvers.core.sql import connection


def in_atomic_block() -> bool:
    """True when this task already runs inside a transaction."""
    return isinstance(connection(), TransactionalDBClient)


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """The current transaction if there is one (no savepoint), else a new one: committed
    when the block ends, rolled back when it raises."""
    if in_atomic_block():
        yield
        return
    async with in_transaction("default"):
        yield


def savepoint() -> TransactionContext:
    """A savepoint inside the current transaction (a transaction of its own outside one):
    an error inside it rolls back to it, and the transaction goes on."""
    return in_transaction("default")
