"""Browser tests: a real `gridwatch serve` process and Debian's Chromium via Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from data.models import Role
from tests.support.browser import LiveServer, login_in_browser
from tests.support.server_process import start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def live_server(redis_url: str, small_city_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = start_server(redis_url, small_city_url, tmp_path)
    yield server
    stop_server(server)


@pytest.fixture
def strict_server(redis_url: str, small_city_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A server with a 3-second idle timeout and a lockout after 3 failed logins."""
    server = start_server(
        redis_url,
        small_city_url,
        tmp_path,
        {
            "GRIDWATCH_SESSION_IDLE_MINUTES": "0.05",
            "GRIDWATCH_LOGIN_MAX_FAILURES_ACCOUNT": "3",
        },
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} missing: run `make test` (it installs chromium via apt)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def wall_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A 1920x1080 page logged in as a wall display account of the whole city."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    login_in_browser(page, live_server, Role.WALL)
    yield page
    context.close()
