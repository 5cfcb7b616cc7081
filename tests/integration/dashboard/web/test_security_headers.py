"""Every response carries the security headers; the CSP allows only what Gridwatch serves."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
import requests

from dashboard.web.security_headers import tile_source
from data.models import Role
from tests.support.accounts import login, make_user
from tests.support.running import Running

TILES = "https://{s}.tile.example.org/{z}/{x}/{y}.png"


def _policy(response: requests.Response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def _assert_headers(response: requests.Response, what: str) -> None:
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("X-Frame-Options") == "DENY", what
    assert response.headers.get("Referrer-Policy") == "same-origin", what
    policy = _policy(response)
    assert policy.get("frame-ancestors") == ["'none'"], what
    assert policy.get("default-src") == ["'self'"], what
    assert policy.get("object-src") == ["'none'"], what
    for directive in ("script-src", "style-src-attr", "connect-src", "img-src"):
        assert "'unsafe-inline'" not in policy.get(directive, [""]), (what, directive)
    assert "'unsafe-eval'" not in policy["script-src"], what
    # the one exception: <style> elements that Dash's bundles inject (documented)
    assert policy["style-src-attr"][0] == "'none'", what


@pytest.mark.parametrize("running", [{"tile_url": TILES}], indirect=True)
def test_every_kind_of_response_has_the_headers(running: Running) -> None:
    base = running.url
    username, password = make_user(running.app.services.sessions, Role.LEADER, 1)
    anonymous = requests.Session()
    http = login(base, username, password)
    wall = http.get(f"{base}/wall", timeout=10)
    assert wall.status_code == 200
    suite = re.search(r'src="(/_dash-component-suites/[^"]+)"', wall.text)
    assert suite, "the page loads no component bundle"
    answers = {
        "login page": anonymous.get(f"{base}/login", timeout=10),
        "redirect to login": anonymous.get(f"{base}/events", allow_redirects=False, timeout=10),
        "wall page": wall,
        "dash layout": http.get(f"{base}/_dash-layout", timeout=10),
        "dash bundle": http.get(f"{base}{suite.group(1)}", timeout=10),
        "asset": anonymous.get(f"{base}/assets/gw.js", timeout=10),
        "api document": anonymous.get(f"{base}/api/v1/openapi.json", timeout=10),
        "api error": anonymous.post(f"{base}/api/v1/positions", json={}, timeout=10),
        "open311": anonymous.get(f"{base}/open311/v2/services.json", timeout=10),
        "health": anonymous.get(f"{base}/healthz", timeout=10),
        "socket.io": http.get(f"{base}/socket.io/?EIO=4&transport=polling", timeout=10),
        "not found": anonymous.get(f"{base}/assets/nope.js", timeout=10),
    }
    for what, response in answers.items():
        assert response.status_code < 500, (what, response.status_code)
        _assert_headers(response, what)

    policy = _policy(wall)
    assert "https://*.tile.example.org" in policy["img-src"]
    host = base.removeprefix("http://")
    assert policy["connect-src"] == ["'self'", f"ws://{host}"]
    # every inline script of the page is allowed by its hash, and only those
    executable = [
        body
        for tag, body in re.findall(r"(<script[^>]*>)(.*?)</script>", wall.text, re.S)
        if body and "application/json" not in tag
    ]
    assert executable
    for body in executable:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"], body[:80]


def test_tile_server_origins() -> None:
    assert tile_source("") is None
    assert tile_source("/tiles/{z}/{x}/{y}.png") is None
    assert tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png") == (
        "https://*.tile.example.org"
    )
    assert tile_source("http://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}") == (
        "http://*.tianditu.gov.cn"
    )
    assert tile_source("http://10.0.0.5:8080/{z}/{x}/{y}.png") == "http://10.0.0.5:8080"
