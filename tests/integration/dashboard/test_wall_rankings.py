"""The wall's rankings on SQLite and PostgreSQL, from the hand-made record of
tests/support/assessment.py (scores computed by hand there and in
tests/integration/dashboard/access/test_assessment.py): top and bottom of the level
below the focus, this month and its trend; a focus outside the wall's subtree is refused.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.base import Refused
from dashboard.access.wall_rankings import NO_RIGHT, OUTSIDE, wall_monthly, wall_rankings
from dashboard.auth.current import SessionUser
from dashboard.services import Services, make_redis
from dashboard.settings import Settings
from data.assessment.scheme import load_scheme
from data.incidents.categories import load_categories
from data.models import NodeKind, OrgNode, Role
from data.org_tree import OrgTree
from tests.support.accounts import login, make_user
from tests.support.assessment import NOVEMBER, Record, add_record
from tests.support.dash_calls import call

MONTH_END = dt.date(2026, 11, 30)


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


def _wall(node_id: int) -> SessionUser:
    return SessionUser(7, "wall-test", "大屏", Role.WALL, node_id)


def test_a_community_wall_shows_its_grids_best_first_and_the_lapsed_one_last(
    services, tree, record
):
    # on the month's last day the month is whole and compared with the 30 days before it
    # (a running month is compared to date: see test_mid_month_the_trend_compares_like_for_like)
    shown = wall_rankings(services, tree, _wall(record.community_a), None, today=MONTH_END)
    assert (shown.focus_id, shown.level, shown.level_label) == (record.community_a, "grid", "网格")
    assert shown.period_label == "2026年11月"
    best, worst = shown.ranking[0], shown.ranking[-1]
    # the perfect grid ranks first (tied, by name, with any grid that lost no points)
    firsts = {r.unit_id: r.score for r in shown.ranking if r.rank == 1}
    assert firsts[record.grid_good] == 100.0 and best.unit_id in firsts
    # 72.94 by hand; perfect in October, so down, one place lost; red and yellow cards
    assert (worst.unit_id, worst.score, worst.trend, worst.rank_change) == (
        record.grid_lapsed,
        72.94,
        "down",
        -1,
    )
    assert (worst.red_cards, worst.yellow_cards) == (2, 1)
    assert shown.bottom(1) == [worst] and shown.top(1) == [best]
    # the month's figures: found 10 + 10, closed 10 + 5, one red lapse
    assert (shown.found, shown.closed, shown.red_lapses) == (20, 15, 1)
    assert shown.red_units == 1 and shown.yellow_units == 1
    monthly = wall_monthly(services, tree, _wall(record.community_a), None, today=NOVEMBER)
    months = {m: (found, closed) for m, found, closed in monthly}
    assert len(monthly) == 12 and monthly[0][0] == "2025-12" and monthly[-1][0] == "2026-11"
    assert months["2026-11"] == (20, 15) and months["2026-10"] == (10, 10)


def test_top_and_bottom_never_list_a_unit_twice_and_unscored_units_are_named_apart(
    services, tree, record
):
    shown = wall_rankings(services, tree, _wall(record.community_a), None, today=NOVEMBER)
    for size in (1, 2, 5, 10):
        top, bottom = shown.top(size), shown.bottom(size)
        assert not {r.unit_id for r in top} & {r.unit_id for r in bottom}
        assert [r.score for r in top] == sorted((r.score for r in top), reverse=True)
        assert [r.score for r in bottom] == sorted(r.score for r in bottom)
    assert all(r.score is not None for r in shown.ranking)
    # fewer than twice as many units as a list holds: the two ends split them all
    half = shown.half(10)
    assert half == min(10, (len(shown.ranking) + 1) // 2)
    assert len(shown.top(half)) + len(shown.bottom(half)) == len(shown.ranking)
    assert {r.name for r in shown.ranking} >= {"第1网格", "第2网格"}  # own names, no prefix
    names = {r.name for r in shown.ranking}
    assert not names & set(shown.no_data)  # "本期无数据" units are never ranked


def test_a_grid_wall_ranks_its_staff_members(services, tree, record):
    shown = wall_rankings(services, tree, _wall(record.grid_good), None, today=NOVEMBER)
    assert shown.level == "staff"
    firsts = {r.unit_id: r.score for r in shown.ranking if r.rank == 1}
    assert firsts[record.staff_good] == 100.0


def test_a_street_wall_may_focus_a_community_inside_but_never_one_outside(services, tree, record):
    street_wall = _wall(record.street)
    inside = wall_rankings(services, tree, street_wall, record.community_a, today=NOVEMBER)
    assert inside.level == "grid"
    community_wall = _wall(record.community_b)
    with pytest.raises(Refused) as refused:
        wall_rankings(services, tree, community_wall, record.community_a, today=NOVEMBER)
    assert refused.value.message == OUTSIDE
    with pytest.raises(Refused, match=OUTSIDE):
        wall_rankings(services, tree, community_wall, 10**9, today=NOVEMBER)
    with pytest.raises(Refused, match=OUTSIDE):
        wall_monthly(services, tree, community_wall, record.community_a, today=NOVEMBER)


def test_an_account_without_the_wall_permission_is_refused(services, tree, record):
    public = SessionUser(8, "nobody", "公众", "public", record.street)  # type: ignore[arg-type]
    with pytest.raises(Refused) as refused:
        wall_rankings(services, tree, public, None, today=NOVEMBER)
    assert refused.value.message == NO_RIGHT


def test_the_wall_callback_answers_its_own_subtree_and_refuses_the_rest(running):
    """Through HTTP as the browser calls it: a forged focus gets the refusal, not a 500
    and not another community's ranking."""
    with running.app.services.sessions() as db:
        mine, other = db.scalars(
            select(OrgNode).where(OrgNode.kind == NodeKind.COMMUNITY).order_by(OrgNode.id)
        ).all()[:2]
    other_names = {c.name for c in running.app.tree.get().children_of(other.id)}
    account = make_user(running.app.services.sessions, Role.WALL, mine.id)
    http = login(running.url, *account)
    dash = running.app.dash

    own = call(http, running.url, dash, "wall-rank-panel.children", {"wall-focus.data": mine.id})
    own_text = json.dumps(own.json(), ensure_ascii=False)
    assert own.status_code == 200 and "龙虎榜" in own_text and OUTSIDE not in own_text
    for focus in (other.id, 10**12):
        foreign = call(
            http, running.url, dash, "wall-rank-panel.children", {"wall-focus.data": focus}
        )
        text = json.dumps(foreign.json(), ensure_ascii=False)
        assert foreign.status_code == 200 and OUTSIDE in text
        assert not any(name in text for name in other_names)
    # no playlist stored: the wall shows its map only
    playlist = call(http, running.url, dash, "wall-playlist.data", {"wall-focus.data": mine.id})
    assert playlist.status_code == 200 and playlist.json()["response"]["wall-playlist"] == {
        "data": None
    }


def test_mid_month_the_trend_compares_like_for_like(services, tree, record):
    """On 10 November the month so far (1–10) is compared with 22–31 October, not with
    the whole of October: the lapsed grid's perfect October (the 10th) is not in it."""
    shown = wall_rankings(services, tree, _wall(record.community_a), None, today=NOVEMBER)
    lapsed = next(r for r in shown.ranking if r.unit_id == record.grid_lapsed)
    assert lapsed.score == 72.94 and lapsed.trend == "flat"  # nothing to compare with
