"""Supervised loops: no exception ends them, and their heartbeats tell the truth."""

from __future__ import annotations

import threading
import time

import pytest

from streams.loops import FAILING_AFTER, Heartbeat, Heartbeats, supervise


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def wait_until(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_any_exception_is_backed_off_and_the_loop_goes_on() -> None:
    rounds: list[int] = []
    errors = [KeyError("x"), RuntimeError("pool timeout"), ValueError("bad row")]
    stop = threading.Event()

    def one_round() -> float:
        rounds.append(1)
        if errors:
            raise errors.pop(0)
        if len(rounds) >= 6:
            stop.set()
        return 0.0

    beat = Heartbeat("test", stale_after_s=60)
    thread = threading.Thread(
        target=supervise, args=(beat, one_round, stop), kwargs={"first_backoff_s": 0.01}
    )
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert len(rounds) >= 6, "the loop ended after an error"
    assert beat.total_failures == 3
    assert beat.failures == 0  # recovered
    assert beat.state() == "ok"


def test_a_loop_that_keeps_failing_is_reported_failing_with_its_error() -> None:
    stop = threading.Event()

    def one_round() -> float:
        raise ConnectionError("database is down")

    beat = Heartbeat("sms-sender", stale_after_s=60)
    thread = threading.Thread(
        target=supervise,
        args=(beat, one_round, stop),
        kwargs={"first_backoff_s": 0.01, "max_backoff_s": 0.02},
    )
    thread.start()
    wait_until(lambda: beat.failures >= FAILING_AFTER)
    stop.set()
    thread.join(10)
    assert beat.state() == "failing"
    assert "database is down" in (beat.last_error or "")


def test_a_silent_loop_goes_stale() -> None:
    clock = FakeClock()
    beats = Heartbeats(clock=clock)
    stuck = beats.add("realtime-bridge", stale_after_s=30)
    fine = beats.add("incident-pump", stale_after_s=30)
    clock.now += 31
    fine.ok()
    assert stuck.state() == "stale"
    assert beats.unhealthy() == ["realtime-bridge"]
    assert beats.report()["realtime-bridge"]["last_beat_s_ago"] == 31.0


def test_waiting_between_rounds_is_not_silence() -> None:
    """A loop that waits 10 s between rounds beats while it waits (stale after 3 s).

    It is watched for longer than the stale limit; the beat comes every second, so only a
    thread starved for two whole seconds could look stale (not a busy 2-core machine).
    """
    stop = threading.Event()
    beat = Heartbeat("alert-expiry", stale_after_s=3.0)
    thread = threading.Thread(target=supervise, args=(beat, lambda: 10.0, stop))
    thread.start()
    try:
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline:
            assert beat.state() == "ok"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(5)


def test_a_name_is_registered_once() -> None:
    beats = Heartbeats()
    beats.add("x", 1)
    with pytest.raises(ValueError, match="twice"):
        beats.add("x", 1)


def test_a_streak_of_failures_is_logged_briefly_and_its_end_too(caplog) -> None:
    """A Redis outage must not write one traceback per loop per round to the log."""
    import logging

    from streams.loops import LOG_EVERY

    stop = threading.Event()
    rounds = {"n": 0}

    def one_round() -> float:
        rounds["n"] += 1
        if rounds["n"] <= 2 * LOG_EVERY + 1:
            raise RuntimeError("redis away")
        stop.set()
        return 0.0

    beat = Heartbeat("incident-pump", stale_after_s=60)
    with caplog.at_level(logging.INFO, logger="streams.loops"):
        supervise(beat, one_round, stop, first_backoff_s=0.001, max_backoff_s=0.002)
    failures = [r for r in caplog.records if "round failed" in r.getMessage()]
    assert len(failures) == 3  # the first, the 12th and the 24th
    assert "24 in a row" in failures[-1].getMessage()
    assert any("working again after 25" in r.getMessage() for r in caplog.records)


def test_a_loop_is_back_within_seconds_after_a_long_outage() -> None:
    """The back-off is capped at 5 s by default: after a long Redis or database outage
    the loops try again within seconds of it returning, not 30 s later."""
    import inspect

    cap = inspect.signature(supervise).parameters["max_backoff_s"].default
    assert cap <= 5.0
