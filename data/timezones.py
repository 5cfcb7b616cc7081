"""The one time zone every page, export, text and push shows times in.

The record keeps UTC. What people read is in the deployment's display zone
(``GRIDWATCH_DISPLAY_TIMEZONE``, Asia/Shanghai by default), never the zone of the
server or of the browser: a wall PC left on UTC and a duty desk in Beijing must read
the same clock for the same alert.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DISPLAY_TIMEZONE = "Asia/Shanghai"

#: how pages write a moment when they name no other format
MINUTES = "%Y-%m-%d %H:%M"
SECONDS = "%Y-%m-%d %H:%M:%S"


def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; a ValueError that names it when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)"
        ) from exc


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; the record means UTC by them."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def format_time(
    value: dt.datetime | None, tz: dt.tzinfo, fmt: str = MINUTES, empty: str = "—"
) -> str:
    """``value`` as read in ``tz``; ``empty`` for no value."""
    if value is None:
        return empty
    return as_utc(value).astimezone(tz).strftime(fmt)


def start_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Midnight of ``day`` in ``tz`` (a filter "from 2026-12-01" means that midnight)."""
    return dt.datetime.combine(day, dt.time.min, tz)
