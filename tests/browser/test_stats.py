"""/stats (统计报表) on a touch tablet (1024×768) and at 1920×1080: a leader sees the rates
table and both charts, drills into one unit and back, downloads the XLSX of the rates and
of the card list; a street leader never sees another street. The record is hand-made
(tests/support/assessment.py), November 2026: the lapsed grid's 结案率 is 5/10 = 50%.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from data.db import make_engine, make_sessionmaker
from data.models import NodeKind, OrgNode, Role
from tests.support.assessment import Record, add_record
from tests.support.browser import LiveServer, login_in_browser, screenshot, settled_box
from tests.support.city import add_child_node
from tests.support.server_process import start_server, stop_server

TABLET = (1024, 768)
DESK = (1920, 1080)
#: a view's reads on a loaded 2-core box (the page answers far faster alone)
WORK_MS = 20_000


@dataclass(frozen=True)
class Names:
    street: str
    community_a: str
    grid_lapsed: str
    street_b: int
    community_b_name: str


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    """Every view change may wait for the database on a loaded box (Playwright's 5 s
    default is the machine's load, not the page); the default comes back afterwards."""
    expect.set_options(timeout=WORK_MS)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def stats_server(
    redis_url: str, small_city_url: str, tmp_path: Path
) -> Iterator[tuple[LiveServer, Record, Names]]:
    """The small city with the hand-made record and a second street (乙街道), then served."""
    engine = make_engine(small_city_url)
    sessions = make_sessionmaker(engine)
    record = add_record(sessions)
    with sessions.begin() as db:
        street = db.get(OrgNode, record.street)
        assert street is not None and street.parent_id is not None
        district = db.get(OrgNode, street.parent_id)
        street_b = add_child_node(db, district, NodeKind.STREET, "乙街道", "S-B")
        community_b = add_child_node(db, street_b, NodeKind.COMMUNITY, "乙社区", "S-B-1")
        add_child_node(db, community_b, NodeKind.GRID, "乙第1网格", "S-B-1-1")
        names = Names(
            street=street.name,
            community_a=db.scalar(select(OrgNode.name).where(OrgNode.id == record.community_a)),
            grid_lapsed=db.scalar(select(OrgNode.name).where(OrgNode.id == record.grid_lapsed)),
            street_b=street_b.id,
            community_b_name=community_b.name,
        )
    engine.dispose()
    server = start_server(redis_url, small_city_url, tmp_path)
    yield server, record, names
    stop_server(server)


def _open(
    browser: Browser, server: LiveServer, size: tuple[int, int], node_id: int
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]},
        locale="zh-CN",
        has_touch=True,
        is_mobile=False,
        accept_downloads=True,
    )
    page = context.new_page()
    login_in_browser(page, server, Role.LEADER, node_id)
    page.get_by_role("link", name="统计报表").click()
    expect(page.locator("#stats-title")).to_contain_text("统计", timeout=15_000)
    page.fill("#stats-value", "2026-11")
    page.press("#stats-value", "Enter")
    expect(page.locator("#stats-title")).to_contain_text("2026-11-01 – 2026-11-30")
    _settled(page)
    return context, page


def _settled(page: Page) -> None:
    expect(page.locator('[data-dash-is-loading="true"]')).to_have_count(0, timeout=WORK_MS)


def _row(page: Page, name: str):
    return page.locator("#stats-table tr", has_text=name).first


def _no_overflow(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways: {scroll} > {width}"
    for selector in (".gw-stats-rates", ".gw-stats-charts", ".gw-stats-cards"):
        box = settled_box(page, selector)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (selector, box)


def _xlsx_rows(page: Page, link: str) -> tuple[list[object], list[tuple[object, ...]]]:
    with page.expect_download() as download:
        page.locator(link).tap()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    header = [c.value for c in sheet[1]]
    return header, list(sheet.iter_rows(min_row=2, values_only=True))


@pytest.mark.parametrize("size", [TABLET, DESK], ids=["tablet", "desk"])
def test_a_leader_reads_the_rates_drills_down_and_exports(
    stats_server: tuple[LiveServer, Record, Names], browser: Browser, size: tuple[int, int]
):
    server, record, names = stats_server
    context, page = _open(browser, server, size, record.street)
    tag = f"{size[0]}x{size[1]}"
    expect(_row(page, names.community_a)).to_contain_text("75.0%")  # 结案率 15/20
    expect(_row(page, "合计")).to_contain_text("15/20")
    assert names.community_b_name not in page.locator("#stats-table").inner_text()
    expect(page.locator("#stats-rates-chart .bars path").first).to_be_attached()
    expect(page.locator("#stats-monthly .bars path").first).to_be_attached()
    expect(page.locator("#stats-cards tr.gw-stats-card-red").first).to_contain_text(
        names.community_a
    )
    assert settled_box(page, "#stats-table tr.gw-lead-row")["height"] >= 44
    assert settled_box(page, ".gw-lead-kind")["height"] >= 44
    _no_overflow(page, size[0])
    screenshot(page, f"stats-street-{tag}")
    page.locator(".gw-stats-charts").scroll_into_view_if_needed()
    screenshot(page, f"stats-charts-{tag}")

    _row(page, names.community_a).tap()
    expect(page.locator("#stats-crumbs")).to_contain_text(names.community_a)
    expect(page.locator("#stats-title")).to_contain_text("各网格统计")
    expect(_row(page, names.grid_lapsed)).to_contain_text("50.0%")
    expect(_row(page, names.grid_lapsed)).to_contain_text("5/10")
    _settled(page)
    _no_overflow(page, size[0])
    screenshot(page, f"stats-community-{tag}")
    page.locator(".gw-stats-cards").scroll_into_view_if_needed()
    expect(page.locator("#stats-cards")).to_contain_text("结案率低于 60%")
    screenshot(page, f"stats-cards-{tag}")

    header, rows = _xlsx_rows(page, "#stats-export-rates-xlsx")
    assert header[:6] == [
        "网格",
        "发现事件",
        "结案",
        "调查发现率·分子",
        "调查发现率·分母",
        "调查发现率（%）",
    ]
    lapsed = next(r for r in rows if names.grid_lapsed in str(r[0]))  # with its community
    assert lapsed[1:6] == (10, 5, 5, 10, 50)
    assert lapsed[header.index("结案率（%）")] == 50
    card_header, cards = _xlsx_rows(page, "#stats-export-cards-xlsx")
    assert card_header == ["层级", "单位", "牌色", "原因"]
    assert names.grid_lapsed in str(cards[0][1])
    assert cards[0][2:] == ("红牌", "期内有事件超时（红牌）")

    page.locator("#stats-crumbs button", has_text=names.street).tap()
    expect(page.locator("#stats-title")).to_contain_text("各社区统计")
    expect(_row(page, names.community_a)).to_be_visible()
    context.close()


def test_a_street_leader_never_sees_another_street(
    stats_server: tuple[LiveServer, Record, Names], browser: Browser
):
    server, record, names = stats_server
    context, page = _open(browser, server, TABLET, names.street_b)
    expect(page.locator("#stats-crumbs")).to_contain_text("乙街道")
    expect(page.locator("#stats-table")).to_contain_text("本期无数据")  # nothing happened there
    expect(page.locator("#stats-cards")).to_contain_text("本期无红黄牌")
    assert names.community_a not in page.locator("#stats-cards").inner_text()
    assert names.street not in page.locator("#stats-crumbs").inner_text()
    answer = page.request.get(
        f"{server.url}/stats/export.csv?node={record.street}&kind=month&value=2026-11"
    )
    assert answer.status == 400 and "不在您的管辖范围" in answer.text()
    bad = page.request.get(f"{server.url}/stats/export.xlsx?kind=month&value=2026-13")
    assert bad.status == 400 and "2026-13" in bad.text()
    page.fill("#stats-value", "2026-13")
    page.press("#stats-value", "Enter")
    expect(page.locator("#stats-msg")).to_contain_text("2026-13")
    screenshot(page, "stats-bad-period-1024x768")
    context.close()
