"""Generated duty and online seconds per staff member and day (facts, there is no record yet).

Until the GPS module (issue 14) keeps duty shifts and fixes, the only source of the
online-rate indicator is this generator: it writes the ``duty_seconds`` and
``online_seconds`` facts straight into ``assessment_fact``, per staff member
(``staff_id``) and summed per grid (``staff_id = 0``); ``data.assessment.facts`` keeps
them when it recomputes a day. Good areas are on duty as often as poor ones but keep
their terminals online for more of it.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from data.demo_city.history_world import GridInfo
from data.models import Post

DUTY, ONLINE = "duty_seconds", "online_seconds"
#: chance of a duty shift on a given day, per post
DUTY_SHARE: dict[Post, float] = {
    Post.GRID_MANAGER: 0.85,
    Post.ASSISTANT: 0.9,
    Post.POLICE: 0.7,
    Post.SUPERVISOR: 0.6,
    Post.VOLUNTEER: 0.3,
}


def duty_rows(grid: GridInfo, days: list[dt.date], rng: random.Random) -> list[dict[str, Any]]:
    """Per staff and per grid (staff_id 0): the seconds on duty and, of those, online."""
    rows: list[dict[str, Any]] = []
    shares = [(staff.id, DUTY_SHARE[staff.post]) for staff in grid.staff]
    base = 0.33 + 0.5 * grid.quality
    draw = rng.random
    for day in days:
        duty_total = online_total = 0
        for staff_id, duty_share in shares:
            if draw() >= duty_share:
                continue
            duty = (24 + int(draw() * 17)) * 900  # 6–10 hours in quarter hours
            share = min(1.0, base + 0.24 * draw())
            online = round(duty * share)
            rows.append(_fact(day, grid.id, staff_id, DUTY, duty))
            rows.append(_fact(day, grid.id, staff_id, ONLINE, online))
            duty_total += duty
            online_total += online
        if duty_total:
            rows.append(_fact(day, grid.id, 0, DUTY, duty_total))
            rows.append(_fact(day, grid.id, 0, ONLINE, online_total))
    return rows


def _fact(day: dt.date, node_id: int, staff_id: int, measure: str, value: int) -> dict[str, Any]:
    return {
        "day": day,
        "node_id": node_id,
        "staff_id": staff_id,
        "measure": measure,
        "value": value,
    }
