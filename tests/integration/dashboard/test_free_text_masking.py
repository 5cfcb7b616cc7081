"""Phone and identity numbers typed into free text are masked wherever the text is shown.

Security finding 5: a citizen's description with a mobile and an 18-digit identity
number was listed in full by the public Open311 API, on the wall and in incident
details. Each test puts such numbers into one kind of free text and reads it back the
way its audience does (a citizen's HTTP client, the wall's socket and snapshot, the
/events and /sms callbacks, the audit page and CSV); the record keeps the original, and
/events offers an audited reveal to the roles that may see personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import requests
import socketio
from sqlalchemy import select

from data.alerts import lifecycle
from data.incidents.actors import Actor
from data.incidents.intake import report
from data.incidents.workflow import apply
from data.masking import mask_text
from data.models import (
    AuditLog,
    Incident,
    IncidentHistory,
    NodeKind,
    OrgNode,
    Role,
    SmsBatch,
    Staff,
    User,
)
from layouts import ids
from streams.keys import EVENTS_STREAM
from tests.support.accounts import cookie_header, login, make_user
from tests.support.dash_calls import call
from tests.support.dash_patterns import DashAnswer, key_of, post, prop_id

MOBILE = "13812345678"
MOBILE_SPACED = "139 8765 4321"
ID_NUMBER = "410105199001011234"
OLD_ID = "410105900101123"
LANDLINE = "0371-66881234"
#: what a citizen writes: every number in it must be masked where the text is shown
DESCRIPTION = (
    f"楼道堆物堵住消防通道，联系人手机 {MOBILE}，身份证 {ID_NUMBER}，"
    f"老证 {OLD_ID}，家里座机 {LANDLINE}，备用 {MOBILE_SPACED}"
)
NUMBERS = (MOBILE, MOBILE_SPACED, ID_NUMBER, OLD_ID, LANDLINE, "66881234", "8765 4321")


def _assert_masked(text: str) -> None:
    """None of the numbers (nor their middle digits) is in ``text``."""
    for number in NUMBERS:
        assert number not in text, (number, text[:2000])


def _community_and_grid(running, index: int = 0) -> tuple[OrgNode, OrgNode]:
    with running.app.services.sessions() as db:
        community = db.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).all()[index]
        grid = db.scalar(
            select(OrgNode)
            .where(OrgNode.kind == NodeKind.GRID, OrgNode.path.startswith(community.path))
            .order_by(OrgNode.id)
        )
        return community, grid


def _file(running, grid: OrgNode, title: str, description: str = DESCRIPTION) -> int:
    with running.app.services.sessions.begin() as db:
        return report(
            db,
            source="open311",
            category="fire_safety",
            title=title,
            description=description,
            node_id=grid.id,
            lat=grid.center_lat,
            lon=grid.center_lon,
            address=f"金水路 1 号，电话 {MOBILE}",
            reporter_name="王小明",
            reporter_phone=MOBILE,
        ).id


def _user(running, role: Role, node: OrgNode) -> tuple[requests.Session, int]:
    username, password = make_user(running.app.services.sessions, role, node.id)
    with running.app.services.sessions() as db:
        user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    return login(running.url, username, password), user_id


def _detail(http, running, incident_id: int) -> DashAnswer:
    return DashAnswer(
        call(
            http,
            running.url,
            running.app.dash,
            f"{ids.INCIDENTS_DETAIL}.children",
            {f"{ids.INCIDENTS_SELECTED}.data": {"id": incident_id, "tid": uuid.uuid4().hex}},
        )
    )


def _list(http, running) -> DashAnswer:
    return DashAnswer(
        call(
            http,
            running.url,
            running.app.dash,
            f"{ids.INCIDENTS_TABLE}.children",
            {f"{ids.INCIDENTS_NODE}.value": None},
        )
    )


def _reveal(http, running, incident_id: int) -> DashAnswer:
    key = key_of(running.app.dash, ids.INCIDENTS_ORIGINAL, ids.INCIDENTS_REVEAL)
    button = {"type": ids.INCIDENTS_REVEAL, "iid": incident_id}
    outputs = [
        {"id": {"type": ids.INCIDENTS_ORIGINAL, "iid": incident_id}, "property": "children"},
        {"id": button, "property": "children"},
        {"id": button, "property": "disabled"},
    ]
    inputs = [{"id": button, "property": "n_clicks", "value": 1}]
    return post(http, running.url, key, outputs, inputs, changed=prop_id(button, "n_clicks"))


def _audit(running, action: str) -> list[AuditLog]:
    with running.app.services.sessions() as db:
        return list(
            db.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        )


# -- the public: Open311 ---------------------------------------------------------------


def test_open311_lists_and_shows_requests_with_numbers_masked(running):
    _community, grid = _community_and_grid(running)
    posted = requests.post(
        f"{running.url}/open311/v2/requests.json",
        data={
            "service_code": "fire_safety",
            "lat": grid.center_lat,
            "long": grid.center_lon,
            "address_string": f"金水路 1 号，电话 {LANDLINE}",
            "description": DESCRIPTION,
            "phone": MOBILE,
        },
    )
    assert posted.status_code == 201, posted.text
    tracking = posted.json()[0]["service_request_id"]

    listed = requests.get(f"{running.url}/open311/v2/requests.json")  # no login
    (detail,) = requests.get(f"{running.url}/open311/v2/requests/{tracking}.json").json()
    (item,) = [r for r in listed.json() if r["service_request_id"] == tracking]
    for shown in (item, detail):
        _assert_masked(json.dumps(shown, ensure_ascii=False))
        assert shown["description"] == mask_text(DESCRIPTION)
        assert (
            "138****5678" in shown["description"] and "4101**********1234" in shown["description"]
        )
        assert shown["address"] == "金水路 1 号，电话 0371-****1234"
    with running.app.services.sessions() as db:
        kept = db.scalar(select(Incident).where(Incident.tracking_no == tracking))
        assert kept is not None and kept.description == DESCRIPTION  # the record is whole


# -- the wall: socket push and snapshot ------------------------------------------------


def test_the_wall_ticker_gets_titles_masked_in_push_and_snapshot(running):
    token, staff_id = running.add_device("mask-push-1")
    with running.app.services.sessions() as db:
        grid = db.scalar(
            select(OrgNode).join(Staff, Staff.node_id == OrgNode.id).where(Staff.id == staff_id)
        )
    assert grid is not None
    root_id = running.app.tree.get().root.id
    wall = login(running.url, *make_user(running.app.services.sessions, Role.WALL, root_id))
    pushed: list[dict] = []
    client = socketio.Client(reconnection=False)
    client.on("inc", pushed.append)
    client.connect(
        running.url,
        auth={"focus": grid.id},
        headers={"Cookie": cookie_header(wall)},
        transports=["websocket"],
        wait_timeout=10,
    )
    title = f"占道经营 请回电 {MOBILE}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not pushed:
            answer = requests.post(  # again until the socket has joined its room
                f"{running.url}/api/v1/events",
                json={"category": "city_sanitation", "title": title},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 201, answer.text
            inner = time.monotonic() + 3
            while time.monotonic() < inner and not pushed:
                time.sleep(0.05)
    finally:
        client.disconnect()
    items = [item for message in pushed for item in message["d"]]
    assert items, "no incident was pushed"
    assert all(item["title"] == "占道经营 请回电 138****5678" for item in items)
    published = running.app.services.redis.xrange(EVENTS_STREAM)  # what every consumer reads
    assert published and all(MOBILE.encode() not in b"".join(f.values()) for _, f in published)

    snapshot = DashAnswer(
        call(
            wall,
            running.url,
            running.app.dash,
            f"{ids.WALL_SNAPSHOT}.data",
            {f"{ids.WALL_FOCUS}.data": grid.id},
        )
    )
    assert snapshot.status_code == 200
    assert "占道经营 请回电 138****5678" in snapshot.text and MOBILE not in snapshot.text


def test_the_wall_shows_alert_titles_masked_in_push_and_snapshot(running):
    """An officer's own alert title is not third-party data, but a number typed into it is."""
    community, _grid = _community_and_grid(running)
    root_id = running.app.tree.get().root.id
    wall = login(running.url, *make_user(running.app.services.sessions, Role.WALL, root_id))
    pushed: list[dict] = []
    client = socketio.Client(reconnection=False)
    client.on("alert", pushed.append)
    client.connect(
        running.url,
        auth={"focus": community.id},
        headers={"Cookie": cookie_header(wall)},
        transports=["websocket"],
        wait_timeout=10,
    )
    officer = Actor(role=Role.DUTY_OFFICER.value, name="值班员", scope_path="/")
    try:
        with running.app.services.sessions.begin() as db:
            lifecycle.issue(
                db,
                officer,
                node_id=community.id,
                level="orange",
                category="flood",
                title=f"暴雨预警 联系 {MOBILE}",
                text="请转移低洼住户",
                valid_until=dt.datetime.now(dt.UTC) + dt.timedelta(hours=6),
                now=dt.datetime.now(dt.UTC),
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not pushed:
            time.sleep(0.05)
    finally:
        client.disconnect()
    titles = [item["title"] for message in pushed for item in message["d"]]
    assert titles and set(titles) == {"暴雨预警 联系 138****5678"}
    snapshot = DashAnswer(
        call(
            wall,
            running.url,
            running.app.dash,
            f"{ids.WALL_ALERTS}.data",
            {f"{ids.WALL_FOCUS}.data": community.id},
        )
    )
    assert "暴雨预警 联系 138****5678" in snapshot.text and MOBILE not in snapshot.text


# -- /events: list, detail, timeline, duplicates --------------------------------------


def test_events_list_detail_and_timeline_mask_numbers(running):
    community, grid = _community_and_grid(running)
    first = _file(running, grid, f"消防通道堵塞 {MOBILE}")
    second = _file(running, grid, f"又有人反映 {MOBILE_SPACED}", description="同一处堆物")
    http, user_id = _user(running, Role.DUTY_OFFICER, community)
    officer = Actor(
        role=Role.DUTY_OFFICER.value, name="值班员", scope_path=community.path, user_id=user_id
    )
    with running.app.services.sessions.begin() as db:
        apply(db, first, "accept", officer)
        apply(db, first, "transfer", officer, note=f"转供电公司，联系人座机 {LANDLINE}")

    listed = _list(http, running)
    assert listed.status_code == 200
    assert "消防通道堵塞 138****5678" in listed.text and "又有人反映 139 **** 4321" in listed.text
    _assert_masked(listed.text)

    shown = _detail(http, running, first)
    assert "138****5678" in shown.text and "4101**********1234" in shown.text
    assert "转供电公司，联系人座机 0371-****1234" in shown.text  # the note and the link
    _assert_masked(shown.text)

    other = _detail(http, running, second)  # lists the first as a likely duplicate
    assert "又有人反映 139 **** 4321" in other.text
    _assert_masked(other.text)


# -- /events: the audited reveal ------------------------------------------------------


def test_a_leader_reveals_one_incident_and_it_is_audited(running):
    community, grid = _community_and_grid(running)
    incident_id = _file(running, grid, f"消防通道堵塞 {MOBILE}")
    with running.app.services.sessions.begin() as db:
        officer = Actor(role=Role.DUTY_OFFICER.value, name="值班员", scope_path=community.path)
        apply(db, incident_id, "reject", officer, note=f"已电话联系 {MOBILE_SPACED}，不属实")
    http, _ = _user(running, Role.LEADER, community)
    assert '"type": "incidents-reveal"' in _detail(http, running, incident_id).text  # the button

    revealed = _reveal(http, running, incident_id)
    assert revealed.status_code == 200
    for original in (DESCRIPTION, f"消防通道堵塞 {MOBILE}", MOBILE_SPACED, "王小明"):
        assert original in revealed.text
    assert "已显示原文（已留痕）" in revealed.text
    (row,) = _audit(running, "incident_reveal")
    assert (row.target_type, row.target_id, row.outcome) == ("incident", str(incident_id), "ok")
    with running.app.services.sessions() as db:
        assert row.node_id == db.get_one(Incident, incident_id).node_id

    # the audit page names it in Chinese
    city = running.app.tree.get().root
    admin, _ = _user(running, Role.ADMIN, city)
    exported = admin.get(
        f"{running.url}/admin/audit/export.csv", params={"action": "incident_reveal"}
    )
    assert "查看事件原文" in exported.content.decode("utf-8-sig")


def test_reveal_is_refused_without_permission_or_outside_the_scope(running):
    community, grid = _community_and_grid(running)
    _other, other_grid = _community_and_grid(running, 1)
    mine = _file(running, grid, f"消防通道堵塞 {MOBILE}")
    theirs = _file(running, other_grid, f"乙社区 {MOBILE}")

    for role in (Role.GRID_STAFF, Role.WALL):  # may view incidents, may not reveal
        http, _ = _user(running, role, community)
        assert '"type": "incidents-reveal"' not in _detail(http, running, mine).text
        refused = _reveal(http, running, mine)
        assert refused.status_code == 200 and "无权查看" in refused.text
        _assert_masked(refused.text)
    duty, _ = _user(running, Role.DUTY_OFFICER, community)
    crafted = _reveal(duty, running, theirs)
    assert "无权查看" in crafted.text and MOBILE not in crafted.text

    rows = _audit(running, "incident_reveal")
    assert [(r.outcome, r.detail["reason"]) for r in rows] == [
        ("denied", "no_permission"),
        ("denied", "no_permission"),
        ("denied", "scope"),
    ]


# -- /sms: folders and the delivery log -----------------------------------------------


def _sms_outputs(key: str) -> Any:
    parts = [p for p in key.strip(".").split("...") if p] if key.startswith("..") else [key]
    outs = []
    for part in parts:
        component, prop = part.rsplit(".", 1)
        ident: Any = json.loads(component) if component.startswith("{") else component
        outs.append({"id": ident, "property": prop.split("@", 1)[0]})
    return outs if len(outs) > 1 else outs[0]


def _v(component: Any, prop: str, value: Any) -> dict:
    return {"id": component, "property": prop, "value": value}


def test_sms_folders_and_log_mask_numbers_typed_into_texts(running):
    community, _grid = _community_and_grid(running)
    http, _ = _user(running, Role.DUTY_OFFICER, community)
    with running.app.services.sessions() as db:
        people = db.scalars(
            select(Staff.id)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(OrgNode.path.startswith(community.path), Staff.active.is_(True))
            .order_by(Staff.id)
            .limit(2)
        ).all()
    text = f"请联系报警人 {MOBILE_SPACED}（身份证 {ID_NUMBER}）核实"
    dash = running.app.dash
    key = key_of(dash, f"{ids.SMS_SEND_MSG}.children")
    sent = post(
        http,
        running.url,
        key,
        _sms_outputs(key),
        [_v(ids.SMS_SEND, "n_clicks", 1)],
        [
            _v(ids.SMS_TEXT, "value", text),
            _v(ids.SMS_STAFF, "value", list(people)),
            _v(ids.SMS_GROUPS, "value", []),
            _v(ids.SMS_TOKEN, "data", "tok-mask-0001"),
        ],
        changed=f"{ids.SMS_SEND}.n_clicks",
    )
    assert "已提交发送 2 人" in sent.text

    key = key_of(dash, f"{ids.SMS_FOLDER_TABLE}.children")
    folder = post(
        http,
        running.url,
        key,
        _sms_outputs(key),
        [
            _v(ids.SMS_TABS, "value", "sent"),
            _v(ids.SMS_TICK, "n_intervals", 1),
            _v(ids.SMS_FOLDER_PREV, "n_clicks", None),
            _v(ids.SMS_FOLDER_NEXT, "n_clicks", None),
            [],
        ],
        [_v(ids.SMS_FOLDER_PAGE, "data", 0)],
        changed=f"{ids.SMS_TABS}.value",
    )
    key = key_of(dash, f"{ids.SMS_LOG_TABLE}.children")
    log = post(
        http,
        running.url,
        key,
        _sms_outputs(key),
        [
            _v(ids.SMS_TABS, "value", "logs"),
            _v(ids.SMS_LOG_STATE, "value", []),
            _v(ids.SMS_LOG_SOURCE, "value", None),
            _v(ids.SMS_LOG_PREV, "n_clicks", None),
            _v(ids.SMS_LOG_NEXT, "n_clicks", None),
            _v(ids.SMS_TICK, "n_intervals", 1),
            [],
        ],
        [_v(ids.SMS_LOG_PAGE, "data", 0)],
        changed=f"{ids.SMS_LOG_STATE}.value",
    )
    for shown in (folder, log):
        assert shown.status_code == 200
        assert "请联系报警人 139 **** 4321" in shown.text
        _assert_masked(shown.text)
    with running.app.services.sessions() as db:
        assert db.scalar(select(SmsBatch.text)) == text  # what was sent is kept as sent


# -- the audit page and its CSV -------------------------------------------------------


def test_audit_details_mask_every_written_form(running):
    community, _grid = _community_and_grid(running)
    with running.app.services.sessions.begin() as db:
        from data import audit

        audit.record(
            db,
            actor="duty",
            action="sms_template_delete",
            node_id=community.id,
            detail={"name": "值守", "text": f"值班电话 {LANDLINE}、{MOBILE_SPACED}，{OLD_ID}"},
        )
    city = running.app.tree.get().root
    admin, _ = _user(running, Role.ADMIN, city)
    exported = admin.get(
        f"{running.url}/admin/audit/export.csv", params={"action": "sms_template_delete"}
    )
    body = exported.content.decode("utf-8-sig")
    assert "值班电话 0371-****1234、139 **** 4321" in body
    _assert_masked(body)
    key = key_of(running.app.dash, f"{ids.AUD_TABLE}.children")
    page = post(
        admin,
        running.url,
        key,
        _sms_outputs(key),
        [_v(ids.AUD_SEARCH, "n_clicks", 1), _v(ids.AUD_ACTION, "value", "sms_template_delete")],
        [
            _v(ids.AUD_ACTOR, "value", ""),
            _v(ids.AUD_SINCE, "value", ""),
            _v(ids.AUD_UNTIL, "value", ""),
        ],
        changed=f"{ids.AUD_SEARCH}.n_clicks",
    )
    assert page.status_code == 200 and "0371-****1234" in page.text
    _assert_masked(page.text)


# -- the terminal of the staff member handling it -------------------------------------


def test_the_assignee_terminal_gets_the_original_title(running):
    """Kept whole on purpose: the person sent to handle it may have to call the reporter."""
    token, staff_id = running.add_device("mask-assignee-1")
    other_token, _ = running.add_device("mask-other-1", staff_index=1)
    with running.app.services.sessions() as db:
        grid = db.scalar(
            select(OrgNode).join(Staff, Staff.node_id == OrgNode.id).where(Staff.id == staff_id)
        )
    assert grid is not None
    incident_id = _file(running, grid, f"独居老人求助 {MOBILE}")
    officer = Actor(role=Role.DUTY_OFFICER.value, name="值班员", scope_path="/")
    with running.app.services.sessions.begin() as db:
        apply(db, incident_id, "accept", officer)
        apply(db, incident_id, "dispatch", officer, assignee_staff_id=staff_id)
        history = db.scalars(
            select(IncidentHistory.action).where(IncidentHistory.incident_id == incident_id)
        ).all()
    assert "dispatch" in history  # the dispatch naming this person is on record
    mine = requests.get(
        f"{running.url}/api/v1/events/assigned", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [i["title"] for i in mine] == [f"独居老人求助 {MOBILE}"]
    others = requests.get(
        f"{running.url}/api/v1/events/assigned",
        headers={"Authorization": f"Bearer {other_token}"},
    ).json()
    assert others == []
