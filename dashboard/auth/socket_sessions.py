"""Every open socket is tied to the session that opened it, and ends with it.

A socket is checked once, at connect; after that it would keep receiving live staff
positions for as long as it stays open, whatever happened to its session (a disabled
account kept getting 272 pushes in 90 s). So each process remembers, per socket, the
session it was opened with (the Flask-Session id, ``gw:session:<id>`` in Redis), the
user and the login time, and its "socket-sessions" loop checks them every
``socket_session_check_s``: the session must still be in Redis, belong to that login and
not be expired, and the user must be active with no password set since that login (one
SQL query for all of them). Sockets that fail are disconnected. Whatever ends a session
(logout in any process, ``gridwatch user disable`` from another process, a password
reset, idle or absolute expiry, /admin/users) therefore ends its sockets within about a
second; a logout in this process ends them at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dashboard.auth.guard import expiry_reason
from dashboard.services import Services
from dashboard.settings import Settings
from data.models import Role, User
from data.users import password_changed_after
from streams.loops import Heartbeat, supervise

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SocketGrant:
    """What a socket was let in on."""

    session_id: str
    user_id: int
    role: Role
    login_at: float


class SocketSessions:
    """The sockets this process holds open, each with its grant (owned by the app)."""

    def __init__(
        self,
        services: Services,
        session_prefix: str,
        decode: Callable[[bytes], dict[str, Any]],
    ) -> None:
        self.services = services
        self.session_prefix = session_prefix
        self.decode = decode
        self._grants: dict[str, SocketGrant] = {}
        self._lock = threading.Lock()
        self._disconnect: Callable[[str], None] | None = None

    def attach(self, disconnect: Callable[[str], None]) -> None:
        """How to end a socket (given once Socket.IO exists)."""
        self._disconnect = disconnect

    def opened(self, sid: str, grant: SocketGrant) -> None:
        with self._lock:
            self._grants[sid] = grant

    def closed(self, sid: str) -> None:
        with self._lock:
            self._grants.pop(sid, None)

    def grant(self, sid: str) -> SocketGrant | None:
        with self._lock:
            return self._grants.get(sid)

    def count(self) -> int:
        with self._lock:
            return len(self._grants)

    def end(self, sids: set[str]) -> None:
        for sid in sids:
            self.closed(sid)
            if self._disconnect is not None:
                try:
                    self._disconnect(sid)
                except Exception:  # already gone: nothing left to end
                    log.debug("socket %s was already closed", sid, exc_info=True)

    def end_session(self, session_id: str) -> None:
        """A session ended in this process (logout): its sockets end now."""
        with self._lock:
            sids = {sid for sid, g in self._grants.items() if g.session_id == session_id}
        self.end(sids)

    def ended(self, grants: dict[str, SocketGrant]) -> set[str]:
        """The sockets among ``grants`` whose session or account no longer lets them in."""
        if not grants:
            return set()
        dead = self._ended_sessions(grants)
        alive = {sid: g for sid, g in grants.items() if sid not in dead}
        return dead | self._revoked_accounts(alive)

    def _ended_sessions(self, grants: dict[str, SocketGrant]) -> set[str]:
        ids = sorted({g.session_id for g in grants.values()})
        blobs = self.services.redis.mget([f"{self.session_prefix}{i}" for i in ids])
        stored: dict[str, dict[str, Any]] = {}
        for session_id, blob in zip(ids, blobs, strict=True):
            if blob is None:
                continue
            try:
                stored[session_id] = self.decode(blob.encode() if isinstance(blob, str) else blob)
            except Exception:  # an unreadable session lets nobody in
                log.warning("session %s… could not be read", session_id[:6])
        now, settings = time.time(), self.services.settings
        return {
            sid
            for sid, g in grants.items()
            if not _still_valid(settings, g, stored.get(g.session_id), now)
        }

    def _revoked_accounts(self, grants: dict[str, SocketGrant]) -> set[str]:
        if not grants:
            return set()
        user_ids = sorted({g.user_id for g in grants.values()})
        with self.services.sessions() as db:
            rows = db.execute(
                select(User.id, User.active, User.password_changed_at).where(User.id.in_(user_ids))
            ).all()
        accounts = {row.id: row for row in rows}
        revoked = set()
        for sid, g in grants.items():
            row = accounts.get(g.user_id)
            if (
                row is None
                or not row.active
                or password_changed_after(row.password_changed_at, g.login_at)
            ):
                revoked.add(sid)
        return revoked

    def sweep(self) -> float:
        """One round: end the sockets whose session ended; returns the wait to the next."""
        with self._lock:
            grants = dict(self._grants)
        ended = self.ended(grants)
        if ended:
            log.info("ending %d socket(s) whose session ended", len(ended))
            self.end(ended)
        return self.services.settings.socket_session_check_s

    def run(self, stop: threading.Event, beat: Heartbeat) -> None:
        supervise(beat, self.sweep, stop)


def _still_valid(
    settings: Settings, grant: SocketGrant, data: dict[str, Any] | None, now: float
) -> bool:
    """The stored session is still the one the socket was let in on, and alive."""
    if data is None or data.get("_user_id") != str(grant.user_id):
        return False
    login_at = data.get("login_at")
    if not isinstance(login_at, int | float) or float(login_at) != grant.login_at:
        return False
    seen_at = data.get("seen_at")
    seen = float(seen_at) if isinstance(seen_at, int | float) else 0.0
    return expiry_reason(settings, grant.role, grant.login_at, seen, now) is None
