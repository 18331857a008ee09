"""Counting the SQL statements a block of code sends: the no-N+1 promise, made checkable."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

_NOT_STATEMENTS = ("Created connection", "Closed connection")


class StatementLog(logging.Handler):
    """Collects the SQL statements tortoise's clients log before executing them."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # Every execute_* method logs "%s: %s" (query, values), execute_script the bare
        # query; the clients also log pool/connection opening and closing, not statements.
        message = record.getMessage()
        if not message.startswith(_NOT_STATEMENTS):
            self.statements.append(message)

    @property
    def count(self) -> int:
        return len(self.statements)


@asynccontextmanager
async def count_queries() -> AsyncIterator[StatementLog]:
    logger = logging.getLogger("tortoise.db_client")
    handler = StatementLog()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
