"""The tests' burst worker (``run_jobs``): what a test queued, on the test's clock."""

from datetime import datetime, timedelta
from typing import Any

import pytest

from jobs.worker import CRON_JOBS, PARIS


async def test_the_tests_worker_fires_no_cron_even_an_overdue_one(
    run_jobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """arq fires crons on the wall clock, and a ``CronJob`` keeps its next run across the
    workers of a process: once a quarter hour had passed since the previous burst, the
    unbooked-week reminder ran in the next test's ``run_jobs``, on that test's frozen day,
    and mailed its parent a second mail (the Christmas recurrence of
    tests/calendar/test_bookings.py, under load). A test runs a cron by calling it."""
    fired: list[str] = []
    for job in CRON_JOBS:

        async def spy(ctx: dict[str, Any], name: str = job.name) -> None:
            fired.append(name)

        monkeypatch.setattr(job, "coroutine", spy)
        monkeypatch.setattr(job, "next_run", datetime.now(PARIS) - timedelta(minutes=1))
    await run_jobs()
    assert fired == []
