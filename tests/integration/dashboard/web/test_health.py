"""/healthz names what is down: Redis, the database, or a background loop of this process."""

from __future__ import annotations

import time

import pytest
import requests

from tests.support.running import Running

LOOPS = {
    "position-consumer",
    "incident-effects",
    "incident-pump",
    "sms-sender",
    "alert-expiry",
    "assessment-refresh",
    "realtime-bridge",
    "socket-sessions",
}


def test_every_background_loop_reports_a_heartbeat(running: Running) -> None:
    answer = requests.get(f"{running.url}/healthz", timeout=5)
    assert answer.status_code == 200, answer.text
    health = answer.json()
    assert health["status"] == "ok"
    assert health["redis"]["ok"] and health["database"]["ok"]
    assert set(health["loops"]) == LOOPS
    assert all(loop["state"] == "ok" for loop in health["loops"].values())


@pytest.mark.parametrize("running", [{"loop_stale_after_s": 1.0}], indirect=True)
def test_stopped_loops_turn_health_red_and_are_named(running: Running) -> None:
    """A dead loop must not hide behind an "ok" (the SMS sender once died unnoticed)."""
    running.app.stop_event.set()  # every loop of this process stops beating
    deadline = time.monotonic() + 20
    while True:
        answer = requests.get(f"{running.url}/healthz", timeout=5)
        named = set(answer.json()["down"])
        if {f"loop:{name}" for name in LOOPS} <= named:
            break
        assert time.monotonic() < deadline, f"not every stopped loop is named: {answer.text}"
        time.sleep(0.1)
    assert answer.status_code == 503
    health = answer.json()
    assert health["status"] == "down"
    assert health["loops"]["sms-sender"]["state"] == "stale"
