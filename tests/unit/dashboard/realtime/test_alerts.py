"""Alert stream entries as wall items, and which walls they reach (no Redis, no SQL)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from dashboard.realtime.alerts import (
    ALERT_EVENT,
    SeqGuard,
    concerns,
    decode_entry,
    route,
)
from dashboard.realtime.bridge import RealtimeBridge
from data.alerts.wall import ancestor_paths
from data.incidents.categories import default_categories
from data.models import NodeKind, OutboxMessage
from data.org_tree import NodeInfo, OrgTree
from streams.keys import ALERTS_STREAM
from streams.live_state import StateRules
from streams.outbox_relay import stream_fields


def _tree() -> OrgTree:
    """City 1 > district 2 > street 3 (community 4 > grids 8, 9) and street 10 (11 > 12)."""
    tree = OrgTree()
    rows = [
        (1, None, NodeKind.CITY, None, "郑州市"),
        (2, 1, NodeKind.DISTRICT, None, "金水区"),
        (3, 2, NodeKind.STREET, 1, "国基路街道"),
        (4, 3, NodeKind.COMMUNITY, 2, "康桥西社区"),
        (8, 4, NodeKind.GRID, 3, "第1网格"),
        (9, 4, NodeKind.GRID, 3, "第2网格"),
        (10, 2, NodeKind.STREET, 1, "丰产路街道"),
        (11, 10, NodeKind.COMMUNITY, 2, "黄河路社区"),
        (12, 11, NodeKind.GRID, 3, "第1网格"),
    ]
    for node_id, parent, kind, level, name in rows:
        parent_info = tree.nodes.get(parent) if parent else None
        path = f"{parent_info.path if parent_info else '/'}{node_id}/"
        info = NodeInfo(node_id, parent, kind, level, name, path, path.count("/") - 1, 34.7, 113.6)
        tree.nodes[node_id] = info
        tree.children.setdefault(parent, []).append(node_id)
    return tree


TREE = _tree()


def _payload(node_id: int, seq: int = 1, **kw: Any) -> dict[str, Any]:
    node = TREE.nodes[node_id]
    payload = {
        "kind": "alert",
        "alert_id": 41,
        "seq": seq,
        "action": "issue",
        "state": "active",
        "level": "orange",
        "node_id": node_id,
        "node_path": node.path,
        "category": "flood",
        "title": "暴雨橙色预警",
        "valid_until": "2026-11-30T14:00:00+00:00",
        "recipients": 57,
    }
    payload.update(kw)
    return payload


def _entry(payload: dict[str, Any], outbox_id: int = 7) -> dict[bytes, bytes]:
    """The fields exactly as the outbox relay XADDs them, as redis-py returns them."""
    row = OutboxMessage(id=outbox_id, stream=ALERTS_STREAM, payload=payload)
    return {k.encode(): str(v).encode() for k, v in stream_fields(row).items()}


def test_decode_gives_a_compact_item_without_personal_data():
    item = decode_entry(b"1796000000123-0", _entry(_payload(8)), TREE)
    assert item is not None
    assert item == {
        "id": 41,
        "seq": 1,
        "action": "issue",
        "state": "active",
        "level": "orange",
        "level_label": "橙色",
        "rank": 2,
        "node_id": 8,
        "node_name": "康桥西社区 · 第1网格",
        "path": "/1/2/3/4/8/",
        "category": "flood",
        "category_label": "防汛",
        "title": "暴雨橙色预警",
        "valid_until": "2026-11-30T14:00:00+00:00",
        # no time in the payload: the stream entry's own (XADD) time
        "at": "2026-11-30T00:53:20.123000+00:00",
        "issued_at": "2026-11-30T00:53:20.123000+00:00",
        "live": True,
    }
    assert "recipients" not in item and "issued_by" not in item
    assert json.dumps(item, ensure_ascii=False)  # goes over Socket.IO as it is


def test_decode_states_and_other_kinds():
    lifted = decode_entry(b"1-0", _entry(_payload(3, seq=3, action="lift", state="lifted")), TREE)
    assert lifted is not None and lifted["live"] is False and lifted["issued_at"] is None
    acked = decode_entry(b"1-0", _entry(_payload(3, seq=2, state="acknowledged")), TREE)
    assert acked is not None and acked["live"] is True
    assert decode_entry(b"1-0", {b"kind": b"incident", b"data": b"{}"}, TREE) is None
    assert decode_entry(b"1-0", {b"kind": b"alert", b"data": b"not json"}, TREE) is None
    assert decode_entry(b"1-0", {b"kind": b"alert", b"data": b"{}"}, TREE) is None
    unknown = decode_entry(b"1-0", _entry({**_payload(3), "node_id": 99}), TREE)
    assert unknown is not None and unknown["node_name"] == "99"


def test_concerns_ancestors_descendants_not_siblings():
    street, grid = TREE.nodes[3].path, TREE.nodes[8].path
    assert concerns(street, grid)  # wall on a grid of the alerted street
    assert concerns(grid, street)  # wall on the street of an alerted grid
    assert concerns(street, street)
    assert concerns(street, TREE.nodes[1].path)
    assert not concerns(street, TREE.nodes[12].path)  # a grid of the neighbouring street
    assert not concerns(grid, TREE.nodes[9].path)  # the sibling grid
    # "/1/2/3/" is a string prefix of "/1/2/30/" only without the trailing slash
    assert not concerns("/1/2/3/", "/1/2/30/")


ROOMS = {
    "org:1",
    "agg:1",
    "agg:2",
    "org:3",
    "org:4",
    "org:8",
    "org:9",
    "org:10",
    "org:11",
    "org:12",
    "org:999",  # a node the tree does not know (yet)
    "other",
}


def test_a_street_alert_reaches_its_ancestors_and_everything_inside_it():
    item = decode_entry(b"1-0", _entry(_payload(3)), TREE)
    routed = route([item], ROOMS, TREE)
    assert set(routed) == {"org:1", "agg:1", "agg:2", "org:3", "org:4", "org:8", "org:9"}
    assert all(items == [item] for items in routed.values())


def test_a_grid_alert_reaches_its_ancestors_only():
    item = decode_entry(b"1-0", _entry(_payload(8)), TREE)
    routed = route([item], ROOMS, TREE)
    assert set(routed) == {"org:1", "agg:1", "agg:2", "org:3", "org:4", "org:8"}


def test_two_alerts_in_one_tick_are_grouped_per_room():
    a = decode_entry(b"1-0", _entry(_payload(8)), TREE)
    b = decode_entry(b"1-0", _entry(_payload(12, alert_id=42)), TREE)
    routed = route([a, b], ROOMS, TREE)
    assert routed["org:1"] == [a, b]
    assert routed["org:8"] == [a] and routed["org:12"] == [b]
    assert "org:9" not in routed


def test_seq_guard_drops_repeats_and_older_actions():
    guard = SeqGuard(limit=2)
    assert guard.fresh({"id": 1, "seq": 1})
    assert not guard.fresh({"id": 1, "seq": 1})  # the relay published the row twice
    assert guard.fresh({"id": 1, "seq": 3})
    assert not guard.fresh({"id": 1, "seq": 2})  # overtaken: never go backwards
    assert guard.fresh({"id": 2, "seq": 1})
    assert guard.fresh({"id": 3, "seq": 1})  # over the limit: alert 1 is forgotten
    assert guard.fresh({"id": 1, "seq": 4})


def test_ancestor_paths():
    assert ancestor_paths("/1/4/17/") == ["/1/", "/1/4/", "/1/4/17/"]
    assert ancestor_paths("/") == []


class _FakeSocketIO:
    def __init__(self, rooms: set[str]) -> None:
        members = {room: {"sid": "x"} for room in rooms}
        self.server = SimpleNamespace(manager=SimpleNamespace(rooms={"/": members}))
        self.emitted: list[tuple[str, dict, str]] = []

    def emit(self, event: str, data: dict, to: str, ignore_queue: bool) -> None:
        assert ignore_queue
        self.emitted.append((event, data, to))


def test_the_bridge_emits_an_alert_once_to_the_rooms_it_concerns():
    socketio = _FakeSocketIO({"org:8", "org:12", "agg:1"})
    bridge = RealtimeBridge(
        socketio,  # a stand-in that records what is emitted (flask_socketio is untyped)
        r=None,  # type: ignore[arg-type]  # no Redis: the entries are handed to collect()
        load_tree=lambda: TREE,
        load_roster=dict,
        rules=StateRules(offline_after_s=300, low_battery_pct=20),
        interval_s=0.25,
        categories=default_categories(),
    )
    bridge.reload(force=True)
    fields = _entry(_payload(3))
    stream = ALERTS_STREAM.encode()
    last_ids: dict[str, bytes | str] = {}
    # the same row relayed twice (a crash between XADD and marking it published)
    bridge.collect([(stream, [(b"5-0", fields), (b"6-0", fields)])], last_ids, {})
    assert last_ids[ALERTS_STREAM] == b"6-0"
    bridge.emit_alerts(bridge._alerts)
    assert sorted(to for _event, _data, to in socketio.emitted) == ["agg:1", "org:8"]
    for event, data, _to in socketio.emitted:
        assert event == ALERT_EVENT
        assert [(i["id"], i["seq"]) for i in data["d"]] == [(41, 1)]
