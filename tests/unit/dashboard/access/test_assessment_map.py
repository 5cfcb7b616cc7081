"""The map's colour scale and texts: ends rounded to ten points, red → amber → green, grey
for no data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dashboard.access.assessment import RankRow
from dashboard.access.assessment_map import (
    NO_DATA_FILL,
    fill_colour,
    scale_domain,
    tooltip_text,
)


def test_the_scale_ends_are_round_and_at_least_ten_points_apart():
    assert scale_domain([72.94, 100.0]) == (70.0, 100.0)
    assert scale_domain([83.29, 96.25]) == (80.0, 100.0)
    assert scale_domain([100.0, 100.0]) == (90.0, 100.0)
    assert scale_domain([0.0]) == (0.0, 10.0)
    assert scale_domain([55.0, 55.0]) == (50.0, 60.0)
    assert scale_domain([]) is None


def test_colours_run_from_red_through_amber_to_green():
    domain = (60.0, 100.0)
    assert fill_colour(60.0, domain) == "#dc2626"
    assert fill_colour(80.0, domain) == "#f59e0b"
    assert fill_colour(100.0, domain) == "#16a34a"
    assert fill_colour(None, domain) == NO_DATA_FILL
    assert fill_colour(float("nan"), domain) == NO_DATA_FILL
    assert fill_colour(90.0, None) == NO_DATA_FILL


@given(st.lists(st.floats(0, 100), min_size=1, max_size=30))
def test_every_score_lies_on_its_scale(scores):
    low, high = scale_domain(scores)  # type: ignore[misc]
    assert 0 <= low < high <= 100 and high - low >= 10
    assert all(low <= s <= high for s in scores)


def test_an_area_says_its_name_and_score_or_no_data():
    row = RankRow(1, "第5网格", 97.153, None, 1, None, "up", 2, 0, 0, "")
    assert tooltip_text("第5网格", row) == "第5网格\n97.15 分"
    assert tooltip_text("第6网格", None) == "第6网格\n本期无数据"
