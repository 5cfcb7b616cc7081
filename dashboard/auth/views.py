"""The login page (plain HTML, so it needs no Dash endpoint open to the public) and logout."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from urllib.parse import urlparse

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template_string,
    request,
    session,
)
from flask_login import login_user, logout_user
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.wrappers import Response as WerkzeugResponse

from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser, user
from dashboard.auth.guard import session_keep_s
from dashboard.auth.limiter import Lockout, LoginLimiter, Refused
from dashboard.auth.session_end import mark_ended
from dashboard.auth.socket_sessions import SocketSessions
from dashboard.display_time import display_time
from dashboard.services import Services
from data import audit, users

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>登录 · Gridwatch 网格化指挥中心</title>
  <link rel="stylesheet" href="/assets/login.css">
</head>
<body class="gw-login-body">
  <main class="gw-login">
    <h1>网格化社会管理指挥中心</h1>
    <p class="gw-login-sub">请使用分配的账号登录</p>
    {% if message %}
    <div class="gw-login-msg gw-login-{{ level }}" role="alert">{{ message }}</div>
    {% endif %}
    <form method="post" action="/login" autocomplete="on">
      <input type="hidden" name="csrf" value="{{ csrf }}">
      <input type="hidden" name="next" value="{{ next }}">
      <label>用户名
        <input name="username" id="username" value="{{ username }}" required autofocus>
      </label>
      <label>密码<input name="password" id="password" type="password" required></label>
      <button type="submit" id="login-submit">登录</button>
    </form>
    <p class="gw-login-note">本系统含居民个人信息，所有访问均留痕审计。</p>
  </main>
</body>
</html>"""

LOGOUT_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>退出 · Gridwatch 网格化指挥中心</title>
  <link rel="stylesheet" href="/assets/login.css">
</head>
<body class="gw-login-body">
  <main class="gw-login">
    <h1>网格化社会管理指挥中心</h1>
    <p class="gw-login-sub">{{ who }}，确定要退出登录吗？</p>
    <form method="post" action="/logout">
      <button type="submit" id="logout-confirm">退出登录</button>
    </form>
    <p class="gw-login-note"><a href="/wall">返回指挥大屏</a></p>
  </main>
</body>
</html>"""

NOTICES = {
    "expired": ("会话已超时，请重新登录", "info"),
    "logout": ("您已安全退出", "info"),
    "revoked": ("账号已停用或密码已更改，请重新登录", "info"),
    "ended": ("会话已结束，请重新登录", "info"),
}
BUSY = "系统繁忙，请稍后重试"


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, never an open redirect."""
    if not target:
        return "/wall"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/wall"
    return target


def client_address() -> str:
    return request.remote_addr or "unknown"


def _token_ok() -> bool:
    """The form's token equals the one this browser's session got with the form.

    No session token (no form was served to this browser, or its session is gone) or an
    empty one never matches: an empty expected token once equalled an empty sent one.
    """
    expected = session.get("csrf")
    sent = request.form.get("csrf", "")
    if not isinstance(expected, str) or not expected or not sent:
        return False
    return secrets.compare_digest(sent.encode(), expected.encode())


def auth_blueprint(services: Services, limiter: LoginLimiter, sockets: SocketSessions) -> Blueprint:
    """/login and /logout, bound to this app instance's services, limiter and sockets."""
    views = _AuthViews(services, limiter, sockets)
    bp = Blueprint("auth", __name__)
    bp.get("/login")(views.login_form)
    bp.post("/login")(views.login_submit)
    bp.get("/logout")(views.logout_confirm)
    bp.post("/logout")(views.logout)
    return bp


#: a rendered page with its status (and headers, for a 503's Retry-After)
Page = tuple[str, int] | tuple[str, int, dict[str, str]]


class _AuthViews:
    """The login and logout views; one instance per app (it owns the check semaphore)."""

    def __init__(self, services: Services, limiter: LoginLimiter, sockets: SocketSessions):
        self.services = services
        self.limiter = limiter
        self.sockets = sockets
        # argon2 takes ~64 MiB and a core for tenths of a second: a burst of logins must
        # queue here (owned by this app instance), not on the database pool or the memory
        self.checks = threading.BoundedSemaphore(services.settings.login_max_concurrent_checks)

    def page(
        self, message: str = "", level: str = "error", username: str = "", status: int = 200
    ) -> tuple[str, int]:
        # one token per session: a second tab (or a favicon request) must not void the first
        token = session.get("csrf") or secrets.token_urlsafe(24)
        session["csrf"] = token
        html = render_template_string(
            LOGIN_PAGE,
            message=message,
            level=level,
            csrf=token,
            next=_safe_next(request.values.get("next")),
            username=username,
        )
        return html, status

    def locked_page(self, lockout: Lockout | None, username: str) -> Page:
        if lockout is None:  # the limit is taken by checks still running
            return self.page("登录尝试过多，请稍后重试", username=username, status=429)
        return self.page(
            f"登录失败次数过多，已暂时锁定，请在 {lockout.minutes_left} 分钟后"
            f"（{_clock(lockout.until)}）重试",
            username=username,
            status=429,
        )

    def busy_page(self, username: str) -> Page:
        html, status = self.page(BUSY, username=username, status=503)
        return html, status, {"Retry-After": "5"}

    def login_form(self) -> Page:
        message, level = NOTICES.get(request.args.get("notice", ""), ("", "info"))
        return self.page(message, level)

    def login_submit(self) -> Page | WerkzeugResponse:
        username = request.form.get("username", "").strip()
        address = client_address()
        if not _token_ok():
            return self.page("页面已过期，请重新提交", username=username, status=400)
        attempt = self.limiter.reserve(username, address)
        if isinstance(attempt, Refused):
            _audit_login(self.services, username, None, address, "locked")
            return self.locked_page(attempt.lockout, username)
        try:
            found = _check_password(
                self.services, self.checks, username, request.form.get("password", "")
            )
        except (_Busy, PoolTimeout):
            self.limiter.unchecked(attempt)  # never checked: not a failure of this account
            return self.busy_page(username)
        try:
            who = _record_login(self.services, username, found, address)
        except PoolTimeout:  # checked but not recorded: a wrong guess still counts
            (self.limiter.failed if found is None else self.limiter.unchecked)(attempt)
            return self.busy_page(username)
        if who is None:
            lockout = self.limiter.failed(attempt)
            if lockout is not None:
                return self.locked_page(lockout, username)
            return self.page("用户名或密码错误", username=username, status=401)
        self.limiter.succeeded(attempt)
        _start_session(who)
        return redirect(_safe_next(request.form.get("next")))

    def logout_confirm(self) -> str | WerkzeugResponse:
        """A link or a foreign page can send a GET: it only asks, the POST logs out."""
        who = user()
        if who is None:
            return redirect("/login")
        return render_template_string(LOGOUT_PAGE, who=who.display_name)

    def logout(self) -> WerkzeugResponse:
        who = user()
        ended_id = getattr(session, "sid", None) if who is not None else None
        if who is not None:
            with self.services.sessions.begin() as db:
                record_action(db, who, "logout", address=client_address(), node_id=who.node_id)
        logout_user()
        session.clear()
        if ended_id:
            keep = session_keep_s(self.services.settings)
            mark_ended(self.services.redis, ended_id, "logout", keep)
            self.sockets.end_session(ended_id)  # this process's sockets now, others' within ~1 s
        return redirect("/login?notice=logout")


def _start_session(who: SessionUser) -> None:
    """A fresh session id for the logged-in user (no fixation), stamped for the timeouts."""
    # flask-session's interface adds regenerate(); Flask's SessionInterface type lacks it
    current_app.session_interface.regenerate(session)  # type: ignore[attr-defined]
    session.clear()
    login_user(who)
    now = time.time()
    session["login_at"] = now
    session["seen_at"] = now


class _Busy(Exception):
    """No password-check slot came free in time."""


def _check_password(
    services: Services, checks: threading.BoundedSemaphore, username: str, password: str
) -> tuple[users.LoginRecord, str | None] | None:
    """The account and an upgraded hash when the password is right, else None.

    The account is read in a short session that is closed before argon2 runs: no pooled
    connection is held while the hash is checked.
    """
    if not checks.acquire(timeout=services.settings.login_check_wait_s):
        raise _Busy
    try:
        with services.sessions() as db:
            record = users.login_record(db, username)
        matched = users.password_matches(record, password)
        if record is None or not matched:
            return None
        return record, users.upgraded_hash(record, password)
    finally:
        checks.release()


def _record_login(
    services: Services,
    username: str,
    found: tuple[users.LoginRecord, str | None] | None,
    address: str,
) -> SessionUser | None:
    """The second short transaction: last login, rehash and the audit row, together."""
    with services.sessions.begin() as db:
        record = found[0] if found else None
        ok = found is not None and users.record_login(db, found[0], found[1])
        audit.record(
            db,
            actor=username or "(空)",
            actor_id=record.id if ok and record else None,
            action="login" if ok else "login_failed",
            target_type="user",
            target_id=record.id if ok and record else None,
            node_id=record.node_id if ok and record else None,
            address=address,
            outcome="ok" if ok else "denied",
        )
    if not ok or record is None:
        return None
    return SessionUser(record.id, record.username, record.display_name, record.role, record.node_id)


def _audit_login(
    services: Services, username: str, user_id: int | None, address: str, outcome: str
) -> None:
    with services.sessions.begin() as db:
        audit.record(
            db,
            actor=username or "(空)",
            actor_id=user_id,
            action="login_failed",
            target_type="user",
            address=address,
            outcome=outcome,
        )


def _clock(epoch: float) -> str:
    return display_time(dt.datetime.fromtimestamp(epoch, dt.UTC), "%H:%M")
