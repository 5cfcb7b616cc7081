"""The history window's months and days, and the quality factors that make areas differ."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from data.demo_city import DemoCity
from data.demo_city.history_world import LOCAL_TZ, HistoryWindow, add_months, build_world
from data.models import NodeKind


def test_add_months_clamps_the_day_of_month() -> None:
    assert add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 3, 31), -1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2026, 1, 15), -12) == dt.date(2025, 1, 15)
    assert add_months(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)


@given(
    end=st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2090, 1, 1)),
    months=st.integers(min_value=1, max_value=24),
)
def test_the_window_is_months_of_whole_local_days(end: dt.date, months: int) -> None:
    window = HistoryWindow(end, months)
    starts = window.month_starts()
    assert len(starts) == months + 1
    assert starts == sorted(starts) and starts[-1] == window.end and starts[0] == window.start
    assert all(s.astimezone(LOCAL_TZ).time() == dt.time(0) for s in starts)
    days = window.days()
    assert days[-1] == end - dt.timedelta(days=1)
    assert len(days) == len(set(days)) == (window.end - window.start).days
    assert 28 * months <= len(days) <= 31 * months


def test_quality_is_drawn_from_the_seed_and_varies_by_street() -> None:
    city = DemoCity("city", 4)
    world = build_world(city)
    again = build_world(DemoCity("city", 4))
    assert [g.quality for g in world.grids] == [g.quality for g in again.grids]
    assert [g.quality for g in world.grids] != [
        g.quality for g in build_world(DemoCity("city", 5)).grids
    ]
    assert all(0.05 <= g.quality <= 1.0 for g in world.grids)
    by_street: dict[int, list[float]] = {}
    for grid in world.grids:
        street = world.nodes[grid.community_id].parent_id
        assert street is not None and world.nodes[street].kind is NodeKind.STREET
        by_street.setdefault(street, []).append(grid.quality)
    means = sorted(sum(q) / len(q) for q in by_street.values())
    assert len(means) == 12 and means[-1] - means[0] > 0.2
    assert all(len(grid.staff) >= 2 for grid in world.grids)
