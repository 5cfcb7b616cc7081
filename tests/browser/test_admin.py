"""An admin creates a user and registers, then revokes, a terminal through the pages."""

from __future__ import annotations

import time

import requests
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from data.db import make_engine, make_sessionmaker
from data.models import AuditLog, Role, User
from tests.support.accounts import login
from tests.support.browser import LiveServer, login_in_browser, screenshot


def _admin_page(browser: Browser, server: LiveServer, size=(1920, 1080)) -> tuple[Page, str]:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    return page, login_in_browser(page, server, Role.ADMIN)


def _db(server: LiveServer):  # type: ignore[no-untyped-def]
    return make_sessionmaker(make_engine(server.settings.resolved_database_url()))


def _actions_by(server: LiveServer, actor: str) -> list[str]:
    with _db(server)() as db:
        return list(
            db.scalars(select(AuditLog.action).where(AuditLog.actor == actor).order_by(AuditLog.id))
        )


def _post_fix(server: LiveServer, token: str) -> int:
    response = requests.post(
        f"{server.url}/api/v1/positions",
        json={"fixes": [{"lat": 34.78, "lon": 113.68, "ts": time.time(), "battery": 90}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code


def test_admin_creates_a_user(live_server: LiveServer, browser: Browser):
    page, admin = _admin_page(browser, live_server)
    page.goto(f"{live_server.url}/admin/users")
    expect(page.locator("#usr-table")).to_contain_text(admin, timeout=15_000)

    page.fill("#usr-username", "zhang.wei")
    page.fill("#usr-display-name", "张伟")
    page.locator("#usr-role").click()
    page.get_by_role("option", name="领导").click()
    page.fill("#usr-password", "short")
    page.click("#usr-create")
    expect(page.locator("#usr-message")).to_contain_text("密码至少 10 个字符", timeout=5_000)

    page.fill("#usr-password", "Zhang-wei-2026")
    page.click("#usr-create")
    expect(page.locator("#usr-message")).to_contain_text("已创建用户 zhang.wei", timeout=5_000)
    expect(page.locator("#usr-table")).to_contain_text("张伟")
    expect(page.locator("#usr-password")).to_have_value("")
    screenshot(page, "admin-users-1920x1080")

    with _db(live_server)() as db:
        created = db.scalar(select(User).where(User.username == "zhang.wei"))
    assert created is not None and created.role == Role.LEADER and created.active
    assert _actions_by(live_server, admin)[-1] == "user_add"
    login(live_server.url, "zhang.wei", "Zhang-wei-2026")  # the account works

    row = page.locator("#usr-table tr", has_text="zhang.wei")
    row.get_by_role("button", name="停用").click()
    expect(page.locator("#usr-message")).to_contain_text("已停用", timeout=5_000)
    expect(page.locator("#usr-table tr", has_text="zhang.wei")).to_contain_text("停用")
    assert _actions_by(live_server, admin)[-1] == "user_disable"


def test_admin_registers_and_revokes_a_terminal(live_server: LiveServer, browser: Browser):
    page, admin = _admin_page(browser, live_server)
    page.goto(f"{live_server.url}/admin/devices")
    expect(page.locator("#dev-table")).to_contain_text("暂无登记终端", timeout=15_000)

    page.fill("#dev-identifier", "T-0001")
    page.locator("#dev-staff").click()
    page.get_by_role("option").first.click()
    page.click("#dev-add")
    token_box = page.locator("#dev-message .gw-token")
    expect(token_box).to_be_visible(timeout=5_000)
    token = token_box.inner_text().strip()
    assert token.startswith("gwt_")
    expect(page.locator("#dev-table")).to_contain_text("T-0001")
    screenshot(page, "admin-devices-1920x1080")
    assert _post_fix(live_server, token) == 200

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#dev-table tr", has_text="T-0001").get_by_role("button", name="注销").click()
    expect(page.locator("#dev-message")).to_contain_text("已注销", timeout=5_000)
    expect(page.locator("#dev-table tr", has_text="T-0001")).to_contain_text("已注销")
    assert _post_fix(live_server, token) == 401  # refused at once
    assert page.locator("body").inner_text().count(token) == 0  # the token was shown once
    assert _actions_by(live_server, admin)[-2:] == ["device_add", "device_revoke"]

    page.goto(f"{live_server.url}/admin/audit")
    expect(page.locator("#aud-table")).to_contain_text("注销终端", timeout=15_000)
    expect(page.locator("#aud-table")).to_contain_text("登记终端")
    screenshot(page, "admin-audit-1920x1080")


def test_admin_pages_on_a_tablet(live_server: LiveServer, browser: Browser):
    page, _ = _admin_page(browser, live_server, (1024, 768))
    page.goto(f"{live_server.url}/admin/users")
    expect(page.locator("#usr-table tr")).not_to_have_count(0, timeout=15_000)
    screenshot(page, "admin-users-tablet-1024x768")
    page.goto(f"{live_server.url}/admin/audit")
    expect(page.locator("#aud-table tr")).not_to_have_count(0, timeout=15_000)
    screenshot(page, "admin-audit-tablet-1024x768")
