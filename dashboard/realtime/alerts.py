"""Alert actions as the wall shows them: compact items without personal data, routed by node.

An alert at node N concerns every wall whose focus is N, an ancestor of N (the alerted
area lies in its view) or a node inside N's subtree (the focused area lies inside the
alerted one: a wall on one grid of an alerted street must show that street's alert).
Each item carries the alert's whole state after the action, so the newest ``seq`` of an
alert is all a wall needs; an older or repeated ``seq`` (a relay that published a row
twice, or two relays overtaking each other) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from data.alerts.categories import category_label
from data.alerts.levels import LEVEL_LABELS, rank
from data.alerts.states import LIVE_STATES
from data.masking import mask_text
from data.models import Alert, AlertLevel
from data.org_tree import OrgTree

ALERT_EVENT = "alert"

_LIVE = frozenset(state.value for state in LIVE_STATES)

#: how many alert ids the bridge remembers the newest seq of (alerts are few)
SEEN_LIMIT = 10_000


def _level(value: str) -> tuple[str, int]:
    try:
        level = AlertLevel(value)
    except ValueError:
        return value, -1
    return LEVEL_LABELS[level], rank(level)


def wall_item(
    *,
    alert_id: int,
    seq: int,
    action: str,
    state: str,
    level: str,
    node_id: int,
    node_path: str,
    category: str,
    title: str,
    valid_until: str,
    at: str,
    issued_at: str | None,
    tree: OrgTree,
) -> dict[str, Any]:
    """The item walls merge: the alert's state after action ``seq``; no names of people.

    The title is typed by an officer: a phone number in it is masked like any free text.
    """
    label, level_rank = _level(level)
    return {
        "id": alert_id,
        "seq": seq,
        "action": action,
        "state": state,
        "level": level,
        "level_label": label,
        "rank": level_rank,
        "node_id": node_id,
        "node_name": tree.place_name(node_id),
        "path": node_path,
        "category": category,
        "category_label": category_label(category),
        "title": mask_text(title),
        "valid_until": valid_until,
        "at": at,
        "issued_at": issued_at,
        "live": state in _LIVE,
    }


def _entry_time(entry_id: bytes | str) -> str:
    """The stream entry's own time (XADD milliseconds), as ISO 8601 UTC."""
    raw = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    millis = int(raw.split("-", 1)[0])
    return dt.datetime.fromtimestamp(millis / 1000, dt.UTC).isoformat()


def decode_entry(
    entry_id: bytes | str, fields: dict[bytes, bytes], tree: OrgTree
) -> dict[str, Any] | None:
    """The wall item of one ``gw:alerts`` entry, or None if it is not an alert action."""
    if fields.get(b"kind") != b"alert":
        return None
    try:
        data = json.loads(fields[b"data"])
        at = str(data.get("at") or _entry_time(entry_id))
        action = str(data["action"])
        return wall_item(
            alert_id=int(data["alert_id"]),
            seq=int(data["seq"]),
            action=action,
            state=str(data["state"]),
            level=str(data["level"]),
            node_id=int(data["node_id"]),
            node_path=str(data["node_path"]),
            category=str(data.get("category", "")),
            title=str(data.get("title", "")),
            valid_until=str(data.get("valid_until", "")),
            at=at,
            issued_at=data.get("issued_at") or (at if action == "issue" else None),
            tree=tree,
        )
    except (KeyError, ValueError, TypeError):
        return None


def from_alert(alert: Alert, tree: OrgTree) -> dict[str, Any]:
    """The same item for an alert read from SQL (the wall's snapshot)."""
    return wall_item(
        alert_id=alert.id,
        seq=alert.last_seq,
        action="snapshot",
        state=str(alert.state),
        level=str(alert.level),
        node_id=alert.node_id,
        node_path=alert.node_path,
        category=alert.category,
        title=alert.title,
        valid_until=alert.valid_until.isoformat(),
        at=alert.updated_at.isoformat(),
        issued_at=alert.issued_at.isoformat(),
        tree=tree,
    )


def concerns(alert_path: str, focus_path: str) -> bool:
    """True when a wall focused at ``focus_path`` must show an alert at ``alert_path``.

    Either path lies under the other: the alert is at the focus, above it (the focus
    is inside the alerted area) or below it (the alerted area is inside the view).
    Sibling subtrees share a prefix of the path but neither contains the other.
    """
    return focus_path.startswith(alert_path) or alert_path.startswith(focus_path)


def room_node(room: str) -> int | None:
    """The node id of an ``org:<id>`` or ``agg:<id>`` room."""
    _prefix, _sep, rest = room.partition(":")
    return int(rest) if rest.isdigit() else None


def route(
    items: Iterable[dict[str, Any]], active_rooms: Iterable[str], tree: OrgTree
) -> dict[str, list[dict[str, Any]]]:
    """Group items by the active rooms whose focus they concern (both org: and agg:)."""
    focus_paths: dict[str, str] = {}
    for room in active_rooms:
        node = tree.get(room_node(room))
        if node is not None:
            focus_paths[room] = node.path
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        for room, path in focus_paths.items():
            if concerns(item["path"], path):
                out[room].append(item)
    return out


class SeqGuard:
    """The newest seq emitted per alert: a repeated or older action is dropped."""

    def __init__(self, limit: int = SEEN_LIMIT) -> None:
        self.limit = limit
        self._newest: dict[int, int] = {}

    def fresh(self, item: dict[str, Any]) -> bool:
        alert_id, seq = item["id"], item["seq"]
        if self._newest.get(alert_id, 0) >= seq:
            return False
        if alert_id not in self._newest and len(self._newest) >= self.limit:
            self._newest.pop(next(iter(self._newest)))  # forget the oldest remembered alert
        self._newest[alert_id] = seq
        return True
