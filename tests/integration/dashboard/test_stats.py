"""The /stats reads on SQLite and PostgreSQL: the hand-made record (tests/support/assessment.py,
November 2026) gives hand-computed rates, totals, monthly counts and cards; a node outside
the subtree and a bad period are refused with a message.

By hand, community A in November: the perfect grid reported 10 (10 by its own staff), 10
accepted, dispatched, handled (on time), closed and verified; the lapsed grid reported 10
(5 own), 10 accepted, dispatched and handled (5 on time), 5 closed, 5 verified and 1 red
lapse. So the lapsed grid's 调查发现率 is 5/10 = 50%, 处置交办率 10/10, 上报反馈率 10/10,
结案率 5/10 = 50%; community A's total: 发现 20, 结案 15, 调查发现率 15/20 = 75%,
结案率 15/20 = 75%, 按时办理率 15/20 = 75%, and its score (community indicators: 7.5 + 10 +
10 + 11.25 + 11.25 + 10 + 7 (one red lapse: 10 − 3) + 5 = 72 of 85) 84.71. Cards: the
lapsed grid gets two red (the red lapse; closure below 60%) and one yellow (on time below
80%); community A itself, as a unit of the street, a red (the lapse) and a yellow (on
time 75% < 80%); its closure (75%) is above the red floor.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.assessment import NO_RIGHT, OUTSIDE, read_period
from dashboard.access.base import Refused
from dashboard.access.stats import (
    cards_export,
    rates_export,
    read_sums,
    score_level,
    stats_view,
)
from dashboard.auth.current import SessionUser
from dashboard.services import Services, make_redis
from dashboard.settings import Settings
from data.assessment.facts import load_staff
from data.assessment.scheme import load_scheme
from data.assessment.scoring import score_from_store
from data.incidents.categories import load_categories
from data.models import Role
from data.org_tree import OrgTree
from tests.support.assessment import Record, add_record

NOVEMBER = read_period("month", "2026-11")
RED_LAPSE = "期内有事件超时（红牌）"
LOW_CLOSURE = "结案率低于 60%"
LATE = "按时办理率低于 80%"


@pytest.fixture
def services(engine: Engine, sessions: sessionmaker[Session]) -> Services:
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False))
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        redis=make_redis("redis://127.0.0.1:1/0"),  # never contacted by these reads
        categories=load_categories(None),
        scheme=load_scheme(None),
    )


@pytest.fixture
def record(sessions: sessionmaker[Session]) -> Record:
    return add_record(sessions)


@pytest.fixture
def tree(sessions: sessionmaker[Session], record: Record) -> OrgTree:
    with sessions() as db:
        return OrgTree.load(db)


def _who(role: Role, node_id: int) -> SessionUser:
    return SessionUser(1, "tester", "测试", role, node_id)


def test_a_community_shows_each_grids_rates_as_computed_by_hand(services, tree, record):
    view = stats_view(services, tree, _who(Role.LEADER, record.community_a), None, NOVEMBER)
    assert view.level == "grid" and view.node.id == record.community_a
    codes = [c.code for c in view.columns]
    assert codes[:5] == [
        "discovery_rate",
        "dispatch_rate",
        "feedback_rate",
        "on_time_rate",
        "closure_rate",
    ]
    rows = {r.unit_id: r for r in view.rows}
    lapsed = rows[record.grid_lapsed]
    assert (lapsed.found, lapsed.closed) == (10, 5)
    discovery = lapsed.cells["discovery_rate"]
    assert (discovery.numerator, discovery.denominator, discovery.value) == (5, 10, 0.5)
    assert lapsed.cells["dispatch_rate"].value == 1.0
    assert lapsed.cells["feedback_rate"].value == 1.0
    assert lapsed.cells["closure_rate"].value == 0.5
    assert lapsed.cells["overdue_deductions"].numerator == 3  # one red lapse
    good = rows[record.grid_good]
    assert (good.found, good.closed, good.cells["closure_rate"].value) == (10, 10, 1.0)
    quiet = [r for r in view.rows if r.unit_id not in (record.grid_good, record.grid_lapsed)]
    assert quiet and all(r.cells["closure_rate"].value is None for r in quiet)  # shown as —
    assert all((r.found, r.closed) == (0, 0) for r in quiet)


def test_the_total_row_is_the_node_itself(services, tree, record):
    view = stats_view(services, tree, _who(Role.LEADER, record.community_a), None, NOVEMBER)
    total = view.total
    assert total.unit_id == record.community_a and "合计" in total.name
    assert (total.found, total.closed) == (20, 15)
    discovery = total.cells["discovery_rate"]
    assert (discovery.numerator, discovery.denominator, discovery.value) == (15, 20, 0.75)
    assert total.cells["closure_rate"].value == 0.75
    assert total.cells["on_time_rate"].value == 0.75
    assert total.cells["alert_ack_rate"].value is None  # no alert texts: nothing to divide by
    assert total.score == pytest.approx(84.71, abs=0.005)


def test_the_city_total_sums_every_grid(services, tree, record):
    root = tree.root
    assert root is not None
    view = stats_view(services, tree, _who(Role.LEADER, root.id), None, NOVEMBER)
    assert view.level == "district"
    assert (view.total.found, view.total.closed) == (20, 15)
    assert view.total.cells["closure_rate"].value == 0.75
    assert sum(r.found for r in view.rows) == 20
    # above a street the card list stops at the grids (staff cards: under each street)
    assert {c.level for c in view.cards} == {"district", "street", "community", "grid"}
    assert "网格员的红黄牌请进入街道后查看" in view.cards_note


def test_monthly_found_and_closed_for_twelve_months(services, tree, record):
    view = stats_view(services, tree, _who(Role.LEADER, record.community_a), None, NOVEMBER)
    months = {m: (found, closed) for m, found, closed in view.monthly}
    assert len(view.monthly) == 12 and view.monthly[0][0] == "2025-12"
    assert months["2026-10"] == (10, 10) and months["2026-11"] == (20, 15)
    assert months["2026-09"] == (0, 0)


def test_the_card_list_covers_every_level_below_red_first(services, tree, record):
    view = stats_view(services, tree, _who(Role.LEADER, record.street), None, NOVEMBER)
    got = [(c.level, c.unit_id, c.color, c.reason) for c in view.cards]
    assert got == [
        ("community", record.community_a, "red", RED_LAPSE),
        ("grid", record.grid_lapsed, "red", RED_LAPSE),
        ("grid", record.grid_lapsed, "red", LOW_CLOSURE),
        ("community", record.community_a, "yellow", LATE),
        ("grid", record.grid_lapsed, "yellow", LATE),
    ]
    assert view.cards_total == 5 and view.cards_note == ""
    assert view.cards[0].level_label == "社区" and view.cards[0].color_label == "红牌"


def test_a_community_leader_sees_only_its_grids_cards(services, tree, record):
    view = stats_view(services, tree, _who(Role.DUTY_OFFICER, record.community_a), None, NOVEMBER)
    assert {(c.level, c.unit_id) for c in view.cards} == {("grid", record.grid_lapsed)}


def test_a_grid_shows_its_staff_members(services, tree, record):
    leader = _who(Role.LEADER, record.street)
    view = stats_view(services, tree, leader, record.grid_good, NOVEMBER)
    assert view.level == "staff"
    assert "closure_rate" not in {c.code for c in view.columns}  # not a staff indicator
    person = next(r for r in view.rows if r.unit_id == record.staff_good)
    assert (person.found, person.closed) == (10, 10)
    assert person.cells["discovery_rate"].value == 1.0
    assert view.total.found == 10
    assert [c.node_id for c in view.breadcrumb] == [
        record.street,
        record.community_a,
        record.grid_good,
    ]


def test_another_street_or_community_is_refused(services, tree, record):
    leader = _who(Role.LEADER, record.community_a)
    with pytest.raises(Refused, match=OUTSIDE):
        stats_view(services, tree, leader, record.community_b, NOVEMBER)
    with pytest.raises(Refused, match=OUTSIDE):
        stats_view(services, tree, leader, record.street, NOVEMBER)
    with pytest.raises(Refused, match=OUTSIDE):
        rates_export(services, tree, leader, record.grid_b, NOVEMBER)
    with pytest.raises(Refused, match=OUTSIDE):
        cards_export(services, tree, leader, record.community_b, NOVEMBER)
    with pytest.raises(Refused, match=OUTSIDE):
        stats_view(services, tree, leader, 10**9, NOVEMBER)


def test_roles_without_the_permission_are_refused(services, tree, record):
    for role in (Role.ADMIN, Role.GRID_STAFF, Role.WALL):
        with pytest.raises(Refused, match=NO_RIGHT):
            stats_view(services, tree, _who(role, record.street), None, NOVEMBER)


def test_a_bad_period_is_a_message():
    with pytest.raises(Refused, match="2026-13"):
        read_period("month", "2026-13")
    with pytest.raises(Refused, match="结束日期"):
        read_period("range", "2026-11-15..2026-11-01")


def test_the_exports_have_chinese_headers_and_the_numbers(services, tree, record):
    leader = _who(Role.LEADER, record.community_a)
    node, level, header, rows = rates_export(services, tree, leader, None, NOVEMBER)
    assert node.id == record.community_a and level == "grid"
    assert header[:3] == ["网格", "发现事件", "结案"]
    assert header[3:6] == ["调查发现率·分子", "调查发现率·分母", "调查发现率（%）"]
    by_name = {r[0]: r for r in rows}
    lapsed = by_name[tree.place_name(record.grid_lapsed)]
    assert lapsed[1:6] == [10, 5, 5, 10, 50.0]
    assert rows[-1][0].endswith("（合计）") and rows[-1][1:3] == [20, 15]
    _node, card_header, cards = cards_export(services, tree, leader, None, NOVEMBER)
    assert card_header == ["层级", "单位", "牌色", "原因"]
    assert cards[0][2:] == ["红牌", RED_LAPSE] and cards[-1][2:] == ["黄牌", LATE]


@pytest.mark.parametrize("level", ["district", "street", "community", "grid", "staff"])
def test_one_read_for_every_level_scores_as_score_from_store(services, sessions, tree, level):
    """The page sums the period once and scores every level from it; the numbers are the
    assessment core's own (``score_from_store`` reads once per level)."""
    root = tree.root
    with sessions() as db:
        sums = read_sums(db, services.scheme, tree, root, NOVEMBER, staff=True)
        staff = load_staff(db, root.path) if level == "staff" else None
        expected = score_from_store(db, services.scheme, tree, NOVEMBER, level, root.id, staff)
    got = score_level(services.scheme, tree, root, level, sums)
    pd.testing.assert_frame_equal(got[expected.columns], expected)
    assert got["reported"].sum() == (20 if level != "staff" else 10)
