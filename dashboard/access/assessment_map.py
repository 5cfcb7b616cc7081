"""The leader page's map by score (得分地图) and the staff members' own posts.

The map takes the ranking rows the page already has (their scores and ranks are never
computed again here) and joins them to the boundaries of the focus node's children: one
GeoJSON feature per child unit, filled from a sequential scale (red low → green high,
grey when the unit has no data in the period), with the text its label shows. A grid in
focus ranks its staff members, who have no areas: the map shows the grid's outline only.

Scope as in :mod:`dashboard.access.assessment`: the node must lie in the user's subtree
(``focus_node`` refuses and logs it otherwise), and staff posts are read only for staff
members serving inside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dashboard.access.assessment import LEVEL_BELOW, RankRow, focus_node
from dashboard.access.base import require
from dashboard.access.wall import polygon_bounds
from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from dashboard.services import Services
from data.assessment.scheme import Level
from data.models import POST_LABELS, OrgNode, Staff
from data.org_tree import OrgTree, boundaries

NO_DATA = "本期无数据"
NO_AREAS = "网格员级别无分区地图"
NO_RIGHT = "无权查看考核排名"
#: red (low) → amber → green (high); the legend in assets/leader.css uses the same stops
STOPS: tuple[tuple[int, int, int], ...] = (
    (0xDC, 0x26, 0x26),
    (0xF5, 0x9E, 0x0B),
    (0x16, 0xA3, 0x4A),
)
NO_DATA_FILL = "#64748b"
#: above this many areas the names are not written on the map (they would overlap)
MAX_LABELS = 30
#: the scale's ends are rounded to this many points, and never closer together than it
STEP = 10


@dataclass(frozen=True)
class ScoreMap:
    """The map of one node in focus: features to draw, where to look, the legend's ends."""

    node_id: int
    level: Level
    #: GeoJSON FeatureCollection: the children (role "child") and the focus outline ("focus")
    geojson: dict[str, Any]
    #: [[south, west], [north, east]] of the focus node, None without a boundary
    bounds: list[list[float]] | None
    #: the scores at the red and green ends; None when no unit has a score
    domain: tuple[float, float] | None
    #: said instead of a legend when there is no choropleth (staff level, no boundaries)
    note: str


def score_map(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    node_id: int | None,
    rows: Sequence[RankRow],
) -> ScoreMap:
    """The choropleth of the focus node's children shaded by the scores in ``rows``."""
    node = focus_node(tree, who, node_id)
    level = LEVEL_BELOW[node.kind]
    children = [] if level == "staff" else tree.children_of(node.id)
    with services.sessions() as db:
        shapes = boundaries(db, [node.id] + [c.id for c in children])
    by_unit = {r.unit_id: r for r in rows}
    scores = [r.score for c in children if (r := by_unit.get(c.id)) and r.score is not None]
    domain = scale_domain(scores)
    drawn = [c for c in children if shapes.get(c.id)]
    label = len(drawn) <= MAX_LABELS
    features = [
        _feature(shapes[c.id], "child", c.id, c.name, by_unit.get(c.id), domain, label)
        for c in drawn
    ]
    if shapes.get(node.id):
        features.append(_feature(shapes[node.id], "focus", node.id, node.name, None, None, False))
    note = NO_AREAS if level == "staff" else ("" if drawn else "本级单位无边界数据")
    return ScoreMap(
        node_id=node.id,
        level=level,
        geojson={"type": "FeatureCollection", "features": features},
        bounds=polygon_bounds(shapes[node.id]) if shapes.get(node.id) else None,
        domain=domain if drawn and level != "staff" else None,
        note=note,
    )


def scale_domain(scores: Iterable[float]) -> tuple[float, float] | None:
    """The scale's ends: the lowest and highest score rounded out to ``STEP`` points, at
    least ``STEP`` apart and inside 0..100, so that close scores still differ in colour
    and the legend reads in round numbers."""
    values = [s for s in scores if s is not None and not math.isnan(s)]
    if not values:
        return None
    low = max(0.0, math.floor(min(values) / STEP) * STEP)
    high = min(100.0, math.ceil(max(values) / STEP) * STEP)
    if high - low < STEP:
        low, high = (high - STEP, high) if high - STEP >= 0 else (low, low + STEP)
    return float(low), float(high)


def fill_colour(score: float | None, domain: tuple[float, float] | None) -> str:
    """The fill of a score on the scale (grey for no data), as ``#rrggbb``."""
    if score is None or domain is None or math.isnan(score):
        return NO_DATA_FILL
    low, high = domain
    share = min(1.0, max(0.0, (score - low) / (high - low)))
    position = share * (len(STOPS) - 1)
    i = min(int(position), len(STOPS) - 2)
    part = position - i
    rgb = [round(a + (b - a) * part) for a, b in zip(STOPS[i], STOPS[i + 1], strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def tooltip_text(name: str, row: RankRow | None) -> str:
    """What an area says on the map: its name, then its score (the rank is in the row
    beside it, and a short label overlaps its neighbours less) or 本期无数据."""
    if row is None or row.score is None:
        return f"{name}\n{NO_DATA}"
    return f"{name}\n{row.score:.2f} 分"


def staff_posts(
    services: Services, tree: OrgTree, who: SessionUser, staff_ids: Iterable[int]
) -> dict[int, str]:
    """Each staff member's own post (网格长, 网格员, 网格民警 …), for those serving in the
    user's subtree only; anyone else is simply left out."""
    scope = require(tree, who, Perm.VIEW_ASSESSMENT, NO_RIGHT)
    wanted = sorted({int(i) for i in staff_ids})
    if not wanted:
        return {}
    with services.sessions() as db:
        rows = db.execute(
            select(Staff.id, Staff.post)
            .join(OrgNode, OrgNode.id == Staff.node_id)
            .where(Staff.id.in_(wanted), OrgNode.path.startswith(scope.path, autoescape=True))
        ).all()
    return {int(staff_id): POST_LABELS[post] for staff_id, post in rows}


def _feature(
    geometry: dict[str, Any],
    role: str,
    unit_id: int,
    name: str,
    row: RankRow | None,
    domain: tuple[float, float] | None,
    label: bool,
) -> dict[str, Any]:
    score = row.score if row is not None else None
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "unit_id": unit_id,
            "name": name,
            "role": role,
            "score": score,
            "rank": row.rank if row is not None else None,
            "fill": fill_colour(score, domain) if role == "child" else None,
            "tooltip": tooltip_text(name, row) if role == "child" else name,
            "label": label,
        },
    }
