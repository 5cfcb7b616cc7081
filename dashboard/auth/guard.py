"""Every request needs a live session except the public surfaces listed here."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Response, jsonify, redirect, request, session
from flask_login import logout_user

from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser, user
from dashboard.services import Services
from dashboard.settings import Settings
from data.models import Role

#: reachable without a session: login, static code and styles, health, the terminal
#: API (device credentials) and the citizen-reporting API
PUBLIC_PATHS = frozenset(
    {
        "/login",
        "/logout",
        "/healthz",
        "/api/v1/positions",
        "/api/v1/openapi.json",
        "/api/v1/events",
        "/api/v1/sms/inbound",
        "/api/v1/sms/receipts",
        "/osmand",
        "/osmand/",
        "/_favicon.ico",
        "/favicon.ico",
    }
)
#: whole trees: static code and styles, and the citizens' Open311 API (which answers
#: unknown paths itself, so Dash's catch-all page is never served there)
PUBLIC_PREFIXES = (
    "/assets/",
    "/_dash-component-suites/",
    "/open311/",
    "/api/v1/events/",
    "/api/v1/alerts/",
)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def session_expired(settings: Settings, who: SessionUser, now: float) -> str | None:
    """Why the session is over ("idle" / "absolute"), or None while it is alive."""
    login_at = float(session.get("login_at", 0))
    seen_at = float(session.get("seen_at", 0))
    if who.role == Role.WALL:
        # a wall display is never logged out mid-shift by the idle timeout
        return "absolute" if now - login_at > settings.wall_session_hours * 3600 else None
    if now - login_at > settings.session_absolute_hours * 3600:
        return "absolute"
    if now - seen_at > settings.session_idle_minutes * 60:
        return "idle"
    return None


def end_expired_session(services: Services, who: SessionUser, reason: str) -> None:
    with services.sessions.begin() as db:
        record_action(
            db,
            who,
            "session_expired",
            node_id=who.node_id,
            address=request.remote_addr,
            detail={"reason": reason},
        )
    logout_user()
    session.clear()


def _deny(expired: bool) -> Response:
    wants_json = request.path.startswith(("/_dash-", "/api/")) or request.is_json
    if wants_json:
        response = jsonify({"error": "unauthorized", "message": "请先登录", "login": "/login"})
        response.status_code = 401
        return response
    target = "/login?notice=expired" if expired else f"/login?next={request.full_path.rstrip('?')}"
    return redirect(target)  # type: ignore[return-value]


def make_guard(services: Services) -> Callable[[], Response | None]:
    settings = services.settings

    def guard() -> Response | None:
        if is_public(request.path):
            return None
        who = user()
        if who is None:
            return _deny(expired=False)
        now = time.time()
        reason = session_expired(settings, who, now)
        if reason is not None:
            end_expired_session(services, who, reason)
            return _deny(expired=True)
        session["seen_at"] = now
        return None

    return guard
