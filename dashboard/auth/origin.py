"""State-changing requests must come from Gridwatch's own pages (CSRF defence in depth).

Every POST/PUT/PATCH/DELETE that a browser could send with the session cookie (the
login form, 退出, Dash callbacks, anything added later) must name this site, or an origin
listed in ``GRIDWATCH_ALLOWED_ORIGINS``, in ``Origin`` (or, when a browser leaves that
out, ``Referer``). A foreign origin is refused with 403 whether or not a cookie came
with it; a request with the session cookie that names no origin at all is refused too.
Same origin is the scheme, host and port the request arrived on (the app honours no
proxy headers: behind a TLS proxy, list the public origin in the setting).

Exempt: the terminal API and the SMS gateway's webhooks under ``/api/v1/`` and
``/osmand`` (a bearer device token, a registered identifier or a shared secret, never
the cookie) and the public Open311 API (no cookie authority at all).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Response, jsonify, request
from markupsafe import escape

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXEMPT_PATHS = frozenset({"/osmand", "/osmand/"})
EXEMPT_PREFIXES = ("/api/v1/", "/open311/")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL or Origin value, lower-case, default port
    dropped; None for ``null`` and anything that is not an http(s) origin."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return (
        f"{scheme}://{host}"
        if port in (None, _DEFAULT_PORTS[scheme])
        else f"{scheme}://{host}:{port}"
    )


def _refuse(message: str) -> Response:
    if request.path.startswith("/_dash-") or request.is_json:
        response = jsonify({"error": "forbidden_origin", "message": message})
    else:
        response = Response(
            '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            "<title>请求被拒绝 · Gridwatch</title>"
            '<link rel="stylesheet" href="/assets/login.css"></head>'
            '<body class="gw-login-body"><main class="gw-login"><h1>请求被拒绝</h1>'
            f'<div class="gw-login-msg gw-login-error" role="alert">{escape(message)}</div>'
            '<p class="gw-login-note"><a href="/login">返回登录页</a></p></main></body></html>',
            mimetype="text/html",
        )
    response.status_code = 403
    return response


def make_origin_check(
    allowed_origins: list[str], cookie_name: str
) -> Callable[[], Response | None]:
    allowed = {o for o in (origin_of(a) for a in allowed_origins) if o}

    def check_origin() -> Response | None:
        if request.method not in STATE_CHANGING:
            return None
        if request.path in EXEMPT_PATHS or request.path.startswith(EXEMPT_PREFIXES):
            return None
        source = request.headers.get("Origin") or request.headers.get("Referer")
        if not source:
            if cookie_name not in request.cookies:
                return None  # no cookie, no authority a forged request could borrow
            return _refuse("跨站请求已拒绝：请求未带来源（Origin 或 Referer），请从本系统页面提交")
        origin = origin_of(source)
        if origin is not None and (origin == origin_of(request.host_url) or origin in allowed):
            return None
        shown = origin or source[:80]
        return _refuse(f"跨站请求已拒绝：来源 {shown} 不是本系统（{request.host_url.rstrip('/')}）")

    return check_origin
