"""发送统计: texts per day by current state, for the staff inside a scope.

Days are calendar days in the display zone (``GRIDWATCH_DISPLAY_TIMEZONE``, China time
by default), the time every page of Gridwatch shows, not the server's own zone: a
server run in UTC would otherwise put a text queued at 07:00 Beijing time on the
previous day. A text
counts on the day it was queued, in the state it is in now (a text queued yesterday
and delivered today is yesterday's 已送达). Grouping is done in SQL on both databases,
so a month of city-wide alerts is a few hundred rows, not a few million.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Integer, func, select
from sqlalchemy.orm import Session

from data.models import Delivery, DeliveryState, SmsSource
from data.sms.scope import staff_in_scope
from data.timezones import DEFAULT_DISPLAY_TIMEZONE, start_of_day, zone

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


def _fixed_offset(tz: dt.tzinfo, since: dt.datetime, until: dt.datetime) -> dt.timedelta | None:
    """The zone's UTC offset when it is the same all through the window (no DST change)."""
    first, last = since.astimezone(tz).utcoffset(), until.astimezone(tz).utcoffset()
    return first if first == last else None


def local_day(
    session: Session, tz: dt.tzinfo, offset: dt.timedelta | None
) -> ColumnElement[object]:
    """``queued_at`` grouped so that each group lies in one calendar day of ``tz``.

    PostgreSQL converts with the zone itself. SQLite keeps UTC text
    ("2026-12-01 23:30:00.000000"): with one offset all through the window it shifts by it;
    across a daylight-saving change it groups by UTC quarter hour and Python folds those
    into days.
    """
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(str(tz), Delivery.queued_at))
    if offset is not None:
        return func.date(Delivery.queued_at, f"{int(offset.total_seconds() // 60):+d} minutes")
    minute = func.cast(func.strftime("%M", Delivery.queued_at), Integer)
    return func.strftime("%Y-%m-%d %H:", Delivery.queued_at).op("||")(
        func.printf("%02d", minute - minute % 15)
    )


def _day_of(value: object, tz: dt.tzinfo, folded: bool) -> dt.date:
    text = str(value)
    if not folded:
        return dt.date.fromisoformat(text[:10])
    utc = dt.datetime.strptime(text[:16], "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    return utc.astimezone(tz).date()


def daily_counts(
    session: Session,
    scope_path: str,
    now: dt.datetime,
    days: int = DEFAULT_DAYS,
    source: SmsSource | str | None = None,
    tz: dt.tzinfo | None = None,
) -> DailyStats:
    """Deliveries to staff under ``scope_path`` per calendar day in ``tz``, last ``days`` days."""
    tz = tz or zone(DEFAULT_DISPLAY_TIMEZONE)
    today = now.astimezone(tz).date()
    first = today - dt.timedelta(days=days - 1)
    since = start_of_day(first, tz)
    offset = _fixed_offset(tz, since, now)
    folded = offset is None and session.get_bind().dialect.name != "postgresql"
    day = local_day(session, tz, offset).label("day")
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
        found = _day_of(value, tz, folded)
        if found in index:
            by_state[DeliveryState(state).value][index[found]] += int(n)
    totals = {state: sum(counts) for state, counts in by_state.items()}
    return DailyStats(calendar, by_state, totals)
