"""Every page works under the Content-Security-Policy with zero violations.

The policy allows only what Gridwatch serves itself (and the configured tile server), so
each page is opened in the real browser with a listener for ``securitypolicyviolation``
events and console errors; the maps load tiles from a tile server on another origin.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from data.db import make_engine, make_sessionmaker
from data.incidents.actors import Actor
from data.models import OrgNode, Role, Staff
from data.sms.compose import compose
from tests.support.browser import LiveServer, login_in_browser, screenshot
from tests.support.server_process import start_server, stop_server

BLANK_TILE = (Path(__file__).resolve().parents[2] / "assets" / "blank-tile.png").read_bytes()

#: every violation and every console error that mentions the policy, per page
LISTENER = """
window.__gwCsp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__gwCsp.push(e.effectiveDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


class _TileHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(BLANK_TILE)))
        self.end_headers()
        self.wfile.write(BLANK_TILE)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[str]:
    """A tile server on another origin than Gridwatch (another port)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _TileHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/{{z}}/{{x}}/{{y}}.png"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def tiled_server(
    redis_url: str, small_city_url: str, tmp_path: Path, tile_server: str
) -> Iterator[LiveServer]:
    server = start_server(redis_url, small_city_url, tmp_path, {"GRIDWATCH_TILE_URL": tile_server})
    yield server
    stop_server(server)


class Watched:
    """A browser context whose pages report CSP violations and console errors."""

    def __init__(self, browser: Browser) -> None:
        self.context: BrowserContext = browser.new_context(
            viewport={"width": 1920, "height": 1080}, locale="zh-CN"
        )
        self.context.add_init_script(LISTENER)
        self.console: list[str] = []
        self.page: Page = self.context.new_page()
        self.page.on("console", self._console)

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error" and "Content Security Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        return [*self.page.evaluate("window.__gwCsp || []"), *self.console]

    def goto(self, url: str) -> None:
        """Open ``url``; the page must come with the policy (else zero violations is no proof)."""
        response = self.page.goto(url)
        assert response is not None
        assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")

    def assert_clean(self, what: str) -> None:
        assert self.violations() == [], f"{what}: CSP violations {self.violations()}"


def _file_incident(server: LiveServer) -> None:
    services = requests.get(f"{server.url}/open311/v2/services.json", timeout=10).json()
    posted = requests.post(
        f"{server.url}/open311/v2/requests.json",
        data={
            "service_code": services[0]["service_code"],
            "lat": 34.7915,
            "long": 113.6705,
            "description": "东门人行道井盖缺失，夜间有安全隐患。",
        },
        timeout=10,
    )
    assert posted.status_code == 201, posted.text


def _queue_texts(server: LiveServer) -> None:
    """A few texts, so /sms draws its statistics chart (Plotly)."""
    engine = make_engine(server.settings.resolved_database_url())
    with make_sessionmaker(engine).begin() as db:
        root = db.scalar(select(OrgNode).where(OrgNode.parent_id.is_(None)))
        people = db.scalars(select(Staff.id).order_by(Staff.id).limit(3)).all()
        actor = Actor(role="leader", name="测试", scope_path=root.path, user_id=None)
        compose(
            db,
            actor,
            text="今晚有强降雨，请到岗值守。",
            staff_ids=people,
            client_token=uuid.uuid4().hex,
            now=dt.datetime.now(dt.UTC),
        )
    engine.dispose()


def test_every_page_works_with_zero_csp_violations(tiled_server: LiveServer, browser: Browser):
    server = tiled_server
    _file_incident(server)
    _queue_texts(server)

    anonymous = Watched(browser)
    anonymous.goto(f"{server.url}/login")
    expect(anonymous.page.locator("#login-submit")).to_be_visible()
    anonymous.assert_clean("/login")
    # the watcher does see a violation when there is one: an injected inline script
    anonymous.page.evaluate(
        "document.body.appendChild(Object.assign(document.createElement('script'),"
        " {textContent: 'window.__gwInjected = 1'}))"
    )
    assert anonymous.page.evaluate("window.__gwInjected") is None
    assert any("script-src" in v for v in anonymous.violations())
    anonymous.context.close()

    leader = Watched(browser)
    page = leader.page
    login_in_browser(page, server, Role.LEADER)
    leader.goto(f"{server.url}/wall")
    expect(page.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)
    expect(page.locator("#kpi-total")).not_to_have_text("0", timeout=15_000)
    expect(page.locator("#wall-map .leaflet-tile-loaded").first).to_be_attached(timeout=10_000)
    leader.assert_clean("/wall")

    leader.goto(f"{server.url}/events")
    expect(page.locator("#incidents-summary")).to_contain_text("共", timeout=15_000)
    page.locator("#incidents-table tr[data-incident]").first.click()
    expect(page.locator(".leaflet-tile-loaded").first).to_be_attached(timeout=10_000)
    leader.assert_clean("/events")

    leader.goto(f"{server.url}/duty")
    expect(page.locator("#alerts-list")).to_contain_text("当前无生效预警", timeout=15_000)
    expect(page.locator("#alerts-map .leaflet-tile-loaded").first).to_be_attached(timeout=10_000)
    leader.assert_clean("/duty")

    leader.goto(f"{server.url}/sms")
    expect(page.locator("#sms-panel-compose")).to_be_visible(timeout=15_000)
    page.locator("#sms-groups").click()  # a dropdown's popup brings its own styles
    expect(page.locator("[data-radix-popper-content-wrapper]")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator("#sms-tabs").get_by_text("发送统计", exact=True).click()
    expect(page.locator("#sms-stats-graph .js-plotly-plot")).to_be_attached(timeout=10_000)
    bars = page.locator("#sms-stats-graph .js-plotly-plot .bars path").filter(visible=True)
    expect(bars.first).to_be_visible(timeout=10_000)
    box = bars.first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#sms-stats-graph .hoverlayer .hovertext").first).to_be_visible()
    screenshot(page, "csp-sms-stats")
    leader.assert_clean("/sms")

    leader.goto(f"{server.url}/residents")
    expect(page.locator("#res-table tr[data-resident]").first).to_be_visible(timeout=15_000)
    leader.assert_clean("/residents")

    leader.goto(f"{server.url}/leader")  # the map by score: tiles and shaded areas
    expect(page.locator("#leader-map path.gw-lead-area").first).to_be_attached(timeout=15_000)
    expect(page.locator("#leader-map .leaflet-tile-loaded").first).to_be_attached()
    leader.assert_clean("/leader")
    leader.context.close()

    admin = Watched(browser)
    page = admin.page
    login_in_browser(page, server, Role.ADMIN)
    admin.goto(f"{server.url}/admin/users")
    expect(page.locator("#usr-table tr")).not_to_have_count(0, timeout=15_000)
    admin.assert_clean("/admin/users")
    admin.goto(f"{server.url}/admin/devices")
    expect(page.locator(".gw-nav-active")).to_have_text("终端", timeout=15_000)
    admin.assert_clean("/admin/devices")
    admin.goto(f"{server.url}/admin/audit")
    expect(page.locator("#aud-table tr")).not_to_have_count(0, timeout=15_000)
    admin.assert_clean("/admin/audit")
    admin.context.close()
