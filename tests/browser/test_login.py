"""Login, lockout, session expiry and logout, as a person at the desk meets them."""

from __future__ import annotations

import os
import subprocess
import sys

import requests
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from data.db import make_engine, make_sessionmaker
from data.models import AuditLog, OrgNode, Role
from tests.support.accounts import make_user
from tests.support.browser import LiveServer, login_in_browser, screenshot


def _page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    return context.new_page()


def _account(server: LiveServer, role: Role) -> tuple[str, str]:
    engine = make_engine(server.settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    with sessions() as db:
        root = db.scalar(select(OrgNode.id).where(OrgNode.parent_id.is_(None)))
    account = make_user(sessions, role, root)
    engine.dispose()
    return account


def _submit(page: Page, server: LiveServer, username: str, password: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")


def test_wall_requires_login(live_server: LiveServer, browser: Browser):
    page = _page(browser)
    page.goto(f"{live_server.url}/wall")
    expect(page).to_have_url(f"{live_server.url}/login?next=/wall")
    expect(page.locator("h1")).to_have_text("网格化社会管理指挥中心")
    screenshot(page, "login-1920x1080")
    page.context.close()


def test_lockout_after_repeated_failures_tells_when_to_retry(strict_server, browser):
    username, password = _account(strict_server, Role.DUTY_OFFICER)
    page = _page(browser)
    for _ in range(2):
        _submit(page, strict_server, username, "wrong-password-1")
        expect(page.locator(".gw-login-msg")).to_have_text("用户名或密码错误")
    _submit(page, strict_server, username, "wrong-password-1")
    expect(page.locator(".gw-login-msg")).to_contain_text("已暂时锁定，请在 15 分钟后")
    _submit(page, strict_server, username, password)  # even the right password waits
    expect(page.locator(".gw-login-msg")).to_contain_text("已暂时锁定")
    expect(page).to_have_url(f"{strict_server.url}/login")
    page.context.close()


def test_idle_session_expires_but_a_wall_display_stays(strict_server, browser):
    desk = _page(browser)
    login_in_browser(desk, strict_server, Role.DUTY_OFFICER)
    expect(desk.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)
    wall = _page(browser)
    login_in_browser(wall, strict_server, Role.WALL)
    desk.wait_for_timeout(4_000)  # idle timeout is 3 s on this server
    desk.reload()
    expect(desk).to_have_url(f"{strict_server.url}/login?notice=expired")
    expect(desk.locator(".gw-login-msg")).to_have_text("会话已超时，请重新登录")
    wall.reload()
    expect(wall.locator(".gw-title")).to_have_text("网格化社会管理指挥中心")
    engine = make_engine(strict_server.settings.resolved_database_url())
    with make_sessionmaker(engine)() as db:
        expired = db.scalars(select(AuditLog.action).where(AuditLog.action == "session_expired"))
        assert len(expired.all()) == 1
    engine.dispose()
    desk.context.close()
    wall.context.close()


def test_logout_ends_the_session(live_server: LiveServer, browser: Browser):
    page = _page(browser)
    login_in_browser(page, live_server, Role.LEADER)
    page.click("#logout")
    expect(page.locator(".gw-login-msg")).to_have_text("您已安全退出")
    page.goto(f"{live_server.url}/wall")
    expect(page).to_have_url(f"{live_server.url}/login?next=/wall")
    page.context.close()


def _session_cookie(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "gw_session")


def test_a_page_request_that_outlives_its_logout_says_logged_out(
    live_server: LiveServer, browser: Browser
):
    """The flaky "会话已超时" after 退出: a request of the page still in flight when the
    logout ended its session came back 401, and the page claimed a timeout (and took the
    browser there instead of to the logout notice). Here the logout is sent first and the
    page's request after it, every time."""
    page = _page(browser)
    login_in_browser(page, live_server, Role.LEADER)
    expect(page.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)
    ended = requests.post(
        f"{live_server.url}/logout",
        cookies={"gw_session": _session_cookie(page)},
        headers={"Origin": live_server.url},
        allow_redirects=False,
    )
    assert ended.status_code == 302
    page.click(".gw-wall-link >> text=事件")  # the page asks the server for the next page
    expect(page.locator(".gw-login-msg")).to_have_text("您已安全退出")
    expect(page).to_have_url(f"{live_server.url}/login?notice=logout")
    page.context.close()


def test_a_disabled_accounts_wall_loses_its_live_feed_at_once(
    live_server: LiveServer, browser: Browser
):
    page = _page(browser)
    username = login_in_browser(page, live_server, Role.LEADER)
    expect(page.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)
    env = {
        **os.environ,
        "GRIDWATCH_DATABASE_URL": live_server.settings.resolved_database_url(),
        "GRIDWATCH_REDIS_URL": live_server.settings.redis_url,
    }
    subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "user", "disable", username],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    expect(page.locator("#wall-connection")).to_have_text("○ 连接中断，重连中…", timeout=10_000)
    page.click(".gw-wall-link >> text=事件")
    expect(page.locator(".gw-login-msg")).to_have_text("账号已停用或密码已更改，请重新登录")
    page.context.close()
