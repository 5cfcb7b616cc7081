"""Socket.IO handlers: only a live session connects, and the server picks its room.

The browser may name a focus node at connect; the server joins it only if the
node lies in the user's subtree, otherwise the user's own node (and logs it).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask_socketio import ConnectionRefusedError, SocketIO, join_room

from dashboard.auth.current import node_in_scope, scope_root, user
from dashboard.auth.guard import session_expired
from dashboard.auth.permissions import Perm
from dashboard.realtime import aggregate_room_of, room_of
from dashboard.settings import Settings
from data.org_tree import OrgTree
from data.record_ids import record_id

log = logging.getLogger(__name__)


def _focus_id(auth: dict[str, Any] | None) -> int | None:
    return record_id((auth or {}).get("focus"))


def register_socket_handlers(
    socketio: SocketIO, current_tree: Callable[[], OrgTree], settings: Settings
) -> None:
    @socketio.on("connect")
    def on_connect(auth: dict[str, Any] | None = None) -> None:
        who = user()
        if who is None or session_expired(settings, who, time.time()) is not None:
            raise ConnectionRefusedError("unauthorized")
        if not who.can(Perm.VIEW_STAFF_POSITIONS):
            raise ConnectionRefusedError("forbidden")
        tree = current_tree()
        wanted = _focus_id(auth)
        node = node_in_scope(tree, who, wanted) if wanted is not None else None
        node = node or scope_root(tree, who)
        if node is None:
            raise ConnectionRefusedError("no scope")
        aggregate = (auth or {}).get("mode") == "aggregate"
        join_room(aggregate_room_of(node.id) if aggregate else room_of(node.id))
