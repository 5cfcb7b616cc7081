"""The SMS text of each notifying action, in Chinese, short enough for one or two SMS."""

from __future__ import annotations

import datetime as dt

from data.alerts import states
from data.alerts.levels import LEVEL_LABELS
from data.models import Alert, AlertLevel

#: texts show Beijing time; the record stays in UTC
CST = dt.timezone(dt.timedelta(hours=8), "CST")


def _until(valid_until: dt.datetime) -> str:
    return valid_until.astimezone(CST).strftime("%m-%d %H:%M")


def action_text(alert: Alert, action: str) -> str:
    label = LEVEL_LABELS[AlertLevel(alert.level)]
    if action == states.LIFT:
        return f"【解除】{alert.title}：{label}预警已解除。"
    prefix = {
        states.ISSUE: "",
        states.REISSUE: "更新",
        states.RAISE: "升级为",
        states.LOWER: "降级为",
    }.get(action, "")
    return (
        f"【{prefix}{label}预警】{alert.title}：{alert.text}"
        f"（有效至{_until(alert.valid_until)}，请回复1确认）"
    )
