"""What the history generator knows about the demo city: grids, their staff and their quality.

Built from the same ``DemoCity`` the seed writes, so every id it hands out (grid,
community, staff) is one the database holds. Each grid gets a quality factor in
(0, 1] drawn from the seed — a street's share, a community's lean and the grid's own
noise — and every generated rate leans on it, so streets, communities and grids rank
differently.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from data.demo_city.generator import DemoCity
from data.demo_city.geometry import Rect
from data.models import NodeKind, Post

#: the zone the demo's days and office hours are counted in (data/timezones.py default)
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def history_rng(city: DemoCity, *stream: object) -> random.Random:
    """An independent generator per stream (string seeds hash with SHA-512, not PYTHONHASHSEED)."""
    parts = ["gridwatch-history", city.spec.name, str(city.seed), *map(str, stream)]
    return random.Random(":".join(parts))


@dataclass(frozen=True, slots=True)
class StaffInfo:
    id: int
    name: str
    phone: str
    post: Post


@dataclass(frozen=True, slots=True)
class NodeInfo:
    id: int
    kind: NodeKind
    name: str
    path: str
    parent_id: int | None


@dataclass(frozen=True, slots=True)
class GridInfo:
    """A level-3 grid: where incidents happen and who works there."""

    id: int
    name: str
    community_id: int
    rect: Rect
    staff: tuple[StaffInfo, ...]
    #: 0 < quality <= 1: how well the area performs (fast handling, quick acknowledgements)
    quality: float

    def point(self, rng: random.Random) -> tuple[float, float]:
        """A random (lat, lon) inside the grid."""
        lat = (self.rect.y0 + rng.random() * self.rect.height) / 1e6
        lon = (self.rect.x0 + rng.random() * self.rect.width) / 1e6
        return round(lat, 6), round(lon, 6)


@dataclass(frozen=True, slots=True)
class HistoryWorld:
    nodes: dict[int, NodeInfo]
    grids: tuple[GridInfo, ...]

    def communities(self) -> dict[int, list[GridInfo]]:
        """Grids per community, in id order."""
        out: dict[int, list[GridInfo]] = defaultdict(list)
        for grid in self.grids:
            out[grid.community_id].append(grid)
        return dict(out)


def build_world(city: DemoCity, staff_rows: list[dict[str, Any]] | None = None) -> HistoryWorld:
    """The grids with their staff and quality; ``staff_rows`` saves regenerating them."""
    nodes = {
        row["id"]: NodeInfo(
            row["id"], NodeKind(row["kind"]), row["name"], row["path"], row["parent_id"]
        )
        for row in city.node_rows()
    }
    staff: dict[int, list[StaffInfo]] = defaultdict(list)
    for row in staff_rows if staff_rows is not None else city.staff_rows():
        staff[row["node_id"]].append(
            StaffInfo(row["id"], row["name"], row["phone"], Post(row["post"]))
        )
    quality = _qualities(nodes, history_rng(city, "quality"))
    grids = tuple(
        GridInfo(
            id=plan.id,
            name=nodes[plan.id].name,
            community_id=_parent(nodes, plan.id),
            rect=plan.rect,
            staff=tuple(staff[plan.id]),
            quality=quality[plan.id],
        )
        for plan in city.plan.grids
    )
    return HistoryWorld(nodes, grids)


def _parent(nodes: dict[int, NodeInfo], node_id: int) -> int:
    parent = nodes[node_id].parent_id
    if parent is None:
        raise ValueError(f"grid {node_id} has no parent")
    return parent


def _qualities(nodes: dict[int, NodeInfo], rng: random.Random) -> dict[int, float]:
    """street share + community lean + grid noise, clamped to (0.05, 1]; drawn in id order."""
    lean: dict[int, float] = {}
    out: dict[int, float] = {}
    for node in sorted(nodes.values(), key=lambda n: n.id):
        if node.kind is NodeKind.STREET:
            lean[node.id] = rng.uniform(0.25, 0.9)
        elif node.kind is NodeKind.COMMUNITY and node.parent_id is not None:
            lean[node.id] = lean.get(node.parent_id, 0.6) + rng.uniform(-0.2, 0.2)
        elif node.kind is NodeKind.GRID and node.parent_id is not None:
            value = lean.get(node.parent_id, 0.6) + rng.uniform(-0.12, 0.12)
            out[node.id] = round(min(1.0, max(0.05, value)), 4)
    return out


@dataclass(frozen=True, slots=True)
class HistoryWindow:
    """``months`` calendar months ending at local midnight of ``end_day`` (exclusive)."""

    end_day: dt.date
    months: int

    def month_starts(self) -> list[dt.datetime]:
        """Local-midnight starts of the months plus the end, oldest first (months + 1 items)."""
        return [_local_midnight(add_months(self.end_day, -k)) for k in range(self.months, -1, -1)]

    @property
    def start(self) -> dt.datetime:
        return self.month_starts()[0]

    @property
    def end(self) -> dt.datetime:
        return _local_midnight(self.end_day)

    def days(self) -> list[dt.date]:
        """Every local day of the window."""
        first = add_months(self.end_day, -self.months)
        return [first + dt.timedelta(days=i) for i in range((self.end_day - first).days)]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, the day of month clamped (31 Mar - 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(f"cannot move {day} by {months} months")


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(dt.UTC)
