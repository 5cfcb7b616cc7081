"""Alert texts write the validity in the display zone, whatever zone the server runs in."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from data.alerts import states
from data.alerts.texts import action_text
from data.models import Alert, AlertLevel

UNTIL = dt.datetime(2026, 12, 2, 20, 7, tzinfo=dt.UTC)


def _alert() -> Alert:
    return Alert(level=AlertLevel.ORANGE, title="防汛", text="转移低洼住户", valid_until=UNTIL)


def test_the_text_reads_china_time_by_default() -> None:
    text = action_text(_alert(), states.ISSUE)
    assert "有效至12-03 04:07" in text
    assert text.startswith("【橙色预警】防汛：")


def test_the_text_reads_the_configured_display_zone() -> None:
    text = action_text(_alert(), states.RAISE, ZoneInfo("Europe/Berlin"))
    assert "有效至12-02 21:07" in text
    assert text.startswith("【升级为橙色预警】")
