"""`gridwatch demo` (what `make run` starts): seeded city, moving staff, clean Ctrl-C."""

from __future__ import annotations

import datetime
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import requests

from dashboard.runtime.processes import free_port
from tests.support.accounts import login


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return bool(state.stdout.strip()) and not state.stdout.strip().startswith("Z")


WALL_SNAPSHOT_CALL = {
    "output": "..wall-snapshot.data...wall-boundaries.data...wall-map.viewport"
    "...wall-socket.options...wall-title.children..",
    "outputs": [
        {"id": "wall-snapshot", "property": "data"},
        {"id": "wall-boundaries", "property": "data"},
        {"id": "wall-map", "property": "viewport"},
        {"id": "wall-socket", "property": "options"},
        {"id": "wall-title", "property": "children"},
    ],
    "inputs": [
        {"id": "wall-focus", "property": "data", "value": 1},
        {"id": "wall-refresh", "property": "n_intervals", "value": None},
    ],
    "state": [{"id": "wall-snapshot", "property": "data", "value": None}],
    "changedPropIds": ["wall-focus.data"],
}


def _start_demo(tmp_path: Path, port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """`gridwatch demo` as on a fresh machine: no GRIDWATCH_* settings, so embedded Redis
    and SQLite under ``tmp_path/var``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWATCH_")}
    command = ["demo", "--scale", "small", "--port", str(port), "--simulated-staff", "40"]
    return subprocess.Popen(
        [sys.executable, "-m", "dashboard.cli", *command],
        cwd=tmp_path,
        env={**env, "COLUMNS": "200"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _leader_password(demo: subprocess.Popen[bytes], log_path: Path) -> str:
    """Waits until the demo serves and has printed its accounts; the leader's password."""
    deadline = time.time() + 90
    while time.time() < deadline:
        text = log_path.read_text(errors="replace")
        found = re.search(r"leader\s*│\s*(\S+)\s*│", text)
        if found and "Serving Flask app" in text:
            return found.group(1)
        assert demo.poll() is None, text
        time.sleep(0.5)
    raise AssertionError(log_path.read_text(errors="replace"))


def _staff_online(http: requests.Session, base: str, wanted: int) -> int:
    """Waits until the wall's snapshot of the city shows ``wanted`` staff (or 40 s pass):
    the simulator reports through the API and the position consumer keeps latest fixes."""
    deadline = time.time() + 40
    online = 0
    while time.time() < deadline and online < wanted:
        page = http.post(f"{base}/_dash-update-component", json=WALL_SNAPSHOT_CALL)
        assert page.status_code == 200
        online = len(page.json()["response"]["wall-snapshot"]["data"]["staff"])
        time.sleep(1)
    return online


def _interrupt(demo: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a terminal sends it; a demo that does not stop in 30 s is killed."""
    demo.send_signal(signal.SIGINT)
    try:
        demo.wait(30)
    except subprocess.TimeoutExpired:
        demo.kill()
        raise


def _history_days(db: Path) -> int:
    """How many days back the first run's generated incidents reach."""
    with sqlite3.connect(db) as conn:
        (oldest,) = conn.execute("SELECT MIN(created_at) FROM incident").fetchone()
    assert oldest is not None, "the demo seeded no history"
    return (datetime.datetime.now() - datetime.datetime.fromisoformat(oldest)).days


def test_demo_runs_everything_and_ctrl_c_stops_it_all(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path / "demo.log"
    with log_path.open("wb") as log:
        demo = _start_demo(tmp_path, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        password = _leader_password(demo, log_path)
        assert (tmp_path / "var" / "gridwatch.db").exists()
        assert (tmp_path / "var" / "redis" / "appendonly.aof").exists()
        assert _history_days(tmp_path / "var" / "gridwatch.db") > 330  # a year of history

        http = login(base, "leader", password)
        assert _staff_online(http, base, 10) >= 10, "simulated staff did not show up"
        children = _children(demo.pid)
        assert len(children) >= 2  # redis-server and the simulator
    finally:
        _interrupt(demo)
    for child in children:
        assert not _alive(child), f"process {child} outlived the demo"
    assert "已停止" in log_path.read_text(errors="replace")
