"""How long a duty officer takes to pick a large live alert on /duty and lift it.

Not a test (no timing is asserted anywhere): run it by hand to get the figures in
docs/benchmarks.md::

    .venv/bin/python -m tests.browser.duty_bench --scale city --target street
    .venv/bin/python -m tests.browser.duty_bench --scale city --target district
    .venv/bin/python -m tests.browser.duty_bench --scale zhengzhou --target city \
        --db /tmp/zhengzhou.db   # seeded once (~30 s), copied for every run

It seeds the demo city (or copies ``--db``), starts a real redis-server and a real
``gridwatch serve``, issues one alert at the target through the record (the server's
SMS sender then texts it at its rate, so the progress moves), acknowledges a few
recipients every second the way the demo's terminals do, and drives Chromium like a
scripted officer with Playwright's ordinary clicks: pick the alert's row in 生效预警,
press 解除预警, confirm, and wait for 已解除. It prints the time of each step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select

from dashboard.runtime.embedded_redis import EmbeddedRedis
from data.alerts import lifecycle
from data.db import make_engine, make_sessionmaker
from data.demo_city import seed_demo_city
from data.incidents.actors import Actor
from data.models import Delivery, OrgNode, Role
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support.browser import LiveServer, login_in_browser
from tests.support.server_process import start_server, stop_server

DEPTH = {"city": 0, "district": 1, "street": 2, "community": 3}


def _target(url: str, depth: int) -> OrgNode:
    """The first node at ``depth`` (0: the city root), detached."""
    sessions = make_sessionmaker(make_engine(url))
    with sessions() as db:
        node = db.scalar(select(OrgNode).where(OrgNode.parent_id.is_(None)))
        for _ in range(depth):
            node = db.scalars(
                select(OrgNode).where(OrgNode.parent_id == node.id).order_by(OrgNode.id)
            ).first()
        db.expunge(node)
        return node


def issue_alert(url: str, node: OrgNode, title: str = "暴雨橙色预警") -> tuple[int, int]:
    """Issue an orange flood alert at ``node`` in the record; (alert id, recipients)."""
    sessions = make_sessionmaker(make_engine(url))
    now = dt.datetime.now(dt.UTC)
    actor = Actor(role=Role.DUTY_OFFICER.value, name="值班员", scope_path="/")
    with sessions.begin() as db:
        result = lifecycle.issue(
            db,
            actor,
            node_id=node.id,
            level="orange",
            category="flood",
            title=title,
            text="请立即排查低洼地段。",
            valid_until=now + dt.timedelta(hours=24),
            now=now,
        )
        return result.alert.id, result.queued


def acknowledge_some(url: str, alert_id: int, per_s: float, stop: threading.Event) -> None:
    """Recipients acknowledge a few at a time, as the demo's terminals do."""
    sessions = make_sessionmaker(make_engine(url))
    with sessions() as db:
        staff = list(db.scalars(select(Delivery.staff_id).where(Delivery.alert_id == alert_id)))
    random.Random(7).shuffle(staff)
    while staff and not stop.wait(1 / per_s):
        try:
            with sessions.begin() as db:
                lifecycle.acknowledge(db, alert_id, staff.pop())
        except Exception:  # lifted meanwhile: nothing left to acknowledge
            return


def pick_and_lift(page: Page, alert_id: int) -> dict[str, float]:
    """Pick the alert's row, press 解除预警, confirm; seconds per step.

    ``pick``: click on the row until the detail shows that alert with its actions;
    ``lift``: click on 解除预警 until the console answers 已解除 (the confirmation
    included: ``confirm shown`` is when it opened).
    """
    row = page.locator(f'#alerts-list [data-alert="{alert_id}"]')
    expect(row).to_be_visible(timeout=30_000)
    page.wait_for_timeout(2_500)  # let at least one refresh pass, as for a person reading
    times: dict[str, float] = {}
    start = time.perf_counter()
    row.click(timeout=120_000)
    detail = page.locator(f'#alerts-detail [data-alert="{alert_id}"]')  # before and after
    expect(detail).to_be_visible(timeout=120_000)
    lift = page.locator("#alerts-lift-btn")
    expect(lift).to_be_visible(timeout=120_000)
    times["pick"] = time.perf_counter() - start
    start = time.perf_counter()
    # a console from before the in-page confirmation asked with the browser's dialog
    page.once("dialog", lambda dialog: dialog.accept())
    lift.click(timeout=120_000)
    if page.locator("#alerts-confirm").count():
        confirm = page.locator("#alerts-confirm-ok")
        expect(confirm).to_be_visible(timeout=120_000)
        times["confirm shown"] = time.perf_counter() - start
        confirm.click(timeout=120_000)
    expect(page.locator("#alerts-act-msg")).to_contain_text("已解除", timeout=120_000)
    times["lift"] = time.perf_counter() - start
    times["pick + lift"] = times["pick"] + times["lift"]
    return times


def run(scale: str, target: str, db_copy: Path | None, acks_per_s: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="duty-bench-"))
    db_path = work / "gridwatch.db"
    if db_copy is not None and db_copy.exists():
        shutil.copy(db_copy, db_path)
    else:
        started = time.perf_counter()
        engine = make_engine(f"sqlite:///{db_path}")
        seed_demo_city(engine, scale=scale, seed=7)
        engine.dispose()
        print(f"seeded {scale} in {time.perf_counter() - started:.1f} s")
        if db_copy is not None:
            shutil.copy(db_path, db_copy)
    url = f"sqlite:///{db_path}"
    redis = EmbeddedRedis(work / "redis").start()
    server: LiveServer | None = None
    stop = threading.Event()
    try:
        server = start_server(redis.url, url, work)
        node = _target(url, DEPTH[target])
        alert_id, recipients = issue_alert(url, node)
        print(f"alert {alert_id} at {node.name} ({target}): {recipients} recipients")
        acker = threading.Thread(
            target=acknowledge_some, args=(url, alert_id, acks_per_s, stop), daemon=True
        )
        acker.start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
            page = context.new_page()
            login_in_browser(page, server, Role.DUTY_OFFICER)
            page.goto(f"{server.url}/duty")
            times = pick_and_lift(page, alert_id)
            browser.close()
        for step, seconds in times.items():
            print(f"{step:>14}: {seconds:6.2f} s")
    finally:
        stop.set()
        if server is not None:
            stop_server(server)
        redis.stop()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "city", "zhengzhou"], default="city")
    parser.add_argument("--target", choices=list(DEPTH), default="street")
    parser.add_argument("--db", type=Path, help="seeded SQLite file to copy (seeded if missing)")
    parser.add_argument("--acks-per-s", type=float, default=5.0)
    args = parser.parse_args()
    run(args.scale, args.target, args.db, args.acks_per_s)


if __name__ == "__main__":
    main()
