"""An open socket ends with its session, whatever ends the session.

The review disabled an account with ``gridwatch user disable`` while its wall was
connected: the socket went on receiving live staff positions (272 pushes in 90 s).
Each test keeps fixes coming and a second, still-valid wall listening, so "no more
positions" means the ended socket was cut off, not that the city went quiet.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import select

from dashboard.access import users as user_access
from dashboard.auth.current import SessionUser
from data import users
from data.db import make_engine, make_sessionmaker
from data.models import OrgNode, Role
from tests.support.accounts import cookie_header, login, make_user
from tests.support.running import Running
from tests.support.server_process import start_server, stop_server

ENDED_WITHIN_S = 8.0


@dataclass
class Listener:
    """A wall's socket, and the position pushes it got."""

    client: socketio.Client
    pushes: list[float] = field(default_factory=list)

    def wait_for_pushes(self, n: int, timeout: float = 15.0) -> None:
        start = len(self.pushes)
        deadline = time.monotonic() + timeout
        while len(self.pushes) < start + n:
            assert time.monotonic() < deadline, f"no live positions ({len(self.pushes)})"
            time.sleep(0.05)


def listen(running: Running, http: requests.Session) -> Listener:
    client = socketio.Client(reconnection=False)
    listener = Listener(client)
    client.on("pos", lambda _message: listener.pushes.append(time.monotonic()))
    client.connect(
        running.url,
        headers={"Cookie": cookie_header(http)},
        transports=["websocket"],
        wait_timeout=10,
    )
    return listener


@pytest.fixture
def fixes_keep_coming(running: Running) -> Iterator[None]:
    """A terminal reporting a position every 0.1 s for as long as the test runs."""
    token, _ = running.add_device("socket-session-1")
    stop = threading.Event()

    def report() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with contextlib.suppress(requests.RequestException):
                requests.post(
                    f"{running.url}/api/v1/positions",
                    json={"fixes": [{"lat": 34.78 + n * 1e-5, "lon": 113.68, "ts": time.time()}]},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=5,
                )
            stop.wait(0.1)

    thread = threading.Thread(target=report, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(5)


def _user(running: Running, role: Role = Role.LEADER) -> tuple[str, str, requests.Session]:
    username, password = make_user(
        running.app.services.sessions, role, running.app.tree.get().root.id
    )
    return username, password, login(running.url, username, password)


def _assert_cut_off(ended: Listener, control: Listener) -> None:
    """``ended`` is disconnected by the server and gets nothing more while ``control`` does."""
    deadline = time.monotonic() + ENDED_WITHIN_S
    while ended.client.connected:
        assert time.monotonic() < deadline, f"socket still open {ENDED_WITHIN_S} s later"
        time.sleep(0.05)
    cut_at = time.monotonic()
    control.wait_for_pushes(5)
    assert not [t for t in ended.pushes if t > cut_at + 0.05]


def _logout(running: Running, username: str, http: requests.Session) -> None:
    answer = http.post(f"{running.url}/logout", allow_redirects=False)
    assert answer.status_code == 302


def _cli_disable(running: Running, username: str, http: requests.Session) -> None:
    """`gridwatch user disable`, run as its own process, as an operator would."""
    settings = running.app.services.settings
    env = {
        **os.environ,
        "GRIDWATCH_DATABASE_URL": settings.resolved_database_url(),
        "GRIDWATCH_REDIS_URL": settings.redis_url,
        "GRIDWATCH_VAR_DIR": str(settings.var_dir),
    }
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "user", "disable", username],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def _admin_disable(running: Running, username: str, http: requests.Session) -> None:
    _admin_action(
        running,
        username,
        lambda who, tree, target: user_access.set_active(
            running.app.services, tree, who, target, False, "127.0.0.1"
        ),
    )


def _admin_reset(running: Running, username: str, http: requests.Session) -> None:
    _admin_action(
        running,
        username,
        lambda who, tree, target: user_access.reset_password(
            running.app.services, tree, who, target, "127.0.0.1"
        ),
    )


def _admin_action(running: Running, username: str, act: Callable) -> None:
    tree = running.app.tree.get()
    admin_name, _ = make_user(running.app.services.sessions, Role.ADMIN, tree.root.id)
    with running.app.services.sessions() as db:
        admin = users.require(db, admin_name)
        target = users.require(db, username)
        who = SessionUser(admin.id, admin.username, admin.display_name, admin.role, admin.node_id)
        target_id = target.id
    act(who, tree, target_id)


def _password_changed(running: Running, username: str, http: requests.Session) -> None:
    """`gridwatch user passwd` (or any other process) sets a new password in the record."""
    with running.app.services.sessions.begin() as db:
        users.set_password(db, username, "Brand-New-Password-9")


def _session_deleted(running: Running, username: str, http: requests.Session) -> None:
    """Another process logged it out (or Redis dropped it): the session key is gone."""
    assert running.app.services.redis.delete(f"gw:session:{http.cookies['gw_session']}") == 1


ENDINGS = {
    "logout": _logout,
    "cli-disable": _cli_disable,
    "admin-disable": _admin_disable,
    "admin-reset": _admin_reset,
    "password-changed": _password_changed,
    "session-deleted": _session_deleted,
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_socket_ends_when_its_session_ends(running: Running, fixes_keep_coming, ending: str):
    *_, wall_http = _user(running, Role.WALL)
    control = listen(running, wall_http)
    username, _, http = _user(running)
    ended = listen(running, http)
    try:
        ended.wait_for_pushes(2)
        ENDINGS[ending](running, username, http)
        _assert_cut_off(ended, control)
        assert control.client.connected
    finally:
        ended.client.disconnect()
        control.client.disconnect()
    # and it cannot simply come back
    with pytest.raises(socketio.exceptions.ConnectionError):
        listen(running, http)


@pytest.mark.parametrize("running", [{"session_idle_minutes": 0.15}], indirect=True)
def test_a_socket_ends_when_its_session_is_idle_too_long(running: Running, fixes_keep_coming):
    """Pushes are not activity: without a request for 9 s the session is over."""
    *_, wall_http = _user(running, Role.WALL)  # walls have no idle limit
    control = listen(running, wall_http)
    _, _, http = _user(running)
    ended = listen(running, http)
    try:
        ended.wait_for_pushes(2)
        deadline = time.monotonic() + 9 + ENDED_WITHIN_S
        while ended.client.connected:
            assert time.monotonic() < deadline, "an idle session's socket is still open"
            time.sleep(0.1)
        cut_at = time.monotonic()
        control.wait_for_pushes(5)
        assert control.client.connected
        assert not [t for t in ended.pushes if t > cut_at + 0.05]
    finally:
        ended.client.disconnect()
        control.client.disconnect()


@pytest.mark.parametrize("running", [{"socket_session_check_s": 600.0}], indirect=True)
def test_an_event_from_a_socket_whose_session_ended_does_nothing_and_ends_it(
    running: Running, fixes_keep_coming
):
    """Even before the periodic check comes round, the socket is no way around the end."""
    username, _, http = _user(running)
    ended = listen(running, http)
    try:
        ended.wait_for_pushes(1)
        _session_deleted(running, username, http)
        ended.client.emit("focus", {"focus": 1})
        deadline = time.monotonic() + ENDED_WITHIN_S
        while ended.client.connected:
            assert time.monotonic() < deadline, "the event was served for an ended session"
            time.sleep(0.05)
    finally:
        ended.client.disconnect()


def test_the_loop_that_ends_sockets_reports_to_health(running: Running):
    health = requests.get(f"{running.url}/healthz", timeout=10).json()
    assert health["loops"]["socket-sessions"]["state"] == "ok"


def test_a_logout_in_one_process_ends_the_socket_another_process_holds(
    redis_url: str, small_city_url: str, tmp_path: Path
):
    """Behind a load balancer the 退出 and the socket rarely meet in one process."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start_server(redis_url, small_city_url, tmp_path / "a")
    second = start_server(redis_url, small_city_url, tmp_path / "b")
    client = socketio.Client(reconnection=False)
    try:
        engine = make_engine(small_city_url)
        sessions = make_sessionmaker(engine)
        with sessions() as db:
            root = db.scalar(select(OrgNode.id).where(OrgNode.parent_id.is_(None)))
        username, password = make_user(sessions, Role.LEADER, root)
        engine.dispose()
        http = login(first.url, username, password)
        client.connect(
            second.url,
            headers={"Cookie": cookie_header(http)},
            transports=["websocket"],
            wait_timeout=10,
        )
        assert client.connected
        assert http.post(f"{first.url}/logout", allow_redirects=False).status_code == 302
        deadline = time.monotonic() + ENDED_WITHIN_S
        while client.connected:
            assert time.monotonic() < deadline, "the other process kept the socket open"
            time.sleep(0.05)
    finally:
        client.disconnect()
        stop_server(first)
        stop_server(second)
