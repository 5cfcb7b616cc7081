"""What /duty may do, checked against a running app: scope, roles, double clicks, the push.

Two sibling communities (A and B) of the seeded small city; a duty officer of A issues,
changes and lifts, and asks for B the way a crafted request would.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from dashboard.access import alerts as alert_access
from dashboard.access import base
from dashboard.access.alerts import IssueForm
from dashboard.auth.current import SessionUser
from data.alerts.recipients import responsible_staff
from data.models import Alert, AlertAction, AuditLog, Delivery, NodeKind, OrgNode, Role, User
from layouts import ids
from streams.keys import ALERTS_STREAM
from tests.support.accounts import login, make_user
from tests.support.city import two_communities
from tests.support.dash_calls import _parse_outputs
from tests.support.dash_patterns import key_of, post


def _officer(running, node_id: int, role: Role = Role.DUTY_OFFICER) -> SessionUser:
    username, _ = make_user(running.app.services.sessions, role, node_id)
    with running.app.services.sessions() as db:
        row = db.scalars(select(User).where(User.username == username)).one()
        return SessionUser(row.id, row.username, row.display_name, row.role, row.node_id)


def _form(node_id: int, **changes) -> IssueForm:
    values = {
        "node_id": node_id,
        "level": "orange",
        "category": "flood",
        "title": "暴雨橙色预警",
        "text": "请排查低洼地段。",
        "hours": 24,
        "target_levels": [],
    }
    values.update(changes)
    return IssueForm(**values)


def test_issue_commits_texts_audits_and_publishes_at_once(running):
    a, _b = two_communities(running.app.services.sessions)
    who = _officer(running, a.id)
    services, tree = running.app.services, running.app.tree.get()

    outcome = alert_access.issue(services, tree, who, _form(a.id), "tok-1")

    with services.sessions() as db:
        expected = responsible_staff(db, a.path)
        alert = db.get(Alert, outcome.alert_id)
        deliveries = db.scalar(
            select(func.count(Delivery.id)).where(Delivery.alert_id == outcome.alert_id)
        )
        audit = db.scalars(select(AuditLog).where(AuditLog.action == "alert_issue")).all()
    assert outcome.ok, outcome.message
    assert outcome.message == f"已发布：橙色预警，短信通知 {len(expected)} 人"
    assert alert is not None and alert.node_id == a.id and alert.level.value == "orange"
    assert deliveries == len(expected) > 0
    assert [row.actor for row in audit] == [who.username]
    # relayed right after the commit, not at the pump's next round
    entries = services.redis.xrange(ALERTS_STREAM)
    published = [json.loads(fields[b"data"]) for _id, fields in entries]
    assert [(p["alert_id"], p["action"]) for p in published] == [(alert.id, "issue")]


def test_a_double_click_issues_once(running):
    a, _b = two_communities(running.app.services.sessions)
    who = _officer(running, a.id)
    services, tree = running.app.services, running.app.tree.get()

    first = alert_access.issue(services, tree, who, _form(a.id), "same-token")
    second = alert_access.issue(services, tree, who, _form(a.id), "same-token")

    assert first.ok and not second.ok
    assert second.message == base.DUPLICATE
    with services.sessions() as db:
        actions = db.scalar(select(func.count(AlertAction.id)))
        texts = db.scalar(select(func.count(Delivery.id)))
    assert actions == 1
    assert texts == len(responsible_staff(services.sessions(), a.path))


def test_a_refused_issue_can_be_retried_with_the_same_token(running):
    a, _b = two_communities(running.app.services.sessions)
    who = _officer(running, a.id)
    services, tree = running.app.services, running.app.tree.get()

    refused = alert_access.issue(services, tree, who, _form(a.id, title=""), "retry-token")
    fixed = alert_access.issue(services, tree, who, _form(a.id), "retry-token")

    assert not refused.ok and "请填写预警标题" in refused.message
    assert fixed.ok, fixed.message


def test_the_officer_of_a_cannot_reach_b(running):
    a, b = two_communities(running.app.services.sessions)
    officer_a = _officer(running, a.id)
    officer_b = _officer(running, b.id)
    services, tree = running.app.services, running.app.tree.get()
    in_b = alert_access.issue(services, tree, officer_b, _form(b.id), "tok-b")
    assert in_b.ok

    refused = alert_access.issue(services, tree, officer_a, _form(b.id), "tok-a")
    assert not refused.ok and refused.message == "所选区域不在您的管辖范围内"
    assert alert_access.live_alerts(services, tree, officer_a) == []
    assert alert_access.detail(services, tree, officer_a, in_b.alert_id) is None
    lifted = alert_access.change(services, tree, officer_a, in_b.alert_id, "lift", "tok-lift")
    assert not lifted.ok and lifted.message == alert_access.NOT_FOUND
    assert [row.id for row in alert_access.live_alerts(services, tree, officer_b) or []] == [
        in_b.alert_id
    ]


def test_grid_staff_and_wall_accounts_cannot_issue(running):
    a, _b = two_communities(running.app.services.sessions)
    services, tree = running.app.services, running.app.tree.get()
    for role in (Role.GRID_STAFF, Role.WALL, Role.ADMIN):
        who = _officer(running, a.id, role)
        outcome = alert_access.issue(services, tree, who, _form(a.id), f"tok-{role}")
        assert not outcome.ok and outcome.message == alert_access.NO_ALERTS
        assert alert_access.live_alerts(services, tree, who) is None


def test_change_extend_and_lift(running):
    a, _b = two_communities(running.app.services.sessions)
    who = _officer(running, a.id)
    services, tree = running.app.services, running.app.tree.get()
    now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    issued = alert_access.issue(services, tree, who, _form(a.id), "t1", now=now)
    alert_id = issued.alert_id

    same = alert_access.change(services, tree, who, alert_id, "level", "t2", level="orange")
    assert not same.ok and "already" in same.message
    raised = alert_access.change(services, tree, who, alert_id, "level", "t3", level="red", now=now)
    assert raised.ok and raised.message.startswith("已升级（当前红色预警）")
    extended = alert_access.change(services, tree, who, alert_id, "extend", "t4", hours=6, now=now)
    assert extended.ok and "短信" not in extended.message  # extending texts nobody
    with services.sessions() as db:
        alert = db.get(Alert, alert_id)
        assert alert is not None
        assert alert.valid_until == now + dt.timedelta(hours=30)

    found = alert_access.detail(services, tree, who, alert_id)
    assert found is not None and found.live
    assert [step.label for step in found.actions] == ["发布", "升级", "延长"]
    assert found.pending_total == found.summary.progress.total

    lifted = alert_access.change(services, tree, who, alert_id, "lift", "t5", now=now)
    assert lifted.ok and lifted.message.startswith("已解除")
    assert alert_access.live_alerts(services, tree, who) == []
    after = alert_access.detail(services, tree, who, alert_id)
    assert after is not None and not after.live and after.summary.state_label == "已解除"


def test_every_problem_of_the_form_is_named():
    problems = alert_access.validate_issue(
        IssueForm(
            node_id=None,
            level="purple",
            category="nonsense",
            title="长" * 65,
            text="",
            hours=5,
            target_levels=[4],
        )
    )
    assert problems == [
        "请选择预警发布的区域（在地图上点选或在下拉框中选择）",
        "请选择预警级别（蓝、黄、橙、红）",
        "请选择预警类别",
        "标题过长：65 字，最多 64 字",
        "请填写预警内容",
        "请选择有效时长",
        "下发范围只能是一级、二级或三级网格",
    ]


def test_typing_finds_areas_anywhere_in_scope_but_not_outside(running):
    a, b = two_communities(running.app.services.sessions)
    tree = running.app.tree.get()
    officer_a = _officer(running, a.id)
    found = alert_access.node_choices(tree, officer_a, None, search="网格")
    assert found and all(node.path.startswith(a.path) for node in found)
    assert alert_access.node_choices(tree, officer_a, None, search=b.name) == []


def _counts(running) -> tuple[int, int, int]:
    """Alerts, deliveries and alert-stream entries: what a confirmation must not add."""
    services = running.app.services
    with services.sessions() as db:
        alerts = db.scalar(select(func.count(Alert.id))) or 0
        texts = db.scalar(select(func.count(Delivery.id))) or 0
    return alerts, texts, services.redis.xlen(ALERTS_STREAM)


def test_the_confirmation_counts_whom_the_issue_texts_and_sends_nothing(running):
    a, _b = two_communities(running.app.services.sessions)
    who = _officer(running, a.id)
    services, tree = running.app.services, running.app.tree.get()
    with services.sessions() as db:
        everyone = len(responsible_staff(db, a.path))
        grids_only = len(responsible_staff(db, a.path, [3]))

    preview = alert_access.preview_issue(services, tree, who, _form(a.id))
    narrowed = alert_access.preview_issue(services, tree, who, _form(a.id, target_levels=[3]))

    assert isinstance(preview, alert_access.Preview), preview
    assert preview.recipients == everyone > 0
    assert preview.texted == f"将短信通知 {everyone} 人"
    assert (preview.level, preview.level_label, preview.category_label) == (
        "orange",
        "橙色预警",
        "防汛",
    )
    assert preview.place.endswith(a.name) and preview.validity.startswith("24 小时（至 ")
    # the map shows the area itself, filled in the level's colour
    targets = [f for f in preview.geojson["features"] if f["properties"]["role"] == "target"]
    assert [f["properties"]["id"] for f in targets] == [a.id]
    assert targets[0]["properties"]["level"] == "orange" and preview.bounds
    assert isinstance(narrowed, alert_access.Preview) and narrowed.recipients == grids_only
    assert _counts(running) == (0, 0, 0)  # asking sent nothing

    issued = alert_access.issue(services, tree, who, _form(a.id), "tok-confirmed")
    assert issued.ok and issued.message.endswith(f"短信通知 {preview.recipients} 人")


def test_the_confirmation_names_the_live_alert_an_issue_would_update(running):
    a, _b = two_communities(running.app.services.sessions)
    who = _officer(running, a.id)
    services, tree = running.app.services, running.app.tree.get()
    assert alert_access.issue(services, tree, who, _form(a.id), "first").ok

    again = alert_access.preview_issue(services, tree, who, _form(a.id, level="red"))

    assert isinstance(again, alert_access.Preview)
    assert "已有生效的防汛预警「暴雨橙色预警」（橙色）" in again.note
    assert "更新该预警" in again.note


def test_the_confirmation_of_a_raise_and_a_lift_counts_everyone_texted(running):
    a, _b = two_communities(running.app.services.sessions)
    who = _officer(running, a.id)
    services, tree = running.app.services, running.app.tree.get()
    alert_id = alert_access.issue(services, tree, who, _form(a.id), "t1").alert_id
    before = _counts(running)

    raise_ = alert_access.preview_change(services, tree, who, alert_id, "level", "red")
    lift = alert_access.preview_change(services, tree, who, alert_id, "lift")

    assert _counts(running) == before  # asking sent nothing
    assert isinstance(raise_, alert_access.Preview) and isinstance(lift, alert_access.Preview)
    assert (raise_.heading, raise_.from_level, raise_.level) == ("确认升级预警", "orange", "red")
    assert lift.heading == "确认解除预警"
    assert lift.texted == f"将向 {lift.recipients} 人发送解除短信"
    raised = alert_access.change(services, tree, who, alert_id, "level", "t2", level="red")
    assert raised.ok and raised.message.endswith(f"短信通知 {raise_.recipients} 人")
    lifted = alert_access.change(services, tree, who, alert_id, "lift", "t3")
    assert lifted.ok and lifted.message.endswith(f"短信通知 {lift.recipients} 人")


def test_the_confirmation_refuses_what_the_action_would_refuse(running):
    a, b = two_communities(running.app.services.sessions)
    officer_a, officer_b = _officer(running, a.id), _officer(running, b.id)
    services, tree = running.app.services, running.app.tree.get()
    in_b = alert_access.issue(services, tree, officer_b, _form(b.id), "tok-b").alert_id
    in_a = alert_access.issue(services, tree, officer_a, _form(a.id), "tok-a").alert_id
    staff = _officer(running, a.id, Role.GRID_STAFF)

    def refused(answer) -> str:
        assert isinstance(answer, alert_access.Outcome) and not answer.ok, answer
        return answer.message

    assert refused(alert_access.preview_issue(services, tree, officer_a, _form(b.id))) == (
        "所选区域不在您的管辖范围内"
    )
    assert "请填写预警标题" in refused(
        alert_access.preview_issue(services, tree, officer_a, _form(a.id, title=" "))
    )
    assert refused(alert_access.preview_issue(services, tree, staff, _form(a.id))) == (
        alert_access.NO_ALERTS
    )
    assert refused(alert_access.preview_change(services, tree, officer_a, in_b, "lift")) == (
        alert_access.NOT_FOUND
    )
    assert refused(
        alert_access.preview_change(services, tree, officer_a, in_a, "level", "orange")
    ) == ("该预警已是橙色预警，请选择其他级别")
    assert refused(alert_access.preview_change(services, tree, officer_a, in_a, "level")) == (
        "请选择新的预警级别"
    )
    assert alert_access.change(services, tree, officer_a, in_a, "lift", "tok-lift").ok
    assert refused(alert_access.preview_change(services, tree, officer_a, in_a, "lift")) == (
        "该预警已解除或已过期"
    )


def test_who_has_not_acknowledged_comes_a_page_at_a_time_with_the_exact_count(running):
    services, tree = running.app.services, running.app.tree.get()
    with services.sessions() as db:
        street = db.scalars(select(OrgNode).where(OrgNode.kind == NodeKind.STREET)).first()
        db.expunge_all()
    who = _officer(running, street.id)
    alert_id = alert_access.issue(services, tree, who, _form(street.id), "street").alert_id
    with services.sessions() as db:
        everyone = len(responsible_staff(db, street.path))
    size = alert_access.PENDING_PAGE_SIZE
    assert everyone > size  # more than one page

    first = alert_access.detail(services, tree, who, alert_id)
    second = alert_access.detail(services, tree, who, alert_id, page=1)
    beyond = alert_access.detail(services, tree, who, alert_id, page=99)

    assert first is not None and second is not None and beyond is not None
    assert first.pending_total == second.pending_total == everyone
    assert (first.page, first.pages, len(first.pending)) == (0, -(-everyone // size), size)
    assert (second.page, len(second.pending)) == (1, min(size, everyone - size))
    assert beyond.page == first.pages - 1  # clamped to the last page
    names = [p.name for p in first.pending] + [p.name for p in second.pending]
    assert len(names) == min(everyone, 2 * size)


def test_the_desk_list_masks_numbers_typed_into_incident_titles(running):
    from data.incidents.intake import report

    a, _b = two_communities(running.app.services.sessions)
    who = _officer(running, a.id)
    services, tree = running.app.services, running.app.tree.get()
    with services.sessions() as db:
        grid = db.scalars(
            select(OrgNode)
            .where(OrgNode.kind == NodeKind.GRID, OrgNode.path.startswith(a.path))
            .order_by(OrgNode.id)
        ).first()
        db.expunge_all()
    with services.sessions.begin() as db:
        report(
            db,
            source="open311",
            category="civil_relief",
            title="井盖缺失 联系13812345678",
            node_id=grid.id,
            lat=grid.center_lat,
            lon=grid.center_lon,
            categories=services.categories,
        )

    listed = alert_access.pending_incidents(services, tree, who)

    assert listed is not None
    assert [item["title"] for item in listed["items"]] == ["井盖缺失 联系138****5678"]


def test_a_crafted_confirmation_outside_the_scope_sends_nothing(running):
    """确认 sends what the page holds as the pending change; a request that swaps in
    another area's alert or area is refused as ``change``/``issue`` refuse it."""
    a, b = two_communities(running.app.services.sessions)
    services, tree = running.app.services, running.app.tree.get()
    officer_b = _officer(running, b.id)
    in_b = alert_access.issue(services, tree, officer_b, _form(b.id), "tok-b").alert_id
    username, password = make_user(services.sessions, Role.DUTY_OFFICER, a.id)
    http = login(running.url, username, password)
    key = key_of(running.app.dash, f"{ids.ALERTS_ISSUE_TOKEN}.data")  # the 确认 callback
    before = _counts(running)

    def confirm(pending: dict) -> str:
        answer = post(
            http,
            running.url,
            key,
            _parse_outputs(key),
            [{"id": ids.ALERTS_CONFIRM_OK, "property": "n_clicks", "value": 1}],
            [
                {"id": ids.ALERTS_PENDING_CHANGE, "property": "data", "value": pending},
                {"id": ids.ALERTS_REFRESH, "property": "data", "value": 0},
            ],
            f"{ids.ALERTS_CONFIRM_OK}.n_clicks",
        )
        assert answer.status_code == 200, answer.text
        return answer.text

    lift = confirm({"action": "lift", "alert_id": in_b, "token": "crafted-1"})
    issue = confirm({"action": "issue", "form": {**_form(b.id).__dict__}, "token": "crafted-2"})

    assert alert_access.NOT_FOUND in lift
    assert "所选区域不在您的管辖范围内" in issue
    assert _counts(running) == before
    with services.sessions() as db:
        assert db.get(Alert, in_b).state.value == "active"
