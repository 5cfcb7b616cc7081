"""Wiring accounts into a Flask server: server-side sessions, Flask-Login, the guard."""

from __future__ import annotations

import datetime as dt

from flask import Flask, Request, request, session
from flask_login import LoginManager
from flask_session.base import ServerSideSession
from flask_session.redis import RedisSessionInterface
from sqlalchemy import select

from dashboard.auth.current import SessionUser
from dashboard.auth.guard import make_guard
from dashboard.auth.limiter import LoginLimiter, LoginLimits
from dashboard.auth.origin import make_origin_check
from dashboard.auth.socket_sessions import SocketSessions
from dashboard.auth.views import auth_blueprint
from dashboard.services import Services
from data.models import User
from data.users import password_changed_after

SESSION_PREFIX = "gw:session:"
#: a session before login only carries the login form's token
PRE_LOGIN_TTL_S = 2 * 3600


# flask-session ships no types: its classes are Any to mypy
class SessionInterface(RedisSessionInterface):  # type: ignore[misc]
    """Sessions in Redis; the cookie is Secure whenever the request came over HTTPS.

    A request never brings back a session that ended while it ran: a session read from
    Redis is written back only if it is still there (SET XX), and the cookie is only
    re-sent when it was. Otherwise a page request still in flight when its person pressed
    退出 re-created the session (and its cookie) that the logout had just deleted.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure or super().get_cookie_secure(app))

    def open_session(self, app: Flask, request: Request) -> ServerSideSession:
        opened = super().open_session(app, request)
        cookie = request.cookies.get(self.get_cookie_name(app))
        # the id it was read under; None for a session created by this request
        opened.stored_id = opened.sid if cookie and cookie == opened.sid else None
        return opened

    def _upsert_session(
        self, session_lifetime: dt.timedelta, session: ServerSideSession, store_id: str
    ) -> None:
        stored_id = getattr(session, "stored_id", None)
        existing = stored_id is not None and store_id == self._get_store_id(stored_id)
        ttl = session_lifetime.total_seconds()
        if session.get("_user_id") is None:
            ttl = min(ttl, PRE_LOGIN_TTL_S)
        saved = self.client.set(
            store_id, self.serializer.encode(session), ex=max(1, int(ttl)), xx=existing
        )
        session.saved = bool(saved)

    def should_set_cookie(self, app: Flask, session: ServerSideSession) -> bool:
        return bool(getattr(session, "saved", True) and super().should_set_cookie(app, session))


def init_auth(server: Flask, services: Services) -> SocketSessions:
    """Sessions, login, the origin check and the guard; returns this app's socket registry."""
    settings = services.settings
    server.config.update(
        SESSION_COOKIE_NAME="gw_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(
            hours=max(settings.session_absolute_hours, settings.wall_session_hours)
        ),
    )
    interface = SessionInterface(app=server, client=services.redis, key_prefix=SESSION_PREFIX)
    server.session_interface = interface

    login_manager = LoginManager()
    login_manager.init_app(server)
    login_manager.session_protection = None  # the server-side session already binds it

    def load_user(user_id: str) -> SessionUser | None:
        if not user_id.isdigit():
            return None
        with services.sessions() as db:
            row = db.execute(
                select(
                    User.id,
                    User.username,
                    User.display_name,
                    User.role,
                    User.node_id,
                    User.password_changed_at,
                ).where(User.id == int(user_id), User.active.is_(True))
            ).first()
        # a reset password ends the sessions opened with the old one (at their next request)
        if row is None or password_changed_after(row.password_changed_at, session.get("login_at")):
            return None
        return SessionUser(*row[:5])

    login_manager.user_loader(load_user)

    limiter = LoginLimiter(
        services.redis,
        LoginLimits(
            max_failures_account=settings.login_max_failures_account,
            max_failures_address=settings.login_max_failures_address,
            window_s=settings.login_failure_window_minutes * 60,
            lockout_s=settings.login_lockout_minutes * 60,
        ),
    )
    sockets = SocketSessions(services, SESSION_PREFIX, interface.serializer.decode)
    # before the guard: a forged cross-site request is refused before anything else runs
    server.before_request(
        make_origin_check(settings.allowed_origins, server.config["SESSION_COOKIE_NAME"])
    )
    server.register_blueprint(auth_blueprint(services, limiter, sockets))
    server.before_request(make_guard(services))
    return sockets
