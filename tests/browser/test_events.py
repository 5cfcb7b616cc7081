"""The duty desk's /events page: a new report appears by itself, then runs to 结案 from the page.

The grid staff's part (start and feedback) is what their terminal would send: here
``workflow.apply`` with a grid staff actor, between the duty officer's clicks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.cli.devices import add as add_device
from data.db import make_engine, make_sessionmaker
from data.incidents.categories import default_categories
from data.models import AuditLog, Incident, NodeKind, OrgNode, Role, Staff
from tests.support.browser import LiveServer, login_in_browser, screenshot, settled_box

STEPS = ["上报", "受理", "派遣", "开始处置", "处置反馈", "核查通过", "结案"]


@contextmanager
def _db(server: LiveServer) -> Iterator[Session]:
    engine = make_engine(server.settings.resolved_database_url())
    try:
        with make_sessionmaker(engine).begin() as db:
            yield db
    finally:
        engine.dispose()


def _community_and_staff(server: LiveServer) -> tuple[int, Staff, str]:
    """The first community, a staff member of one of its grids, and that grid's path."""
    with _db(server) as db:
        community = db.scalar(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        )
        assert community is not None
        staff = db.scalar(
            select(Staff)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(OrgNode.kind == NodeKind.GRID, OrgNode.path.startswith(community.path))
            .order_by(Staff.id)
        )
        assert staff is not None
        grid = db.get(OrgNode, staff.node_id)
        assert grid is not None
        db.expunge(staff)
        return community.id, staff, grid.path


def _file(server: LiveServer, node_id: int, title: str) -> tuple[int, str]:
    """A citizen files through the public Open311 API, as an app would."""
    with _db(server) as db:
        grid = db.get(OrgNode, node_id)
        assert grid is not None
        lat, lon = grid.center_lat, grid.center_lon
    posted = requests.post(
        f"{server.url}/open311/v2/requests.json",
        data={
            "service_code": next(iter(default_categories().categories)),
            "lat": lat,
            "long": lon,
            "description": f"{title}：东门人行道井盖缺失，夜间有安全隐患。",
            "first_name": "明",
            "last_name": "李",
            "phone": "13912345678",
        },
    )
    assert posted.status_code == 201, posted.text
    tracking = posted.json()[0]["service_request_id"]
    with _db(server) as db:
        incident_id = db.scalar(select(Incident.id).where(Incident.tracking_no == tracking))
    return incident_id, tracking


def _open(browser: Browser, server: LiveServer, size: tuple[int, int], node_id: int):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    login_in_browser(page, server, Role.DUTY_OFFICER, node_id)
    page.goto(f"{server.url}/events")
    expect(page.locator("#incidents-summary")).to_contain_text("共", timeout=15_000)
    return context, page


def _click_action(page: Page, label: str, done: str) -> None:
    page.locator("#incidents-buttons").get_by_role("button", name=label, exact=True).click()
    expect(page.locator("#incidents-act-msg")).to_contain_text(done, timeout=5_000)


def _reopen(page: Page, incident_id: int) -> None:
    page.locator(f'#incidents-table tr[data-incident="{incident_id}"]').click()


def test_a_report_appears_and_runs_to_closed(live_server: LiveServer, browser: Browser):
    community_id, staff, _grid_path = _community_and_staff(live_server)
    context, page = _open(browser, live_server, (1920, 1080), community_id)
    expect(page.locator(".gw-nav-active")).to_have_text("事件")

    incident_id, tracking = _file(live_server, staff.node_id, "东门井盖缺失")
    row = page.locator(f'#incidents-table tr[data-incident="{incident_id}"]')
    expect(row).to_be_visible(timeout=12_000)  # the interval refresh, no reload
    expect(row).to_contain_text("待受理")
    screenshot(page, "events-list-1920x1080")

    row.click()
    detail = page.locator("#incidents-detail")
    expect(detail).to_contain_text(tracking, timeout=5_000)
    expect(detail).to_contain_text("139****5678")  # the reporter's phone, masked
    assert "13912345678" not in page.locator("body").inner_text()
    _click_action(page, "受理", "已受理")

    expect(page.locator("#incidents-buttons")).to_contain_text("派遣", timeout=5_000)
    expect(page.locator("#incidents-target")).to_contain_text(
        "网格"
    )  # preset: the responsible grid
    _click_action(page, "派遣", "已派遣")
    expect(detail).to_contain_text("已派遣")

    # the grid staff's terminal, over the terminal API: start, then feedback
    lines = list(add_device(live_server.settings, f"ev-term-{staff.id}", staff.id))
    token = lines[-1].rsplit(" ", 1)[-1]
    feedback = f"{live_server.url}/api/v1/events/{tracking}/feedback"
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.post(feedback, json={"action": "start"}, headers=auth).status_code == 200
    handled = requests.post(
        feedback, json={"action": "handle", "note": "已更换井盖并拍照"}, headers=auth
    )
    assert handled.status_code == 200, handled.text
    # the open panel follows the terminal by itself (the list's 5 s refresh), no click
    expect(detail).to_contain_text("已更换井盖并拍照", timeout=12_000)
    expect(page.locator("#incidents-buttons")).to_contain_text("核查通过")

    _click_action(page, "核查通过", "已核查通过")
    _click_action(page, "结案", "已结案")
    steps = page.locator("#incidents-detail .gw-incidents-step strong")
    expect(steps).to_have_text(STEPS, timeout=5_000)
    expect(page.locator("#incidents-buttons button")).to_have_count(0)
    expect(row).to_contain_text("已办结", timeout=8_000)
    screenshot(page, "events-closed-1920x1080")
    context.close()


def test_the_events_page_on_a_tablet(live_server: LiveServer, browser: Browser):
    community_id, staff, _ = _community_and_staff(live_server)
    incident_id, tracking = _file(live_server, staff.node_id, "楼道堆放杂物")
    _file(live_server, staff.node_id, "楼道堆放杂物（重复）")
    context, page = _open(browser, live_server, (1024, 768), community_id)
    box = settled_box(page, "#incidents-table table")
    assert box["width"] <= 1024
    screenshot(page, "events-tablet-1024x768")

    _reopen(page, incident_id)
    panel = page.locator("#incidents-side")
    expect(panel).to_contain_text(tracking, timeout=5_000)
    expect(panel).to_contain_text("疑似重复")
    side = settled_box(page, "#incidents-side")
    assert side["x"] + side["width"] <= 1024
    screenshot(page, "events-tablet-detail-1024x768")
    panel.get_by_role("button", name="关闭").click()
    expect(panel).to_be_hidden()
    _close(context)


def test_numbers_in_the_text_are_masked_until_revealed_on_record(
    live_server: LiveServer, browser: Browser
):
    community_id, staff, _ = _community_and_staff(live_server)
    incident_id, _tracking = _file(live_server, staff.node_id, "请回电 138 1234 5678")
    context, page = _open(browser, live_server, (1920, 1080), community_id)
    _reopen(page, incident_id)
    detail = page.locator("#incidents-detail")
    expect(detail).to_contain_text("请回电 138 **** 5678", timeout=5_000)
    assert "138 1234 5678" not in detail.inner_text()

    detail.get_by_role("button", name="显示原文（留痕）").click()
    original = detail.locator(".gw-incidents-original-text")
    expect(original).to_contain_text("请回电 138 1234 5678", timeout=5_000)
    expect(original).to_contain_text("李 明 13912345678")  # the reporter, to call back
    expect(detail.get_by_role("button", name="已显示原文（已留痕）")).to_be_disabled()
    screenshot(page, "events-reveal-1920x1080")
    with _db(live_server) as db:
        rows = db.scalars(select(AuditLog).where(AuditLog.action == "incident_reveal")).all()
        assert [(r.target_id, r.outcome) for r in rows] == [(str(incident_id), "ok")]
    _close(context)


def _close(context: BrowserContext) -> None:
    context.close()
