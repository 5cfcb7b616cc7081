"""/sms through its real callbacks: scope, idempotent sending, folders, log, statistics.

Two sibling communities (A and B) of the seeded small city; a duty officer of A
names B's staff, groups and batches the way a crafted request would. Calls go to
/_dash-update-component exactly as the browser sends them.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from data.incidents.actors import Actor
from data.models import (
    AuditLog,
    Delivery,
    DeliveryState,
    OrgNode,
    Role,
    SmsBatch,
    SmsFolder,
    SmsGroup,
    SmsSource,
    SmsTemplate,
    Staff,
    User,
)
from data.sms.compose import compose
from data.sms.gateways import HttpGateway
from layouts import ids
from streams.sms_sender import SenderConfig, SmsSender
from tests.support.accounts import login, make_user
from tests.support.city import two_communities
from tests.support.dash_patterns import DashAnswer, key_of, post, prop_id


def _staff(running, path: str, n: int) -> list[Staff]:
    with running.app.services.sessions() as db:
        rows = db.scalars(
            select(Staff)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(OrgNode.path.startswith(path), Staff.active.is_(True))
            .order_by(Staff.id)
            .limit(n)
        ).all()
        for row in rows:
            db.expunge(row)
        return list(rows)


def _user(running, role: Role, node: OrgNode) -> tuple[Any, int]:
    username, password = make_user(running.app.services.sessions, role, node.id)
    with running.app.services.sessions() as db:
        user_id = db.scalar(select(User.id).where(User.username == username))
    assert user_id is not None
    return login(running.url, username, password), user_id


def _outputs(key: str) -> Any:
    parts = [p for p in key.strip(".").split("...") if p] if key.startswith("..") else [key]
    outs = []
    for part in parts:
        component, prop = part.rsplit(".", 1)
        if "@" in prop:
            prop = prop.split("@", 1)[0]
        ident: Any = json.loads(component) if component.startswith("{") else component
        outs.append({"id": ident, "property": prop})
    return outs if len(outs) > 1 else outs[0]


def _value(component: Any, prop: str, value: Any) -> dict:
    return {"id": component, "property": prop, "value": value}


def _page(http, running) -> DashAnswer:
    key = key_of(running.app.dash, f"{ids.PAGE}.children")
    inputs = [_value(ids.URL, "pathname", "/sms"), _value(ids.URL, "search", "")]
    return post(http, running.url, key, _outputs(key), inputs, changed=f"{ids.URL}.pathname")


def _send(http, running, text: str, staff: list[int], groups: list[int], token: str) -> DashAnswer:
    key = key_of(running.app.dash, f"{ids.SMS_SEND_MSG}.children")
    return post(
        http,
        running.url,
        key,
        _outputs(key),
        [_value(ids.SMS_SEND, "n_clicks", 1)],
        [
            _value(ids.SMS_TEXT, "value", text),
            _value(ids.SMS_STAFF, "value", staff),
            _value(ids.SMS_GROUPS, "value", groups),
            _value(ids.SMS_TOKEN, "data", token),
        ],
        changed=f"{ids.SMS_SEND}.n_clicks",
    )


def _preview(http, running, staff: list[int]) -> DashAnswer:
    key = key_of(running.app.dash, f"{ids.SMS_PREVIEW}.children")
    return post(
        http,
        running.url,
        key,
        _outputs(key),
        [_value(ids.SMS_STAFF, "value", staff), _value(ids.SMS_GROUPS, "value", [])],
        changed=f"{ids.SMS_STAFF}.value",
    )


def _search(http, running, words: str, chosen: list[int]) -> DashAnswer:
    key = key_of(running.app.dash, f"{ids.SMS_STAFF}.options")
    return post(
        http,
        running.url,
        key,
        _outputs(key),
        [_value(ids.SMS_STAFF, "search_value", words)],
        [_value(ids.SMS_STAFF, "value", chosen)],
        changed=f"{ids.SMS_STAFF}.search_value",
    )


def _folder(http, running, tab: str, move: tuple[int, str] | None = None) -> DashAnswer:
    key = key_of(running.app.dash, f"{ids.SMS_FOLDER_TABLE}.children")
    buttons = []
    changed = f"{ids.SMS_TABS}.value"
    if move is not None:
        button = {"type": ids.SMS_MOVE, "bid": move[0], "action": move[1]}
        buttons = [_value(button, "n_clicks", 1)]
        changed = prop_id(button, "n_clicks")
    inputs = [
        _value(ids.SMS_TABS, "value", tab),
        _value(ids.SMS_TICK, "n_intervals", 1),
        _value(ids.SMS_FOLDER_PREV, "n_clicks", None),
        _value(ids.SMS_FOLDER_NEXT, "n_clicks", None),
        buttons,
    ]
    state = [_value(ids.SMS_FOLDER_PAGE, "data", 0)]
    return post(http, running.url, key, _outputs(key), inputs, state, changed=changed)


def _log(http, running, states: list[str], resend: int | None = None) -> DashAnswer:
    key = key_of(running.app.dash, f"{ids.SMS_LOG_TABLE}.children")
    buttons = []
    changed = f"{ids.SMS_LOG_STATE}.value"
    if resend is not None:
        button = {"type": ids.SMS_RESEND, "did": resend}
        buttons = [_value(button, "n_clicks", 1)]
        changed = prop_id(button, "n_clicks")
    inputs = [
        _value(ids.SMS_TABS, "value", "logs"),
        _value(ids.SMS_LOG_STATE, "value", states),
        _value(ids.SMS_LOG_SOURCE, "value", None),
        _value(ids.SMS_LOG_PREV, "n_clicks", None),
        _value(ids.SMS_LOG_NEXT, "n_clicks", None),
        _value(ids.SMS_TICK, "n_intervals", 1),
        buttons,
    ]
    state = [_value(ids.SMS_LOG_PAGE, "data", 0)]
    return post(http, running.url, key, _outputs(key), inputs, state, changed=changed)


def _audit(running, action: str) -> list[AuditLog]:
    with running.app.services.sessions() as db:
        return list(db.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_the_page_opens_for_leaders_and_duty_officers_only(running):
    a, _ = two_communities(running.app.services.sessions)
    for role in (Role.DUTY_OFFICER, Role.LEADER):
        http, _ = _user(running, role, a)
        page = _page(http, running)
        assert page.status_code == 200
        for tab in ("发送短信", "已发短信", "备案短信", "已删除短信", "短信模板", "用户分组"):
            assert tab in page.text
        assert "发送统计" in page.text and "短信日志" in page.text
    for role in (Role.GRID_STAFF, Role.ADMIN, Role.WALL):
        http, _ = _user(running, role, a)
        assert "无权访问此页面" in _page(http, running).text


def test_sending_stays_in_scope_and_happens_once(running, caplog):
    a, b = two_communities(running.app.services.sessions)
    mine, theirs = _staff(running, a.path, 2), _staff(running, b.path, 1)
    http, _ = _user(running, Role.DUTY_OFFICER, a)

    preview = _preview(http, running, [mine[0].id, theirs[0].id])
    refused = _send(http, running, "通知", [mine[0].id, theirs[0].id], [], "tok-refused1")
    for answer in (preview, refused):  # a count, never a name from beyond the scope
        assert answer.status_code == 200
        assert "有 1 人不存在或不在您的管辖范围内" in answer.text
        assert theirs[0].name not in answer.text and f"#{theirs[0].id}" not in answer.text
    denied = _audit(running, "sms_send")
    assert [row.outcome for row in denied] == ["denied"]
    assert theirs[0].name not in str(denied[0].detail)
    assert any("outside node" in r.getMessage() for r in caplog.records)

    ok = _send(http, running, "今晚 8 点例会", [s.id for s in mine], [], "tok-once-0001")
    again = _send(http, running, "今晚 8 点例会", [s.id for s in mine], [], "tok-once-0001")
    assert "已提交发送 2 人" in ok.text and "gw-msg-ok" in ok.text
    assert "重复提交已忽略" in again.text
    with running.app.services.sessions() as db:
        assert db.scalar(select(func.count(SmsBatch.id))) == 1
        assert db.scalar(select(func.count(Delivery.id)).where(Delivery.alert_id.is_(None))) == 2
    sent = [row for row in _audit(running, "sms_send") if row.outcome == "ok"]
    assert len(sent) == 1 and sent[0].detail["recipients"] == 2

    empty = _send(http, running, "   ", [mine[0].id], [], "tok-empty-01")
    assert "短信内容不能为空" in empty.text
    long = _send(http, running, "字" * 501, [mine[0].id], [], "tok-long-001")
    assert "短信内容超过 500 字（当前 501 字）" in long.text


def test_the_staff_search_lists_only_the_scope(running):
    a, b = two_communities(running.app.services.sessions)
    mine, theirs = _staff(running, a.path, 1)[0], _staff(running, b.path, 1)[0]
    http, _ = _user(running, Role.DUTY_OFFICER, a)
    found = _search(http, running, mine.name, [])
    assert f'"value": {mine.id}' in found.text and "·" in found.text
    crafted = _search(http, running, theirs.name, [theirs.id])
    assert f'"value": {theirs.id}' not in crafted.text


def test_folder_moves_stay_in_scope_and_are_audited(running):
    a, b = two_communities(running.app.services.sessions)
    with running.app.services.sessions.begin() as db:
        theirs = compose(
            db,
            Actor(role="duty_officer", name="乙值班员", scope_path=b.path, user_id=999),
            text="乙社区通知",
            staff_ids=[s.id for s in _staff(running, b.path, 1)],
            client_token="b-batch-0001",
            now=dt.datetime.now(dt.UTC),
        ).batch_id
    http, _ = _user(running, Role.DUTY_OFFICER, a)
    ok = _send(
        http, running, "甲社区通知", [s.id for s in _staff(running, a.path, 2)], [], "a-b1-0001"
    )
    assert "已提交发送" in ok.text
    with running.app.services.sessions() as db:
        mine = db.scalar(select(SmsBatch.id).where(SmsBatch.text == "甲社区通知"))

    listed = _folder(http, running, "sent")
    assert "甲社区通知" in listed.text and "乙社区通知" not in listed.text
    crafted = _folder(http, running, "sent", (theirs, "delete"))
    assert "不存在或不在您的管辖范围内" in crafted.text
    filed = _folder(http, running, "sent", (mine, "file"))
    assert "已移入备案短信" in filed.text and "甲社区通知" not in filed.text
    assert "甲社区通知" in _folder(http, running, "filed").text
    with running.app.services.sessions() as db:
        assert db.get_one(SmsBatch, theirs).folder == SmsFolder.SENT
        assert db.get_one(SmsBatch, mine).folder == SmsFolder.FILED
    assert [row.target_id for row in _audit(running, "sms_file")] == [str(mine)]


@pytest.mark.parametrize("running", [{"run_workers": False}], indirect=True)
def test_a_failing_gateway_shows_in_the_log_and_can_be_resent(running, failing):
    """The server's own sender is off; this one talks to a provider that answers 500."""
    a, _ = two_communities(running.app.services.sessions)
    person = _staff(running, a.path, 1)[0]
    http, _ = _user(running, Role.DUTY_OFFICER, a)
    assert (
        "已提交发送 1 人" in _send(http, running, "防汛值守", [person.id], [], "tok-fail-001").text
    )
    gateway = HttpGateway(url_template=f"http://127.0.0.1:{failing.port}/send", timeout_s=5)
    config = SenderConfig(
        rate_per_s=10_000, burst=10_000, max_attempts=3, base_backoff_s=0.05, max_backoff_s=1
    )
    sender = SmsSender(
        running.app.services.sessions, gateway, running.app.services.redis, config=config
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        sender.run_once()
        with running.app.services.sessions() as db:
            state = db.scalar(select(Delivery.state).where(Delivery.staff_id == person.id))
        if state == DeliveryState.FAILED:
            break
        time.sleep(0.05)
    assert state == DeliveryState.FAILED and failing.calls == 3

    shown = _log(http, running, ["failed"])
    assert shown.status_code == 200
    assert "HTTP 500" in shown.text and "发送失败" in shown.text and person.name in shown.text
    assert "gw-sms-row-failed" in shown.text and "重发" in shown.text
    assert person.phone not in shown.text and person.phone[-4:] in shown.text  # masked
    with running.app.services.sessions() as db:
        delivery_id = db.scalar(select(Delivery.id).where(Delivery.staff_id == person.id))
    resent = _log(http, running, ["failed"], resend=delivery_id)
    assert "已重新排队" in resent.text and "没有符合条件的短信记录" in resent.text
    assert [row.target_id for row in _audit(running, "sms_resend")] == [str(delivery_id)]
    with running.app.services.sessions() as db:
        row = db.get(Delivery, delivery_id)
        assert row is not None and (row.state, row.attempts) == (DeliveryState.QUEUED, 0)


def test_statistics_and_groups_through_the_page(running):
    a, b = two_communities(running.app.services.sessions)
    mine, theirs = _staff(running, a.path, 3), _staff(running, b.path, 1)
    http, _ = _user(running, Role.DUTY_OFFICER, a)
    dash = running.app.dash

    key = key_of(dash, f"{ids.SMS_GRP_TABLE}.children")
    inputs = [
        _value(ids.SMS_GRP_SAVE, "n_clicks", 1),
        _value(ids.SMS_GRP_NEW, "n_clicks", None),
        [],
        [],
    ]

    def save(name: str, members: list[int]) -> DashAnswer:
        state = [
            _value(ids.SMS_GRP_NAME, "value", name),
            _value(ids.SMS_GRP_MEMBERS, "value", members),
            _value(ids.SMS_GRP_EDITING, "data", None),
        ]
        return post(
            http, running.url, key, _outputs(key), inputs, state, f"{ids.SMS_GRP_SAVE}.n_clicks"
        )

    outside = save("越界组", [mine[0].id, theirs[0].id])
    assert "有 1 人不存在或不在您的管辖范围内" in outside.text
    assert theirs[0].name not in outside.text
    made = save("值守组", [s.id for s in mine])
    assert "分组「值守组」已新建（3 人）" in made.text
    with running.app.services.sessions() as db:
        group_id = db.scalar(select(SmsGroup.id).where(SmsGroup.name == "值守组"))
    assert "已提交发送 3 人" in _send(http, running, "组发", [], [group_id], "tok-group-01").text
    assert [row.detail["members"] for row in _audit(running, "sms_group_add")] == [3]
    assert [row.detail["groups"] for row in _audit(running, "sms_send")] == [[group_id]]

    key = key_of(dash, f"{ids.SMS_STATS_GRAPH}.figure")
    inputs = [
        _value(ids.SMS_TABS, "value", "stats"),
        _value(ids.SMS_STATS_SOURCE, "value", "all"),
        _value(ids.SMS_STATS_DAYS, "value", 30),
        _value(ids.SMS_TICK, "n_intervals", 1),
    ]
    stats = post(http, running.url, key, _outputs(key), inputs, changed=f"{ids.SMS_TABS}.value")
    assert stats.status_code == 200 and '"barmode": "stack"' in stats.text
    assert "合计" in stats.text and "发送成功" in stats.text
    inputs[1] = _value(ids.SMS_STATS_SOURCE, "value", SmsSource.ALERT.value)
    alerts = post(
        http, running.url, key, _outputs(key), inputs, changed=f"{ids.SMS_STATS_SOURCE}.value"
    )
    assert "近 30 天管辖范围内没有短信记录" in alerts.text


def test_templates_are_saved_edited_and_deleted_on_record(running):
    a, _ = two_communities(running.app.services.sessions)
    http, _ = _user(running, Role.LEADER, a)
    key = key_of(running.app.dash, f"{ids.SMS_TPL_TABLE}.children")

    def act(button: Any, changed: str, name: str, text: str, editing: int | None) -> DashAnswer:
        edits, deletes = [], []
        save = _value(ids.SMS_TPL_SAVE, "n_clicks", None)
        if button == "save":
            save = _value(ids.SMS_TPL_SAVE, "n_clicks", 1)
        elif button[0] == "edit":
            edits = [_value({"type": ids.SMS_TPL_EDIT, "tid": button[1]}, "n_clicks", 1)]
        else:
            deletes = [_value({"type": ids.SMS_TPL_DELETE, "tid": button[1]}, "submit_n_clicks", 1)]
        inputs = [save, _value(ids.SMS_TPL_NEW, "n_clicks", None), edits, deletes]
        state = [
            _value(ids.SMS_TPL_NAME, "value", name),
            _value(ids.SMS_TPL_TEXT, "value", text),
            _value(ids.SMS_TPL_EDITING, "data", editing),
        ]
        return post(http, running.url, key, _outputs(key), inputs, state, changed)

    save = f"{ids.SMS_TPL_SAVE}.n_clicks"
    made = act("save", save, "高温提醒", "今日高温，请注意防暑。", None)
    assert "模板「高温提醒」已新建" in made.text
    assert f'"label": "高温提醒（{a.name}）"' in made.text  # the picker names the owner
    with running.app.services.sessions() as db:
        template_id = db.scalar(select(SmsTemplate.id).where(SmsTemplate.name == "高温提醒"))
    assert template_id is not None
    twice = act("save", save, "高温提醒", "再来一次", None)
    assert "已有名为「高温提醒」的模板" in twice.text

    edit_button = {"type": ids.SMS_TPL_EDIT, "tid": template_id}
    opened = act(("edit", template_id), prop_id(edit_button, "n_clicks"), "", "", None)
    assert "编辑模板「高温提醒」" in opened.text and "今日高温" in opened.text
    edited = act("save", save, "高温橙色提醒", "今日最高 39℃。", template_id)
    assert "模板「高温橙色提醒」已保存" in edited.text

    delete_button = {"type": ids.SMS_TPL_DELETE, "tid": template_id}
    gone = act(("delete", template_id), prop_id(delete_button, "submit_n_clicks"), "", "", None)
    assert "模板「高温橙色提醒」已删除" in gone.text and "暂无短信模板" in gone.text
    actions = [row.action for row in _audit(running, "sms_template_add")]
    actions += [row.action for row in _audit(running, "sms_template_edit")]
    actions += [row.action for row in _audit(running, "sms_template_delete")]
    assert actions == ["sms_template_add", "sms_template_edit", "sms_template_delete"]


def _template_act(
    http, running, button: Any, name: str = "", text: str = "", editing: int | None = None
) -> DashAnswer:
    """Press 保存 ("save"), 编辑 (("edit", id)) or confirm 删除 (("delete", id)) on 短信模板."""
    key = key_of(running.app.dash, f"{ids.SMS_TPL_TABLE}.children")
    edits, deletes = [], []
    save = _value(ids.SMS_TPL_SAVE, "n_clicks", None)
    changed = f"{ids.SMS_TPL_SAVE}.n_clicks"
    if button == "save":
        save = _value(ids.SMS_TPL_SAVE, "n_clicks", 1)
    elif button[0] == "edit":
        target = {"type": ids.SMS_TPL_EDIT, "tid": button[1]}
        edits, changed = [_value(target, "n_clicks", 1)], prop_id(target, "n_clicks")
    else:
        target = {"type": ids.SMS_TPL_DELETE, "tid": button[1]}
        deletes = [_value(target, "submit_n_clicks", 1)]
        changed = prop_id(target, "submit_n_clicks")
    inputs = [save, _value(ids.SMS_TPL_NEW, "n_clicks", None), edits, deletes]
    state = [
        _value(ids.SMS_TPL_NAME, "value", name),
        _value(ids.SMS_TPL_TEXT, "value", text),
        _value(ids.SMS_TPL_EDITING, "data", editing),
    ]
    return post(http, running.url, key, _outputs(key), inputs, state, changed)


def _template_text(http, running, template_id: int) -> DashAnswer:
    key = f"{ids.SMS_TEXT}.value"  # the picker's own callback: it only fills the box
    assert key in running.app.dash.callback_map
    return post(
        http,
        running.url,
        key,
        _outputs(key),
        [_value(ids.SMS_TEMPLATE, "value", template_id)],
        changed=f"{ids.SMS_TEMPLATE}.value",
    )


def test_templates_belong_to_a_node_and_follow_the_scope(running):
    """Security finding 6: any duty officer could overwrite or delete city-wide templates."""
    a, b = two_communities(running.app.services.sessions)
    root = running.app.tree.get().root
    city, _ = _user(running, Role.LEADER, root)
    officer_a, _ = _user(running, Role.DUTY_OFFICER, a)
    officer_b, _ = _user(running, Role.DUTY_OFFICER, b)
    assert "模板「防汛通知」已新建" in _template_act(city, running, "save", "防汛通知", "全市").text
    mine = _template_act(officer_a, running, "save", "防汛通知", "甲社区防汛")  # same name
    assert "模板「防汛通知」已新建" in mine.text
    with running.app.services.sessions() as db:
        ids_by_text = dict(db.execute(select(SmsTemplate.text, SmsTemplate.id)).all())
        owners = dict(db.execute(select(SmsTemplate.text, SmsTemplate.scope_path)).all())
    city_id, mine_id = ids_by_text["全市"], ids_by_text["甲社区防汛"]
    assert owners == {"全市": root.path, "甲社区防汛": a.path}

    # community A sees the city's template, with its owner, to use and not to change
    table = mine.text
    assert root.name in table and a.name in table
    assert f'"tid": {city_id}' not in table and f'"tid": {mine_id}' in table
    assert "全市" in _template_text(officer_a, running, city_id).text
    for crafted in (
        _template_act(officer_a, running, ("edit", city_id)),
        _template_act(officer_a, running, "save", "防汛通知", "改掉全市的", editing=city_id),
        _template_act(officer_a, running, ("delete", city_id)),
    ):
        assert "上级单位的模板只能查看和使用，不能修改或删除" in crafted.text
    # community B does not even see A's
    assert "甲社区防汛" not in _template_text(officer_b, running, mine_id).text
    gone = _template_act(officer_b, running, ("delete", mine_id))
    assert "模板不存在或不在您的管辖范围内" in gone.text and "甲社区防汛" not in gone.text
    with running.app.services.sessions() as db:
        kept = dict(db.execute(select(SmsTemplate.id, SmsTemplate.text)).all())
    assert kept == {city_id: "全市", mine_id: "甲社区防汛"}
    # the city manages every template below it
    assert "已删除" in _template_act(city, running, ("delete", mine_id)).text
    refused = [r for r in _audit(running, "sms_template_delete") if r.outcome != "ok"]
    assert refused == []  # refusals change nothing, so there is nothing to audit
