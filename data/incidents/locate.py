"""Which level-3 grid contains a point, and how far apart two points are.

Grid boundaries are GeoJSON polygons (axis-aligned rectangles in the demo city).
An in-memory bucket index over their bounding boxes answers a point in
microseconds; rectangles are tested half-open (west/south edges in, east/north
out) so a point on a shared edge belongs to exactly one grid, other polygons by
ray casting. The index is cached per database and rebuilt when the grid set changes.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import NodeKind, OrgNode

#: bucket edge in degrees (about 1.1 km north-south)
BUCKET_DEG = 0.01
EARTH_RADIUS_M = 6_371_008.8
#: field → (Chinese label, largest absolute value)
COORDINATE_BOUNDS = {"lat": ("纬度", 90.0), "lon": ("经度", 180.0)}


def coordinate_errors(lat: object, lon: object) -> dict[str, str]:
    """What is wrong with a latitude/longitude pair, per field; empty when it is usable.

    The one check every intake path (terminal, Open311, SMS, desk, feedback) runs.
    ``math.isfinite`` comes first: NaN compares false with every bound, so a range
    check alone lets it through to the grid lookup, where ``math.floor`` raises.
    Both absent is fine here (the caller decides whether a position is required).
    Messages leave the field out ("应为数字"): callers show them beside the field's
    name (``fields`` in JSON, "纬度：…" on the desk form, ``coordinate_message``).
    """
    if (lat is None) != (lon is None):
        return {"location": "需要同时提供纬度和经度"}
    errors: dict[str, str] = {}
    for field, value in (("lat", lat), ("lon", lon)):
        if value is None:
            continue
        bound = COORDINATE_BOUNDS[field][1]
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors[field] = "应为数字"
        elif not math.isfinite(value):
            errors[field] = f"应为有限数字，不能是 {value}"
        elif abs(value) > bound:
            errors[field] = f"应为 -{bound:g} 到 {bound:g} 之间的数字，收到 {value:g}"
    return errors


def coordinate_message(errors: dict[str, str]) -> str:
    """The errors of ``coordinate_errors`` as one sentence naming each field in Chinese."""
    labels = {field: label for field, (label, _) in COORDINATE_BOUNDS.items()}
    return "；".join(f"{labels.get(field, '位置')}：{message}" for field, message in errors.items())


@dataclass(frozen=True, slots=True)
class _Shape:
    node_id: int
    west: float
    south: float
    east: float
    north: float
    #: the ring when the polygon is not an axis-aligned rectangle
    ring: tuple[tuple[float, float], ...] | None

    def contains(self, lat: float, lon: float) -> bool:
        if not (self.west <= lon <= self.east and self.south <= lat <= self.north):
            return False
        if self.ring is None:
            return lon < self.east and lat < self.north
        return _in_ring(self.ring, lon, lat)


class GridIndex:
    """Point → grid node id for every level-3 grid of one database."""

    def __init__(self, grids: Iterable[tuple[int, dict[str, Any]]]) -> None:
        self._buckets: dict[tuple[int, int], list[_Shape]] = defaultdict(list)
        self.size = 0
        for node_id, boundary in grids:
            shape = _shape(node_id, boundary)
            self.size += 1
            for bx in range(_bucket(shape.west), _bucket(shape.east) + 1):
                for by in range(_bucket(shape.south), _bucket(shape.north) + 1):
                    self._buckets[(bx, by)].append(shape)

    @classmethod
    def load(cls, session: Session) -> GridIndex:
        rows = session.execute(
            select(OrgNode.id, OrgNode.boundary).where(OrgNode.kind == NodeKind.GRID)
        )
        return cls((node_id, boundary) for node_id, boundary in rows)

    def locate(self, lat: float, lon: float) -> int | None:
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return None  # in no grid; callers validate with coordinate_errors first
        for shape in self._buckets.get((_bucket(lon), _bucket(lat)), ()):
            if shape.contains(lat, lon):
                return shape.node_id
        return None


_cache: dict[str, tuple[tuple[int, int | None], GridIndex]] = {}
_cache_lock = threading.Lock()


def grid_index(session: Session) -> GridIndex:
    """The cached index of this session's database; one cheap count query checks freshness."""
    bind = session.get_bind()
    key = str(bind.engine.url)
    count, top = session.execute(
        select(func.count(OrgNode.id), func.max(OrgNode.id)).where(OrgNode.kind == NodeKind.GRID)
    ).one()
    signature = (int(count), top)
    cached = _cache.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    index = GridIndex.load(session)
    with _cache_lock:
        _cache[key] = (signature, index)
    return index


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _bucket(value: float) -> int:
    return math.floor(value / BUCKET_DEG)


def _shape(node_id: int, boundary: dict[str, Any]) -> _Shape:
    ring = [(float(x), float(y)) for x, y, *_ in boundary["coordinates"][0]]
    xs, ys = {x for x, _ in ring}, {y for _, y in ring}
    is_rect = len(xs) == 2 and len(ys) == 2 and len(ring) in (4, 5)
    return _Shape(node_id, min(xs), min(ys), max(xs), max(ys), None if is_rect else tuple(ring))


def _in_ring(ring: tuple[tuple[float, float], ...], x: float, y: float) -> bool:
    """Even-odd ray casting; edges count as inside on the west/south side like rectangles."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y):
            cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < cross:
                inside = not inside
    return inside
