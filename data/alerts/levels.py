"""Alert levels in order, with the labels texts and screens use."""

from __future__ import annotations

from data.models import AlertLevel

#: low to high; a raise moves right, a lower moves left
LEVEL_ORDER: tuple[AlertLevel, ...] = tuple(AlertLevel)

LEVEL_LABELS: dict[AlertLevel, str] = {
    AlertLevel.BLUE: "蓝色",
    AlertLevel.YELLOW: "黄色",
    AlertLevel.ORANGE: "橙色",
    AlertLevel.RED: "红色",
}


def rank(level: AlertLevel) -> int:
    """0 for blue .. 3 for red, so levels compare as numbers."""
    return LEVEL_ORDER.index(AlertLevel(level))


def is_higher(a: AlertLevel, b: AlertLevel) -> bool:
    return rank(a) > rank(b)
