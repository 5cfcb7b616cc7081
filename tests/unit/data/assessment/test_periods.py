"""Assessment periods: calendar periods, parsing, the previous period and tiling."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.assessment.periods import (
    KINDS,
    Kind,
    Period,
    PeriodError,
    parse_period,
    period_of,
    split,
    to_date,
)

D = dt.date
days = st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31))
kinds = st.sampled_from(KINDS)


@pytest.mark.parametrize(
    ("kind", "value", "start", "end"),
    [
        ("day", "2026-12-01", D(2026, 12, 1), D(2026, 12, 1)),
        ("week", "2026-W49", D(2026, 11, 30), D(2026, 12, 6)),
        ("month", "2026-02", D(2026, 2, 1), D(2026, 2, 28)),
        ("month", "2028-2", D(2028, 2, 1), D(2028, 2, 29)),
        ("quarter", "2026-Q4", D(2026, 10, 1), D(2026, 12, 31)),
        ("year", "2026", D(2026, 1, 1), D(2026, 12, 31)),
        ("range", "2026-11-01..2026-11-15", D(2026, 11, 1), D(2026, 11, 15)),
    ],
)
def test_parse_period(kind: str, value: str, start: D, end: D) -> None:
    assert parse_period(kind, value) == Period(start, end)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("fortnight", "2026-12", "未知的时间段类型「fortnight」"),
        ("month", "2026-13", "无法识别的月份「2026-13」（例如 2026-12）"),
        ("week", "2026-W54", "无法识别的周「2026-W54」"),
        ("day", "yesterday", "无法识别的日期「yesterday」"),
        ("range", "2026-11-15..2026-11-01", "结束日期 2026-11-01 早于开始日期 2026-11-15"),
        ("range", "2000-01-01..2026-01-01", "时间段过长"),
        ("quarter", "2026-Q5", "无法识别的季度"),
    ],
)
def test_bad_input_says_what_is_wrong(kind: str, value: str, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        parse_period(kind, value)


def test_previous_of_a_month_has_as_many_days() -> None:
    december = parse_period("month", "2026-12")
    assert december.previous() == Period(D(2026, 10, 31), D(2026, 11, 30))
    assert parse_period("day", "2026-03-01").previous() == Period(D(2026, 2, 28), D(2026, 2, 28))


@given(day=days, kind=kinds)
def test_calendar_period_contains_its_day(day: D, kind: Kind) -> None:
    period = period_of(kind, day)
    assert day in period
    assert period_of(kind, period.start) == period == period_of(kind, period.end)


@given(start=days, length=st.integers(1, 800))
def test_previous_has_the_same_length_and_ends_the_day_before(start: D, length: int) -> None:
    period = Period(start, start + dt.timedelta(days=length - 1))
    before = period.previous()
    assert before.days == period.days
    assert before.end == period.start - dt.timedelta(days=1)


@given(start=days, length=st.integers(1, 800), kind=kinds)
def test_split_tiles_the_range_without_gaps_or_overlaps(start: D, length: int, kind: Kind) -> None:
    period = Period(start, start + dt.timedelta(days=length - 1))
    parts = split(period, kind)
    assert parts[0].start == period.start and parts[-1].end == period.end
    for before, after in itertools.pairwise(parts):
        assert after.start == before.end + dt.timedelta(days=1)
    assert sum(part.days for part in parts) == period.days
    for part in parts[1:-1]:
        assert part == period_of(kind, part.start)  # inner parts are whole periods


@given(
    start=days,
    kind=st.sampled_from(["day", "week", "month", "quarter", "year"]),
    offset=st.integers(min_value=-400, max_value=400),
)
def test_a_running_period_is_cut_at_today_and_compared_like_for_like(
    start: D, kind: Kind, offset: int
) -> None:
    period = period_of(kind, start)
    today = start + dt.timedelta(days=offset)
    cut = to_date(period, today)
    if period.start <= today < period.end:  # running: up to today, the previous as long
        assert (cut.start, cut.end) == (period.start, today)
        assert cut.previous().days == cut.days and cut.previous().end < period.start
    else:  # ended or not begun: as it is
        assert cut == period


def test_on_the_second_of_a_month_it_is_compared_with_the_two_days_before() -> None:
    cut = to_date(period_of("month", D(2026, 12, 1)), D(2026, 12, 2))
    assert (cut.start, cut.end) == (D(2026, 12, 1), D(2026, 12, 2))
    assert (cut.previous().start, cut.previous().end) == (D(2026, 11, 29), D(2026, 11, 30))
