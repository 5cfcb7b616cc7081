"""Two `gridwatch serve` processes on one Redis and one database, as behind a load
balancer: an alert issued on one reaches the walls open on both, and its lift too."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from data.models import Role
from tests.support.browser import LiveServer, login_in_browser
from tests.support.server_process import start_server, stop_server


@pytest.fixture
def second_server(
    live_server: LiveServer, redis_url: str, small_city_url: str, tmp_path: Path
) -> Iterator[LiveServer]:
    var = tmp_path / "second"
    var.mkdir()
    server = start_server(redis_url, small_city_url, var)
    yield server
    stop_server(server)


def _wall(browser: Browser, server: LiveServer) -> Page:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    login_in_browser(page, server, Role.WALL)
    expect(page.locator("#wall-alert-list")).to_contain_text("当前无生效预警", timeout=15_000)
    expect(page.locator("#wall-connection")).to_contain_text("实时连接", timeout=15_000)
    return page


def test_one_alert_reaches_walls_on_both_processes(
    live_server: LiveServer, second_server: LiveServer, browser: Browser
):
    walls = [_wall(browser, live_server), _wall(browser, second_server)]

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    duty = context.new_page()
    login_in_browser(duty, live_server, Role.DUTY_OFFICER)
    duty.goto(f"{live_server.url}/duty")
    duty.locator("#alerts-map path.leaflet-interactive").first.click(force=True)  # 金水区
    expect(duty.locator("#alerts-map-crumb")).to_contain_text("›", timeout=10_000)
    duty.locator("#alerts-level").get_by_text("黄色预警").click()
    duty.locator("#alerts-category").click()
    menu = duty.locator("[data-radix-popper-content-wrapper]")
    menu.get_by_role("option", name="气象灾害").click()
    duty.fill("#alerts-title", "大风黄色预警")
    duty.fill("#alerts-text", "请加固广告牌和临时设施。")
    duty.click("#alerts-issue")
    expect(duty.locator("#alerts-confirm")).to_contain_text("将短信通知", timeout=10_000)
    started = time.time()
    duty.click("#alerts-confirm-ok")
    expect(duty.locator("#alerts-issue-msg")).to_contain_text("已发布：黄色预警", timeout=10_000)

    for wall in walls:
        item = wall.locator("#wall-alert-list .gw-level-yellow")
        expect(item).to_contain_text("大风黄色预警", timeout=5_000)
        expect(wall.locator("#wall-alert-banner")).to_have_class(re.compile("gw-level-yellow"))
    assert time.time() - started < 10

    duty.locator("#alerts-list .gw-alerts-row").first.click()
    duty.click("#alerts-lift-btn")
    expect(duty.locator("#alerts-confirm")).to_contain_text("发送解除短信", timeout=10_000)
    duty.click("#alerts-confirm-ok")
    expect(duty.locator("#alerts-act-msg")).to_contain_text("已解除", timeout=10_000)
    for wall in walls:
        expect(wall.locator("#wall-alert-list")).to_contain_text("当前无生效预警", timeout=5_000)
    for page in [*walls, duty]:
        page.context.close()
