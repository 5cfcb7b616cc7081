"""Cross-site requests cannot log in, log out or act with someone's session.

The review logged in with a POST to /login that had no session cookie, no token and a
foreign Origin: an empty expected token equalled the empty sent one.
"""

from __future__ import annotations

import time

import pytest
import requests

from data.models import Role
from tests.support.accounts import login, login_form, make_user
from tests.support.dash_calls import call
from tests.support.running import Running

EVIL = "http://evil.example"


def _account(running: Running, role: Role = Role.LEADER) -> tuple[str, str]:
    return make_user(running.app.services.sessions, role, running.app.tree.get().root.id)


def _snapshot(http: requests.Session, running: Running, **headers: str) -> requests.Response:
    """The wall's main callback, as the page calls it, with the given request headers."""
    root = running.app.tree.get().root
    saved = dict(http.headers)
    http.headers.pop("Origin", None)
    http.headers.update(headers)
    try:
        return call(
            http, running.url, running.app.dash, "wall-snapshot.data", {"wall-focus.data": root.id}
        )
    finally:
        http.headers.clear()
        http.headers.update(saved)


def test_a_login_post_without_the_forms_token_is_refused(running: Running):
    username, password = _account(running)
    form = {"username": username, "password": password}

    # the review's request: no cookie, no token, a foreign page
    forged = requests.post(
        f"{running.url}/login", data=form, headers={"Origin": EVIL}, allow_redirects=False
    )
    assert forged.status_code == 403 and "跨站请求已拒绝" in forged.text
    victim = requests.Session()
    victim.cookies.update(forged.cookies)
    assert victim.get(f"{running.url}/wall", allow_redirects=False).status_code == 302

    # no cookie and no token, even from no page at all
    bare = requests.post(f"{running.url}/login", data={**form, "csrf": ""}, allow_redirects=False)
    assert bare.status_code == 400 and "页面已过期，请重新提交" in bare.text

    # a browser that got the form, sending an empty or wrong token
    http, token = login_form(running.url)
    for sent in ("", "x" * len(token), "页面"):
        refused = http.post(
            f"{running.url}/login", data={**form, "csrf": sent}, allow_redirects=False
        )
        assert refused.status_code == 400 and "页面已过期，请重新提交" in refused.text, sent
    assert http.get(f"{running.url}/wall", allow_redirects=False).status_code == 302

    # the form's own token logs in
    accepted = http.post(
        f"{running.url}/login", data={**form, "csrf": token}, allow_redirects=False
    )
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/wall"
    assert http.get(f"{running.url}/wall", allow_redirects=False).status_code == 200


def test_a_login_from_a_foreign_page_is_refused_even_with_a_valid_token(running: Running):
    username, password = _account(running)
    http, token = login_form(running.url)
    form = {"username": username, "password": password, "csrf": token}
    for headers in ({"Origin": EVIL}, {"Origin": "null"}, {"Referer": f"{EVIL}/phish"}):
        http.headers.pop("Origin", None)
        refused = http.post(
            f"{running.url}/login", data=form, headers=headers, allow_redirects=False
        )
        assert refused.status_code == 403 and "跨站请求已拒绝" in refused.text, headers
    # a cookie request that names no page at all
    refused = http.post(f"{running.url}/login", data=form, allow_redirects=False)
    assert refused.status_code == 403 and "未带来源" in refused.text
    # the same page (by Referer, as browsers that leave Origin out do) logs in
    accepted = http.post(
        f"{running.url}/login",
        data=form,
        headers={"Referer": f"{running.url}/login?next=/wall"},
        allow_redirects=False,
    )
    assert accepted.status_code == 302


def test_dash_callbacks_with_the_session_cookie_need_this_sites_origin(running: Running):
    http = login(running.url, *_account(running))
    own = _snapshot(http, running, Origin=running.url)
    assert own.status_code == 200
    assert _snapshot(http, running, Referer=f"{running.url}/wall").status_code == 200

    for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/page"}, {}):
        refused = _snapshot(http, running, **headers)
        assert refused.status_code == 403, headers
        assert refused.json()["error"] == "forbidden_origin"
        assert "跨站请求已拒绝" in refused.json()["message"]
        assert "staff" not in refused.text


@pytest.mark.parametrize(
    "running", [{"allowed_origins": ["https://wall.example.cn"]}], indirect=True
)
def test_an_origin_listed_in_the_settings_is_allowed(running: Running):
    http = login(running.url, *_account(running))
    assert _snapshot(http, running, Origin="https://wall.example.cn").status_code == 200
    assert _snapshot(http, running, Origin="https://wall.example.cn:8443").status_code == 403
    assert _snapshot(http, running, Origin="http://wall.example.cn").status_code == 403


def test_logout_is_a_post_from_this_site(running: Running):
    http = login(running.url, *_account(running))
    # a link (or an <img> on another site) only reaches the confirmation page
    asked = http.get(f"{running.url}/logout", allow_redirects=False)
    assert asked.status_code == 200 and 'action="/logout"' in asked.text
    assert http.get(f"{running.url}/wall", allow_redirects=False).status_code == 200
    # a foreign page cannot post it either
    http.headers.pop("Origin")
    forged = http.post(f"{running.url}/logout", headers={"Origin": EVIL}, allow_redirects=False)
    assert forged.status_code == 403
    assert http.get(f"{running.url}/wall", allow_redirects=False).status_code == 200
    # the page's own button does
    done = http.post(
        f"{running.url}/logout", headers={"Origin": running.url}, allow_redirects=False
    )
    assert done.status_code == 302 and done.headers["Location"] == "/login?notice=logout"
    assert http.get(f"{running.url}/wall", allow_redirects=False).status_code == 302


def test_device_webhook_and_citizen_apis_are_not_bound_to_an_origin(running: Running):
    """They carry their own credential (or none), never the cookie: no origin to check."""
    token, _ = running.add_device("origin-free-1")
    fix = {"fixes": [{"lat": 34.78, "lon": 113.66, "ts": time.time()}]}
    for headers in ({"Origin": EVIL}, {}):
        answer = requests.post(
            f"{running.url}/api/v1/positions",
            json=fix,
            headers={"Authorization": f"Bearer {token}", **headers},
        )
        assert answer.status_code == 200, answer.text
    services = requests.get(f"{running.url}/open311/v2/services.json").json()
    report = requests.post(
        f"{running.url}/open311/v2/requests.json",
        data={
            "service_code": services[0]["service_code"],
            "lat": "34.78",
            "long": "113.66",
            "description": "路灯不亮",
        },
        headers={"Origin": EVIL},
    )
    assert report.status_code != 403, report.text
