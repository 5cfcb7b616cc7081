"""Nobody sees or does more than their post allows: no session, other streets, sockets."""

from __future__ import annotations

import json
import time

import pytest
import requests
import socketio
from sqlalchemy import select

from dashboard.auth.guard import is_public
from data.models import AuditLog, NodeKind, OrgNode, Role, Staff
from tests.support.accounts import cookie_header, login, login_form, make_user
from tests.support.dash_calls import call

PUBLIC_RULES = {
    "/login",
    "/logout",
    "/api/v1/positions",
    "/osmand",
    "/osmand/",
    "/api/v1/openapi.json",
    "/healthz",
    "/assets/<path:filename>",
    "/open311/v2/services.json",
    "/open311/v2/requests.json",
    "/open311/v2/requests/<service_request_id>.json",
    "/open311/<path:rest>",
    "/api/v1/events",
    "/api/v1/events/<tracking_no>/feedback",
    "/api/v1/events/assigned",
    "/api/v1/sms/inbound",
    "/api/v1/sms/receipts",
    "/api/v1/alerts/<alert_id>/ack",
    "/api/v1/alerts/assigned",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
    "/_favicon.ico",
}


def _url_for(rule: str) -> str:
    return (
        rule.replace("<path:filename>", "wall.css")
        .replace("<string:package_name>", "dash")
        .replace("<path:fingerprinted_path>", "dash-renderer/build/dash_renderer.min.js")
        .replace("<path:path>", "wall")
    )


def test_every_route_without_a_session_is_refused_except_the_public_list(running):
    rules = list(running.app.server.url_map.iter_rules())
    public = {r.rule for r in rules if is_public(r.rule)}
    assert public == PUBLIC_RULES, "the public surface changed: update security.md and this test"
    for rule in rules:
        if rule.rule in PUBLIC_RULES:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = requests.request(
                method, f"{running.url}{_url_for(rule.rule)}", allow_redirects=False, json={}
            )
            assert response.status_code in (302, 401), (method, rule.rule, response.status_code)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login")


def test_every_dash_callback_without_a_session_is_refused(running):
    for key in running.app.dash.callback_map:
        first = key.strip(".").split("...")[0]
        response = call(requests, running.url, running.app.dash, first, {})
        assert response.status_code == 401, key
        assert "node" not in response.text


def _text(response: requests.Response) -> str:
    """A callback answer as readable text (Dash escapes non-ASCII in JSON)."""
    return json.dumps(response.json(), ensure_ascii=False)


def _two_streets(running) -> tuple[OrgNode, OrgNode, OrgNode]:
    """A street, a grid in it, and a grid of a different street (seeded small city has one
    street, so the second "street" is a sibling community: the scope rule is the same)."""
    with running.app.services.sessions() as db:
        communities = db.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).all()
        mine, other = communities[0], communities[1]
        other_grid = db.scalar(
            select(OrgNode)
            .where(OrgNode.kind == NodeKind.GRID, OrgNode.path.startswith(other.path))
            .order_by(OrgNode.id)
        )
    return mine, other, other_grid


def test_wall_callbacks_give_nothing_outside_the_users_subtree(running):
    mine, other, other_grid = _two_streets(running)
    http = login(running.url, *make_user(running.app.services.sessions, Role.DUTY_OFFICER, mine.id))
    dash = running.app.dash

    own = call(http, running.url, dash, "wall-snapshot.data", {"wall-focus.data": mine.id})
    assert own.status_code == 200 and mine.name in _text(own)

    for node in (other, other_grid, running.app.tree.get().root):
        foreign = call(http, running.url, dash, "wall-snapshot.data", {"wall-focus.data": node.id})
        assert node.name not in _text(foreign)
        assert '"staff"' not in _text(foreign)

    # the pickers never offer a node outside the subtree, whatever the browser claims
    picked = call(
        http,
        running.url,
        dash,
        "wall-pick-district.options",
        {"wall-pick-community.value": other.id},
        {"wall-focus.data": other.id},
    )
    assert picked.status_code == 200
    assert other.name not in _text(picked)

    # the router falls back to the user's own node for a foreign ?node=
    page = call(
        http,
        running.url,
        dash,
        "page.children",
        {"url.pathname": "/wall", "url.search": f"?node={other.id}"},
    )
    assert f'"data":{other.id}' not in _text(page).replace(" ", "")


def _socket(running, cookie: str | None, focus: int | None = None):
    client = socketio.Client(reconnection=False)
    received: list[dict] = []
    client.on("pos", received.append)
    headers = {}
    if cookie:
        headers["Cookie"] = cookie
    client.connect(
        running.url,
        auth={"focus": focus} if focus else {},
        headers=headers,
        transports=["websocket"],
        wait_timeout=5,
    )
    return client, received


def test_socket_without_a_session_is_refused(running):
    with pytest.raises(socketio.exceptions.ConnectionError):
        _socket(running, None)


def test_socket_handshake_from_a_foreign_origin_is_refused(running):
    root = running.app.tree.get().root
    http = login(running.url, *make_user(running.app.services.sessions, Role.WALL, root.id))
    handshake = f"{running.url}/socket.io/?EIO=4&transport=polling"
    foreign = http.get(handshake, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 400
    same = http.get(handshake, headers={"Origin": running.url})
    assert same.status_code == 200 and '"sid"' in same.text
    client, _ = _socket(running, cookie_header(http))
    assert client.connected
    client.disconnect()


def test_a_user_of_street_a_receives_nothing_of_street_b(running):
    mine, other, _ = _two_streets(running)
    http = login(running.url, *make_user(running.app.services.sessions, Role.LEADER, mine.id))
    # asks for the other street's room: the server puts it in its own instead
    client, received = _socket(running, cookie_header(http), focus=other.id)
    try:
        with running.app.services.sessions() as db:
            foreign_staff = db.scalar(
                select(Staff.id)
                .join(OrgNode, OrgNode.id == Staff.node_id)
                .where(OrgNode.path.startswith(other.path))
            )
            own_staff = db.scalar(
                select(Staff.id)
                .join(OrgNode, OrgNode.id == Staff.node_id)
                .where(OrgNode.path.startswith(mine.path))
            )
        tokens = {}
        for staff_id in (foreign_staff, own_staff):
            from data import devices
            from streams import device_registry

            with running.app.services.sessions.begin() as db:
                issued = devices.add_device(db, f"scope-{staff_id}", staff_id)
            device_registry.publish(running.app.services.redis, issued.device)
            tokens[staff_id] = issued.token
        for token in tokens.values():
            requests.post(
                f"{running.url}/api/v1/positions",
                json={"fixes": [{"lat": 34.78, "lon": 113.68, "ts": time.time()}]},
                headers={"Authorization": f"Bearer {token}"},
            )
        deadline = time.time() + 5
        while time.time() < deadline and not received:
            time.sleep(0.05)
        time.sleep(0.6)
    finally:
        client.disconnect()
    seen = {row[0] for message in received for row in message["d"]}
    assert own_staff in seen
    assert foreign_staff not in seen


def test_logins_and_failures_are_audited(running):
    root = running.app.tree.get().root
    username, password = make_user(running.app.services.sessions, Role.LEADER, root.id)
    login(running.url, username, password)
    bad, token = login_form(running.url)
    refused = bad.post(
        f"{running.url}/login", data={"username": username, "password": "wrong", "csrf": token}
    )
    assert refused.status_code == 401 and "用户名或密码错误" in refused.text
    with running.app.services.sessions() as db:
        actions = db.scalars(
            select(AuditLog.action).where(AuditLog.actor == username).order_by(AuditLog.id)
        ).all()
    assert actions == ["login", "login_failed"]


def test_a_reset_password_ends_the_sessions_opened_with_the_old_one(running):
    from data import users

    root = running.app.tree.get().root
    sessions = running.app.services.sessions
    username, password = make_user(sessions, Role.LEADER, root.id)
    old = login(running.url, username, password)
    assert old.get(f"{running.url}/residents", allow_redirects=False).status_code == 200

    time.sleep(0.01)  # the reset comes strictly after that login
    with sessions.begin() as db:
        users.set_password(db, username, "New-Password-2026!")

    refused = old.get(f"{running.url}/residents", allow_redirects=False)
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    fresh = login(running.url, username, "New-Password-2026!")
    assert fresh.get(f"{running.url}/residents", allow_redirects=False).status_code == 200
