"""An ended session stays ended, and a late request of its page is told why it ended.

Found chasing the flaky "会话已超时" after 退出: page requests still running when the
logout ended the session (1) wrote the session back to Redis when they finished, with
its cookie, and (2) came back 401 with nothing to say but "timed out".
"""

from __future__ import annotations

import time

import pytest
import requests
from flask import request

from data import users
from data.models import Role
from tests.support.accounts import login, make_user
from tests.support.dash_calls import call
from tests.support.running import Running


def _leader(running: Running) -> tuple[str, requests.Session]:
    root = running.app.tree.get().root
    username, password = make_user(running.app.services.sessions, Role.LEADER, root.id)
    return username, login(running.url, username, password)


def _page_request(running: Running, http: requests.Session) -> requests.Response:
    root = running.app.tree.get().root
    return call(
        http, running.url, running.app.dash, "wall-snapshot.data", {"wall-focus.data": root.id}
    )


def test_a_request_that_outlives_its_sessions_end_does_not_bring_it_back(running: Running):
    _, http = _leader(running)
    session_id = http.cookies["gw_session"]
    key = f"gw:session:{session_id}"
    server = running.app.server
    interface = server.session_interface
    redis = running.app.services.redis
    with server.test_request_context("/wall", headers={"Cookie": f"gw_session={session_id}"}):
        in_flight = interface.open_session(server, request)  # a page request starts
        assert in_flight.get("_user_id")
        redis.delete(key)  # 退出 (in this or any process) ends the session meanwhile
        in_flight["seen_at"] = time.time()  # the request ends and saves what it read
        response = server.response_class()
        interface.save_session(server, in_flight, response)
    assert redis.get(key) is None
    assert "gw_session=" not in response.headers.get("Set-Cookie", "")


def test_a_session_that_is_still_there_is_saved_as_usual(running: Running):
    _, http = _leader(running)
    key = f"gw:session:{http.cookies['gw_session']}"
    before = running.app.services.redis.get(key)
    assert _page_request(running, http).status_code == 200
    assert running.app.services.redis.get(key) not in (None, before)  # seen_at moved on


def test_a_late_page_request_is_told_the_session_was_logged_out(running: Running):
    _, http = _leader(running)
    page_cookie = http.cookies["gw_session"]
    assert http.post(f"{running.url}/logout", allow_redirects=False).status_code == 302
    late = requests.Session()
    late.headers["Origin"] = running.url
    late.cookies.set("gw_session", page_cookie)
    answer = _page_request(running, late)
    assert answer.status_code == 401
    assert answer.json()["login"] == "/login?notice=logout"


def test_a_disabled_accounts_page_is_told_so(running: Running):
    username, http = _leader(running)
    with running.app.services.sessions.begin() as db:
        users.set_active(db, username, False)
    answer = _page_request(running, http)
    assert answer.status_code == 401 and answer.json()["login"] == "/login?notice=revoked"
    page = requests.get(f"{running.url}/login?notice=revoked").text
    assert "账号已停用或密码已更改，请重新登录" in page


@pytest.mark.parametrize("running", [{"session_idle_minutes": 0.02}], indirect=True)
def test_an_idle_sessions_page_is_told_it_timed_out(running: Running):
    _, http = _leader(running)
    page_cookie = http.cookies["gw_session"]
    deadline = time.monotonic() + 10
    while (answer := _page_request(running, http)).status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(1.5)  # more than the 1.2 s idle limit without a request
    assert answer.status_code == 401 and answer.json()["login"] == "/login?notice=expired"
    # a request sent before that answer came back (another of the page's) is told the same
    late = requests.Session()
    late.headers["Origin"] = running.url
    late.cookies.set("gw_session", page_cookie)
    again = _page_request(running, late)
    assert again.status_code == 401 and again.json()["login"] == "/login?notice=expired"


def test_a_request_without_any_session_cookie_is_sent_to_log_in(running: Running):
    answer = _page_request(running, requests)
    assert answer.status_code == 401 and answer.json()["login"] == "/login?notice=ended"
