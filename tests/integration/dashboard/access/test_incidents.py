"""/events stays inside the asker's subtree and the workflow's refusals reach the page.

Incidents are filed in two sibling communities (A and B) of the seeded small city;
a duty officer of A then asks for B through the list and the detail callbacks the
way a crafted request would. Actions go through the action callback exactly as a
button click does.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import select

from data.incidents.actors import Actor
from data.incidents.intake import report
from data.incidents.workflow import apply
from data.models import IncidentState, NodeKind, OrgNode, Role, Staff, User
from layouts import ids
from streams.keys import STAFF_GEO, STAFF_STATE
from streams.nearest import nearest_staff
from tests.support.accounts import login, make_user
from tests.support.dash_calls import call
from tests.support.dash_patterns import DashAnswer, key_of, post, prop_id
from tests.support.paths import REPO_ROOT


def _communities(running) -> tuple[OrgNode, OrgNode, OrgNode, OrgNode]:
    """Community A, a grid of A, community B, a grid of B."""
    with running.app.services.sessions() as db:
        a, b = db.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).all()[:2]
        grids = [
            db.scalar(
                select(OrgNode)
                .where(OrgNode.kind == NodeKind.GRID, OrgNode.path.startswith(c.path))
                .order_by(OrgNode.id)
            )
            for c in (a, b)
        ]
    return a, grids[0], b, grids[1]


def _file(running, grid: OrgNode, title: str) -> tuple[int, str]:
    with running.app.services.sessions.begin() as db:
        incident = report(
            db,
            source="open311",
            category=_category(),
            title=title,
            description="测试",
            node_id=grid.id,
            lat=grid.center_lat,
            lon=grid.center_lon,
        )
        return incident.id, incident.tracking_no


def _category() -> str:
    from data.incidents.categories import default_categories

    return next(iter(default_categories().categories))


def _user(running, role: Role, node: OrgNode) -> tuple[Any, int]:
    username, password = make_user(running.app.services.sessions, role, node.id)
    with running.app.services.sessions() as db:
        user_id = db.scalar(select(User.id).where(User.username == username))
    return login(running.url, username, password), user_id


def _detail(http, running, incident_id: int) -> DashAnswer:
    response = call(
        http,
        running.url,
        running.app.dash,
        f"{ids.INCIDENTS_DETAIL}.children",
        {f"{ids.INCIDENTS_SELECTED}.data": {"id": incident_id, "tid": uuid.uuid4().hex}},
    )
    return DashAnswer(response)


def _act(http, running, incident_id: int, action: str, note: str = "") -> DashAnswer:
    key = key_of(running.app.dash, f"{ids.INCIDENTS_ACT_MSG}.children")
    button = {"type": ids.INCIDENTS_ACT, "action": action}
    outputs = [
        {"id": ids.INCIDENTS_ACT_MSG, "property": "children"},
        {"id": ids.INCIDENTS_SELECTED, "property": "data"},
    ]
    inputs = [[{"id": button, "property": "n_clicks", "value": 1}], []]
    state = [
        {
            "id": ids.INCIDENTS_SELECTED,
            "property": "data",
            "value": {"id": incident_id, "tid": "t1"},
        },
        {"id": ids.INCIDENTS_NOTE, "property": "value", "value": note},
        {"id": ids.INCIDENTS_TARGET, "property": "value", "value": None},
        {"id": ids.INCIDENTS_ASSIGNEE, "property": "value", "value": None},
    ]
    return post(http, running.url, key, outputs, inputs, state, changed=prop_id(button, "n_clicks"))


def _state(running, incident_id: int) -> IncidentState:
    from data.models import Incident

    with running.app.services.sessions() as db:
        incident = db.get(Incident, incident_id)
        assert incident is not None
        return incident.state


def test_a_duty_officer_of_a_sees_nothing_of_b(running, caplog):
    a, grid_a, b, grid_b = _communities(running)
    mine, mine_no = _file(running, grid_a, "甲社区井盖缺失")
    other, other_no = _file(running, grid_b, "乙社区路灯不亮")
    http, _ = _user(running, Role.DUTY_OFFICER, a)
    dash = running.app.dash

    listed = DashAnswer(
        call(
            http,
            running.url,
            dash,
            f"{ids.INCIDENTS_TABLE}.children",
            {f"{ids.INCIDENTS_NODE}.value": None},
        )
    )
    assert listed.status_code == 200
    assert mine_no in listed.text and other_no not in listed.text

    for node in (b, grid_b):  # naming B's nodes in the filter gives nothing
        crafted = DashAnswer(
            call(
                http,
                running.url,
                dash,
                f"{ids.INCIDENTS_TABLE}.children",
                {f"{ids.INCIDENTS_NODE}.value": node.id},
            )
        )
        assert crafted.status_code == 200 and other_no not in crafted.text
        assert "无权查看该范围" in crafted.text

    assert mine_no in _detail(http, running, mine).text
    foreign = _detail(http, running, other)
    assert foreign.status_code == 200
    assert other_no not in foreign.text and "乙社区路灯不亮" not in foreign.text
    assert "不在您的管辖范围内" in foreign.text
    assert any(f"incident {other}" in r.getMessage() for r in caplog.records)

    refused = _act(http, running, other, "accept")
    assert "不在您的管辖范围内" in refused.text
    assert _state(running, other) is IncidentState.REPORTED


def test_grid_staff_cannot_accept(running):
    a, grid_a, _, _ = _communities(running)
    incident_id, _ = _file(running, grid_a, "网格员不能受理")
    http, _ = _user(running, Role.GRID_STAFF, a)
    shown = _detail(http, running, incident_id)
    assert shown.status_code == 200 and '"action": "accept"' not in shown.text  # no button
    answer = _act(http, running, incident_id, "accept")
    assert answer.status_code == 200 and "无权" in answer.text
    assert _state(running, incident_id) is IncidentState.REPORTED


def test_a_duty_officer_who_handled_cannot_verify(running):
    a, grid_a, _, _ = _communities(running)
    incident_id, _ = _file(running, grid_a, "自己处置不能自己核查")
    http, user_id = _user(running, Role.DUTY_OFFICER, a)
    me = Actor(role=Role.DUTY_OFFICER.value, name="值班员", scope_path=a.path, user_id=user_id)
    with running.app.services.sessions.begin() as db:
        apply(db, incident_id, "accept", me)
        apply(db, incident_id, "dispatch", me, target_node_id=grid_a.id)
        apply(db, incident_id, "start", me)
        apply(db, incident_id, "handle", me, note="已处置")
    assert '"action": "verify"' in _detail(http, running, incident_id).text  # offered...
    refused = _act(http, running, incident_id, "verify")
    assert "不能由您核查" in refused.text  # ...but refused, and the page says why
    assert _state(running, incident_id) is IncidentState.HANDLED

    other_http, _ = _user(running, Role.DUTY_OFFICER, a)
    first = _act(other_http, running, incident_id, "verify")
    again = _act(other_http, running, incident_id, "verify")  # a double click: same tid
    assert "已核查通过" in first.text and "重复提交已忽略" in again.text
    assert _state(running, incident_id) is IncidentState.VERIFIED


def test_nearest_on_duty_staff_in_scope(running):
    a, grid_a, b, _ = _communities(running)
    r = running.app.services.redis
    with running.app.services.sessions() as db:
        staff_a = db.scalars(
            select(Staff)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(OrgNode.path.startswith(a.path))
            .order_by(Staff.id)
        ).all()[:3]
        staff_b = db.scalar(
            select(Staff)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(OrgNode.path.startswith(b.path))
        )
    lat, lon = grid_a.center_lat, grid_a.center_lon
    near, far, offline = staff_a
    assert staff_b is not None
    r.delete(STAFF_GEO, STAFF_STATE)
    r.geoadd(STAFF_GEO, [lon + 0.001, lat, near.id, lon + 0.01, lat, far.id])
    r.geoadd(STAFF_GEO, [lon, lat, offline.id, lon + 0.0005, lat, staff_b.id])
    r.hset(STAFF_STATE, mapping={near.id: "online", far.id: "low_battery"})
    r.hset(STAFF_STATE, mapping={offline.id: "offline", staff_b.id: "online"})
    started = time.perf_counter()
    with running.app.services.sessions() as db:
        found = nearest_staff(r, db, lat, lon, a.path)
    assert time.perf_counter() - started < 1.0
    assert [s.staff_id for s in found] == [near.id, far.id]
    assert 50 < found[0].distance_m < 150 < found[1].distance_m


def test_the_desk_form_files_a_report_and_names_bad_fields(running):
    a, grid_a, _, grid_b = _communities(running)
    http, _ = _user(running, Role.DUTY_OFFICER, a)
    dash = running.app.dash

    def submit(**fields: Any) -> DashAnswer:
        state = {
            f"{ids.INCIDENTS_NEW_CATEGORY}.value": _category(),
            f"{ids.INCIDENTS_NEW_TITLE}.value": "占道",
        }
        state |= {f"{k}.value": v for k, v in fields.items()}
        return DashAnswer(
            call(
                http,
                running.url,
                dash,
                f"{ids.INCIDENTS_NEW_MSG}.children",
                {f"{ids.INCIDENTS_NEW_SUBMIT}.n_clicks": 1},
                state,
            )
        )

    bad = submit(**{ids.INCIDENTS_NEW_TITLE: "", ids.INCIDENTS_NEW_LAT: "北纬"})
    assert "纬度：应为数字" in bad.text
    missing = submit(**{ids.INCIDENTS_NEW_TITLE: ""})
    assert "标题" in missing.text and "位置" in missing.text
    foreign = submit(**{ids.INCIDENTS_NEW_NODE: grid_b.id})
    assert "不在您的管辖范围内" in foreign.text
    done = submit(**{ids.INCIDENTS_NEW_NODE: grid_a.id, ids.INCIDENTS_NEW_PHONE: "13800001111"})
    assert "已登记，事件编号 GW" in done.text


def test_the_page_names_categories_as_configured(redis_url, small_city_url, tmp_path):
    """GRIDWATCH_INCIDENT_CATEGORIES renames a category: the page shows the city's name."""
    from dashboard.app import create_app
    from dashboard.settings import Settings
    from dashboard.web.server import ServerThread
    from tests.support.running import Running

    shipped = REPO_ROOT / "data" / "incident_categories.toml"
    renamed = tmp_path / "incident_categories.toml"
    text = shipped.read_text(encoding="utf-8")
    renamed.write_text(text.replace('name = "民政救济"', 'name = "民政救助（本市）"', 1), "utf-8")
    settings = Settings(
        redis_url=redis_url,
        database_url=small_city_url,
        var_dir=tmp_path,
        incident_categories=renamed,
        run_workers=False,
    )
    app = create_app(settings)
    server = ServerThread(app).start()
    running = Running(app, server)
    try:
        a, grid_a, _b, _grid_b = _communities(running)
        with app.services.sessions.begin() as db:
            number = report(
                db,
                source="open311",
                category="civil_relief",
                title="困难家庭申请临时救助",
                description="测试",
                node_id=grid_a.id,
                lat=grid_a.center_lat,
                lon=grid_a.center_lon,
                categories=app.services.categories,
            ).tracking_no
        http, _ = _user(running, Role.DUTY_OFFICER, a)
        listed = DashAnswer(
            call(
                http,
                running.url,
                app.dash,
                f"{ids.INCIDENTS_TABLE}.children",
                {f"{ids.INCIDENTS_NODE}.value": None},
            )
        )
        assert number in listed.text and "民政救助（本市）" in listed.text
    finally:
        server.stop()
        app.close()
