"""While Redis or the database is down: a clear 503 that retries by itself, never a 500.

Sessions live in Redis, and the session interface and the login guard run before any
view, so an outage used to surface as Flask's bare 500 page (on /login, on every page,
and even on /healthz for a logged-in browser). Here the session interface is wrapped:
when Redis cannot be reached the request gets an empty, read-only session and is marked,
and the first before-request hook answers 503 for everything that needs a session:
an HTML page for page requests ("服务暂不可用，正在自动重试", reloading itself every few
seconds), JSON for Dash callbacks and the API. An outage met later in a request (the
user loader's query, a view's Redis call, the session save) gets the same answer.
Health checks, static files and the device/citizen APIs never need a session.
"""

from __future__ import annotations

import logging
from string import Template
from typing import Any

import redis
from flask import Flask, Request, Response, jsonify, request
from flask.sessions import NullSession, SessionInterface, SessionMixin
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dashboard.api.open311 import open311_error

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
MESSAGE = "服务暂不可用，正在自动重试"
#: which part is down, by the exception that showed it
REDIS_OUTAGES: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)
DATABASE_OUTAGES: tuple[type[Exception], ...] = (PoolTimeout, OperationalError, InterfaceError)
PART_LABELS = {"redis": "实时数据服务（Redis）", "database": "数据库"}
#: the request environ key that holds the part found down while opening the session
ENVIRON_KEY = "gridwatch.outage"
#: served without a session: health, static files, and the APIs that authenticate by
#: device token, webhook secret or not at all (they answer their own 503s)
SESSION_FREE_PREFIXES = (
    "/healthz",
    "/assets/",
    "/_dash-component-suites/",
    "/_favicon.ico",
    "/favicon.ico",
    "/api/",
    "/osmand",
    "/open311/",
)

#: plain string.Template, not Jinja: Flask's template context would load the user again,
#: which needs the very database (or session) that is down
PAGE = Template("""<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta http-equiv="refresh" content="$retry_after">
  <title>服务暂不可用 · Gridwatch 网格化指挥中心</title>
  <style>
    body { margin: 0; min-height: 100vh; display: flex; align-items: center;
           justify-content: center; background: #0b1220; color: #e2e8f0;
           font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
    main { max-width: 36em; padding: 2em; text-align: center; }
    h1 { color: #f59e0b; font-size: 2em; margin: 0 0 0.6em; }
    p { font-size: 1.15em; line-height: 1.6; margin: 0.4em 0; }
    a { color: #38bdf8; }
  </style>
</head>
<body>
  <main role="alert">
    <h1>$message</h1>
    <p>$part暂时中断，系统正在自动恢复。</p>
    <p>本页每 $retry_after 秒自动重试，恢复后自动继续；已确认保存的数据不会丢失。</p>
    <p><a href="">立即重试</a></p>
  </main>
</body>
</html>""")


def part_down(exc: BaseException) -> str | None:
    """Which part ``exc`` shows to be unreachable ("redis", "database"), or None."""
    if isinstance(exc, REDIS_OUTAGES):
        return "redis"
    if isinstance(exc, DATABASE_OUTAGES):
        return "database"
    return None


def _wants_json(req: Request) -> bool:
    return req.path.startswith(("/_dash-", "/api/", "/osmand", "/open311/")) or req.is_json


def unavailable(part: str) -> Response:
    """The 503 answer for the current request: JSON or the self-retrying page."""
    label = PART_LABELS.get(part, part)
    if request.path.startswith("/open311/"):
        response = open311_error(503, f"{MESSAGE}：{label}暂时中断")
    elif _wants_json(request):
        response = jsonify(
            {"error": "unavailable", "message": f"{MESSAGE}：{label}暂时中断", "down": part}
        )
    else:
        html = PAGE.substitute(message=MESSAGE, part=label, retry_after=RETRY_AFTER_S)
        response = Response(html, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


class OutageTolerantSessions(SessionInterface):
    """Wraps the server-side session interface; everything else is passed through."""

    def __init__(self, inner: SessionInterface) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def open_session(self, app: Flask, req: Request) -> SessionMixin | None:
        try:
            return self._inner.open_session(app, req)
        except (*REDIS_OUTAGES, *DATABASE_OUTAGES) as exc:
            req.environ[ENVIRON_KEY] = part_down(exc)
            log.warning("会话存储不可用 (session store down): %s", exc)
            return self._inner.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.environ.get(ENVIRON_KEY):
            return  # nothing to save: this request already answered 503
        try:
            self._inner.save_session(app, session, response)
        except (*REDIS_OUTAGES, *DATABASE_OUTAGES) as exc:
            # the answer is built, but what it promised (a login, a refreshed session)
            # could not be stored: turn it into the 503 instead of a 500
            part = part_down(exc) or "redis"
            request.environ[ENVIRON_KEY] = part
            log.warning("会话无法保存 (session not saved): %s", exc)
            _become(response, unavailable(part))

    def is_null_session(self, obj: object) -> bool:
        return self._inner.is_null_session(obj)

    def make_null_session(self, app: Flask) -> NullSession:
        return self._inner.make_null_session(app)


def _become(response: Response, replacement: Response) -> None:
    """Turn ``response`` (already built) into ``replacement`` in place."""
    response.status_code = replacement.status_code
    response.direct_passthrough = False
    response.headers.clear()
    response.headers.extend(replacement.headers)
    response.set_data(replacement.get_data())


def install_outage_answers(server: Flask) -> None:
    """Call after the session interface is set and before any other before-request hook."""
    server.session_interface = OutageTolerantSessions(server.session_interface)

    def refuse_while_down() -> Response | None:
        part = request.environ.get(ENVIRON_KEY)
        if part and not request.path.startswith(SESSION_FREE_PREFIXES):
            return unavailable(part)
        return None

    server.before_request_funcs.setdefault(None, []).insert(0, refuse_while_down)

    def outage(exc: Exception) -> Response:
        part = part_down(exc) or "redis"
        request.environ[ENVIRON_KEY] = part  # the session cannot be saved either
        log.warning("%s 不可用，答复 503 (%s): %s", part, request.path, exc)
        return unavailable(part)

    for kind in (*REDIS_OUTAGES, *DATABASE_OUTAGES):
        server.register_error_handler(kind, outage)
