"""Two `gridwatch serve` processes on one Redis: a fix or an alert reaches browsers on both."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import redis
import requests
import socketio
from sqlalchemy import select

from dashboard.cli.devices import add as add_device
from data.alerts import lifecycle
from data.db import make_engine, make_sessionmaker
from data.incidents.actors import Actor
from data.models import NodeKind, OrgNode, Role, Staff
from streams.outbox_relay import relay_outbox
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


def test_an_alert_reaches_sockets_on_both_processes_once(
    redis_url: str, small_city_url: str, tmp_path: Path
):
    """Each process's bridge reads gw:alerts itself and pushes to its own clients only."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start_server(redis_url, small_city_url, tmp_path / "a")
    second = start_server(redis_url, small_city_url, tmp_path / "b")
    engine = make_engine(small_city_url)
    sessions = make_sessionmaker(engine)
    r = redis.Redis.from_url(redis_url)
    clients: list[socketio.Client] = []
    try:
        with sessions() as db:
            root = db.scalar(select(OrgNode.id).where(OrgNode.parent_id.is_(None)))
            street = db.scalar(select(OrgNode).where(OrgNode.kind == NodeKind.STREET))
            grid = db.scalar(
                select(OrgNode.id)
                .where(OrgNode.kind == NodeKind.GRID, OrgNode.path.startswith(street.path))
                .order_by(OrgNode.id)
            )
        http = login(first.url, *make_user(sessions, Role.WALL, root))
        received: dict[str, list[dict]] = {first.url: [], second.url: []}
        for server in (first, second):
            client = socketio.Client(reconnection=False)
            client.on("alert", received[server.url].append)
            client.connect(
                server.url,
                auth={"focus": grid},  # a wall on one grid of the alerted street
                headers={"Cookie": cookie_header(http)},
                transports=["websocket"],
                wait_timeout=10,
            )
            clients.append(client)
        time.sleep(0.5)
        now = dt.datetime.now(dt.UTC)
        with sessions() as db, db.begin():
            alert_id = lifecycle.issue(
                db,
                Actor(role="duty_officer", name="市值班员", scope_path="/"),
                node_id=street.id,
                level="red",
                category="flood",
                title="暴雨红色预警",
                text="请立即转移低洼地段群众",
                valid_until=now + dt.timedelta(hours=3),
                now=now,
            ).alert.id
        started = time.time()
        relay_outbox(sessions, r)
        # both servers' pumps relay too (every 2 s): a row published twice must still
        # reach each browser once
        deadline = time.time() + 5
        while time.time() < deadline and not all(received.values()):
            time.sleep(0.02)
        reached = time.time() - started
        time.sleep(2.5)  # past the next pump round of both servers
    finally:
        for client in clients:
            client.disconnect()
        stop_server(first)
        stop_server(second)
        r.close()
        engine.dispose()
    print(f"alert on both processes' sockets {reached * 1000:.0f} ms after the relay call")
    for url, messages in received.items():
        items = [(item["id"], item["seq"], item["level"]) for m in messages for item in m["d"]]
        assert items == [(alert_id, 1, "red")], f"{url} got {items}"
