"""The wall's rankings and its playlist as a wall operator sees them: 龙虎榜 beside the map,
and a wall account with the playlist [map, rankings] at the shortest interval (10 s)
rotating to the full-screen rankings view and back to the same, still connected map.

The record is tests/support/assessment.py's, dated this month: the lapsed grid scores
72.94 with a red lapse (two red cards, one yellow); it was perfect last month (▼).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from dashboard.access.wall_playlist import MIN_SECONDS
from data.assessment.facts import rebuild_months
from data.db import make_engine, make_sessionmaker
from data.models import AssessmentFact, OrgNode, Role, User, WallPlaylist
from tests.support.accounts import make_user
from tests.support.assessment import LAPSED, PERFECT, add_record
from tests.support.browser import LiveServer, login_in_browser, screenshot, settled_box
from tests.support.server_process import start_server, stop_server

#: one view's time and the next screen's render, with room for a loaded 2-core box
TURN_MS = (MIN_SECONDS + 15) * 1000


@dataclass(frozen=True)
class Place:
    community: int
    lapsed_name: str


def _this_month_facts(sessions, zone: dt.tzinfo, good: int, lapsed: int) -> None:
    """The record's November counts again for today, and a perfect previous month."""
    today = dt.datetime.now(zone).date()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    rows = []
    for day, node, counts in (
        (today, good, PERFECT),
        (today, lapsed, LAPSED),
        (last_month, lapsed, PERFECT),
    ):
        rows += [
            AssessmentFact(day=day, node_id=node, staff_id=0, measure=m, value=float(v))
            for m, v in counts.items()
        ]
    with sessions.begin() as db:
        db.add_all(rows)
        db.flush()
        rebuild_months(db, last_month, today)  # written by hand: sum the months as a refresh


def _refreshed_recent_days(server: LiveServer, timeout_s: float = 60.0) -> None:
    """Wait until the server's assessment loop has recomputed yesterday and today once
    (it does so at start, then every ten minutes): facts written after it stay put."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        loops = requests.get(f"{server.url}/healthz", timeout=5).json().get("loops", {})
        if (loops.get("assessment-refresh") or {}).get("last_ok_s_ago") is not None:
            return
        time.sleep(0.2)  # polling a condition, not waiting for a time
    raise AssertionError("the assessment refresh loop never finished a round")


@pytest.fixture
def rank_server(
    redis_url: str, small_city_url: str, tmp_path: Path
) -> Iterator[tuple[LiveServer, Place]]:
    """The small city served, then the record written for this month (after the server's
    own first refresh of today's facts, which would otherwise replace it)."""
    server = start_server(redis_url, small_city_url, tmp_path)
    _refreshed_recent_days(server)
    engine = make_engine(small_city_url)
    sessions = make_sessionmaker(engine)
    record = add_record(sessions)
    _this_month_facts(sessions, server.settings.display_zone, record.grid_good, record.grid_lapsed)
    with sessions() as db:
        lapsed_name = db.scalar(select(OrgNode.name).where(OrgNode.id == record.grid_lapsed))
    engine.dispose()
    yield server, Place(record.community_a, lapsed_name)
    stop_server(server)


def _give_playlist(server: LiveServer, username: str, views: list[str], seconds: int) -> None:
    engine = make_engine(server.settings.resolved_database_url())
    with make_sessionmaker(engine).begin() as db:
        user_id = db.scalar(select(User.id).where(User.username == username))
        db.add(WallPlaylist(user_id=user_id, views=views, seconds=seconds, enabled=True))
    engine.dispose()


def _fits(page: Page, selector: str) -> bool:
    """True when the element shows all its content (nothing cut off or scrolled away)."""
    return bool(
        page.evaluate(
            """(sel) => { const el = document.querySelector(sel);
                return el.scrollHeight <= el.clientHeight + 1
                    && el.scrollWidth <= el.clientWidth + 1; }""",
            selector,
        )
    )


SIZES = {"1920": (1920, 1080), "4k": (3840, 2160), "tablet": (1024, 768)}


@pytest.mark.parametrize("size", list(SIZES))
def test_the_wall_rotates_to_the_rankings_and_back_to_the_same_map(
    browser: Browser, rank_server: tuple[LiveServer, Place], size: str
):
    server, place = rank_server
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    username = login_in_browser(page, server, Role.WALL, place.community)
    _give_playlist(server, username, ["map", "rankings"], MIN_SECONDS)
    page.goto(f"{server.url}/wall")
    expect(page.locator("#wall-connection")).to_have_text("● 实时连接", timeout=15_000)

    # the live view: 龙虎榜 beside the map, the lapsed grid with its score, arrow and cards
    panel = page.locator("#wall-rank-panel")
    lapsed = panel.locator(".gw-rank-line", has_text=place.lapsed_name)
    expect(lapsed).to_contain_text("72.9", timeout=15_000)
    expect(lapsed.locator(".gw-trend-down")).to_have_text("▼")
    expect(lapsed.locator(".gw-card-red")).to_have_text("红2")
    expect(page.locator("#wall-next")).to_have_text(re.compile(r"下一屏 \d+s"))
    screenshot(page, f"wall_rankings_panel_{size}")
    if size != "tablet":  # beside the map, the panel shows all of itself
        assert _fits(page, ".gw-panel-rank")
        side = settled_box(page, ".gw-side")
        for panel_selector in (".gw-panel-rank", ".gw-panel-ticker", ".gw-panel-grow"):
            box = settled_box(page, panel_selector)  # every panel below it still on screen
            assert box["y"] + box["height"] <= side["y"] + side["height"] + 1, panel_selector
    page.evaluate("window.__wallMap = document.getElementById('wall-map')")

    # the playlist turns to the rankings view: ranking, figures and the monthly chart
    view = page.locator("#wall-rank-view")
    expect(view).to_be_visible(timeout=TURN_MS)
    expect(view.locator(".gw-rank-title")).to_have_text("排名统计")
    expect(view.locator(".gw-rank-subtitle")).to_contain_text("网格排名")
    row = view.locator("tr", has_text=place.lapsed_name)
    expect(row).to_contain_text("72.9")
    expect(row.locator(".gw-card-red")).to_have_text("红2")
    expect(view.locator(".gw-rank-kpi", has_text="本月发现")).to_contain_text("20")
    expect(view.locator(".gw-rank-chart .main-svg").first).to_be_attached()
    expect(view.locator(".gw-rank-chart .legendtext", has_text="结案")).to_be_visible()
    if size != "tablet":
        assert _fits(page, ".gw-rank-tables")
    screenshot(page, f"wall_rankings_view_{size}")

    # and back to the map: the same map element, its socket still connected
    expect(view).to_be_hidden(timeout=TURN_MS)
    expect(page.locator("#wall-map")).to_be_visible()
    assert page.evaluate("document.getElementById('wall-map') === window.__wallMap")
    expect(page.locator("#wall-connection")).to_have_text("● 实时连接")
    context.close()


def test_a_wall_without_a_playlist_shows_the_map_only(
    browser: Browser, rank_server: tuple[LiveServer, Place]
):
    server, place = rank_server
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    login_in_browser(page, server, Role.WALL, place.community)
    expect(page.locator("#wall-rank-panel")).to_contain_text(place.lapsed_name, timeout=15_000)
    expect(page.locator("#wall-next")).to_be_hidden()
    expect(page.locator("#wall-rank-view")).to_be_hidden()
    context.close()


def test_an_admin_sets_a_wall_accounts_playlist_on_the_users_page(
    browser: Browser, live_server: LiveServer
):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    page = context.new_page()
    admin = login_in_browser(page, live_server, Role.ADMIN)
    engine = make_engine(live_server.settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    with sessions() as db:
        admin_node = db.scalar(select(User.node_id).where(User.username == admin))
    wall_name, _ = make_user(sessions, Role.WALL, admin_node, name="hall-wall")
    page.goto(f"{live_server.url}/admin/users")
    expect(page.locator("#usr-table")).to_contain_text(wall_name, timeout=15_000)

    page.locator("#usr-wall-account").click()
    page.get_by_role("option", name=re.compile(wall_name)).click()
    page.fill("#usr-wall-seconds", "5")
    page.click("#usr-wall-save")
    expect(page.locator("#usr-wall-message")).to_contain_text("10–3600", timeout=10_000)
    with sessions() as db:
        assert db.scalar(select(WallPlaylist)) is None  # nothing stored

    page.fill("#usr-wall-seconds", "30")
    page.click("#usr-wall-save")
    expect(page.locator("#usr-wall-message")).to_contain_text(
        "轮播已保存：实时地图 → 排名统计，每屏 30 秒（已启用）", timeout=10_000
    )
    screenshot(page, "admin_wall_playlist_1920")
    with sessions() as db:
        row = db.scalars(select(WallPlaylist)).one()
        assert (row.views, row.seconds, row.enabled) == (["map", "rankings"], 30, True)
    engine.dispose()
    context.close()
