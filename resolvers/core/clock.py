"""The one injectable source of "now": tests move a ``FrozenClock`` instead of sleeping.

Waiting goes through the clock too (``sleep``): the login slow-down of a client address
really waits on the ``SystemClock``; a ``FrozenClock`` moves forward by that much at once
and keeps what it was asked in ``slept``, for tests to read.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current UTC time and can wait."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class FrozenClock:
    """A clock that only moves when told to (tests, demo data)."""

    current: datetime = field(default_factory=lambda: datetime.now(UTC))
    slept: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    async def sleep(self, seconds: float) -> None:
        """No real wait: the time moves on by ``seconds``, which ``slept`` records."""
        self.slept.append(seconds)
        self.advance(timedelta(seconds=seconds))
