"""Active alerts on the video wall: banner, list, shaded areas and announcement, by push.

Alerts are issued through the data layer (as the duty console does), committed, and the
outbox is relayed at once; the wall must show each change within a second or so.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.alerts import lifecycle
from data.db import make_engine, make_sessionmaker
from data.incidents.actors import Actor
from data.models import NodeKind, OrgNode, Role
from streams.outbox_relay import relay_outbox
from tests.support.browser import LiveServer, login_in_browser, screenshot

log = logging.getLogger(__name__)

OFFICER = Actor(role="duty_officer", name="市值班员", scope_path="/")


@dataclass
class Record:
    """The live server's database and Redis, as the duty console would use them."""

    sessions: sessionmaker[Session]
    r: redis.Redis

    def node(self, kind: NodeKind, index: int = 0) -> OrgNode:
        with self.sessions() as session:
            rows = session.scalars(select(OrgNode).where(OrgNode.kind == kind).order_by(OrgNode.id))
            return list(rows)[index]

    def issue(self, node_id: int, level: str, title: str, category: str = "flood") -> int:
        now = dt.datetime.now(dt.UTC)
        with self.sessions() as session, session.begin():
            result = lifecycle.issue(
                session,
                OFFICER,
                node_id=node_id,
                level=level,
                category=category,
                title=title,
                text="请立即排查低洼地段",
                valid_until=now + dt.timedelta(hours=6),
                now=now,
            )
            alert_id = result.alert.id
        relay_outbox(self.sessions, self.r)
        return alert_id

    def change_level(self, alert_id: int, level: str) -> None:
        with self.sessions() as session, session.begin():
            lifecycle.change_level(session, OFFICER, alert_id, level, now=dt.datetime.now(dt.UTC))
        relay_outbox(self.sessions, self.r)

    def lift(self, alert_id: int) -> None:
        with self.sessions() as session, session.begin():
            lifecycle.lift(session, OFFICER, alert_id, now=dt.datetime.now(dt.UTC))
        relay_outbox(self.sessions, self.r)


@pytest.fixture
def record(live_server: LiveServer) -> Iterator[Record]:
    engine = make_engine(live_server.settings.resolved_database_url())
    client = redis.Redis.from_url(live_server.settings.redis_url)
    yield Record(make_sessionmaker(engine), client)
    client.close()
    engine.dispose()


#: records, in the page, when a text first shows in the banner (wall clock, ms)
WATCH_BANNER = """(texts) => {
    window.__seen = window.__seen || {};
    const check = () => {
        const banner = document.querySelector('#wall-alert-banner');
        const text = banner ? banner.textContent : '';
        for (const t of texts) {
            if (!window.__seen[t] && text.includes(t)) window.__seen[t] = Date.now();
        }
    };
    new MutationObserver(check).observe(document.body, {subtree: true, childList: true,
        characterData: true, attributes: true});
}"""


def _shown_at(page: Page, text: str) -> float:
    """When (epoch seconds, browser clock = this machine's) ``text`` first showed."""
    expect(page.locator("#wall-alert-banner")).to_contain_text(text, timeout=5_000)
    seen_ms = page.evaluate("(t) => window.__seen[t]", text)
    assert seen_ms, f"{text} never seen by the observer"
    return seen_ms / 1000


def _report(what: str, started: float, relayed: float, shown: float) -> float:
    """Log the push latency; returns relay done -> on screen, in seconds."""
    push = shown - relayed
    message = (
        f"wall alert {what}: commit+relay {(relayed - started) * 1000:.0f} ms, "
        f"relay -> banner {push * 1000:.0f} ms, action -> banner {(shown - started) * 1000:.0f} ms"
    )
    log.warning(message)
    print(message)
    return push


def _open_wall(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)
    expect(page.locator("#kpi-total")).not_to_have_text("0", timeout=15_000)


def test_an_issued_alert_is_pushed_recoloured_and_lifted(
    live_server: LiveServer, wall_page: Page, record: Record
):
    page = wall_page
    _open_wall(page, f"{live_server.url}/wall")
    expect(page.locator("#wall-alert-list")).to_have_text("当前无生效预警")
    expect(page.locator("#wall-alert-banner")).to_be_hidden()
    _turn_the_sound_on(page)
    title = "暴雨橙色预警-墙"
    alert_id = _issue_is_pushed(page, record, title)
    _raise_recolours_in_place(page, record, alert_id)
    other = _a_lower_alert_is_listed_below(page, record, alert_id, title)
    _lifting_hands_the_banner_on(page, record, alert_id, other)


def _turn_the_sound_on(page: Page) -> None:
    """The sound toggle: its click is the gesture; it confirms with a tone."""
    sound = page.locator("#wall-alert-sound")
    expect(sound).to_have_text("提示音 关")
    sound.click()
    expect(sound).to_have_text("提示音 开")
    assert page.evaluate("window.gw.alertSound.played()") == 1


def _issue_is_pushed(page: Page, record: Record, title: str) -> int:
    """An orange alert at a street: banner, list, count, announcement, shading and tone."""
    banner = page.locator("#wall-alert-banner")
    items = page.locator("#wall-alert-list .gw-alert")
    announce = page.locator("#wall-alert-announce")
    street = record.node(NodeKind.STREET)
    page.evaluate(WATCH_BANNER, [title, "红色预警"])
    started = time.time()
    alert_id = record.issue(street.id, "orange", title)
    relayed = time.time()
    shown = _shown_at(page, title)
    assert _report("issue", started, relayed, shown) < 5.0
    expect(banner).to_have_class("gw-alert-banner gw-level-orange gw-alert-" + str(alert_id))
    expect(banner).to_contain_text("橙色预警")
    expect(banner).to_contain_text(street.name)
    expect(items).to_have_count(1)
    expect(items.first).to_have_class(f"gw-alert gw-level-orange gw-alert-{alert_id}")
    expect(items.first).to_contain_text(title)
    expect(page.locator("#wall-alert-count")).to_have_text("1")
    expect(announce).to_be_visible()
    expect(announce).to_contain_text("新发布")
    expect(announce).to_contain_text("橙色预警")
    # the street's grids drawn on the city view are shaded orange
    expect(page.locator("path.gw-alert-area-orange").first).to_be_attached()
    assert page.locator("path.gw-alert-area-orange").count() >= 10
    assert page.evaluate("window.gw.alertSound.played()") == 2
    page.wait_for_timeout(1800)  # the map is fitted again below the banner
    screenshot(page, "wall-alert-1920x1080")
    return alert_id


def _raise_recolours_in_place(page: Page, record: Record, alert_id: int) -> None:
    """Raise: recoloured in place, announced again."""
    items = page.locator("#wall-alert-list .gw-alert")
    started = time.time()
    record.change_level(alert_id, "red")
    relayed = time.time()
    shown = _shown_at(page, "红色预警")
    assert _report("raise", started, relayed, shown) < 5.0
    expect(page.locator("#wall-alert-banner")).to_have_class(
        f"gw-alert-banner gw-level-red gw-alert-{alert_id}"
    )
    expect(items).to_have_count(1)
    expect(items.first).to_have_class(f"gw-alert gw-level-red gw-alert-{alert_id}")
    expect(page.locator("#wall-alert-announce")).to_contain_text("预警升级")
    expect(page.locator("path.gw-alert-area-orange")).to_have_count(0)
    assert page.locator("path.gw-alert-area-red").count() >= 10


def _a_lower_alert_is_listed_below(page: Page, record: Record, alert_id: int, title: str) -> int:
    """A second, lower alert at one grid: listed below, the banner keeps the red one."""
    items = page.locator("#wall-alert-list .gw-alert")
    banner = page.locator("#wall-alert-banner")
    grid = record.node(NodeKind.GRID)
    other = record.issue(grid.id, "blue", "大风蓝色预警-墙", category="weather")
    expect(items).to_have_count(2, timeout=5_000)
    expect(items.nth(0)).to_have_class(f"gw-alert gw-level-red gw-alert-{alert_id}")
    expect(items.nth(1)).to_have_class(f"gw-alert gw-level-blue gw-alert-{other}")
    expect(banner).to_contain_text("另有 1 条生效预警")
    expect(banner).to_contain_text(title)
    expect(page.locator("#wall-alert-announce")).to_contain_text("蓝色预警")
    screenshot(page, "wall-alert-two-1920x1080")
    page.set_viewport_size({"width": 3840, "height": 2160})
    page.wait_for_timeout(1500)
    screenshot(page, "wall-alert-3840x2160")
    page.set_viewport_size({"width": 1920, "height": 1080})
    return other


def _lifting_hands_the_banner_on(page: Page, record: Record, alert_id: int, other: int) -> None:
    """Lifting removes it; the other one takes the banner; lifting that empties the wall."""
    items = page.locator("#wall-alert-list .gw-alert")
    banner = page.locator("#wall-alert-banner")
    record.lift(alert_id)
    expect(items).to_have_count(1, timeout=5_000)
    expect(banner).to_have_class(f"gw-alert-banner gw-level-blue gw-alert-{other}")
    expect(page.locator("path.gw-alert-area-red")).to_have_count(0)
    record.lift(other)
    expect(banner).to_be_hidden(timeout=5_000)
    expect(page.locator("#wall-alert-list")).to_have_text("当前无生效预警")
    expect(page.locator("#wall-alert-count")).to_have_text("")
    expect(page.locator("path.gw-alert-area")).to_have_count(0)
    expect(page.locator("#wall-alert-announce")).to_be_hidden(timeout=12_000)  # lasts ~8 s


def test_a_wall_opened_later_on_one_grid_shows_its_streets_alert(
    live_server: LiveServer, browser, record: Record
):
    """Snapshot by focus: an alert above the focus shows; one at a sibling grid does not."""
    street = record.node(NodeKind.STREET)
    district = record.node(NodeKind.DISTRICT)
    with record.sessions() as session:
        grids = session.scalars(
            select(OrgNode)
            .where(OrgNode.kind == NodeKind.GRID, OrgNode.path.startswith(street.path))
            .order_by(OrgNode.id)
        ).all()
        mine, sibling = grids[0], next(g for g in grids if g.parent_id != grids[0].parent_id)
    record.issue(street.id, "yellow", "高温黄色预警-网格")

    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    page = context.new_page()
    try:
        login_in_browser(page, live_server, Role.DUTY_OFFICER, district.id)
        _open_wall(page, f"{live_server.url}/wall?node={mine.id}")
        expect(page.locator("#wall-title")).to_contain_text(mine.name)
        banner = page.locator("#wall-alert-banner")
        expect(banner).to_contain_text("黄色预警", timeout=5_000)
        expect(banner).to_contain_text("高温黄色预警-网格")
        assert "gw-level-yellow" in (banner.get_attribute("class") or "")
        # the whole focus (one grid of the alerted street) is shaded
        expect(page.locator("path.gw-alert-area-yellow")).to_have_count(1)
        expect(page.locator("#wall-alert-announce")).to_be_hidden()  # not new to this wall

        # an alert at a grid of another community: not this wall's concern
        record.issue(sibling.id, "red", "其他网格红色预警", category="fire")
        page.wait_for_timeout(1500)
        expect(page.locator("#wall-alert-list .gw-alert")).to_have_count(1)
        expect(banner).not_to_contain_text("其他网格")
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, "wall-alert-tablet-1024x768")
        page.locator("#wall-alert-list").scroll_into_view_if_needed()
        screenshot(page, "wall-alert-tablet-list-1024x768")
    finally:
        context.close()


def test_repeated_and_older_pushes_change_nothing(live_server: LiveServer, wall_page: Page):
    """(id, seq) idempotence in the browser: a duplicate relay neither repeats nor rewinds."""
    page = wall_page
    _open_wall(page, f"{live_server.url}/wall")
    result = page.evaluate(
        """() => {
        const gw = window.dash_clientside.gw;
        const run = (push) => gw.mergeAlertPush({d: [push]}, false);
        const base = {id: 9001, node_id: 3, node_name: "测试街道", path: "/1/2/3/",
            category: "flood", category_label: "防汛", title: "测试预警",
            valid_until: "2099-01-01T00:00:00+00:00", at: "2026-01-01T00:00:00+00:00",
            issued_at: "2026-01-01T00:00:00+00:00", live: true, state: "active"};
        const issue = Object.assign({}, base, {seq: 1, action: "issue", level: "orange",
            level_label: "橙色", rank: 2});
        const raise = Object.assign({}, base, {seq: 2, action: "raise", level: "red",
            level_label: "红色", rank: 3});
        const first = run(issue);
        const second = run(raise);
        const again = run(raise);     // the same row relayed twice
        const older = run(issue);     // an overtaken relay: must not go back to orange
        const lift = run(Object.assign({}, raise, {seq: 3, action: "lift", live: false,
            state: "lifted"}));
        const late = run(raise);      // a late duplicate after the lift: stays lifted
        const nu = window.dash_clientside.no_update;
        return {
            first: [first[1], first[6]],
            second: [second[1], second[6]],
            againAnnounce: again[6] === nu, againBanner: again[1],
            olderAnnounce: older[6] === nu, olderBanner: older[1],
            lifted: lift[1], liftedAnnounce: lift[6], late: late[1],
        };
    }"""
    )
    assert result["first"][0].startswith("gw-alert-banner gw-level-orange")
    assert "gw-level-orange" in result["first"][1]
    assert result["second"][0].startswith("gw-alert-banner gw-level-red")
    assert "gw-level-red" in result["second"][1]
    assert result["againAnnounce"] and result["againBanner"].startswith(
        "gw-alert-banner gw-level-red"
    )
    assert result["olderAnnounce"] and result["olderBanner"].startswith(
        "gw-alert-banner gw-level-red"
    )
    assert result["lifted"] == "gw-alert-banner gw-hidden"
    assert result["liftedAnnounce"] == "gw-announce"  # a lifted alert is not announced on
    assert result["late"] == "gw-alert-banner gw-hidden"
