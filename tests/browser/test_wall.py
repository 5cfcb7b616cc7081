"""The video wall as an operator sees it: markers appear and move by push."""

from __future__ import annotations

import time

import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select

from dashboard.cli.devices import add
from data.db import make_engine, make_sessionmaker
from data.models import OrgNode, Role, Staff
from tests.support.browser import LiveServer, login_in_browser, screenshot


def _register(server: LiveServer, identifier: str) -> tuple[str, int, OrgNode]:
    engine = make_engine(server.settings.resolved_database_url())
    with make_sessionmaker(engine)() as session:
        staff = session.scalars(select(Staff).order_by(Staff.id)).first()
        grid = session.get(OrgNode, staff.node_id)
        staff_id = staff.id
    engine.dispose()
    lines = list(add(server.settings, identifier, staff_id))
    token = lines[-1].rsplit(" ", 1)[-1]
    return token, staff_id, grid


def _post_fix(server: LiveServer, token: str, lat: float, lon: float) -> None:
    response = requests.post(
        f"{server.url}/api/v1/positions",
        json={"fixes": [{"lat": lat, "lon": lon, "ts": time.time(), "battery": 77}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text


def _settled_box(page: Page, marker, away_from: dict | None = None, timeout_s: float = 8.0):
    """The marker's box once the map has stopped moving (fitBounds may animate)."""
    deadline = time.time() + timeout_s
    previous = None
    while time.time() < deadline:
        box = marker.bounding_box()
        moved_enough = away_from is None or (
            box is not None and abs(box["y"] - away_from["y"]) + abs(box["x"] - away_from["x"]) > 3
        )
        if box is not None and box == previous and moved_enough:
            return box
        previous = box
        page.wait_for_timeout(250)
    raise AssertionError(f"marker did not settle: last box {previous}")


def test_wall_shows_a_fix_and_moves_the_marker(live_server: LiveServer, wall_page: Page):
    token, staff_id, grid = _register(live_server, "wall-1")
    lat, lon = grid.center_lat, grid.center_lon
    page = wall_page
    page.goto(f"{live_server.url}/wall")
    expect(page.locator(".gw-title")).to_have_text("网格化社会管理指挥中心")
    expect(page.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)
    expect(page.locator("#kpi-total")).not_to_have_text("0", timeout=15_000)
    expect(page.locator("#kpi-online")).to_have_text("0")

    _post_fix(live_server, token, lat, lon)
    marker = page.locator(f".gw-staff-{staff_id}")
    expect(marker).to_have_count(1, timeout=5_000)
    expect(page.locator("#kpi-online")).to_have_text("1")
    first = _settled_box(page, marker)
    assert 0 < first["y"] < 1080 and 0 < first["x"] < 1920, "marker not on the visible map"

    _post_fix(live_server, token, lat + 0.002, lon + 0.002)  # ~250 m north-east
    moved = _settled_box(page, marker, away_from=first)
    assert moved["y"] < first["y"] and moved["x"] > first["x"]  # north-east on screen
    screenshot(page, "wall-1920x1080")


def test_wall_focus_on_a_community_via_the_pickers(live_server: LiveServer, wall_page: Page):
    page = wall_page
    page.goto(f"{live_server.url}/wall")
    expect(page.locator("#wall-children .gw-child")).not_to_have_count(0, timeout=15_000)
    first_child = page.locator("#wall-children .gw-child-name").first.inner_text()
    page.locator("#wall-pick-street").click()
    page.get_by_role("option").first.click()
    expect(page.locator("#wall-title")).to_contain_text(" · ", timeout=10_000)
    page.locator("#wall-pick-community").click()
    community = page.get_by_role("option").first
    name = community.inner_text()
    community.click()
    expect(page.locator("#wall-title")).to_contain_text(name, timeout=10_000)
    expect(page.locator("#wall-children .gw-child-name").first).to_contain_text("网格")
    assert first_child


def test_wall_at_tablet_size(live_server: LiveServer, browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    page = context.new_page()
    login_in_browser(page, live_server, Role.LEADER)
    expect(page.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)
    screenshot(page, "wall-tablet-1024x768")
    context.close()


def test_snapshot_and_push_in_the_same_cycle_both_apply(live_server: LiveServer, wall_page: Page):
    """A push arriving while the focus loads must not hide the snapshot's markers."""
    page = wall_page
    page.goto(f"{live_server.url}/wall")
    expect(page.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)
    result = page.evaluate(
        """() => {
        const gw = window.dash_clientside.gw;
        window.dash_clientside.callback_context = {triggered: [
            {prop_id: "wall-socket.data-pos"}, {prop_id: "wall-snapshot.data"}]};
        const snapshot = {focus: 999, total: 3, children: [], child_of_grid: {},
            staff: [[1, 34.7, 113.6, 100, "online", 90, "甲", "网格员", 5],
                    [2, 34.71, 113.61, 100, "offline", 50, "乙", "网格员", 5]]};
        const delta = {t: 200, d: [[3, 34.72, 113.62, 200, "online", 80, "丙", "网格员", 5]]};
        const out = gw.mergeStaff(snapshot, delta);
        return {features: out[0].features.length, online: out[1], total: out[2]};
    }"""
    )
    assert result == {"features": 3, "online": "2", "total": "3"}


def test_a_reported_incident_appears_on_the_wall_without_reloading(
    live_server: LiveServer, wall_page: Page
):
    token, _staff_id, grid = _register(live_server, "wall-inc-1")
    page = wall_page
    page.goto(f"{live_server.url}/wall")
    expect(page.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)
    expect(page.locator("#wall-ticker")).to_contain_text("暂无事件")
    answer = requests.post(
        f"{live_server.url}/api/v1/events",
        json={
            "category": "fire_safety",
            "title": "楼道堆物堵塞消防通道",
            "lat": grid.center_lat,
            "lon": grid.center_lon,
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.text
    tracking = answer.json()["tracking_no"]
    expect(page.locator("#wall-ticker")).to_contain_text(
        "消防安全 · 楼道堆物堵塞消防通道", timeout=10_000
    )
    expect(page.locator("#wall-ticker .gw-tick-state").first).to_have_text("待受理")
    expect(page.locator(".gw-incident")).to_have_count(1)
    screenshot(page, "wall-incident-1920x1080")
    assert tracking.startswith("GW")
