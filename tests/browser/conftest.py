"""Browser tests: a real `gridwatch serve` process and Debian's Chromium via Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from dashboard.processes import free_port
from dashboard.settings import Settings
from data.models import Role
from tests.support.browser import LiveServer, login_in_browser

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


def start_server(
    redis_url: str, database_url: str, tmp_path: Path, extra_env: dict[str, str] | None = None
) -> LiveServer:
    """Run `gridwatch serve` as its own process, as in production, and wait for health."""
    port = free_port()
    env = {
        **os.environ,
        "GRIDWATCH_REDIS_URL": redis_url,
        "GRIDWATCH_DATABASE_URL": database_url,
        "GRIDWATCH_VAR_DIR": str(tmp_path),
        "GRIDWATCH_PUSH_INTERVAL_S": "0.2",
        **(extra_env or {}),
    }
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=1).ok:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            raise RuntimeError(log_path.read_text())
        time.sleep(0.2)
    settings = Settings(redis_url=redis_url, database_url=database_url, var_dir=tmp_path)
    return LiveServer(url, settings, process)


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()


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
