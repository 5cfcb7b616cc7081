"""Redis or the database goes away under a running app: pages say so, never a 500.

Before, ``kill -9`` of the demo's redis-server left it dead for good, and /login and
/healthz (for a logged-in browser) answered a bare 500 page while the API answered 503.
The embedded Redis now comes back by itself, with everything acknowledged before.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
import requests
import socketio

from dashboard.app import create_app
from dashboard.settings import Settings
from dashboard.web.server import ServerThread
from data.db import make_engine
from data.models import Role
from streams.keys import POSITIONS_STREAM, STAFF_LAST_FIX
from tests.conftest import POSTGRES_ADMIN_URL
from tests.support.accounts import cookie_header, login, make_user
from tests.support.outage import redis_killed
from tests.support.running import Running

RETRYING = "服务暂不可用，正在自动重试"
T = TypeVar("T")


def _wait_for(condition: Callable[[], T], what: str, timeout_s: float = 40.0) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _fix(token: str, url: str, lat: float) -> requests.Response:
    return requests.post(
        f"{url}/api/v1/positions",
        json={"fixes": [{"lat": lat, "lon": 113.66, "ts": time.time(), "battery": 80}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )


def _assert_retry_page(response: requests.Response, what: str) -> None:
    assert response.status_code == 503, (what, response.status_code, response.text[:300])
    assert RETRYING in response.text, what
    assert 'http-equiv="refresh"' in response.text, what
    assert response.headers.get("Retry-After"), what


def test_a_killed_embedded_redis_comes_back_and_pages_say_retrying_meanwhile(
    small_city_template: Path, tmp_path: Path
) -> None:
    var = tmp_path / "var"
    var.mkdir()
    shutil.copy(small_city_template, var / "gridwatch.db")
    settings = Settings(redis_url="", database_url="", var_dir=var, push_interval_s=0.1)
    app = create_app(settings)  # no GRIDWATCH_REDIS_URL: the embedded redis-server
    app.start_background()
    server = ServerThread(app).start()
    base = server.url
    try:
        running = Running(app, server)
        token, staff_id = running.add_device("outage-1")
        root_id = app.tree.get().root.id
        leader = login(base, *make_user(app.services.sessions, Role.LEADER, root_id))
        assert leader.get(f"{base}/wall", allow_redirects=False, timeout=10).status_code == 200
        accepted = _fix(token, base, 34.7801)
        assert accepted.status_code == 200 and accepted.json()["accepted"] == 1
        stream_before = app.services.redis.xlen(POSITIONS_STREAM)
        _wait_for(lambda: app.services.redis.hexists(STAFF_LAST_FIX, staff_id), "not consumed")

        assert app.embedded_redis is not None
        with redis_killed(lambda: app.embedded_redis.process.pid, app.embedded_redis.port):
            anonymous = requests.Session()
            _assert_retry_page(anonymous.get(f"{base}/login", timeout=15), "/login")
            _assert_retry_page(leader.get(f"{base}/wall", timeout=15), "/wall")
            _assert_retry_page(leader.get(f"{base}/events", timeout=15), "/events")
            for who, http in (("anonymous", anonymous), ("logged in", leader)):
                health = http.get(f"{base}/healthz", timeout=15)
                assert health.status_code == 503, (who, health.text[:300])
                assert "redis" in health.json()["down"], who
            callback = leader.post(f"{base}/_dash-update-component", json={}, timeout=15)
            assert callback.status_code == 503, callback.text[:300]
            assert callback.json()["message"].startswith(RETRYING)
            assert _fix(token, base, 34.7802).status_code == 503  # the API, as before

        # the supervisor restarts it on the same port, with the same password, from its AOF
        _wait_for(
            lambda: requests.get(f"{base}/healthz", timeout=15).status_code == 200,
            "the embedded Redis did not come back",
        )
        # what was acknowledged before the kill is still there: the session and the fix
        assert leader.get(f"{base}/wall", allow_redirects=False, timeout=10).status_code == 200
        assert app.services.redis.xlen(POSITIONS_STREAM) >= stream_before
        assert app.services.redis.hexists(STAFF_LAST_FIX, staff_id)

        # and everything works again: a new fix is taken, consumed and pushed to a browser
        pushed: list[dict] = []
        client = socketio.Client(reconnection=False)
        client.on("pos", pushed.append)
        client.connect(
            base,
            auth={"focus": root_id},
            headers={"Cookie": cookie_header(leader)},
            transports=["websocket"],
            wait_timeout=10,
        )
        try:

            def pushed_after_restart() -> bool:
                assert _fix(token, base, 34.7803).status_code == 200
                return any(row[0] == staff_id for push in pushed for row in push.get("d", []))

            _wait_for(pushed_after_restart, "no live push after the restart", timeout_s=20)
        finally:
            client.disconnect()
        assert requests.get(f"{base}/login", timeout=10).status_code == 200
    finally:
        server.stop()
        app.close()


def _connections(database: str, allowed: bool) -> None:
    """Let nobody (or everybody again) connect to ``database``; end who is connected."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}')
        if not allowed:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (database,),
            )


@pytest.mark.postgres
def test_pages_answer_503_while_the_database_is_down(
    redis_url: str, postgres_url: str, tmp_path: Path
) -> None:
    from data.demo_city import seed_demo_city

    engine = make_engine(postgres_url)
    seed_demo_city(engine, scale="small", seed=7)
    engine.dispose()
    database = postgres_url.rsplit("/", 1)[-1]
    settings = Settings(redis_url=redis_url, database_url=postgres_url, var_dir=tmp_path)
    app = create_app(settings)
    app.start_background()
    server = ServerThread(app).start()
    base = server.url
    try:
        root_id = app.tree.get().root.id
        leader = login(base, *make_user(app.services.sessions, Role.LEADER, root_id))
        assert leader.get(f"{base}/wall", allow_redirects=False, timeout=10).status_code == 200

        _connections(database, allowed=False)
        try:
            _assert_retry_page(leader.get(f"{base}/wall", timeout=30), "/wall")
            assert "数据库" in leader.get(f"{base}/events", timeout=30).text
            callback = leader.post(f"{base}/_dash-update-component", json={}, timeout=30)
            assert callback.status_code == 503 and callback.json()["down"] == "database"
            health = leader.get(f"{base}/healthz", timeout=30)
            assert health.status_code == 503 and "database" in health.json()["down"]
        finally:
            _connections(database, allowed=True)

        _wait_for(
            lambda: (
                leader.get(f"{base}/wall", allow_redirects=False, timeout=30).status_code == 200
            ),
            "pages did not come back with the database",
        )
    finally:
        server.stop()
        app.close()
