"""Where a one-day submit of the surge spends its time (``bench/surge --profile``): our
``submitBookingChanges`` called in process (no uvicorn, no socket) under pyinstrument, in a
fresh interpreter, one family after another on the surge's activity, and the SQL
statements of one submit (Tortoise's statement log, as ``tests/sql_count.py`` counts them;
the outbox relay that follows the answer included: Starlette runs it inside the same call).

    .venv/bin/python -m bench.surge_profile [--submits 300]

Run by ``bench/surge --profile`` once the surge is prepared (``bench.surge.prepare``),
before the servers start.
Each submit books a family's first child on a surge Wednesday; the surge's bookings are
left for the next reset (``bench/surge`` resets before each run).
"""

import argparse
import os
import uuid
from itertools import count

from bench.client import Reply
from bench.inprocess import normalise, our_app, recording
from bench.profile import describe, profile
from bench.seed import DATABASE_URL, session_token
from bench.surge import Surge, load_surge, ours_submit, reset


def submit_ok(reply: Reply) -> bool:
    return reply.status == 200 and b'"errors":[]' in reply.body and b"REJECTED" not in reply.body


async def profile_surge(submits: int) -> str:
    surge: Surge = await load_surge()
    await reset(surge)
    run_id = uuid.uuid4().hex[:8]
    # Each (family, day) once: families in order, the next Wednesday when through them.
    slots = ((family, day) for day in surge.days for family in surge.families)
    serial = count()

    async with our_app() as client:

        async def one() -> Reply:
            (account, household, child), day = next(slots)
            payload = ours_submit(
                surge, household, child, day.isoformat(), f"surge-{run_id}-{next(serial)}"
            )
            reply = await client.post("/graphql", payload, session_token(account))
            assert submit_ok(reply), reply.body[:300]
            return reply

        for _ in range(30):  # warm: operation caches, the pool's connections
            await one()
        with recording() as log:
            await one()
        statements = [normalise(s.sql)[:110] for s in log.statements]

        async def run() -> None:
            for _ in range(submits):
                await one()

        prof = await profile(run, submits)
    lines = [f"SQL statements of one surge submit (outbox relay included): {len(statements)}"]
    lines += [f"  {n + 1:2}. {sql}" for n, sql in enumerate(statements)]
    return "\n".join(lines) + "\n\n" + describe("one-day surge submit", prof)


def main() -> None:
    parser = argparse.ArgumentParser(description="profile our one-day surge submit in process")
    parser.add_argument("--submits", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("FAMILLE_DATABASE_URL", DATABASE_URL)
    # The app logs each operation at INFO: 330 lines in the middle of the profile.
    os.environ.setdefault("FAMILLE_LOG_LEVEL", "warning")
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        print("(no profile: pyinstrument is not installed: .venv/bin/pip install pyinstrument)")
        return
    import uvloop

    print(uvloop.run(profile_surge(args.submits)))  # uvicorn's loop


if __name__ == "__main__":
    main()
