"""One display zone for every screen: a wall PC left on UTC reads China time like /duty.

The review saw the same alert read "至 12月2日 14:18" on a UTC wall PC and "有效至
2026-12-02 22:18" on /duty. Every page formats times in GRIDWATCH_DISPLAY_TIMEZONE.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import redis
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from data.alerts import lifecycle
from data.db import make_engine, make_sessionmaker
from data.incidents.actors import Actor
from data.models import NodeKind, OrgNode, Role
from streams.outbox_relay import relay_outbox
from tests.support.browser import LiveServer, login_in_browser, screenshot

CHINA = ZoneInfo("Asia/Shanghai")
OFFICER = Actor(role="duty_officer", name="市值班员", scope_path="/")


def _issue_alert(server: LiveServer, valid_until: dt.datetime) -> None:
    engine = make_engine(server.settings.resolved_database_url())
    sessions = make_sessionmaker(engine)
    client = redis.Redis.from_url(server.settings.redis_url)
    try:
        with sessions() as session, session.begin():
            street = session.scalars(
                select(OrgNode).where(OrgNode.kind == NodeKind.STREET).order_by(OrgNode.id)
            ).first()
            assert street is not None
            lifecycle.issue(
                session,
                OFFICER,
                node_id=street.id,
                level="orange",
                category="flood",
                title="时区核对预警",
                text="请排查低洼地段",
                valid_until=valid_until,
                now=dt.datetime.now(dt.UTC),
            )
        relay_outbox(sessions, client)
    finally:
        client.close()
        engine.dispose()


def test_a_wall_pc_on_utc_reads_the_display_zone(live_server: LiveServer, browser: Browser):
    # 20:00 UTC is 04:00 the next day in China: zone, hour and date all differ
    now = dt.datetime.now(dt.UTC)
    valid_until = (now + dt.timedelta(days=1)).replace(hour=20, minute=7, second=0, microsecond=0)
    _issue_alert(live_server, valid_until)
    china = valid_until.astimezone(CHINA)
    expected = f"至 {china.month}月{china.day}日 04:07"

    context = browser.new_context(
        viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="UTC"
    )
    page = context.new_page()
    try:
        login_in_browser(page, live_server, Role.WALL)
        page.goto(f"{live_server.url}/wall")
        expect(page.locator("#wall-alert-list")).to_contain_text("时区核对预警", timeout=15_000)
        expect(page.locator("#wall-alert-list")).to_contain_text(expected)
        assert page.evaluate("new Date().getTimezoneOffset()") == 0  # the PC really is on UTC
        clock = page.locator("#wall-clock")
        expect(clock).to_have_text(re.compile(r"\d\d:\d\d:\d\d"), timeout=5_000)
        shown = clock.inner_text()
        china_now = dt.datetime.now(CHINA)
        candidates = {(china_now + dt.timedelta(seconds=s)).strftime("%H:%M") for s in (-60, 0, 60)}
        assert shown[:5] in candidates, f"wall clock {shown} is not China time {candidates}"
        screenshot(page, "wall-utc-pc-display-zone")
    finally:
        context.close()
