"""A dependency's state: logged once when lost and once when back, retried with backoff."""

import logging

import pytest

from jobs.resilience import Dependency


def test_lost_and_back_are_logged_once_and_retries_back_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    redis = Dependency("Redis", first_delay=0.5, max_delay=4, monotonic=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="famille.services"):
        delays = [redis.lost(ConnectionError("refused")) for _ in range(6)]
        assert delays == [0.5, 1, 2, 4, 4, 4]
        assert redis.status() == "down" and not redis.may_try()
        now[0] += 4
        assert redis.may_try()
        redis.back()
        redis.back()
    assert redis.status() == "ok" and redis.may_try()
    messages = [record.getMessage() for record in caplog.records]
    assert [m.split(" (")[0] for m in messages] == [
        "Redis injoignable",
        "Redis de nouveau joignable après 6 tentative(s)",
    ]
