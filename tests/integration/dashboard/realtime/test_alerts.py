"""Alerts pushed to walls: issue + commit + relay reaches the rooms the alert concerns.

The small demo city has one street; a neighbouring street (one community, two grids)
is added before the server starts, so "a wall on the other street" exists.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import pytest
import socketio
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.alerts import lifecycle
from data.db import make_engine, make_sessionmaker
from data.incidents.actors import Actor
from data.models import NodeKind, OrgNode, Role
from streams.outbox_relay import relay_outbox
from tests.support.accounts import cookie_header, login, make_user
from tests.support.dash_calls import call

OFFICER = Actor(role="duty_officer", name="市值班员", scope_path="/")


def _box(lat: float, lon: float, d: float) -> dict:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def add_neighbour_street(sessions: sessionmaker[Session]) -> None:
    """A second street next to the seeded one: one community with two grids (no staff)."""
    with sessions() as session, session.begin():
        first = session.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.STREET)).one()
        district = session.get(OrgNode, first.parent_id)
        assert district is not None
        next_id = (session.scalar(select(func.max(OrgNode.id))) or 0) + 1
        lat, lon = 34.80, 113.71

        def node(parent: OrgNode, kind: NodeKind, level: int, code: str, d: float) -> OrgNode:
            nonlocal next_id
            row = OrgNode(
                id=next_id,
                parent_id=parent.id,
                kind=kind,
                grid_level=level,
                code=code,
                name=f"邻街{code}",
                path=f"{parent.path}{next_id}/",
                depth=parent.depth + 1,
                boundary=_box(lat, lon, d),
                center_lat=lat + d / 2,
                center_lon=lon + d / 2,
            )
            next_id += 1
            session.add(row)
            session.flush()
            return row

        street = node(district, NodeKind.STREET, 1, "N1", 0.01)
        community = node(street, NodeKind.COMMUNITY, 2, "N1-C1", 0.01)
        node(community, NodeKind.GRID, 3, "N1-C1-G1", 0.005)
        node(community, NodeKind.GRID, 3, "N1-C1-G2", 0.005)


@pytest.fixture
def small_city_url(small_city_template: Path, tmp_path: Path) -> str:
    """The seeded city plus a neighbouring street, before any server reads the tree."""
    path = tmp_path / "gridwatch.db"
    shutil.copy(small_city_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    add_neighbour_street(make_sessionmaker(engine))
    engine.dispose()
    return url


def streets_and_grids(sessions: sessionmaker[Session]) -> dict[str, OrgNode]:
    with sessions() as session:
        streets = session.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.STREET).order_by(OrgNode.id)
        ).all()
        alerted, neighbour = streets[0], streets[1]

        def first_grid(street: OrgNode) -> OrgNode:
            return session.scalars(
                select(OrgNode)
                .where(OrgNode.kind == NodeKind.GRID, OrgNode.path.startswith(street.path))
                .order_by(OrgNode.id)
            ).first()

        return {
            "root": session.scalars(select(OrgNode).where(OrgNode.parent_id.is_(None))).one(),
            "street": alerted,
            "grid": first_grid(alerted),
            "neighbour": neighbour,
            "neighbour_grid": first_grid(neighbour),
        }


def issue(sessions: sessionmaker[Session], node_id: int, level: str = "orange") -> int:
    now = dt.datetime.now(dt.UTC)
    with sessions() as session, session.begin():
        result = lifecycle.issue(
            session,
            OFFICER,
            node_id=node_id,
            level=level,
            category="flood",
            title="暴雨橙色预警",
            text="请立即排查低洼地段",
            valid_until=now + dt.timedelta(hours=6),
            now=now,
        )
        return result.alert.id


def listen(url: str, cookie: str, focus: int, mode: str | None = None) -> tuple:
    received: list[tuple[float, dict]] = []
    client = socketio.Client(reconnection=False)
    client.on("alert", lambda message: received.append((time.time(), message)))
    auth: dict = {"focus": focus}
    if mode:
        auth["mode"] = mode
    client.connect(
        url, auth=auth, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=10
    )
    return client, received


def wait_for_rooms(running, rooms: list[str], timeout_s: float = 5.0) -> None:
    """Until the server has joined every client to its room (the connect handler ran)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        joined = running.app.socketio.server.manager.rooms.get("/", {})
        if all(joined.get(room) for room in rooms):
            return
        time.sleep(0.02)
    raise AssertionError(f"rooms not joined: {rooms}")


def test_an_issued_alert_reaches_walls_inside_and_above_its_street_only(running):
    sessions = running.app.services.sessions
    nodes = streets_and_grids(sessions)
    leader = login(running.url, *make_user(sessions, Role.LEADER, nodes["root"].id))
    cookie = cookie_header(leader)
    walls = {
        "grid": listen(running.url, cookie, nodes["grid"].id),
        "street": listen(running.url, cookie, nodes["street"].id),
        "city": listen(running.url, cookie, nodes["root"].id, mode="aggregate"),
        "neighbour": listen(running.url, cookie, nodes["neighbour"].id),
        "neighbour_grid": listen(running.url, cookie, nodes["neighbour_grid"].id),
    }
    try:
        wait_for_rooms(
            running,
            [f"org:{nodes[k].id}" for k in ("grid", "street", "neighbour", "neighbour_grid")]
            + [f"agg:{nodes['root'].id}"],
        )
        started = time.time()
        alert_id = issue(sessions, nodes["street"].id)
        relay_outbox(sessions, running.app.services.redis)
        relayed = time.time()
        deadline = time.time() + 5
        while time.time() < deadline and not all(walls[k][1] for k in ("grid", "street", "city")):
            time.sleep(0.01)
        time.sleep(0.5)  # a wrongly routed or repeated push would have arrived by now
        still = {key: client.connected for key, (client, _) in walls.items()}
        assert all(still.values()), f"a client lost its connection: {still}"
    finally:
        for client, _ in walls.values():
            client.disconnect()
    for key in ("grid", "street", "city"):
        received = walls[key][1]
        items = [item for _at, message in received for item in message["d"]]
        assert [(i["id"], i["seq"], i["level"], i["live"]) for i in items] == [
            (alert_id, 1, "orange", True)
        ], key
        assert items[0]["node_name"] == nodes["street"].name
        # the server's own pump may relay the row before this test does: measure from
        # before the issue (issue + commit + relay + push)
        latency_ms = (received[0][0] - started) * 1000
        print(
            f"alert push to the {key} wall: {latency_ms:.0f} ms after issuing "
            f"(relay returned after {(relayed - started) * 1000:.0f} ms)"
        )
        assert latency_ms < 5000
    assert walls["neighbour"][1] == [] and walls["neighbour_grid"][1] == []


def test_the_snapshot_by_focus_and_scope(running):
    """load_alerts: ancestor and descendant alerts of the focus; the focus must be in scope."""
    sessions = running.app.services.sessions
    nodes = streets_and_grids(sessions)
    street_alert = issue(sessions, nodes["street"].id)
    grid_alert = issue(sessions, nodes["grid"].id, level="red")
    dash = running.app.dash

    def snapshot(http, focus: int) -> dict | None:
        answer = call(http, running.url, dash, "wall-alerts.data", {"wall-focus.data": focus})
        assert answer.status_code == 200, answer.text
        return answer.json()["response"]["wall-alerts"]["data"]

    leader = login(running.url, *make_user(sessions, Role.LEADER, nodes["root"].id))
    on_grid = snapshot(leader, nodes["grid"].id)
    assert [i["id"] for i in on_grid["items"]] == [grid_alert, street_alert]  # red first
    assert on_grid["outlines"] == {}  # both at or above the focus: the focus is shaded
    on_city = snapshot(leader, nodes["root"].id)
    assert {i["id"] for i in on_city["items"]} == {grid_alert, street_alert}
    assert set(on_city["outlines"]) == {str(nodes["street"].id), str(nodes["grid"].id)}
    assert snapshot(leader, nodes["neighbour"].id)["items"] == []
    assert all("issued_by" not in i and "text" not in i for i in on_city["items"])

    # a duty officer of the neighbouring street cannot look at the alerted street
    officer = login(running.url, *make_user(sessions, Role.DUTY_OFFICER, nodes["neighbour"].id))
    assert snapshot(officer, nodes["grid"].id) is None
    assert snapshot(officer, nodes["neighbour_grid"].id)["items"] == []
