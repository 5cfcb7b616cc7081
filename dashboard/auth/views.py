"""The login page (plain HTML, so it needs no Dash endpoint open to the public) and logout."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template_string,
    request,
    session,
)
from flask_login import login_user, logout_user

from dashboard.auth.audit_trail import record_action
from dashboard.auth.current import SessionUser, user
from dashboard.auth.limiter import LoginLimiter
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

NOTICES = {
    "expired": ("会话已超时，请重新登录", "info"),
    "logout": ("您已安全退出", "info"),
}


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


def auth_blueprint(services: Services, limiter: LoginLimiter) -> Blueprint:
    bp = Blueprint("auth", __name__)

    def page(message: str = "", level: str = "error", username: str = "", status: int = 200):
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

    @bp.get("/login")
    def login_form():  # type: ignore[no-untyped-def]
        message, level = NOTICES.get(request.args.get("notice", ""), ("", "info"))
        return page(message, level)

    @bp.post("/login")
    def login_submit():  # type: ignore[no-untyped-def]
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        address = client_address()
        if not secrets.compare_digest(request.form.get("csrf", ""), session.get("csrf", "")):
            return page("页面已过期，请重新提交", username=username, status=400)
        lockout = limiter.locked(username, address)
        if lockout is not None:
            _audit_login(services, username, None, address, "locked")
            return page(
                f"登录失败次数过多，已暂时锁定，请在 {lockout.minutes_left} 分钟后"
                f"（{_clock(lockout.until)}）重试",
                username=username,
                status=429,
            )
        with services.sessions.begin() as db:
            found = users.authenticate(db, username, password)
            who = (
                SessionUser(found.id, found.username, found.display_name, found.role, found.node_id)
                if found
                else None
            )
            audit.record(
                db,
                actor=username or "(空)",
                actor_id=found.id if found else None,
                action="login" if found else "login_failed",
                target_type="user",
                target_id=found.id if found else None,
                node_id=found.node_id if found else None,
                address=address,
                outcome="ok" if found else "denied",
            )
        if who is None:
            lockout = limiter.failed(username, address)
            if lockout is not None:
                return page(
                    f"登录失败次数过多，已暂时锁定，请在 {lockout.minutes_left} 分钟后"
                    f"（{_clock(lockout.until)}）重试",
                    username=username,
                    status=429,
                )
            return page("用户名或密码错误", username=username, status=401)
        limiter.succeeded(username)
        current_app.session_interface.regenerate(session)  # type: ignore[attr-defined]
        session.clear()
        login_user(who)
        now = time.time()
        session["login_at"] = now
        session["seen_at"] = now
        return redirect(_safe_next(request.form.get("next")))

    @bp.route("/logout", methods=["GET", "POST"])
    def logout() -> Response:
        who = user()
        if who is not None:
            with services.sessions.begin() as db:
                record_action(
                    db,
                    who,
                    "logout",
                    address=client_address(),
                    node_id=who.node_id,
                )
        logout_user()
        session.clear()
        current_app.session_interface.regenerate(session)  # type: ignore[attr-defined]
        return redirect("/login?notice=logout")  # type: ignore[return-value]

    return bp


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
    return dt.datetime.fromtimestamp(epoch).strftime("%H:%M")
