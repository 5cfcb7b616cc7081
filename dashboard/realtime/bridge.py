"""Realtime bridge: the consumer's state stream and the alert/incident streams in,
batched deltas to Socket.IO rooms out.

Every server process runs its own bridge and emits only to its own clients
(``ignore_queue``): each process reads the streams itself, so no Socket.IO
message queue is needed and a delta is never delivered twice. Rooms are named
after org nodes; a browser focused on a street joins that street's room and
gets every fix from its subtree, a few times a second, in one message per tick.
Alert actions (``gw:alerts``) are emitted on the tick they arrive, not batched, to
every room whose focus they concern (``dashboard/realtime/alerts.py``).

Markers are fed by the position consumer's output, not by the raw position
stream: each batch it applied arrives as one ``STAFF_STATE_STREAM`` entry of
fixes with the state it computed (``streams/live_state.py``), so the state rules
run once and the wall shows what the live state holds (a late fix the consumer
did not apply is not pushed either).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import msgspec
import redis
from flask_socketio import SocketIO
from redis.typing import KeyT, StreamIdT

from dashboard.realtime import alerts as alert_routing
from dashboard.realtime.alerts import ALERT_EVENT
from dashboard.realtime.incidents import INCIDENT_EVENT, from_event
from data.incidents.categories import CategoryConfig
from data.models import POST_LABELS, Post
from data.org_tree import OrgTree
from streams.keys import ALERTS_STREAM, EVENTS_STREAM, STAFF_STATE_STREAM
from streams.live_state import OFFLINE, UPDATES_FIELD, StaffUpdate, decode_updates
from streams.loops import Heartbeat, supervise
from streams.worker import stream_batches

log = logging.getLogger(__name__)

POSITION_EVENT = "pos"
#: the streams every bridge reads
BRIDGE_STREAMS = (STAFF_STATE_STREAM, EVENTS_STREAM, ALERTS_STREAM)

#: staff id -> (name, post, grid id): what a marker shows besides the fix
Roster = dict[int, tuple[str, Post, int]]


class Delta(msgspec.Struct, array_like=True):
    """One marker change. On the wire an array in this field order (``assets/gw.js``).

    A state change without a fix (going offline) has no position and no time.
    """

    staff: int
    lat: float | None
    lon: float | None
    ts: float | None
    state: str
    battery: float | None
    name: str
    post: str
    grid: int


class PositionMessage(msgspec.Struct):
    """One tick's push to a room: server time, deltas (none for aggregate rooms), count."""

    t: float
    d: list[Delta]
    n: int


def room_of(node_id: int) -> str:
    return f"org:{node_id}"


def aggregate_room_of(node_id: int) -> str:
    """Walls focused on a very large subtree get fix counts per tick, not every marker."""
    return f"agg:{node_id}"


def fix_delta(update: StaffUpdate, roster: Roster) -> Delta:
    """The marker of a fix the consumer applied, with the state it computed."""
    fix = update.fix
    name, post, _node = roster.get(fix.staff, ("", Post.ASSISTANT, fix.grid))
    return Delta(
        staff=fix.staff,
        lat=round(fix.lat, 6),
        lon=round(fix.lon, 6),
        ts=fix.ts,
        state=update.state,
        battery=fix.battery,
        name=name,
        post=POST_LABELS[post],
        grid=fix.grid,
    )


def state_delta(staff_id: int, state: str, roster: Roster) -> Delta | None:
    """A state change with no fix (the offline sweep); None for staff not on the roster."""
    entry = roster.get(staff_id)
    if entry is None:
        return None
    name, post, grid = entry
    return Delta(staff_id, None, None, None, state, None, name, POST_LABELS[post], grid)


def _newer(delta: Delta, pending: Delta | None) -> bool:
    """A fix replaces the pending delta of its staff member unless that one is newer."""
    return pending is None or pending.ts is None or delta.ts is None or pending.ts <= delta.ts


class RealtimeBridge:
    def __init__(
        self,
        socketio: SocketIO,
        r: redis.Redis,
        load_tree: Callable[[], OrgTree],
        load_roster: Callable[[], Roster],
        interval_s: float,
        categories: CategoryConfig,
    ) -> None:
        self.socketio = socketio
        self.r = r
        self.load_tree = load_tree
        self.load_roster = load_roster
        self.interval_s = interval_s
        self.categories = categories
        self._incidents: list[tuple[list[int], dict[str, Any]]] = []
        self._alerts: list[dict[str, Any]] = []
        self._alert_seq = alert_routing.SeqGuard()
        self.tree = OrgTree()
        self.roster: Roster = {}
        self._reloaded_at = 0.0
        self._last_ids: dict[KeyT, StreamIdT] | None = None
        self._pending: dict[int, Delta] = {}
        self._next_flush = time.monotonic() + interval_s

    def reload(self, *, force: bool = False) -> None:
        """Refresh tree and roster; at most every 30 s unless forced."""
        now = time.monotonic()
        if not force and now - self._reloaded_at < 30:
            return
        self._reloaded_at = now
        self.tree = self.load_tree()
        self.roster = self.load_roster()

    def _active_rooms(self) -> set[str]:
        rooms = self.socketio.server.manager.rooms.get("/", {})
        return {
            room
            for room in list(rooms)
            if isinstance(room, str) and room.startswith(("org:", "agg:"))
        }

    def route(self, deltas: list[Delta]) -> dict[str, list[Delta]]:
        """Group deltas by the rooms (ancestor nodes of their grid) that have listeners."""
        active = self._active_rooms()
        out: dict[str, list[Delta]] = defaultdict(list)
        if not active:
            return out
        for delta in deltas:
            node = self.tree.get(delta.grid)
            if node is None:
                self.reload()
                node = self.tree.get(delta.grid)
                if node is None:
                    continue
            for ancestor in node.ancestor_ids:
                for room in (room_of(ancestor), aggregate_room_of(ancestor)):
                    if room in active:
                        out[room].append(delta)
        return out

    def collect(
        self,
        reply: list[Any],
        last_ids: dict[KeyT, StreamIdT],
        pending: dict[int, Delta],
    ) -> None:
        """Fold stream entries into ``pending``: one delta per staff member per tick."""
        for stream, entries in reply:
            stream_name = stream.decode() if isinstance(stream, bytes) else stream
            for entry_id, fields in entries:
                last_ids[stream_name] = entry_id
                if stream_name == ALERTS_STREAM:
                    self._collect_alert(entry_id, fields)
                elif stream_name == EVENTS_STREAM:
                    routed = from_event(fields, self.categories)
                    if routed is not None:
                        self._incidents.append(routed)
                elif UPDATES_FIELD in fields:
                    self._collect_updates(fields[UPDATES_FIELD], pending)
                else:
                    self._collect_state(fields, pending)

    def _collect_updates(self, payload: bytes, pending: dict[int, Delta]) -> None:
        """One batch the consumer applied: a marker delta per fix, newest per staff member."""
        try:
            updates = decode_updates(payload)
        except (msgspec.DecodeError, msgspec.ValidationError):
            log.error("state stream entry is malformed; skipped")
            return
        for update in updates:
            if update.fix.staff not in self.roster:
                self.reload()
            delta = fix_delta(update, self.roster)
            if _newer(delta, pending.get(delta.staff)):
                pending[delta.staff] = delta

    def _collect_state(self, fields: dict[bytes, bytes], pending: dict[int, Delta]) -> None:
        """A state change no fix carries (the offline sweep's entries)."""
        staff_id = int(fields.get(b"s", b"0"))
        delta = state_delta(staff_id, fields.get(b"state", OFFLINE.encode()).decode(), self.roster)
        if delta is not None:
            pending[staff_id] = delta

    def _collect_alert(self, entry_id: bytes | str, fields: dict[bytes, bytes]) -> None:
        item = alert_routing.decode_entry(entry_id, fields, self.tree)
        if item is None:
            return
        if self.tree.get(item["node_id"]) is None:
            self.reload()  # a node added since the tree was loaded: name it properly
            item = alert_routing.decode_entry(entry_id, fields, self.tree) or item
        if self._alert_seq.fresh(item):
            self._alerts.append(item)

    def emit_alerts(self, items: list[dict[str, Any]]) -> None:
        """Alert actions to every listening room whose focus they concern, at once."""
        for room, room_items in alert_routing.route(items, self._active_rooms(), self.tree).items():
            self.socketio.emit(ALERT_EVENT, {"d": room_items}, to=room, ignore_queue=True)

    def emit_incidents(self, items: list[tuple[list[int], dict[str, Any]]]) -> None:
        """Incident changes of this tick to every listening room above their node."""
        active = self._active_rooms()
        by_room: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for ancestors, item in items:
            for node_id in ancestors:
                for room in (room_of(node_id), aggregate_room_of(node_id)):
                    if room in active:
                        by_room[room].append(item)
        for room, room_items in by_room.items():
            self.socketio.emit(INCIDENT_EVENT, {"d": room_items}, to=room, ignore_queue=True)

    def emit(self, routed: dict[str, list[Delta]]) -> None:
        server_time = time.time()
        for room, items in routed.items():
            shown = [] if room.startswith("agg:") else items
            message = PositionMessage(t=server_time, d=shown, n=len(items))
            self.socketio.emit(
                POSITION_EVENT, msgspec.to_builtins(message), to=room, ignore_queue=True
            )

    def stream_tails(self, streams: tuple[str, ...]) -> dict[KeyT, StreamIdT]:
        """Each stream's newest id now ("0-0" for one not created yet).

        XREAD with "$" means "after the newest entry at the time of *this* call": passed
        again on every call, an entry added while the previous batch was being emitted
        would be skipped. Resolving "$" once, at start, makes every later entry count.
        """
        tails: dict[KeyT, StreamIdT] = {}
        for stream in streams:
            try:
                tails[stream] = self.r.xinfo_stream(stream)["last-generated-id"]
            except redis.ResponseError:  # no such key yet
                tails[stream] = "0-0"
        return tails

    def one_round(self) -> float:
        """Read what arrived (blocking until the next flush at most) and push when due."""
        if self._last_ids is None:  # here, not at start: Redis may be down then
            self.reload(force=True)
            self._last_ids = self.stream_tails(BRIDGE_STREAMS)
        wait_ms = max(1, int((self._next_flush - time.monotonic()) * 1000))
        try:
            reply = stream_batches(self.r.xread(self._last_ids, count=10_000, block=wait_ms))
            if reply:
                self.collect(reply, self._last_ids, self._pending)
            if self._alerts:  # an alert must not wait for the position tick
                alerts, self._alerts = self._alerts, []
                self.emit_alerts(alerts)
            if time.monotonic() >= self._next_flush:
                self._next_flush = time.monotonic() + self.interval_s
                if self._pending:
                    pending, self._pending = self._pending, {}
                    self.emit(self.route(list(pending.values())))
                if self._incidents:
                    incidents, self._incidents = self._incidents, []
                    self.emit_incidents(incidents)
        except Exception:
            self._pending = {}  # a batch that broke a tick is dropped, the next tick is fresh
            raise
        return 0.0

    def run(self, stop: threading.Event, beat: Heartbeat | None = None) -> None:
        """Push until ``stop``; no error ends the loop (see ``streams.loops.supervise``)."""
        supervise(beat or Heartbeat("realtime-bridge", stale_after_s=60.0), self.one_round, stop)
