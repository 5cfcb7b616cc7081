"""Scoring on a hand-made tree and facts table: every expected score worked out by hand.

Tree: 市 1 → 区 2 → 街道 3 → 社区甲 4 (网格1 = 6, 网格2 = 7), 社区乙 5 (网格1 = 8).
Scheme (small, so the arithmetic fits in a comment): closure rate closed/reported
weight 60; overdue deduction yellow 1, red 5, weight 20; alert ack rate weight 20;
cards: red for any red lapse, yellow for a closure rate below 50 %.
Score = 100 × points / weights of the indicators that apply.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from data.assessment.periods import Period
from data.assessment.scheme import Scheme, load_scheme, parse_scheme
from data.assessment.scoring import ScoringError, ranking, score_units
from data.models import NodeKind
from data.org_tree import NodeInfo, OrgTree

DAY = dt.date(2026, 11, 2)
BEFORE = dt.date(2026, 11, 1)
PERIOD = Period(DAY, DAY)
ALL = ["district", "street", "community", "grid", "staff"]

SCHEME = parse_scheme(
    {
        "indicators": {
            "closure_rate": {
                "label": "结案率",
                "kind": "ratio",
                "numerator": ["closed"],
                "denominator": ["reported"],
                "weight": 60,
                "levels": ALL,
            },
            "overdue": {
                "label": "超时扣分",
                "kind": "deduction",
                "per": {"yellow": 1, "red": 5},
                "weight": 20,
                "levels": ALL,
            },
            "ack_rate": {
                "label": "预警签收率",
                "kind": "ratio",
                "numerator": ["alert_acks"],
                "denominator": ["alert_deliveries"],
                "weight": 20,
                "levels": ALL,
            },
        },
        "cards": [
            {"color": "yellow", "reason": "结案率低", "indicator": "closure_rate", "below": 0.5,
             "levels": ALL},
            {"color": "red", "reason": "有红牌", "measure": "red", "at_least": 1, "levels": ALL},
        ],
    }
)  # fmt: skip


def _tree() -> OrgTree:
    tree = OrgTree()
    rows = [
        (1, None, NodeKind.CITY, "郑州市", "/1/"),
        (2, 1, NodeKind.DISTRICT, "金水区", "/1/2/"),
        (3, 2, NodeKind.STREET, "经八路街道", "/1/2/3/"),
        (4, 3, NodeKind.COMMUNITY, "社区甲", "/1/2/3/4/"),
        (5, 3, NodeKind.COMMUNITY, "社区乙", "/1/2/3/5/"),
        (6, 4, NodeKind.GRID, "网格1", "/1/2/3/4/6/"),
        (7, 4, NodeKind.GRID, "网格2", "/1/2/3/4/7/"),
        (8, 5, NodeKind.GRID, "网格1", "/1/2/3/5/8/"),
    ]
    for node_id, parent, kind, name, path in rows:
        depth = path.count("/") - 2
        tree.nodes[node_id] = NodeInfo(node_id, parent, kind, None, name, path, depth, 0.0, 0.0)
        tree.children.setdefault(parent, []).append(node_id)
    return tree


def _facts(rows: list[tuple[dt.date, int, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["day", "node_id", "staff_id", "measure", "value"])


FACTS = _facts([
    # grid 6: closure 3/4 → 45; overdue 20 − 2 = 18; no alerts → 100 × 63 / 80 = 78.75
    (DAY, 6, 0, "reported", 4), (DAY, 6, 0, "closed", 3), (DAY, 6, 0, "yellow", 2),
    # grid 7: closure 2/2 → 60; overdue 20 − 5 = 15; acks 2/4 → 10 → 100 × 85 / 100 = 85
    (DAY, 7, 0, "reported", 2), (DAY, 7, 0, "closed", 2), (DAY, 7, 0, "red", 1),
    (DAY, 7, 0, "alert_deliveries", 4), (DAY, 7, 0, "alert_acks", 2),
    # grid 8: closure 2/5 → 24; overdue 20 → 100 × 44 / 80 = 55
    (DAY, 8, 0, "reported", 5), (DAY, 8, 0, "closed", 2),
    # the day before: grid 6 1/1 → 100; grid 7 nothing → 100 (overdue only); grid 8 0/2 → 25
    (BEFORE, 6, 0, "reported", 1), (BEFORE, 6, 0, "closed", 1),
    (BEFORE, 8, 0, "reported", 2),
    # staff 11 (grid 6) one yellow → 95; staff 12 (grid 7) one red → 75
    (DAY, 6, 11, "yellow", 1), (DAY, 7, 12, "red", 1),
])  # fmt: skip
STAFF = pd.DataFrame(
    [(11, "张三", 6), (12, "李四", 7), (13, "王五", 8)], columns=["staff_id", "name", "node_id"]
)


def _rows(table: pd.DataFrame, *columns: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in table[list(columns)].itertuples(index=False, name=None)]


def test_grids_are_scored_ranked_compared_and_carded_as_worked_out_by_hand() -> None:
    table = ranking(SCHEME, _tree(), FACTS, PERIOD, "grid", 3)
    assert _rows(table, "unit_id", "name", "score", "rank") == [
        (7, "社区甲 · 网格2", 85.0, 1),
        (6, "社区甲 · 网格1", 78.75, 2),
        (8, "社区乙 · 网格1", 55.0, 3),
    ]
    # the day before grid 7 had no data: no score, no rank, nothing to compare (flat)
    assert _rows(table, "unit_id", "prev_score", "prev_rank", "trend", "rank_change")[1:] == [
        (6, 100.0, 1, "down", -1),
        (8, 25.0, 2, "up", -1),
    ]
    grid_7 = table.iloc[0]
    assert pd.isna(grid_7["prev_score"]) and pd.isna(grid_7["prev_rank"])
    assert (grid_7["trend"], grid_7["rank_change"]) == ("flat", 0)
    assert table["has_data"].all()
    assert _rows(table, "unit_id", "cards", "red_cards", "yellow_cards") == [
        (7, "有红牌", 1, 0),
        (6, "", 0, 0),
        (8, "结案率低", 0, 1),
    ]
    grid_6 = table[table["unit_id"] == 6].iloc[0]
    assert (grid_6["closure_rate.numerator"], grid_6["closure_rate.denominator"]) == (3, 4)
    assert (grid_6["closure_rate.value"], grid_6["closure_rate.points"]) == (0.75, 45.0)
    assert (grid_6["overdue.numerator"], grid_6["overdue.points"]) == (2.0, 18.0)
    assert pd.isna(grid_6["ack_rate.value"])  # no alert sent: the rate does not apply


def test_communities_sum_their_grids_measures_not_their_scores() -> None:
    # 社区甲 = grids 6 + 7: closure 5/6 → 50; overdue 20 − (2 + 5) = 13; acks 2/4 → 10 → 73
    table = score_units(SCHEME, _tree(), FACTS, PERIOD, "community", 1)
    assert _rows(table, "unit_id", "score", "rank", "cards") == [
        (4, 73.0, 1, "有红牌"),
        (5, 55.0, 2, "结案率低"),
    ]
    assert table.iloc[0]["closure_rate.numerator"] == 5.0
    assert table.iloc[0]["overdue.numerator"] == 7.0


def test_staff_members_are_scored_from_their_own_rows() -> None:
    table = score_units(SCHEME, _tree(), FACTS, PERIOD, "staff", 4, STAFF)
    assert _rows(table, "unit_id", "name", "score", "rank") == [
        (11, "张三", 95.0, 1),
        (12, "李四", 75.0, 2),
    ]


def test_equal_scores_share_a_dense_rank_listed_by_name() -> None:
    closed_7 = _facts([(BEFORE, 7, 0, "reported", 3), (BEFORE, 7, 0, "closed", 3)])
    facts = pd.concat([FACTS, closed_7], ignore_index=True)
    table = score_units(SCHEME, _tree(), facts, Period(BEFORE, BEFORE), "grid", 1)
    assert _rows(table, "unit_id", "score", "rank") == [(6, 100.0, 1), (7, 100.0, 1), (8, 25.0, 2)]


def test_a_unit_with_no_data_has_no_score_and_no_rank_and_comes_last_by_name() -> None:
    # the day before, grid 7 had no incident, no alert and no lapse: not a perfect 100
    table = ranking(SCHEME, _tree(), FACTS, Period(BEFORE, BEFORE), "grid", 1)
    assert _rows(table, "unit_id", "has_data") == [(6, True), (8, True), (7, False)]
    empty = table.iloc[-1]
    assert pd.isna(empty["score"]) and pd.isna(empty["rank"])
    assert (empty["trend"], empty["rank_change"]) == ("flat", 0)
    assert list(table["rank"][:2]) == [1, 2]
    # the community of grids 6 and 7 has data (grid 6's): a no-data grid adds nothing
    communities = score_units(SCHEME, _tree(), FACTS, Period(BEFORE, BEFORE), "community", 1)
    assert _rows(communities, "unit_id", "score", "has_data") == [(4, 100.0, True), (5, 25.0, True)]


def test_units_without_data_are_listed_by_name_after_the_ranked_ones() -> None:
    nothing = _facts([(DAY, 8, 0, "reported", 1)])
    table = score_units(SCHEME, _tree(), nothing, PERIOD, "grid", 1)
    # 社区乙 · 网格1 (8) is ranked; 社区甲 · 网格1 (6) and · 网格2 (7) follow by name
    assert _rows(table, "unit_id", "rank") == [(8, 1), (6, pd.NA), (7, pd.NA)]


def test_a_deduction_alone_is_data() -> None:
    lapse_only = _facts([(DAY, 6, 0, "yellow", 2)])
    table = score_units(SCHEME, _tree(), lapse_only, PERIOD, "grid", 4)
    row = table[table["unit_id"] == 6].iloc[0]
    assert (row["score"], row["rank"], row["has_data"]) == (90.0, 1, True)


def test_an_unknown_node_is_a_clear_error() -> None:
    with pytest.raises(ScoringError, match="未知的节点 99"):
        score_units(SCHEME, _tree(), FACTS, PERIOD, "grid", 99)


def test_the_shipped_scheme_scores_every_level() -> None:
    shipped = load_scheme()
    for level in ("district", "street", "community", "grid"):
        table = ranking(shipped, _tree(), FACTS, PERIOD, level, 1)
        assert table["score"].between(0, 100).all() and (table["rank"] >= 1).all()


# -- properties ----------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=30)


@st.composite
def grid_facts(draw: st.DrawFn) -> pd.DataFrame:
    rows: list[tuple[dt.date, int, int, str, float]] = []
    for grid in (6, 7, 8):
        reported = draw(counts)
        for measure, value in (
            ("reported", reported),
            ("closed", draw(st.integers(0, reported))),
            ("yellow", draw(counts)),
            ("red", draw(counts)),
            ("alert_deliveries", draw(counts)),
        ):
            rows.append((DAY, grid, 0, measure, float(value)))
    return _facts(rows)


def _scores(scheme: Scheme, facts: pd.DataFrame) -> dict[int, float]:
    table = score_units(scheme, _tree(), facts, PERIOD, "grid", 1)
    return dict(zip(table["unit_id"], table["score"], strict=True))


@settings(max_examples=60, deadline=None)
@given(
    facts=grid_facts(),
    more=st.tuples(
        st.sampled_from(["yellow", "red"]), st.integers(1, 10), st.sampled_from([6, 7, 8])
    ),
    shipped=st.booleans(),
)
def test_more_lapses_never_raise_a_score(
    facts: pd.DataFrame, more: tuple[str, int, int], shipped: bool
) -> None:
    scheme = load_scheme() if shipped else SCHEME
    measure, extra, grid = more
    worse = pd.concat([facts, _facts([(DAY, grid, 0, measure, float(extra))])], ignore_index=True)
    before, after = _scores(scheme, facts), _scores(scheme, worse)
    assert after[grid] <= (100.0 if pd.isna(before[grid]) else before[grid])  # a lapse is data
    others = [g for g in before if g != grid]
    assert [_same(before[g], after[g]) for g in others] == [True] * len(others)


def _same(a: float, b: float) -> bool:
    return (pd.isna(a) and pd.isna(b)) or a == b


@settings(max_examples=60, deadline=None)
@given(facts=grid_facts())
def test_ranks_are_a_permutation_when_scores_differ(facts: pd.DataFrame) -> None:
    table = score_units(SCHEME, _tree(), facts, PERIOD, "grid", 1)
    assume(table["score"].nunique() == len(table))
    assert sorted(table["rank"]) == [1, 2, 3]
    assert list(table["score"]) == sorted(table["score"], reverse=True)


def test_the_worked_example_of_docs_assessment_md() -> None:
    month = {
        "reported": 40, "reported_own": 30, "accepted": 36, "dispatched": 34, "handled": 32,
        "handled_on_time": 28, "closed": 30, "verified": 27, "returned": 3, "yellow": 4, "red": 1,
        "escalated": 2, "alert_deliveries": 20, "alert_acks": 18, "ack_seconds_p50": 600,
        "duty_seconds": 2000 * 3600, "online_seconds": 1800 * 3600,
    }  # fmt: skip
    facts = _facts([(DAY, 6, 0, measure, float(value)) for measure, value in month.items()])
    table = score_units(load_scheme(), _tree(), facts, PERIOD, "grid", 4)
    row = table[table["unit_id"] == 6].iloc[0]
    assert row["score"] == 77.28
    assert row["cards"] == "期内有事件超时（红牌）；期内黄牌预警 3 次及以上"
    assert row["median_ack_time.points"] == pytest.approx(5 * 3000 / 3300)
