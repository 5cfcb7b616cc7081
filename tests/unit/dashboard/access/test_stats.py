"""The pure parts of the /stats reads: the card list's order and cap, name order, the chart's
twelve months, the columns a level shows. The reads themselves run on real databases in
tests/integration/dashboard/test_stats.py."""

from __future__ import annotations

import datetime as dt

from dashboard.access.assessment import chart_months, read_period
from dashboard.access.stats import (
    MAX_CARDS,
    NO_STAFF_CARDS,
    CardRow,
    StatsView,
    columns,
    first_cards,
    natural_key,
)
from data.assessment.scheme import load_scheme
from data.models import NodeKind
from data.org_tree import NodeInfo

LEVELS = ("community", "grid", "staff")


def _card(level: str, name: str, color: str, reason: str = "原因") -> CardRow:
    return CardRow(level, 1, name, color, reason)


def test_red_cards_come_first_then_the_higher_level_then_the_name():
    cards = [
        _card("staff", "张三", "yellow"),
        _card("grid", "第10网格", "red"),
        _card("community", "甲社区", "yellow"),
        _card("grid", "第2网格", "red"),
        _card("staff", "李四", "red"),
        _card("community", "乙社区", "red"),
    ]
    shown, total = first_cards(cards, LEVELS, cap=10)
    assert [(c.color, c.name) for c in shown] == [
        ("red", "乙社区"),
        ("red", "第2网格"),
        ("red", "第10网格"),
        ("red", "李四"),
        ("yellow", "甲社区"),
        ("yellow", "张三"),
    ]
    assert total == 6


def test_the_card_list_is_capped_and_counts_them_all():
    cards = [_card("grid", f"第{i}网格", "yellow") for i in range(1, 701)]
    cards.append(_card("staff", "王五", "red"))
    shown, total = first_cards(cards, LEVELS, cap=MAX_CARDS)
    assert len(shown) == MAX_CARDS == 500 and total == 701
    assert shown[0].name == "王五"  # the one red card survives the cap
    assert shown[1].name == "第1网格" and shown[-1].name == "第499网格"


def test_the_page_says_when_the_list_was_cut():
    node = NodeInfo(1, None, NodeKind.STREET, None, "甲街道", "/1/", 1, 34.7, 113.6)
    period = read_period("month", "2026-11")
    shown = [_card("grid", "第1网格", "red")] * 3
    view = StatsView(node, "community", period, [], [], [], None, [], shown, 3)
    assert view.cards_note == ""
    capped = StatsView(node, "community", period, [], [], [], None, [], shown, 900)
    assert capped.cards_note.startswith("共 900 张红黄牌，只列出前 3 张")
    city = NodeInfo(9, None, NodeKind.CITY, None, "郑州市", "/9/", 0, 34.7, 113.6)
    above = StatsView(city, "district", period, [], [], [], None, [], shown, 3)
    assert above.cards_note == NO_STAFF_CARDS  # staff members' cards: under each street


def test_names_with_numbers_sort_as_numbers():
    names = ["甲社区 · 第10网格", "甲社区 · 第2网格", "甲社区 · 第1网格"]
    assert sorted(names, key=natural_key) == [
        "甲社区 · 第1网格",
        "甲社区 · 第2网格",
        "甲社区 · 第10网格",
    ]


def test_the_chart_shows_the_twelve_months_up_to_the_periods_end():
    months = chart_months(read_period("range", "2026-11-01..2026-11-15"))
    assert len(months) == 12
    assert months[0].start == dt.date(2025, 12, 1)
    assert months[-1].start == dt.date(2026, 11, 1) and months[-1].end == dt.date(2026, 11, 15)
    year = chart_months(read_period("year", "2026"))
    assert [m.start.month for m in year] == list(range(1, 13))


def test_each_level_shows_the_schemes_indicators_for_it():
    scheme = load_scheme()
    grid = [c.code for c in columns(scheme, "grid")]
    staff = [c.code for c in columns(scheme, "staff")]
    assert grid[:5] == [
        "discovery_rate",
        "dispatch_rate",
        "feedback_rate",
        "on_time_rate",
        "closure_rate",
    ]
    assert "closure_rate" not in staff and "dispatch_rate" not in staff
    assert {c.kind for c in columns(scheme, "grid")} == {"ratio", "deduction", "median"}
    assert columns(scheme, "grid")[0].label == "调查发现率"
