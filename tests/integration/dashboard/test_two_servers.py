"""Two `gridwatch serve` processes on one Redis: a fix posted to one reaches browsers on both."""

from __future__ import annotations

import time
from pathlib import Path

import requests
import socketio
from sqlalchemy import select

from dashboard.device_admin import add as add_device
from data.db import make_engine, make_sessionmaker
from data.models import OrgNode, Role, Staff
from tests.support.accounts import cookie_header, login, make_user
from tests.support.server_process import start_server, stop_server


def test_a_fix_reaches_sockets_on_both_processes_once(
    redis_url: str, small_city_url: str, tmp_path: Path
):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start_server(redis_url, small_city_url, tmp_path / "a")
    second = start_server(redis_url, small_city_url, tmp_path / "b")
    clients: list[socketio.Client] = []
    try:
        engine = make_engine(small_city_url)
        sessions = make_sessionmaker(engine)
        with sessions() as db:
            root = db.scalar(select(OrgNode.id).where(OrgNode.parent_id.is_(None)))
            staff_id = db.scalar(select(Staff.id).order_by(Staff.id))
        engine.dispose()
        token = list(add_device(first.settings, "two-servers-1", staff_id))[-1].rsplit(" ", 1)[-1]
        username, password = make_user(sessions, Role.WALL, root)
        # one login: the session lives in Redis, so the other process knows it too
        http = login(first.url, username, password)
        assert http.get(f"{second.url}/wall", allow_redirects=False).status_code == 200

        received: dict[str, list[dict]] = {first.url: [], second.url: []}
        for server in (first, second):
            client = socketio.Client(reconnection=False)
            client.on("pos", received[server.url].append)
            client.connect(
                server.url,
                auth={"focus": root},
                headers={"Cookie": cookie_header(http)},
                transports=["websocket"],
                wait_timeout=10,
            )
            clients.append(client)
        time.sleep(0.5)
        response = requests.post(
            f"{first.url}/api/v1/positions",
            json={"fixes": [{"lat": 34.78, "lon": 113.68, "ts": time.time()}]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        deadline = time.time() + 5
        while time.time() < deadline and not all(received.values()):
            time.sleep(0.05)
        time.sleep(0.5)  # anything duplicated would have arrived by now
    finally:
        for client in clients:
            client.disconnect()
        stop_server(first)
        stop_server(second)
    for url, messages in received.items():
        rows = [row for message in messages for row in message["d"]]
        assert [row[0] for row in rows] == [staff_id], f"{url} got {rows}"
