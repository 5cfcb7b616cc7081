"""Assessment periods: a day, week, month, quarter, year or date range as local dates.

A period is two local dates in the display zone, both included. ``previous`` is the
period of the same number of days that ends the day before, so a score and the one
beside it always cover as many days (for a 31-day December that is 31 Oct – 30 Nov;
docs/assessment.md). Bad input raises ``PeriodError`` with a message fit to show.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal, get_args

Kind = Literal["day", "week", "month", "quarter", "year", "range"]
KINDS: tuple[Kind, ...] = get_args(Kind)

#: the longest range a caller may ask for (ten years of daily facts)
MAX_DAYS = 3660


class PeriodError(ValueError):
    """A period that cannot be read or makes no sense; the message says which and why."""


@dataclass(frozen=True, order=True)
class Period:
    """Local dates ``start`` .. ``end``, both included."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError(f"时间段无效：结束日期 {self.end} 早于开始日期 {self.start}")
        if self.days > MAX_DAYS:
            raise PeriodError(f"时间段过长：{self.days} 天（最多 {MAX_DAYS} 天）")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """As many days, ending the day before ``start``."""
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def label(self) -> str:
        return str(self.start) if self.days == 1 else f"{self.start} – {self.end}"


def to_date(period: Period, today: dt.date) -> Period:
    """The part of ``period`` up to ``today`` when the period is still running.

    A running period compared with its whole previous one reads as a collapse (on the 2nd of
    a month: two days against thirty-one); cut at today, its ``previous()`` is the same
    number of days just before it, so the comparison is like for like (同期). A period
    that has ended, or not begun, is returned as it is.
    """
    if period.start <= today < period.end:
        return Period(period.start, today)
    return period


def period_of(kind: Kind, day: dt.date) -> Period:
    """The calendar ``kind`` (day, ISO week, month, quarter, year) that contains ``day``."""
    if kind == "day" or kind == "range":
        return Period(day, day)
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period(start, start + dt.timedelta(days=6))
    if kind == "month":
        return Period(day.replace(day=1), _month_end(day.year, day.month))
    if kind == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        return Period(dt.date(day.year, first, 1), _month_end(day.year, first + 2))
    return Period(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))


def parse_period(kind: str, value: str) -> Period:
    """Read a period as pages and exports name it.

    day ``2026-12-01``, week ``2026-W49``, month ``2026-12``, quarter ``2026-Q4``,
    year ``2026``, range ``2026-11-01..2026-11-15``.
    """
    text = value.strip()
    if kind not in KINDS:
        raise PeriodError(f"未知的时间段类型「{kind}」（可用：{'、'.join(KINDS)}）")
    try:
        return _PARSERS[kind](text)
    except PeriodError:
        raise
    except ValueError:
        raise PeriodError(f"无法识别的{_NAMES[kind]}「{text}」（例如 {_EXAMPLES[kind]}）") from None


def split(period: Period, kind: Kind) -> list[Period]:
    """``period`` cut at ``kind`` boundaries, first and last clipped: no gap, no overlap."""
    parts: list[Period] = []
    day = period.start
    while day <= period.end:
        whole = Period(day, day) if kind == "range" else period_of(kind, day)
        parts.append(Period(day, min(whole.end, period.end)))
        day = parts[-1].end + dt.timedelta(days=1)
    return parts


def _month_end(year: int, month: int) -> dt.date:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _day(text: str) -> Period:
    return Period(*(2 * (dt.date.fromisoformat(text),)))


def _week(text: str) -> Period:
    found = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text, re.IGNORECASE)
    if found is None:
        raise ValueError(text)
    start = dt.date.fromisocalendar(int(found[1]), int(found[2]), 1)
    return Period(start, start + dt.timedelta(days=6))


def _month(text: str) -> Period:
    found = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if found is None:
        raise ValueError(text)
    return period_of("month", dt.date(int(found[1]), int(found[2]), 1))


def _quarter(text: str) -> Period:
    found = re.fullmatch(r"(\d{4})-?Q([1-4])", text, re.IGNORECASE)
    if found is None:
        raise ValueError(text)
    return period_of("quarter", dt.date(int(found[1]), 3 * int(found[2]) - 2, 1))


def _year(text: str) -> Period:
    if re.fullmatch(r"\d{4}", text) is None:
        raise ValueError(text)
    return period_of("year", dt.date(int(text), 1, 1))


def _range(text: str) -> Period:
    start, _, end = text.partition("..")
    if not end:
        raise ValueError(text)
    return Period(dt.date.fromisoformat(start.strip()), dt.date.fromisoformat(end.strip()))


_PARSERS = {
    "day": _day,
    "week": _week,
    "month": _month,
    "quarter": _quarter,
    "year": _year,
    "range": _range,
}
_NAMES = {
    "day": "日期",
    "week": "周",
    "month": "月份",
    "quarter": "季度",
    "year": "年份",
    "range": "日期范围",
}
_EXAMPLES = {
    "day": "2026-12-01",
    "week": "2026-W49",
    "month": "2026-12",
    "quarter": "2026-Q4",
    "year": "2026",
    "range": "2026-11-01..2026-11-15",
}
