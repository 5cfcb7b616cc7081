"""Every background loop of a process comes from one list (dashboard/workers.py) and is
started the same way: supervised, with a heartbeat /healthz names."""

from __future__ import annotations

import time

import pytest
import requests

from dashboard.workers import background_loops
from tests.support.running import Running

#: what each serving process runs for itself, workers or not
OWN_LOOPS = {"realtime-bridge", "socket-sessions"}


def test_every_started_loop_is_one_of_the_list_and_beats(running: Running) -> None:
    loops = background_loops(running.app)
    names = [loop.name for loop in loops]
    assert len(names) == len(set(names)), names
    assert set(running.app.heartbeats.report()) == set(names)
    assert {loop.name for loop in loops if loop.every_process} == OWN_LOOPS


@pytest.mark.parametrize("running", [{"run_workers": False}], indirect=True)
def test_a_process_without_workers_runs_only_its_own_loops(running: Running) -> None:
    """A web-only process (workers elsewhere) still pushes and ends sockets, nothing more."""
    assert set(running.app.heartbeats.report()) == OWN_LOOPS
    deadline = time.monotonic() + 20
    while True:
        health = requests.get(f"{running.url}/healthz", timeout=5).json()
        if all(loop["last_ok_s_ago"] is not None for loop in health["loops"].values()):
            break
        assert time.monotonic() < deadline, f"a loop never finished a round: {health}"
        time.sleep(0.1)
    assert set(health["loops"]) == OWN_LOOPS
    assert health["status"] == "ok", health


def test_starting_twice_starts_nothing_twice(running: Running) -> None:
    before = set(running.app.heartbeats.report())
    running.app.start_background()  # a second call must not register a loop again
    assert set(running.app.heartbeats.report()) == before
