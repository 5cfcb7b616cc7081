"""/sms in Chromium, as a duty officer uses it: a template, a text to a group and a person,
its progress in 已发短信, 备案, the statistics chart and the log; then on a tablet.

The server is a real `gridwatch serve` with its SMS sender on the outbox gateway, so
the texts really move from 待发送 to 已发送 while the page watches.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.db import make_engine, make_sessionmaker
from data.incidents.actors import Actor
from data.models import (
    AuditLog,
    Delivery,
    DeliveryState,
    NodeKind,
    OrgNode,
    Role,
    SmsBatch,
    SmsFolder,
    Staff,
)
from data.sms import groups, templates
from tests.support.browser import LiveServer, login_in_browser, screenshot, settled_box


@contextmanager
def _db(server: LiveServer) -> Iterator[Session]:
    engine = make_engine(server.settings.resolved_database_url())
    try:
        with make_sessionmaker(engine).begin() as db:
            yield db
    finally:
        engine.dispose()


def _community_with_group(server: LiveServer) -> tuple[int, str, Staff]:
    """Community A, a 4-person group made by a colleague of A, and one more person of A."""
    with _db(server) as db:
        community = db.scalar(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        )
        assert community is not None
        people = db.scalars(
            select(Staff)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(OrgNode.path.startswith(community.path), Staff.active.is_(True))
            .order_by(Staff.id)
            .limit(5)
        ).all()
        colleague = Actor(role="duty_officer", name="同事", scope_path=community.path, user_id=None)
        groups.create_group(
            db, colleague, "防汛值守组", [s.id for s in people[:4]], dt.datetime.now(dt.UTC)
        )
        extra = people[4]
        db.expunge(extra)
        return community.id, community.path, extra


def _open(browser: Browser, server: LiveServer, size: tuple[int, int], node_id: int):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    login_in_browser(page, server, Role.DUTY_OFFICER, node_id)
    page.goto(f"{server.url}/sms")
    expect(page.locator(".gw-nav-active")).to_have_text("短信", timeout=15_000)
    expect(page.locator("#sms-panel-compose")).to_be_visible()
    return context, page


def _tab(page: Page, label: str) -> None:
    page.locator("#sms-tabs").get_by_text(label, exact=True).click()


def _pick(page: Page, dropdown_id: str, text: str, search: str | None = None) -> None:
    page.locator(f"#{dropdown_id}").click()
    page.get_by_placeholder("搜索").fill(search or text)
    menu = page.locator("[data-radix-popper-content-wrapper]")
    menu.get_by_role("option", name=re.compile(re.escape(text))).first.click()
    page.keyboard.press("Escape")


def test_compose_to_a_group_file_it_and_see_the_chart(live_server: LiveServer, browser: Browser):
    community_id, _path, extra = _community_with_group(live_server)
    context, page = _open(browser, live_server, (1920, 1080), community_id)

    # a template first, so the text can come from it
    _tab(page, "短信模板")
    expect(page.locator("#sms-tpl-table")).to_contain_text("暂无短信模板")
    page.fill("#sms-tpl-name", "防汛提醒")
    page.fill("#sms-tpl-text", "今晚有强降雨，请 20:00 前到岗值守，并检查辖区低洼地段。")
    page.click("#sms-tpl-save")
    expect(page.locator("#sms-tpl-msg")).to_contain_text("模板「防汛提醒」已新建")
    expect(page.locator("#sms-tpl-table")).to_contain_text("防汛提醒")
    screenshot(page, "sms-templates-1920x1080")

    _tab(page, "发送短信")
    _pick(page, "sms-groups", "防汛值守组")
    _pick(page, "sms-staff", extra.name)
    expect(page.locator("#sms-preview")).to_have_text("将发送给 5 人", timeout=5_000)
    _pick(page, "sms-template", "防汛提醒")
    expect(page.locator("#sms-text")).to_have_value(re.compile("今晚有强降雨"))
    expect(page.locator("#sms-counter")).to_contain_text("/ 500 字 · 每人 1 条短信")
    screenshot(page, "sms-compose-1920x1080")

    page.click("#sms-send")
    expect(page.locator("#sms-send-msg")).to_contain_text("已提交发送 5 人", timeout=8_000)
    expect(page.locator("#sms-text")).to_have_value("")  # the form is cleared for the next one
    with _db(live_server) as db:
        batch = db.scalars(select(SmsBatch)).one()
        batch_id = batch.id
        assert batch.recipient_count == 5 and batch.folder == SmsFolder.SENT

    _tab(page, "已发短信")
    row = page.locator(f'#sms-folder-table tr[data-batch="{batch_id}"]')
    expect(row).to_contain_text("5 人", timeout=8_000)
    expect(row).to_contain_text("已发送 5", timeout=15_000)  # the server's sender, refreshed
    screenshot(page, "sms-sent-1920x1080")

    row.get_by_role("button", name="备案").click()
    expect(page.locator("#sms-folder-msg")).to_contain_text("已移入备案短信", timeout=5_000)
    expect(row).to_have_count(0)
    _tab(page, "备案短信")
    expect(page.locator(f'#sms-folder-table tr[data-batch="{batch_id}"]')).to_contain_text(
        "强降雨", timeout=5_000
    )
    screenshot(page, "sms-filed-1920x1080")

    _tab(page, "发送统计")
    graph = page.locator("#sms-stats-graph")
    expect(graph.locator(".js-plotly-plot .bars path").filter(visible=True).first).to_be_visible(
        timeout=10_000
    )
    expect(page.locator("#sms-stats-totals")).to_contain_text("合计")
    expect(page.locator("#sms-stats-totals")).to_contain_text("5")
    screenshot(page, "sms-stats-1920x1080")

    _tab(page, "短信日志")
    expect(page.locator("#sms-log-table tbody tr")).to_have_count(5, timeout=5_000)
    expect(page.locator("#sms-log-table")).to_contain_text("手工")
    screenshot(page, "sms-log-1920x1080")

    # a provider that gave up on one text: the log shows it in red with the error, 重发 queues it
    with _db(live_server) as db:
        failed = db.scalars(select(Delivery).order_by(Delivery.id)).first()
        assert failed is not None
        failed.state, failed.last_error, failed.attempts = DeliveryState.FAILED, "HTTP 503", 5
        failed_id = failed.id
    _pick(page, "sms-log-state", "发送失败")
    bad = page.locator(f'#sms-log-table tr[data-delivery="{failed_id}"]')
    expect(bad).to_contain_text("HTTP 503", timeout=8_000)
    expect(bad).to_have_class(re.compile("gw-sms-row-failed"))
    expect(page.locator("#sms-log-table tbody tr")).to_have_count(1)
    screenshot(page, "sms-log-failed-1920x1080")
    bad.get_by_role("button", name="重发").click()
    expect(page.locator("#sms-log-msg")).to_contain_text("已重新排队", timeout=5_000)

    with _db(live_server) as db:
        actions = set(db.scalars(select(AuditLog.action).where(AuditLog.action.like("sms_%"))))
    assert {"sms_template_add", "sms_send", "sms_file", "sms_resend"} <= actions
    context.close()


def test_the_sms_page_on_a_tablet(live_server: LiveServer, browser: Browser):
    community_id, _path, _extra = _community_with_group(live_server)
    context, page = _open(browser, live_server, (1024, 768), community_id)
    box = settled_box(page, "#sms-tabs")
    assert box["x"] + box["width"] <= 1024
    _pick(page, "sms-groups", "防汛值守组")
    page.fill("#sms-text", "测试：" + "字" * 80)
    expect(page.locator("#sms-counter")).to_contain_text("每人 2 条短信")
    screenshot(page, "sms-compose-1024x768")
    page.click("#sms-send")
    expect(page.locator("#sms-send-msg")).to_contain_text("已提交发送 4 人", timeout=8_000)

    _tab(page, "已发短信")
    width = settled_box(page, "#sms-folder-table table")
    assert width["x"] + width["width"] <= 1024
    screenshot(page, "sms-sent-1024x768")
    _tab(page, "发送统计")
    expect(
        page.locator("#sms-stats-graph .js-plotly-plot .bars path").filter(visible=True).first
    ).to_be_visible(timeout=10_000)
    screenshot(page, "sms-stats-1024x768")
    _tab(page, "用户分组")
    expect(page.locator("#sms-grp-table")).to_contain_text("防汛值守组")
    screenshot(page, "sms-groups-1024x768")
    _close(context)


def test_the_citys_template_is_there_to_use_not_to_change(
    live_server: LiveServer, browser: Browser
):
    community_id, _path, _extra = _community_with_group(live_server)
    with _db(live_server) as db:
        root = db.scalar(select(OrgNode).where(OrgNode.parent_id.is_(None)))
        assert root is not None
        city = templates.create_template(
            db,
            root.path,
            "全市防汛",
            "全市启动防汛四级应急响应。",
            "市值班员",
            dt.datetime.now(dt.UTC),
        )
        city_id, city_name = city.id, root.name
    context, page = _open(browser, live_server, (1920, 1080), community_id)
    _tab(page, "短信模板")
    page.fill("#sms-tpl-name", "社区防汛")
    page.fill("#sms-tpl-text", "请今晚到岗值守。")
    page.click("#sms-tpl-save")
    expect(page.locator("#sms-tpl-msg")).to_contain_text("模板「社区防汛」已新建")
    theirs = page.locator(f'#sms-tpl-table tr[data-template="{city_id}"]')
    expect(theirs).to_contain_text(city_name)
    expect(theirs).to_contain_text("上级模板（只读）")
    expect(theirs.get_by_role("button")).to_have_count(0)
    mine = page.locator("#sms-tpl-table tr", has_text="社区防汛")
    expect(mine.get_by_role("button", name="编辑")).to_be_visible()
    screenshot(page, "sms-templates-owners-1920x1080")

    _tab(page, "发送短信")
    _pick(page, "sms-template", f"全市防汛（{city_name}）", search="全市防汛")
    expect(page.locator("#sms-text")).to_have_value("全市启动防汛四级应急响应。")
    _close(context)


def _close(context: BrowserContext) -> None:
    context.close()
