"""Wiring accounts into a Flask server: server-side sessions, Flask-Login, the guard."""

from __future__ import annotations

import datetime as dt

from flask import Flask, request, session
from flask_login import LoginManager
from flask_session.redis import RedisSessionInterface
from sqlalchemy import select

from dashboard.auth.current import SessionUser
from dashboard.auth.guard import make_guard
from dashboard.auth.limiter import LoginLimiter, LoginLimits
from dashboard.auth.views import auth_blueprint
from dashboard.services import Services
from data.models import User


class SessionInterface(RedisSessionInterface):
    """Sessions in Redis; the cookie is Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure or super().get_cookie_secure(app))


def init_auth(server: Flask, services: Services) -> LoginLimiter:
    settings = services.settings
    server.config.update(
        SESSION_COOKIE_NAME="gw_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(
            hours=max(settings.session_absolute_hours, settings.wall_session_hours)
        ),
    )
    server.session_interface = SessionInterface(
        app=server, client=services.redis, key_prefix="gw:session:"
    )

    login_manager = LoginManager()
    login_manager.init_app(server)
    login_manager.session_protection = None  # the server-side session already binds it

    def _password_changed_since_login(changed_at: dt.datetime | None) -> bool:
        """A reset password ends the sessions opened with the old one (at their next request)."""
        login_at = session.get("login_at")
        if changed_at is None or not isinstance(login_at, int | float):
            return False
        if changed_at.tzinfo is None:  # SQLite hands back naive UTC
            changed_at = changed_at.replace(tzinfo=dt.UTC)
        return changed_at.timestamp() > login_at

    @login_manager.user_loader
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
        if row is None or _password_changed_since_login(row.password_changed_at):
            return None
        return SessionUser(*row[:5])

    limiter = LoginLimiter(
        services.redis,
        LoginLimits(
            max_failures_account=settings.login_max_failures_account,
            max_failures_address=settings.login_max_failures_address,
            window_s=settings.login_failure_window_minutes * 60,
            lockout_s=settings.login_lockout_minutes * 60,
        ),
    )
    server.register_blueprint(auth_blueprint(services, limiter))
    server.before_request(make_guard(services))
    return limiter
