"""An admin of one community administers that community only, and every change is on record.

The seeded small city has one street, so two sibling communities play "mine" and
"theirs" (the scope rule is the same path prefix). Requests go straight to the
Dash callback endpoint, naming foreign ids the way a crafted request would.
"""

from __future__ import annotations

import logging

import requests
from sqlalchemy import select

from data import devices
from data.models import AuditLog, Device, DeviceStatus, OrgNode, Role, Staff, User
from layouts import ids
from streams import device_registry
from tests.support.accounts import login, make_user
from tests.support.city import two_communities
from tests.support.dash_patterns import DashAnswer, key_of, post, prop_id


def _grid_staff(running, community: OrgNode) -> Staff:
    with running.app.services.sessions() as db:
        return db.scalar(
            select(Staff)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(OrgNode.path.startswith(community.path))
            .order_by(Staff.id)
        )


def _admin(running, node: OrgNode) -> tuple[str, requests.Session]:
    username, password = make_user(running.app.services.sessions, Role.ADMIN, node.id)
    return username, login(running.url, username, password)


def _users_call(http, running, trigger: dict | str, form: dict | None = None) -> DashAnswer:
    key = key_of(running.app.dash, f"{ids.USR_TABLE}.children")
    form = form or {}
    toggles = [trigger] if isinstance(trigger, dict) and trigger["type"] == ids.USR_TOGGLE else []
    resets = [trigger] if isinstance(trigger, dict) and trigger["type"] == ids.USR_RESET else []
    inputs = [
        {
            "id": ids.USR_CREATE,
            "property": "n_clicks",
            "value": 1 if trigger == ids.USR_CREATE else None,
        },
        [{"id": t, "property": "n_clicks", "value": 1} for t in toggles],
        [{"id": t, "property": "n_clicks", "value": 1} for t in resets],
    ]
    state = [
        {"id": ids.USR_USERNAME, "property": "value", "value": form.get("username")},
        {"id": ids.USR_DISPLAY_NAME, "property": "value", "value": form.get("display_name")},
        {"id": ids.USR_ROLE, "property": "value", "value": form.get("role")},
        {"id": ids.USR_NODE, "property": "value", "value": form.get("node")},
        {"id": ids.USR_PASSWORD, "property": "value", "value": form.get("password")},
    ]
    outputs = [
        {"id": ids.USR_MESSAGE, "property": "children"},
        {"id": ids.USR_TABLE, "property": "children"},
        {"id": ids.USR_PASSWORD, "property": "value"},
    ]
    changed = prop_id(trigger, "n_clicks")
    return post(http, running.url, key, outputs, inputs, state, changed)


def _devices_call(http, running, trigger: dict, prop: str) -> DashAnswer:
    key = key_of(running.app.dash, f"{ids.DEV_TABLE}.children")
    rotate = [trigger] if trigger["type"] == ids.DEV_ROTATE else []
    revoke = [trigger] if trigger["type"] == ids.DEV_REVOKE else []
    inputs = [
        {"id": ids.DEV_ADD, "property": "n_clicks", "value": None},
        [{"id": t, "property": "n_clicks", "value": 1} for t in rotate],
        [{"id": t, "property": "submit_n_clicks", "value": 1} for t in revoke],
    ]
    state = [
        {"id": ids.DEV_IDENTIFIER, "property": "value", "value": None},
        {"id": ids.DEV_STAFF, "property": "value", "value": None},
    ]
    outputs = [
        {"id": ids.DEV_MESSAGE, "property": "children"},
        {"id": ids.DEV_TABLE, "property": "children"},
        {"id": ids.DEV_IDENTIFIER, "property": "value"},
    ]
    return post(http, running.url, key, outputs, inputs, state, prop_id(trigger, prop))


def _add_device(running, identifier: str, staff: Staff) -> str:
    with running.app.services.sessions.begin() as db:
        issued = devices.add_device(db, identifier, staff.id)
    device_registry.publish(running.app.services.redis, issued.device)
    return issued.token


def test_an_admin_creates_users_only_inside_the_scope(running, caplog):
    mine, theirs = two_communities(running.app.services.sessions)
    admin, http = _admin(running, mine)
    caplog.set_level(logging.WARNING, logger="gridwatch.scope")
    form = {
        "username": "li.na",
        "display_name": "李娜",
        "role": "leader",
        "password": "Li-na-2026x",
    }

    refused = _users_call(http, running, ids.USR_CREATE, {**form, "node": theirs.id})
    assert "请选择您管辖范围内的组织节点" in refused.text
    assert any(f"node {theirs.id} outside" in r.getMessage() for r in caplog.records)

    weak = _users_call(http, running, ids.USR_CREATE, {**form, "node": mine.id, "password": "x"})
    assert "密码至少 10 个字符" in weak.text

    made = _users_call(http, running, ids.USR_CREATE, {**form, "node": mine.id})
    assert "已创建用户 li.na" in made.text
    with running.app.services.sessions() as db:
        created = db.scalar(select(User).where(User.username == "li.na"))
        rows = db.scalars(select(AuditLog).where(AuditLog.action == "user_add")).all()
    assert created is not None and created.node_id == mine.id and created.role == Role.LEADER
    assert [(r.actor, r.target_id, r.node_id) for r in rows] == [(admin, str(created.id), mine.id)]


def test_an_admin_lists_and_changes_only_users_inside_the_scope(running, caplog):
    mine, theirs = two_communities(running.app.services.sessions)
    _, http = _admin(running, mine)
    outsider, _ = make_user(running.app.services.sessions, Role.LEADER, theirs.id)
    insider, _ = make_user(running.app.services.sessions, Role.LEADER, mine.id)
    with running.app.services.sessions() as db:
        outsider_id = db.scalar(select(User.id).where(User.username == outsider))
        insider_id = db.scalar(select(User.id).where(User.username == insider))
    caplog.set_level(logging.WARNING, logger="gridwatch.scope")

    toggle_out = {"type": ids.USR_TOGGLE, "uid": outsider_id, "to": "off"}
    answer = _users_call(http, running, toggle_out)
    assert "不在您的管辖范围内" in answer.text and outsider not in answer.text
    reset_out = {"type": ids.USR_RESET, "uid": outsider_id}
    answer = _users_call(http, running, reset_out)
    assert "不在您的管辖范围内" in answer.text and "临时密码" not in answer.text
    with running.app.services.sessions() as db:
        assert db.get(User, outsider_id).active
    assert any(f"user {outsider_id} outside" in r.getMessage() for r in caplog.records)

    toggle_in = {"type": ids.USR_TOGGLE, "uid": insider_id, "to": "off"}
    answer = _users_call(http, running, toggle_in)
    assert f"用户 {insider} 已停用" in answer.text
    assert insider in answer.text and outsider not in answer.text  # the re-rendered list
    reset_in = {"type": ids.USR_RESET, "uid": insider_id}
    assert "临时密码" in _users_call(http, running, reset_in).text
    with running.app.services.sessions() as db:
        assert not db.get(User, insider_id).active
        actions = db.scalars(
            select(AuditLog.action).where(AuditLog.target_id == str(insider_id))
        ).all()
    assert actions == ["user_disable", "user_passwd"]


def test_an_admin_cannot_revoke_or_rotate_a_terminal_outside_the_scope(running):
    mine, theirs = two_communities(running.app.services.sessions)
    _, http = _admin(running, mine)
    token = _add_device(running, "their-1", _grid_staff(running, theirs))
    with running.app.services.sessions() as db:
        device_id = db.scalar(select(Device.id).where(Device.identifier == "their-1"))

    revoke = {"type": ids.DEV_REVOKE, "did": device_id}
    answer = _devices_call(http, running, revoke, "submit_n_clicks")
    assert "不在您的管辖范围内" in answer.text and "their-1" not in answer.text
    rotate = {"type": ids.DEV_ROTATE, "did": device_id}
    answer = _devices_call(http, running, rotate, "n_clicks")
    assert "gwt_" not in answer.text
    with running.app.services.sessions() as db:
        device = db.get(Device, device_id)
        assert device.status == DeviceStatus.ACTIVE
    assert device_registry.by_identifier(running.app.services.redis, "their-1") is not None
    assert token  # unchanged and still live


def test_a_revoke_inside_the_scope_is_refused_at_once_and_audited(running):
    mine, _ = two_communities(running.app.services.sessions)
    admin, http = _admin(running, mine)
    token = _add_device(running, "mine-1", _grid_staff(running, mine))
    with running.app.services.sessions() as db:
        device_id = db.scalar(select(Device.id).where(Device.identifier == "mine-1"))
    fix = {"fixes": [{"lat": 34.78, "lon": 113.68, "ts": 1_900_000_000, "battery": 80}]}
    headers = {"Authorization": f"Bearer {token}"}

    answer = _devices_call(
        http, running, {"type": ids.DEV_REVOKE, "did": device_id}, "submit_n_clicks"
    )
    assert "终端 mine-1 已注销" in answer.text
    refused = requests.post(f"{running.url}/api/v1/positions", json=fix, headers=headers)
    assert refused.status_code == 401
    with running.app.services.sessions() as db:
        row = db.scalar(select(AuditLog).where(AuditLog.action == "device_revoke"))
    assert (row.actor, row.target_id, row.address) == (admin, str(device_id), "127.0.0.1")
