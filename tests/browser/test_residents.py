"""The residents page as a leader meets it: masked numbers, one audited reveal, households."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from data.db import make_engine, make_sessionmaker
from data.models import AuditLog, Resident, Role
from tests.support.browser import LiveServer, login_in_browser, screenshot, settled_box

FULL_ID_NUMBER = re.compile(r"\d{17}[\dX]")


def _open(browser: Browser, server: LiveServer, size: tuple[int, int], role: Role):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    username = login_in_browser(page, server, role)
    page.goto(f"{server.url}/residents")
    expect(page.locator("#res-table tr[data-resident]").first).to_be_visible(timeout=15_000)
    return context, page, username


def _resident(server: LiveServer, resident_id: int) -> Resident:
    engine = make_engine(server.settings.resolved_database_url())
    with make_sessionmaker(engine)() as db:
        resident = db.get(Resident, resident_id)
    engine.dispose()
    assert resident is not None
    return resident


def _audit_rows(server: LiveServer, action: str) -> list[AuditLog]:
    engine = make_engine(server.settings.resolved_database_url())
    with make_sessionmaker(engine)() as db:
        rows = list(db.scalars(select(AuditLog).where(AuditLog.action == action)))
    engine.dispose()
    return rows


def _no_full_id_number(page: Page) -> None:
    text = page.locator("body").inner_text()
    assert FULL_ID_NUMBER.search(text) is None, FULL_ID_NUMBER.search(text)


def test_a_leader_sees_masked_numbers_and_reveals_one(live_server: LiveServer, browser: Browser):
    context, page, username = _open(browser, live_server, (1920, 1080), Role.LEADER)
    expect(page.locator("#res-summary")).to_contain_text("共 2,000 人")
    expect(page.locator(".gw-nav-active")).to_have_text("居民")
    _no_full_id_number(page)
    expect(page.locator("#res-table")).to_contain_text("**********")
    screenshot(page, "residents-1920x1080")

    row = page.locator("#res-table tr[data-resident]").nth(1)
    resident = _resident(live_server, int(row.get_attribute("data-resident")))
    assert resident.id_number not in page.locator("body").inner_text()
    row.get_by_role("button", name="显示完整信息").click()
    expect(row).to_contain_text(resident.id_number, timeout=5_000)
    expect(row).to_contain_text(resident.phone or "—")
    expect(row.get_by_role("button", name="已显示（已留痕）")).to_be_disabled()
    rows = _audit_rows(live_server, "reveal_personal_data")
    assert [(r.actor, r.target_id, r.outcome) for r in rows] == [(username, str(resident.id), "ok")]
    # only that one record is shown in full
    found = FULL_ID_NUMBER.findall(page.locator("#res-table").inner_text())
    assert found == [resident.id_number]
    screenshot(page, "residents-revealed-1920x1080")

    row.get_by_role("button", name="同户成员").click()
    panel = page.locator("#res-household")
    expect(panel).to_contain_text("同户成员（", timeout=5_000)
    expect(panel).to_contain_text(resident.name)
    assert FULL_ID_NUMBER.search(panel.inner_text()) is None  # the household view is masked
    screenshot(page, "residents-household-1920x1080")

    page.locator("#res-next").click()
    expect(page.locator("#res-pager")).to_have_text("第 2 / 40 页", timeout=5_000)
    _no_full_id_number(page)  # a new page starts masked again
    context.close()


def test_the_residents_page_on_a_tablet(live_server: LiveServer, browser: Browser):
    context, page, _ = _open(browser, live_server, (1024, 768), Role.LEADER)
    _no_full_id_number(page)
    table = settled_box(page, "#res-table table")
    assert table["width"] <= 1024  # no sideways scrolling on a tablet
    screenshot(page, "residents-tablet-1024x768")
    page.locator("#res-table tr[data-resident]").first.get_by_role(
        "button", name="同户成员"
    ).click()
    panel = page.locator("#res-household")
    expect(panel).to_contain_text("同户成员（", timeout=5_000)
    box = settled_box(page, "#res-household")
    assert box["y"] + box["height"] <= 768  # floats in view, no scrolling
    screenshot(page, "residents-tablet-household-1024x768")
    panel.get_by_role("button", name="关闭").click()
    expect(panel).to_be_hidden()
    context.close()


def test_grid_staff_get_no_reveal_and_no_admin_pages(live_server: LiveServer, browser: Browser):
    context, page, _ = _open(browser, live_server, (1024, 768), Role.GRID_STAFF)
    expect(page.get_by_role("button", name="显示完整信息")).to_have_count(0)
    expect(page.locator("#res-export")).to_be_hidden()
    expect(page.locator(".gw-nav-link")).to_have_text(["大屏", "居民", "事件"])
    page.goto(f"{live_server.url}/admin/users")
    expect(page.locator(".gw-app-title")).to_have_text("无权访问此页面")
    context.close()
