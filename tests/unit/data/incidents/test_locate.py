"""The one coordinate rule every intake path runs: finite first, then the range."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.incidents.locate import GridIndex, coordinate_errors, coordinate_message
from data.incidents.workflow import InvalidRequest, check_position

NON_FINITE = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("bad", NON_FINITE)
def test_non_finite_values_are_named_per_field(bad):
    assert set(coordinate_errors(bad, 113.6)) == {"lat"}
    assert set(coordinate_errors(34.7, bad)) == {"lon"}
    assert set(coordinate_errors(bad, bad)) == {"lat", "lon"}
    assert "有限" in coordinate_errors(bad, 113.6)["lat"]


@pytest.mark.parametrize(
    ("lat", "lon", "fields"),
    [
        (90.0001, 0, {"lat"}),
        (0, -180.5, {"lon"}),
        (True, 1.0, {"lat"}),
        ("34.7", 113.6, {"lat"}),
        (34.7, None, {"location"}),
        (None, 113.6, {"location"}),
    ],
)
def test_wrong_types_ranges_and_halves_are_named(lat, lon, fields):
    assert set(coordinate_errors(lat, lon)) == fields


@given(
    st.floats(min_value=-90, max_value=90, allow_nan=False),
    st.floats(min_value=-180, max_value=180, allow_nan=False),
)
def test_every_finite_point_in_range_is_accepted(lat, lon):
    assert coordinate_errors(lat, lon) == {}


@given(st.floats(), st.floats())
def test_the_workflow_applies_the_same_rule(lat, lon):
    """Feedback positions and reports can never disagree about what a coordinate is."""
    problems = coordinate_errors(lat, lon)
    if problems:
        with pytest.raises(InvalidRequest) as refused:
            check_position(lat, lon)
        assert str(refused.value) == coordinate_message(problems)
    else:
        check_position(lat, lon)


def test_the_message_names_each_field_in_chinese():
    message = coordinate_message(coordinate_errors(math.nan, 200.0))
    assert message.startswith("纬度：") and "经度：" in message


@pytest.mark.parametrize("bad", NON_FINITE)
def test_no_grid_contains_a_non_finite_point(bad):
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    index = GridIndex([(7, square)])
    assert index.locate(0.5, 0.5) == 7
    assert index.locate(bad, 0.5) is None and index.locate(0.5, bad) is None
