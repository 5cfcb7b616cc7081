"""The bridge turns the consumer's output into marker deltas (no Redis, no SQL)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import msgspec

from dashboard.realtime.bridge import POSITION_EVENT, Delta, RealtimeBridge
from data.incidents.categories import default_categories
from data.models import POST_LABELS, Post
from streams.codec import StreamFix
from streams.keys import STAFF_STATE_STREAM
from streams.live_state import LOW_BATTERY, OFFLINE, ONLINE, UPDATES_FIELD, StaffUpdate
from tests.unit.dashboard.realtime.test_alerts import TREE

ROSTER = {7: ("张三", Post.GRID_MANAGER, 8), 9: ("李四", Post.ASSISTANT, 12)}


class _FakeSocketIO:
    def __init__(self, rooms: set[str]) -> None:
        members = {room: {"sid": "x"} for room in rooms}
        self.server = SimpleNamespace(manager=SimpleNamespace(rooms={"/": members}))
        self.emitted: list[tuple[str, dict[str, Any], str]] = []

    def emit(self, event: str, data: dict[str, Any], to: str, ignore_queue: bool) -> None:
        self.emitted.append((event, data, to))


def _bridge(rooms: set[str]) -> tuple[RealtimeBridge, _FakeSocketIO]:
    socketio = _FakeSocketIO(rooms)
    bridge = RealtimeBridge(
        socketio,  # a stand-in that records what is emitted (flask_socketio is untyped)
        r=None,  # type: ignore[arg-type]  # no Redis: the entries are handed to collect()
        load_tree=lambda: TREE,
        load_roster=lambda: ROSTER,
        interval_s=0.25,
        categories=default_categories(),
    )
    bridge.reload(force=True)
    return bridge, socketio


def _fix(staff: int, grid: int, ts: float, battery: float = 80.0) -> StreamFix:
    return StreamFix(staff, grid, 34.7512345678, 113.6, ts, 1.0, 90.0, 5.0, battery, 1)


def _updates_entry(entry_id: bytes, *updates: StaffUpdate) -> tuple[bytes, dict[bytes, bytes]]:
    return entry_id, {UPDATES_FIELD: msgspec.json.encode(list(updates))}


def test_markers_carry_the_state_the_consumer_computed_newest_per_staff():
    bridge, _ = _bridge(set())
    pending: dict[int, Delta] = {}
    last_ids: dict[Any, Any] = {}
    reply = [
        (
            STAFF_STATE_STREAM.encode(),
            [
                # the consumer said low battery at 50 %: the bridge does not judge again
                _updates_entry(b"1-0", StaffUpdate(_fix(7, 8, 100.0, 50.0), LOW_BATTERY)),
                _updates_entry(
                    b"2-0",
                    StaffUpdate(_fix(7, 8, 90.0), ONLINE),  # older than the pending one
                    StaffUpdate(_fix(9, 12, 95.0), ONLINE),
                ),
            ],
        )
    ]
    bridge.collect(reply, last_ids, pending)
    assert last_ids[STAFF_STATE_STREAM] == b"2-0"
    assert pending[7] == Delta(
        7, 34.751235, 113.6, 100.0, LOW_BATTERY, 50.0, "张三", POST_LABELS[Post.GRID_MANAGER], 8
    )
    assert pending[9].state == ONLINE and pending[9].grid == 12


def test_an_offline_entry_is_a_delta_without_a_position():
    bridge, _ = _bridge(set())
    pending: dict[int, Delta] = {}
    entry = (b"3-0", {b"s": b"9", b"state": OFFLINE.encode()})
    bridge.collect([(STAFF_STATE_STREAM.encode(), [entry])], {}, pending)
    assert pending[9] == Delta(9, None, None, None, OFFLINE, None, "李四", "网格员", 12)


def test_deltas_go_out_as_arrays_in_field_order_to_rooms_above_their_grid():
    """assets/gw.js reads each row by position: the wire format is the Struct's field order."""
    bridge, socketio = _bridge({"org:4", "org:11", "agg:1"})
    delta = Delta(7, 34.75, 113.6, 100.0, ONLINE, 80.0, "张三", "网格长", 8)
    bridge.emit(bridge.route([delta]))
    sent = {to: (event, data) for event, data, to in socketio.emitted}
    assert set(sent) == {"org:4", "agg:1"}
    event, data = sent["org:4"]
    assert event == POSITION_EVENT
    assert data["d"] == [[7, 34.75, 113.6, 100.0, ONLINE, 80.0, "张三", "网格长", 8]]
    assert data["n"] == 1 and sent["agg:1"][1]["d"] == [] and sent["agg:1"][1]["n"] == 1
