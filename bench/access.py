"""What declaring an operation's roles costs: the ``OperationAccess`` field extension that
wraps every root field (gql/access.py), timed in process against the bare resolver call, for
a declared staff operation (role check + current operation) and an undeclared one (current
operation only). Run ``bench/access``; prints microseconds per root-field call."""

import argparse
import asyncio
import time
from types import SimpleNamespace
from typing import Any

from gql.access import AGENT, OperationAccess, staff
from models.accounts import AccountRole


async def _resolver(source: Any, info: Any, **kwargs: Any) -> int:
    return 1


async def measure(calls: int) -> None:
    info: Any = SimpleNamespace(
        context=SimpleNamespace(account=SimpleNamespace(role=AccountRole.AGENT))
    )
    for label, extension in (
        ("declared (households)", OperationAccess("households", staff(AGENT))),
        ("undeclared (calendar)", OperationAccess("calendar", None)),
    ):
        start = time.perf_counter()
        for _ in range(calls):
            await _resolver(None, info)
        bare = (time.perf_counter() - start) / calls * 1e6
        start = time.perf_counter()
        for _ in range(calls):
            await extension.resolve_async(_resolver, None, info)
        wrapped = (time.perf_counter() - start) / calls * 1e6
        print(
            f"{label}: {wrapped:.2f} µs per root-field call, bare {bare:.2f} µs, "
            f"added {wrapped - bare:.2f} µs"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200_000, help="calls per measure")
    asyncio.run(measure(parser.parse_args().calls))


if __name__ == "__main__":
    main()
