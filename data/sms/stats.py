"""发送统计: texts per day by current state, for the staff inside a scope.

Days are calendar days in China time (Asia/Shanghai, UTC+8, no daylight saving), the
time every page of Gridwatch shows, not the server's own zone: a server run in UTC
would otherwise put a text queued at 07:00 Beijing time on the previous day. A text
counts on the day it was queued, in the state it is in now (a text queued yesterday
and delivered today is yesterday's 已送达). Grouping is done in SQL on both databases,
so a month of city-wide alerts is a few hundred rows, not a few million.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from data.models import Delivery, DeliveryState, SmsSource
from data.sms.scope import staff_in_scope

CHINA_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_DAYS = 30
#: the order states are stacked in (bottom first) and listed in totals
STATE_ORDER: tuple[DeliveryState, ...] = (
    DeliveryState.ACKNOWLEDGED,
    DeliveryState.DELIVERED,
    DeliveryState.SENT,
    DeliveryState.SENDING,
    DeliveryState.QUEUED,
    DeliveryState.FAILED,
)


@dataclass(frozen=True)
class DailyStats:
    days: list[dt.date]
    #: state value → one count per day, aligned with ``days``
    by_state: dict[str, list[int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def succeeded(self) -> int:
        """Accepted by the gateway (sent, delivered or acknowledged)."""
        done = (DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.ACKNOWLEDGED)
        return sum(self.totals.get(s.value, 0) for s in done)

    @property
    def failed(self) -> int:
        return self.totals.get(DeliveryState.FAILED.value, 0)

    @property
    def pending(self) -> int:
        return sum(
            self.totals.get(s.value, 0) for s in (DeliveryState.QUEUED, DeliveryState.SENDING)
        )


def china_day(session: Session) -> ColumnElement[object]:
    """``queued_at`` as a China-time calendar day, in this database's own SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", Delivery.queued_at))
    # SQLite keeps UTC text ("2026-12-01 23:30:00.000000"); China has no DST
    return func.date(Delivery.queued_at, "+8 hours")


def daily_counts(
    session: Session,
    scope_path: str,
    now: dt.datetime,
    days: int = DEFAULT_DAYS,
    source: SmsSource | str | None = None,
) -> DailyStats:
    """Deliveries to staff under ``scope_path`` per China-time day, last ``days`` days."""
    today = now.astimezone(CHINA_TZ).date()
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(first, dt.time(), CHINA_TZ)
    day = china_day(session).label("day")
    query = (
        select(day, Delivery.state, func.count(Delivery.id))
        .where(Delivery.queued_at >= since, Delivery.staff_id.in_(staff_in_scope(scope_path)))
        .group_by(day, Delivery.state)
    )
    if source is not None:
        manual = SmsSource(source) == SmsSource.MANUAL
        query = query.where(
            Delivery.alert_id.is_(None) if manual else Delivery.alert_id.is_not(None)
        )
    calendar = [first + dt.timedelta(days=i) for i in range(days)]
    index = {d: i for i, d in enumerate(calendar)}
    by_state = {s.value: [0] * days for s in STATE_ORDER}
    for value, state, n in session.execute(query):
        found = dt.date.fromisoformat(str(value)[:10])
        if found in index:
            by_state[DeliveryState(state).value][index[found]] += int(n)
    totals = {state: sum(counts) for state, counts in by_state.items()}
    return DailyStats(calendar, by_state, totals)
