"""The SMS text of each notifying action, in Chinese, short enough for one or two SMS."""

from __future__ import annotations

import datetime as dt

from data.alerts import states
from data.alerts.levels import LEVEL_LABELS
from data.models import Alert, AlertLevel
from data.timezones import DEFAULT_DISPLAY_TIMEZONE, format_time, zone


def action_text(alert: Alert, action: str, tz: dt.tzinfo | None = None) -> str:
    """The text for ``action``; times read in ``tz``, the display zone (the record is UTC)."""
    label = LEVEL_LABELS[AlertLevel(alert.level)]
    if action == states.LIFT:
        return f"【解除】{alert.title}：{label}预警已解除。"
    prefix = {
        states.ISSUE: "",
        states.REISSUE: "更新",
        states.RAISE: "升级为",
        states.LOWER: "降级为",
    }.get(action, "")
    until = format_time(alert.valid_until, tz or zone(DEFAULT_DISPLAY_TIMEZONE), "%m-%d %H:%M")
    return f"【{prefix}{label}预警】{alert.title}：{alert.text}（有效至{until}，请回复1确认）"
