"""Every request needs a live session except the public surfaces listed here."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from flask import current_app, jsonify, redirect, request, session
from flask_login import logout_user
from werkzeug.wrappers import Response as WerkzeugResponse

from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser, user
from dashboard.auth.session_end import LOGIN_AFTER, UNKNOWN_END, mark_ended, why_ended
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


def expiry_reason(
    settings: Settings, role: Role, login_at: float, seen_at: float, now: float
) -> str | None:
    """Why a session is over ("idle" / "absolute"), or None while it is alive.

    Pure, so the socket sweep judges sessions it reads from Redis by the same rule.
    """
    if role == Role.WALL:
        # a wall display is never logged out mid-shift by the idle timeout
        return "absolute" if now - login_at > settings.wall_session_hours * 3600 else None
    if now - login_at > settings.session_absolute_hours * 3600:
        return "absolute"
    if now - seen_at > settings.session_idle_minutes * 60:
        return "idle"
    return None


def session_expired(settings: Settings, who: SessionUser, now: float) -> str | None:
    """Why the current request's session is over, or None while it is alive."""
    login_at = float(session.get("login_at", 0))
    seen_at = float(session.get("seen_at", 0))
    return expiry_reason(settings, who.role, login_at, seen_at, now)


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
    ended_id = getattr(session, "sid", None)
    logout_user()
    session.clear()
    if ended_id:
        mark_ended(services.redis, ended_id, "expired", session_keep_s(services.settings))


def session_keep_s(settings: Settings) -> float:
    """How long a session cookie may live, so an end marker outlives every cookie."""
    return max(settings.session_absolute_hours, settings.wall_session_hours) * 3600


def end_reason(services: Services) -> str | None:
    """Why this request, which has no live user, has no session: None when it never had one."""
    cookie = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])
    if not cookie:
        return None
    if session.get("_user_id") is not None:
        return "revoked"  # the session is there, the account is disabled or its password reset
    try:
        reason = why_ended(services.redis, cookie)
    except redis.RedisError:
        reason = None
    if reason:
        return reason
    return "expired" if getattr(session, "stored_id", None) is None else None


def _deny(reason: str | None) -> WerkzeugResponse:
    wants_json = request.path.startswith(("/_dash-", "/api/")) or request.is_json
    if wants_json:
        login = LOGIN_AFTER.get(reason or "", UNKNOWN_END)
        response = jsonify({"error": "unauthorized", "message": "请先登录", "login": login})
        response.status_code = 401
        return response
    if reason in ("expired", "revoked"):
        return redirect(LOGIN_AFTER[reason])
    return redirect(f"/login?next={request.full_path.rstrip('?')}")


def make_guard(services: Services) -> Callable[[], WerkzeugResponse | None]:
    settings = services.settings

    def guard() -> WerkzeugResponse | None:
        if is_public(request.path):
            return None
        who = user()
        if who is None:
            reason = end_reason(services)
            if reason == "revoked":  # end it for good: every tab and socket learns at once
                ended_id = getattr(session, "sid", None)
                session.clear()
                if ended_id:
                    mark_ended(services.redis, ended_id, reason, session_keep_s(settings))
            return _deny(reason)
        now = time.time()
        reason = session_expired(settings, who, now)
        if reason is not None:
            end_expired_session(services, who, reason)
            return _deny("expired")
        session["seen_at"] = now
        return None

    return guard
