"""Handing the jobs a request committed to arq, right after it: one relay at a time per
Redis client, shared by every commit made meanwhile (mutations: gql/schema.py
``OutboxRelay`` and the compiled submit, through ``relay_after_mutation``; the payment
callbacks, gql/payment_routes.py). If Redis is unreachable the
rows stay in the outbox table and the worker's relay cron picks them up later."""

import asyncio
import logging
import weakref
from typing import Any

from arq import ArqRedis
from starlette.background import BackgroundTask

from jobs.outbox import relay_outbox
from jobs.resilience import REDIS_DOWN, redis_state
from resolvers.core.clock import Clock

logger = logging.getLogger("famille.outbox")

RELAY_LIMIT = 500  # rows one relay claims (relay_outbox's default)
# Seconds Redis has to take a relay's jobs before the relay gives them back (Redis slow or
# unreachable): the rows stay in the table for the next relay. The claim in PostgreSQL is
# not timed (see jobs.outbox._relay_fresh).
REDIS_TIMEOUT = 2.0


class _RelayTurns:
    """One relay at a time per Redis client, each covering every commit made before it
    began: on the opening day hundreds of submits commit within a few milliseconds, and
    each running its own relay (an UPDATE … RETURNING and a Redis round trip, mostly
    claiming nothing another relay had not already claimed) competed with the requests
    for the event loop and the pool. A mutation's relay waits for the one running, then
    either a relay that began after its commit has handed its rows over (nothing to do)
    or it runs the next one, for everybody who committed meanwhile. So when its answer's
    background task ends its rows are in Redis, as before."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.asked = 0  # commits that asked for a relay
        self.covered = 0  # commits whose rows a finished relay handed over


# Per event loop (a lock belongs to one), per Redis client.
_TURNS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, _RelayTurns]]" = (
    weakref.WeakKeyDictionary()
)


def _turns_of(redis: ArqRedis) -> _RelayTurns:
    by_client = _TURNS.setdefault(asyncio.get_running_loop(), {})
    turns = by_client.get(id(redis))
    if turns is None:
        turns = by_client[id(redis)] = _RelayTurns()
    return turns


async def relay_after_commit(redis: ArqRedis, clock: Clock) -> None:
    state = redis_state(redis)
    if not state.may_try():
        # Redis failed a moment ago: leave the rows to the worker's relay, or to the first
        # mutation after the backoff delay (no connection attempt, no log per request).
        return
    turns = _turns_of(redis)
    turns.asked += 1
    asked = turns.asked
    async with turns.lock:
        if turns.covered >= asked or not state.may_try():
            return  # a relay that began after this commit handed its rows over
        began = turns.asked
        try:
            # What was committed; re-sending lost jobs is the worker cron's part.
            relayed = await relay_outbox(
                redis, clock=clock, stale=False, limit=RELAY_LIMIT, redis_timeout=REDIS_TIMEOUT
            )
        except REDIS_DOWN as exc:  # Redis down or slow: logged once, the relay retries.
            state.lost(exc)
        except Exception:
            logger.warning("outbox relay after commit failed; the worker will retry", exc_info=True)
        else:
            state.back()
            if relayed < RELAY_LIMIT:  # a full batch may have left rows for the next one
                turns.covered = began


async def relay_after_mutation(redis: ArqRedis | None, clock: Clock, response: Any) -> None:
    """What ``OutboxRelay`` does once a mutation ran: a background task of ``response``
    (the sub-response whose background the answer takes) when there is one free, else the
    relay at once; nothing without Redis. The mobile app's compiled submit (gql/app.py)
    calls it too."""
    if redis is None:
        return
    if response is not None and response.background is None:
        response.background = BackgroundTask(relay_after_commit, redis, clock)
    else:
        await relay_after_commit(redis, clock)
