"""Alert categories the duty console offers; the record stores the code.

The lifecycle accepts any category string (one live alert per node and category), so
older or imported codes keep working; unknown codes are shown as they are.
"""

from __future__ import annotations

ALERT_CATEGORIES: dict[str, str] = {
    "flood": "防汛",
    "weather": "气象灾害",
    "geology": "地质灾害",
    "fire": "消防安全",
    "safety": "安全生产",
    "health": "公共卫生",
    "security": "社会安全",
    "other": "其他",
}


def category_label(code: str) -> str:
    return ALERT_CATEGORIES.get(code, code)
