"""Socket.IO handlers: only a live session connects, and the server picks its room.

The browser may name a focus node at connect; the server joins it only if the
node lies in the user's subtree, otherwise the user's own node (and logs it).
Each socket is registered with the session that opened it (``SocketSessions``), so it
ends when that session ends; an event from a socket whose session ended does no work
and ends the socket.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import request, session
from flask_socketio import ConnectionRefusedError, SocketIO, disconnect, join_room

from dashboard.auth.current import node_in_scope, scope_root, user
from dashboard.auth.guard import session_expired
from dashboard.auth.permissions import Perm
from dashboard.auth.socket_sessions import SocketGrant, SocketSessions
from dashboard.realtime.bridge import aggregate_room_of, room_of
from dashboard.settings import Settings
from data.org_tree import OrgTree
from data.record_ids import record_id

log = logging.getLogger(__name__)

Handler = TypeVar("Handler", bound=Callable[..., Any])


def _on(socketio: SocketIO, event: str) -> Callable[[Handler], Handler]:
    """``socketio.on(event)`` with a type (flask-socketio ships no annotations)."""
    decorator: Callable[[Handler], Handler] = socketio.on(event)
    return decorator


def _socket_id() -> str:
    """The Socket.IO id of the socket whose event is being handled.

    flask-socketio sets ``request.sid`` on the request of every socket event;
    Flask's types do not know that attribute.
    """
    sid: str = request.sid  # type: ignore[attr-defined]  # set by flask-socketio
    return sid


def _session_id() -> str:
    """The server-side session's id: flask-session's ``session.sid``, unknown to Flask's types."""
    sid: str = session.sid  # type: ignore[attr-defined]  # set by flask-session
    return sid


def _focus_id(auth: dict[str, Any] | None) -> int | None:
    return record_id((auth or {}).get("focus"))


def _session_is_live(settings: Settings, grant: SocketGrant | None) -> bool:
    """The socket's session, as reloaded for this event, is still the one it opened with."""
    who = user()  # reloads the account: disabled or password reset → None
    return (
        grant is not None
        and who is not None
        and who.id == grant.user_id
        and getattr(session, "sid", None) == grant.session_id
        and session_expired(settings, who, time.time()) is None
    )


def register_socket_handlers(
    socketio: SocketIO,
    current_tree: Callable[[], OrgTree],
    settings: Settings,
    sockets: SocketSessions,
) -> None:
    sockets.attach(lambda sid: socketio.server.disconnect(sid, namespace="/"))

    def live_only(handler: Handler) -> Handler:
        """Any event handler: no work for a socket whose session ended; it is ended."""

        @functools.wraps(handler)
        def checked(*args: Any) -> Any:
            sid = _socket_id()
            if not _session_is_live(settings, sockets.grant(sid)):
                sockets.closed(sid)
                disconnect()
                return None
            return handler(*args)

        return cast(Handler, checked)

    @_on(socketio, "connect")
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
        login_at = session.get("login_at")
        grant = SocketGrant(
            session_id=_session_id(),
            user_id=who.id,
            role=who.role,
            login_at=float(login_at) if isinstance(login_at, int | float) else 0.0,
        )
        sockets.opened(_socket_id(), grant)
        aggregate = (auth or {}).get("mode") == "aggregate"
        join_room(aggregate_room_of(node.id) if aggregate else room_of(node.id))

    @_on(socketio, "disconnect")
    def on_disconnect(*_reason: Any) -> None:
        sockets.closed(_socket_id())

    @_on(socketio, "*")
    @live_only
    def on_other_event(event: str, *_args: Any) -> None:
        """The wall only listens; an unknown event from a live session is ignored."""
        log.debug("socket event %r ignored", event)
