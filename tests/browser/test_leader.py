"""The leader page on a touch tablet and at 1920x1080: the ranking, drilling from the city
to one staff member and back, the map shaded by score (a tapped area drills down), an empty
period, the XLSX export, and a street leader who never sees another street. The record is
hand-made (tests/support/assessment.py), November 2026.
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
from data.models import POST_LABELS, NodeKind, OrgNode, Role, Staff
from tests.support.assessment import Record, add_record
from tests.support.browser import LiveServer, login_in_browser, screenshot, settled_box
from tests.support.city import add_child_node
from tests.support.server_process import start_server, stop_server

TABLET = (1180, 820)
#: a drill-down and its explanation on a loaded 2-core box (the page answers far faster alone)
WORK_MS = 20_000


@dataclass(frozen=True)
class Names:
    city: int
    city_name: str
    district: str
    street: str
    community_a: str
    grid_good: str
    grid_lapsed: str
    grids_a: int
    staff_good: str
    staff_good_post: str
    street_b: int
    community_b_name: str


@pytest.fixture
def leader_server(
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
        street_b = add_child_node(db, district, NodeKind.STREET, "乙街道", "T-B")
        community_b = add_child_node(db, street_b, NodeKind.COMMUNITY, "乙社区", "T-B-1")
        add_child_node(db, community_b, NodeKind.GRID, "乙第1网格", "T-B-1-1")
        assert district is not None and district.parent_id is not None
        city = db.get(OrgNode, district.parent_id)
        assert city is not None
        names = Names(
            city=city.id,
            city_name=city.name,
            district=district.name,
            street=street.name,
            community_a=db.get(OrgNode, record.community_a).name,
            grid_good=db.get(OrgNode, record.grid_good).name,
            grid_lapsed=db.get(OrgNode, record.grid_lapsed).name,
            grids_a=len(
                db.scalars(select(OrgNode.id).where(OrgNode.parent_id == record.community_a)).all()
            ),
            staff_good=db.scalar(select(Staff.name).where(Staff.id == record.staff_good)),
            staff_good_post=POST_LABELS[
                db.scalar(select(Staff.post).where(Staff.id == record.staff_good))
            ],
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
    )
    page = context.new_page()
    login_in_browser(page, server, Role.LEADER, node_id)
    page.get_by_role("link", name="考核排名").click()
    expect(page.locator("#leader-title")).to_contain_text("排名", timeout=15_000)
    page.fill("#leader-value", "2026-11")
    page.press("#leader-value", "Enter")
    expect(page.locator("#leader-title")).to_contain_text("2026-11-01 – 2026-11-30")
    return context, page


def _row(page: Page, name: str):
    return page.locator("#leader-ranking tr.gw-lead-row", has_text=name).first


def _settled(page: Page, text: str) -> None:
    """The detail panel shows ``text`` and no part of the page is still loading."""
    expect(page.locator("#leader-detail")).to_contain_text(text, timeout=WORK_MS)
    expect(page.locator('[data-dash-is-loading="true"]')).to_have_count(0, timeout=WORK_MS)


def _no_overflow(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page scrolls sideways: {scroll} > {width}"
    for selector in (
        "#leader-ranking table",
        ".gw-lead-kpis",
        ".gw-lead-mapbox",
        ".gw-lead-charts",
    ):
        box = settled_box(page, selector)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (selector, box)


def test_a_leader_drills_from_the_city_to_staff_and_back(
    leader_server: tuple[LiveServer, Record, Names], browser: Browser
):
    server, _record, names = leader_server
    context, page = _open(browser, server, TABLET, names.city)
    expect(page.locator("#leader-title")).to_contain_text("区县排名")
    _row(page, names.district).tap()
    expect(page.locator("#leader-title")).to_contain_text("街道排名")
    _row(page, names.street).tap()
    expect(page.locator("#leader-title")).to_contain_text("社区排名")
    expect(_row(page, names.community_a)).to_be_visible()
    expect(page.locator(".gw-lead-kpi").first).to_contain_text("20")  # found in November
    assert names.community_b_name not in page.locator("#leader-ranking").inner_text()
    # the tap targets are large enough for a finger
    assert settled_box(page, "#leader-ranking tr.gw-lead-row")["height"] >= 44
    assert settled_box(page, ".gw-lead-kind")["height"] >= 44
    _no_overflow(page, TABLET[0])
    _settled(page, "得分/满分")
    screenshot(page, "leader-street-1180x820")
    page.locator(".gw-lead-mapbox").scroll_into_view_if_needed()
    expect(page.locator("#leader-map .gw-lead-area-label").first).to_be_visible()
    screenshot(page, "leader-map-street-1180x820")

    _row(page, names.community_a).tap()
    expect(page.locator("#leader-crumbs")).to_contain_text(names.community_a)
    expect(page.locator("#leader-title")).to_contain_text("网格排名")
    expect(_row(page, "72.94")).to_contain_text("红牌 2")
    expect(page.locator("#leader-detail")).to_contain_text(names.community_a)
    screenshot(page, "leader-community-1180x820")

    _row(page, names.grid_good).tap()
    expect(page.locator("#leader-title")).to_contain_text("人员排名")
    # each staff member is named with their own post, in the row and in the detail
    expect(_row(page, names.staff_good)).to_contain_text(names.staff_good_post)
    _row(page, names.staff_good).tap()
    expect(page.locator("#leader-detail")).to_contain_text(
        f"{names.staff_good}（{names.staff_good_post}）", timeout=WORK_MS
    )
    expect(page.locator("#leader-detail")).to_contain_text("100.00")
    screenshot(page, "leader-staff-1180x820")

    page.locator("#leader-crumbs button", has_text=names.street).tap()
    expect(page.locator("#leader-title")).to_contain_text("社区排名")
    expect(_row(page, names.community_a)).to_be_visible()
    page.locator("#leader-crumbs button", has_text=names.city_name).tap()
    expect(page.locator("#leader-title")).to_contain_text("区县排名")
    _row(page, names.district).tap()
    _row(page, names.street).tap()
    expect(page.locator("#leader-title")).to_contain_text("社区排名")

    with page.expect_download() as download:
        page.locator("#leader-export-xlsx").tap()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["名次", "社区", "得分"]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[names.community_a][2] is not None
    context.close()


def test_the_page_at_desk_and_small_tablet_sizes(
    leader_server: tuple[LiveServer, Record, Names], browser: Browser
):
    server, record, names = leader_server
    for size in ((1920, 1080), (1024, 768)):
        context, page = _open(browser, server, size, record.community_a)
        expect(_row(page, "72.94")).to_be_visible()
        _no_overflow(page, size[0])
        _settled(page, "得分/满分")
        screenshot(page, f"leader-community-{size[0]}x{size[1]}")
        page.locator(".gw-lead-mapbox").scroll_into_view_if_needed()
        expect(page.locator("#leader-map path.gw-lead-area")).to_have_count(names.grids_a)
        screenshot(page, f"leader-map-community-{size[0]}x{size[1]}")
        page.locator(".gw-lead-charts").scroll_into_view_if_needed()
        expect(page.locator("#leader-monthly .bars path").first).to_be_attached()
        screenshot(page, f"leader-charts-{size[0]}x{size[1]}")
        _row(page, "72.94").tap()  # a grid: its staff (no facts per staff in that grid)
        expect(page.locator("#leader-title")).to_contain_text("人员排名")
        page.locator("#leader-detail").scroll_into_view_if_needed()
        expect(page.locator("#leader-detail")).to_contain_text("72.94", timeout=WORK_MS)
        screenshot(page, f"leader-grid-{size[0]}x{size[1]}")
        context.close()


def test_the_map_is_shaded_by_score_and_a_tapped_area_drills_down(
    leader_server: tuple[LiveServer, Record, Names], browser: Browser
):
    server, record, names = leader_server
    context, page = _open(browser, server, (1024, 768), record.community_a)
    areas = page.locator("#leader-map path.gw-lead-area")
    expect(areas).to_have_count(names.grids_a)
    good = page.locator(f"#leader-map path.gw-lead-area-{record.grid_good}")
    lapsed = page.locator(f"#leader-map path.gw-lead-area-{record.grid_lapsed}")
    expect(good).to_have_attribute("fill", "#16a34a")  # the best: the green end
    lapsed_fill = lapsed.get_attribute("fill")
    assert lapsed_fill not in (None, "#16a34a", "#64748b"), lapsed_fill
    # each area's name and score are written on the map; the legend names its ends and grey
    labels = page.locator("#leader-map .gw-lead-area-label")
    expect(labels.filter(has_text=names.grid_lapsed).first).to_contain_text("72.94 分")
    legend = page.locator("#leader-map-legend")
    expect(legend).to_contain_text("70 分")
    expect(legend).to_contain_text("100 分")
    expect(legend).to_contain_text("本期无数据")
    # one finger scrolls the page past the map on a tablet; two move the map
    expect(page.locator("#leader-map")).to_have_attribute(
        "data-gesture-handling-touch-content", "使用双指移动地图"
    )
    page.locator(".gw-lead-mapbox").scroll_into_view_if_needed()
    _no_overflow(page, 1024)
    _settled(page, "得分/满分")
    screenshot(page, "leader-map-1024x768")

    lapsed.tap()
    expect(page.locator("#leader-crumbs")).to_contain_text(names.grid_lapsed)
    expect(page.locator("#leader-title")).to_contain_text("人员排名")
    expect(page.locator("#leader-detail")).to_contain_text("72.94", timeout=WORK_MS)
    # a grid's staff have no areas: its outline and a note instead of a scale
    expect(legend).to_contain_text("网格员级别无分区地图")
    expect(areas).to_have_count(0)
    screenshot(page, "leader-map-grid-1024x768")
    # back up by the breadcrumb, and the same area answers a second tap
    page.locator("#leader-crumbs button", has_text=names.community_a).tap()
    expect(areas).to_have_count(names.grids_a)
    lapsed.tap()
    expect(page.locator("#leader-crumbs")).to_contain_text(names.grid_lapsed)
    expect(areas).to_have_count(0)

    # a month with nothing in it says so on the tiles, not four zeros
    page.fill("#leader-value", "2026-05")
    page.press("#leader-value", "Enter")
    expect(page.locator(".gw-lead-kpi-empty")).to_have_count(4)
    expect(page.locator(".gw-lead-kpis")).to_contain_text("本期无数据")
    context.close()


def test_a_street_leader_never_sees_another_street(
    leader_server: tuple[LiveServer, Record, Names], browser: Browser
):
    server, record, names = leader_server
    context, page = _open(browser, server, TABLET, names.street_b)
    expect(_row(page, names.community_b_name)).to_be_visible()
    text = page.locator("#leader-ranking").inner_text()
    assert (
        names.community_a not in text
        and names.street not in page.locator("#leader-crumbs").inner_text()
    )
    # asking the export for the other street by hand is refused with a message
    answer = page.request.get(
        f"{server.url}/leader/export.csv?node={record.street}&kind=month&value=2026-11"
    )
    assert answer.status == 400 and "不在您的管辖范围" in answer.text()
    bad = page.request.get(f"{server.url}/leader/export.xlsx?kind=month&value=2026-13")
    assert bad.status == 400 and "2026-13" in bad.text()
    context.close()
