"""Times as people read them: in the deployment's display zone, from any request.

Pages, exports and admin screens call ``display_time``; the zone comes from the app
that serves the request (``create_app`` puts it in the Flask config), so two apps with
two zones in one process (tests) never mix, and no page asks the server's or the
browser's local zone.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_app_context

from data.timezones import DEFAULT_DISPLAY_TIMEZONE, MINUTES, format_time, start_of_day, zone

CONFIG_KEY = "GRIDWATCH_DISPLAY_ZONE"


def display_zone() -> dt.tzinfo:
    if has_app_context() and CONFIG_KEY in current_app.config:
        configured: dt.tzinfo = current_app.config[CONFIG_KEY]
        return configured
    return zone(DEFAULT_DISPLAY_TIMEZONE)


def display_time(value: dt.datetime | None, fmt: str = MINUTES, empty: str = "—") -> str:
    return format_time(value, display_zone(), fmt, empty)


def display_day_start(day: dt.date) -> dt.datetime:
    return start_of_day(day, display_zone())


def display_now() -> dt.datetime:
    return dt.datetime.now(display_zone())
