"""The leader page's reads on SQLite and PostgreSQL: a hand-made record gives hand-computed
ranking rows, tiles and charts; a node or staff member outside the subtree is refused.

Hand computation of the lapsed grid's November (grid-level indicators of the shipped
scheme; alerts, ack time and online rate have no denominator, so they do not apply):
discovery 5/10 → 5, dispatch 10/10 → 10, feedback 10/10 → 10, on time 5/10 → 7.5,
closure 5/10 → 7.5, verification 5/5 → 10, overdue 10 − 3 × 1 → 7, escalations 5:
62 points of 85 → 72.94. Cards: red (a red lapse; closure below 60%), yellow (on time
below 80%). Its October was perfect (100, rank 1): trend down, rank change −1.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.assessment import (
    NO_RIGHT,
    NO_STAFF,
    OUTSIDE,
    export_table,
    leader_view,
    read_period,
    unit_detail,
)
from dashboard.access.base import Refused
from dashboard.auth.current import SessionUser
from dashboard.services import Services, make_redis
from dashboard.settings import Settings
from data.assessment.scheme import load_scheme
from data.incidents.categories import load_categories
from data.models import Role
from data.org_tree import OrgTree
from tests.support.assessment import Record, add_record

NOVEMBER = read_period("month", "2026-11")


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


def test_a_community_ranks_its_grids_as_computed_by_hand(services, tree, record):
    leader = _who(Role.LEADER, record.community_a)
    view = leader_view(services, tree, leader, None, NOVEMBER)
    assert view.node.id == record.community_a and view.level == "grid"
    rows = {r.unit_id: r for r in view.rows}
    good, lapsed = rows[record.grid_good], rows[record.grid_lapsed]
    assert (good.score, good.rank, good.red_cards, good.yellow_cards) == (100.0, 1, 0, 0)
    assert (lapsed.score, lapsed.rank, lapsed.red_cards, lapsed.yellow_cards) == (72.94, 2, 2, 1)
    assert (lapsed.prev_score, lapsed.prev_rank, lapsed.trend, lapsed.rank_change) == (
        100.0,
        1,
        "down",
        -1,
    )
    assert "结案率低于 60%" in lapsed.cards
    ranked = [r for r in view.rows if r.has_data]
    assert [r.unit_id for r in ranked] == [record.grid_good, record.grid_lapsed]  # worst last
    idle = view.rows[len(ranked) :]  # the grids without any activity: no score, no rank
    assert idle and all((r.score, r.rank, r.trend) == (None, None, "flat") for r in idle)
    assert [r.name for r in idle] == sorted(r.name for r in idle)
    tiles = {k.label: (k.value, k.previous) for k in view.kpis}
    assert tiles["发现事件"] == (20, 10)
    assert tiles["结案"] == (15, 10)
    assert tiles["按时办理率"] == (0.75, 1.0)
    assert tiles["超时（红灯）"] == (1, 0)
    months = dict((m, (found, closed)) for m, found, closed in view.monthly)
    assert len(view.monthly) == 12 and view.monthly[0][0] == "2025-12"
    assert months["2026-10"] == (10, 10) and months["2026-11"] == (20, 15)
    assert [c.node_id for c in view.breadcrumb] == [record.community_a]


def test_drill_down_from_the_street_to_staff(services, tree, record):
    leader = _who(Role.LEADER, record.street)
    street = leader_view(services, tree, leader, None, NOVEMBER)
    assert street.level == "community" and record.community_a in {r.unit_id for r in street.rows}
    grid = leader_view(services, tree, leader, record.grid_good, NOVEMBER)
    assert grid.level == "staff"
    assert [c.node_id for c in grid.breadcrumb] == [
        record.street,
        record.community_a,
        record.grid_good,
    ]
    staff_row = next(r for r in grid.rows if r.unit_id == record.staff_good)
    assert staff_row.score == 100.0 and staff_row.rank == 1
    detail = unit_detail(services, tree, leader, "staff", record.staff_good, NOVEMBER)
    assert detail.score == 100.0 and len(detail.trend) == 12


def test_explain_gives_each_indicator_its_raw_numbers(services, tree, record):
    leader = _who(Role.DUTY_OFFICER, record.community_a)
    detail = unit_detail(services, tree, leader, "grid", record.grid_lapsed, NOVEMBER)
    assert detail.score == 72.94 and detail.level == "grid"
    closure = next(i for i in detail.indicators if i["code"] == "closure_rate")
    assert (closure["numerator"], closure["denominator"], closure["points"]) == (5, 10, 7.5)
    assert dict(detail.trend)["2026-11"] == 72.94 and dict(detail.trend)["2026-10"] == 100.0
    assert dict(detail.trend)["2026-09"] is None  # no data that month
    assert detail.rank == 2 and detail.has_data  # among its community's grids, as listed


def test_a_grid_without_activity_has_no_score(services, tree, record):
    leader = _who(Role.LEADER, record.street)
    detail = unit_detail(services, tree, leader, "grid", record.grid_b, NOVEMBER)
    assert (detail.score, detail.rank, detail.has_data) == (None, None, False)
    assert {score for _month, score in detail.trend} == {None}


def test_outside_the_subtree_is_refused_with_a_message(services, tree, record):
    leader = _who(Role.LEADER, record.community_a)
    with pytest.raises(Refused, match=OUTSIDE):
        leader_view(services, tree, leader, record.community_b, NOVEMBER)
    with pytest.raises(Refused, match=OUTSIDE):
        leader_view(services, tree, leader, record.street, NOVEMBER)  # above is outside too
    with pytest.raises(Refused, match=OUTSIDE):
        unit_detail(services, tree, leader, "grid", record.grid_b, NOVEMBER)
    with pytest.raises(Refused, match=NO_STAFF):
        unit_detail(services, tree, leader, "staff", record.staff_b, NOVEMBER)
    with pytest.raises(Refused, match=OUTSIDE):
        export_table(services, tree, leader, record.community_b, NOVEMBER)
    with pytest.raises(Refused, match=OUTSIDE):
        leader_view(services, tree, leader, 10**9, NOVEMBER)


def test_roles_without_the_permission_are_refused(services, tree, record):
    for role in (Role.ADMIN, Role.GRID_STAFF, Role.WALL):
        with pytest.raises(Refused, match=NO_RIGHT):
            leader_view(services, tree, _who(role, record.street), None, NOVEMBER)


def test_a_bad_period_is_a_message():
    with pytest.raises(Refused, match="2026-13"):
        read_period("month", "2026-13")
    with pytest.raises(Refused, match="未知的时间段类型"):
        read_period("fortnight", "2026")


def test_the_export_rows_have_chinese_headers(services, tree, record):
    leader = _who(Role.LEADER, record.community_a)
    _view, header, rows = export_table(services, tree, leader, None, NOVEMBER)
    assert header[:3] == ["名次", "网格", "得分"]
    assert "结案率（得分）" in header
    lapsed = next(row for row in rows if row[0] == 2)
    assert (lapsed[2], lapsed[3], lapsed[6], lapsed[7], lapsed[8]) == (72.94, 100.0, "下降", 2, 1)
    assert rows[-1][:3] == [None, rows[-1][1], None]  # no data: unranked, unscored, last
