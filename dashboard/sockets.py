"""Socket.IO handlers: a browser names its focus node at connect and joins that room."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import request
from flask_socketio import SocketIO, join_room

from dashboard.realtime import room_of
from data.org_tree import OrgTree

log = logging.getLogger(__name__)


def register_socket_handlers(socketio: SocketIO, current_tree: Callable[[], OrgTree]) -> None:
    @socketio.on("connect")
    def on_connect(auth: dict[str, Any] | None = None) -> bool:
        focus = (auth or {}).get("focus")
        tree = current_tree()
        node = (
            tree.get(int(focus)) if isinstance(focus, int | str) and str(focus).isdigit() else None
        )
        if node is None:
            node = tree.root
        if node is None:
            return False
        join_room(room_of(node.id))
        log.debug("socket %s joined %s", request.sid, room_of(node.id))  # type: ignore[attr-defined]
        return True
