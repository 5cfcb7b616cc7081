"""Socket.IO push: batched deltas, only to the rooms of the focused subtree."""

from __future__ import annotations

import threading
import time

import pytest
import requests
import socketio
from sqlalchemy import select

from data.models import NodeKind, OrgNode, Role, Staff
from tests.support.accounts import cookie_header, login, make_user


def _staff_in_two_communities(running) -> tuple[OrgNode, int, OrgNode, int]:
    with running.app.services.sessions() as session:
        communities = session.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).all()
        picked: list[tuple[OrgNode, int]] = []
        for community in communities[:2]:
            staff_id = session.scalars(
                select(Staff.id)
                .join(OrgNode, OrgNode.id == Staff.node_id)
                .where(OrgNode.path.startswith(community.path))
                .order_by(Staff.id)
            ).first()
            assert staff_id is not None, community.path
            picked.append((community, staff_id))
    (a, a_staff), (b, b_staff) = picked
    return a, a_staff, b, b_staff


def _listen(url: str, focus: int, cookie: str) -> tuple[socketio.Client, list[dict]]:
    received: list[dict] = []
    client = socketio.Client(reconnection=False)
    client.on("pos", received.append)
    client.connect(
        url,
        auth={"focus": focus},
        headers={"Cookie": cookie},
        transports=["websocket"],
        wait_timeout=10,
    )
    return client, received


def test_a_community_room_gets_its_own_staff_only_in_batches(running):
    community_a, staff_a, _community_b, staff_b = _staff_in_two_communities(running)
    ident_a, ident_b = f"room-{staff_a}", f"room-{staff_b}"
    from data import devices
    from streams import device_registry

    tokens = {}
    with running.app.services.sessions.begin() as session:
        for ident, staff_id in ((ident_a, staff_a), (ident_b, staff_b)):
            issued = devices.add_device(session, ident, staff_id)
            tokens[staff_id] = issued
    for issued in tokens.values():
        device_registry.publish(running.app.services.redis, issued.device)

    root_id = running.app.tree.get().root.id
    leader = login(running.url, *make_user(running.app.services.sessions, Role.LEADER, root_id))
    client_a, got_a = _listen(running.url, community_a.id, cookie_header(leader))
    client_root, got_root = _listen(running.url, root_id, cookie_header(leader))
    time.sleep(0.3)
    try:
        stop = threading.Event()

        def report(staff_id: int) -> None:
            n = 0
            while not stop.is_set() and n < 20:
                requests.post(
                    f"{running.url}/api/v1/positions",
                    json={"fixes": [{"lat": 34.78, "lon": 113.68, "ts": time.time()}]},
                    headers={"Authorization": f"Bearer {tokens[staff_id].token}"},
                )
                n += 1
                time.sleep(0.02)

        threads = [threading.Thread(target=report, args=(s,)) for s in (staff_a, staff_b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        deadline = time.time() + 5
        while time.time() < deadline and not (got_a and got_root):
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        client_a.disconnect()
        client_root.disconnect()

    staff_seen_a = {row[0] for msg in got_a for row in msg["d"]}
    staff_seen_root = {row[0] for msg in got_root for row in msg["d"]}
    assert staff_seen_a == {staff_a}
    assert staff_seen_root == {staff_a, staff_b}
    # 40 fixes in ~0.5 s arrive as a handful of batched messages, not one per fix
    assert len(got_root) < 20
    assert all(len({row[0] for row in msg["d"]}) == len(msg["d"]) for msg in got_root)


@pytest.mark.parametrize("running", [{"wall_max_markers": 5}], indirect=True)
def test_a_very_large_focus_gets_counts_per_area_not_markers(running):
    """Above wall_max_markers the wall shows online counts per area; pushes carry counts."""
    from data import devices
    from streams import device_registry
    from tests.support.dash_calls import call

    root = running.app.tree.get().root
    with running.app.services.sessions() as session:
        staff_id = session.scalar(select(Staff.id).order_by(Staff.id))
        issued = None
        with running.app.services.sessions.begin() as db:
            issued = devices.add_device(db, "agg-1", staff_id)
    device_registry.publish(running.app.services.redis, issued.device)
    requests.post(
        f"{running.url}/api/v1/positions",
        json={"fixes": [{"lat": 34.78, "lon": 113.68, "ts": time.time()}]},
        headers={"Authorization": f"Bearer {issued.token}"},
    )
    deadline = time.time() + 5
    while time.time() < deadline and not running.app.services.redis.hexists(
        "gw:staff:state", staff_id
    ):
        time.sleep(0.05)

    leader = login(running.url, *make_user(running.app.services.sessions, Role.LEADER, root.id))
    answer = call(
        leader, running.url, running.app.dash, "wall-snapshot.data", {"wall-focus.data": root.id}
    )
    out = answer.json()["response"]
    snapshot = out["wall-snapshot"]["data"]
    assert snapshot["aggregate"] is True and snapshot["staff"] == []
    assert snapshot["state_counts"]["online"] == 1
    assert sum(snapshot["online_by_child"].values()) == 1
    assert out["wall-socket"]["options"]["auth"] == {"focus": root.id, "mode": "aggregate"}

    received: list[dict] = []
    client = socketio.Client(reconnection=False)
    client.on("pos", received.append)
    client.connect(
        running.url,
        auth={"focus": root.id, "mode": "aggregate"},
        headers={"Cookie": cookie_header(leader)},
        transports=["websocket"],
        wait_timeout=10,
    )
    try:
        time.sleep(0.3)
        requests.post(
            f"{running.url}/api/v1/positions",
            json={"fixes": [{"lat": 34.781, "lon": 113.681, "ts": time.time()}]},
            headers={"Authorization": f"Bearer {issued.token}"},
        )
        deadline = time.time() + 5
        while time.time() < deadline and not received:
            time.sleep(0.05)
    finally:
        client.disconnect()
    assert received and received[0]["n"] == 1 and received[0]["d"] == []


def test_a_new_incident_is_pushed_to_the_rooms_above_its_grid(running):
    token, staff_id = running.add_device("inc-push-1")
    community_a, _staff_a, community_b, _staff_b = _staff_in_two_communities(running)
    with running.app.services.sessions() as db:
        grid_path = db.scalar(
            select(OrgNode.path)
            .join(Staff, Staff.node_id == OrgNode.id)
            .where(Staff.id == staff_id)
        )
    mine, other = (
        (community_a, community_b)
        if grid_path.startswith(community_a.path)
        else (community_b, community_a)
    )
    root_id = running.app.tree.get().root.id
    leader = login(running.url, *make_user(running.app.services.sessions, Role.LEADER, root_id))
    got: dict[int, list[dict]] = {mine.id: [], other.id: []}
    clients = []
    for node in (mine, other):
        client = socketio.Client(reconnection=False)
        client.on("inc", got[node.id].append)
        client.connect(
            running.url,
            auth={"focus": node.id},
            headers={"Cookie": cookie_header(leader)},
            transports=["websocket"],
            wait_timeout=10,
        )
        clients.append(client)
    try:
        time.sleep(0.3)
        answer = requests.post(
            f"{running.url}/api/v1/events",
            json={"category": "fire_safety", "title": "消防通道被占"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 201
        tracking = answer.json()["tracking_no"]
        deadline = time.time() + 8  # outbox relay round (2 s) + push tick
        while time.time() < deadline and not got[mine.id]:
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        for client in clients:
            client.disconnect()
    items = [item for message in got[mine.id] for item in message["d"]]
    assert [item["no"] for item in items] == [tracking]
    assert items[0]["title"] == "消防通道被占" and items[0]["state_label"] == "待受理"
    assert got[other.id] == []
