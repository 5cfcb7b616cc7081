"""What a person sees while the embedded Redis is down and after it is back.

A `gridwatch serve` process without GRIDWATCH_REDIS_URL (so with its embedded
redis-server) is opened in Chromium; its redis-server is killed with SIGKILL.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from data.models import Role
from tests.support.browser import LiveServer, login_in_browser, screenshot
from tests.support.outage import redis_killed
from tests.support.server_process import start_server, stop_server

RETRYING = "服务暂不可用，正在自动重试"
LISTENER = """
window.__gwCsp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__gwCsp.push(e.effectiveDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def embedded_server(small_city_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server("", small_city_url, tmp_path)  # empty URL: embedded Redis
    yield server
    stop_server(server)


def _redis_pid(server: LiveServer) -> int:
    """The server's redis-server; ProcessLookupError while there is none (just died)."""
    out = subprocess.run(
        ["ps", "-o", "pid=,comm=", "--ppid", str(server.process.pid)],
        capture_output=True,
        text=True,
    ).stdout
    pids = [int(line.split()[0]) for line in out.splitlines() if "redis-server" in line]
    if not pids:
        raise ProcessLookupError("no redis-server under the server process")
    return pids[0]


def test_pages_show_the_outage_and_recover_by_themselves(
    embedded_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    server = embedded_server
    port = int((tmp_path / "redis" / "redis.port").read_text())
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    context.add_init_script(LISTENER)
    events = context.new_page()
    login_in_browser(events, server, Role.LEADER)
    events.goto(f"{server.url}/events")
    expect(events.locator("#incidents-summary")).to_contain_text("共", timeout=15_000)
    wall = context.new_page()
    wall.goto(f"{server.url}/wall")
    expect(wall.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)
    unattended = context.new_page()  # a wall left open through it all, never reloaded
    unattended.goto(f"{server.url}/wall")
    expect(unattended.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)

    with redis_killed(lambda: _redis_pid(server), port):
        # an open page: its next callback fails, and a banner says what is going on
        banner = events.locator("#gw-unavailable")
        expect(banner).to_contain_text(RETRYING, timeout=20_000)
        expect(banner).to_contain_text("Redis")
        # its socket stays up (the server is), but its 30 s refresh fails: the banner
        expect(unattended.locator("#gw-unavailable")).to_contain_text(RETRYING, timeout=45_000)
        screenshot(events, "outage-banner-events")
        # a page opened now: the 503 page that retries by itself
        answer = wall.reload()
        assert answer is not None and answer.status == 503
        expect(wall.locator("h1")).to_have_text(RETRYING)
        screenshot(wall, "outage-page-wall")

    # Redis is restarted from its AOF: the banner goes, the reloaded wall is back, live
    expect(events.locator("#gw-unavailable")).to_have_count(0, timeout=30_000)
    expect(events.locator("#incidents-summary")).to_contain_text("共")
    expect(wall.locator("#wall-connection")).to_have_text("● 实时连接", timeout=30_000)
    expect(unattended.locator("#wall-connection")).to_have_text("● 实时连接", timeout=30_000)
    expect(unattended.locator("#gw-unavailable")).to_have_count(0)
    for page in (events, wall, unattended):
        assert page.evaluate("window.__gwCsp") == [], page.url
    context.close()
