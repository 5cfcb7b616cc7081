"""The 龙虎榜's rows as a leader reads them: a unit without a score says 本期无数据 and comes
after the ranked units; a staff member's row names their own post; an empty period's tiles
say 本期无数据 instead of zeros."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.access.assessment import Kpi, LeaderView, RankRow
from data.assessment.periods import parse_period
from data.models import NodeKind
from data.org_tree import NodeInfo
from layouts.leader import indicator_row, kpi_tiles, ranking_table

GRID = NodeInfo(9, 3, NodeKind.GRID, 3, "第5网格", "/1/2/3/9/", 3, 34.7, 113.6)


def _row(unit_id: int, name: str, score: float | None, rank: int | None) -> RankRow:
    return RankRow(unit_id, name, score, None, rank, None, "flat", 0, 0, 0, "")


def _text(component: Any) -> str:
    """All the text a component shows, in document order."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


def _rows(table: Any) -> list[html.Tr]:
    found: list[html.Tr] = []

    def walk(node: Any) -> None:
        if isinstance(node, html.Tr) and isinstance(getattr(node, "id", None), dict):
            found.append(node)
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                walk(child)

    walk(table)
    return found


def _view(rows: list[RankRow]) -> LeaderView:
    return LeaderView(GRID, "staff", parse_period("month", "2026-11"), [], rows, [], [], [])


def test_a_unit_without_a_score_says_no_data_after_the_ranked_ones():
    view = _view([_row(3, "丙", None, None), _row(1, "甲", 91.5, 1), _row(2, "乙", 80.0, 2)])
    rows = _rows(ranking_table(view, {1: "网格长", 2: "网格民警", 3: "志愿者"}))
    texts = [_text(r) for r in rows]
    assert [t.split()[1] for t in texts] == ["甲", "乙", "丙"]
    assert "本期无数据" in texts[2] and "100" not in texts[2]
    assert texts[2].split()[0] == "—"  # no rank
    assert "网格长" in texts[0] and "网格民警" in texts[1] and "志愿者" in texts[2]


def test_a_period_where_no_unit_has_a_score_says_so_and_still_lists_them():
    table = ranking_table(_view([_row(1, "甲", None, None)]))
    assert "本期无数据：所选期间没有可计分的记录" in _text(table)
    assert len(_rows(table)) == 1  # still tappable, to look inside


def test_an_empty_period_has_no_data_tiles_not_zeros():
    empty = [Kpi("发现事件", 0, 12), Kpi("按时办理率", None, 0.9, percent=True)]
    assert all("本期无数据" in _text(t) for t in kpi_tiles(empty))
    assert "本期无数据" not in _text(kpi_tiles([Kpi("发现事件", 3, 0)]))


def test_raw_numbers_read_as_seconds_hours_and_counts():
    median = {"label": "签收用时中位数", "kind": "median", "numerator": 415.12, "denominator": 73}
    online = {
        "code": "staff_online_rate",
        "label": "在岗在线率",
        "kind": "ratio",
        "numerator": 18_255_733.0,
        "denominator": 30_168_000.0,
        "points": 3.03,
        "weight": 5,
    }
    none = {"label": "预警签收率", "kind": "ratio", "numerator": 0, "denominator": 0}
    assert indicator_row({**median, "points": 4.83, "weight": 5})[1] == "415 秒（73 次签收）"
    assert indicator_row(online, in_hours=True)[1] == "5,071 / 8,380 小时"
    assert indicator_row(online)[1] == "18,255,733 / 30,168,000"
    assert "本期无数据" in _text(indicator_row(none)[1])
