"""Axis-aligned rectangles in integer micro-degrees and guillotine tiling.

Coordinates are kept as integers (1 unit = 1e-6 degree, about 0.1 m) while the city
is cut up, so every cut is already "rounded to 6 decimals" before anything uses it:
neighbours share bit-identical edges, children tile their parent exactly and areas
add up without floating-point slop. Floats appear only when GeoJSON is emitted.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MICRO = 1_000_000

#: east-west metres per degree shrink by cos(latitude); cos(34.8°) for Zhengzhou
LON_SCALE = 0.821


@dataclass(frozen=True, slots=True)
class Rect:
    """A half-open box ``[x0, x1) x [y0, y1)``; x is longitude, y latitude (micro-degrees)."""

    x0: int
    y0: int
    x1: int
    y1: int

    def __post_init__(self) -> None:
        if self.x1 <= self.x0 or self.y1 <= self.y0:
            raise ValueError(f"empty rectangle {self}")

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def area(self) -> int:
        return self.width * self.height

    def contains(self, other: Rect) -> bool:
        """True when ``other`` lies inside this rectangle (edges may touch)."""
        return (
            self.x0 <= other.x0
            and other.x1 <= self.x1
            and self.y0 <= other.y0
            and other.y1 <= self.y1
        )

    def strictly_contains(self, other: Rect) -> bool:
        """True when ``other`` lies inside with a gap on every side."""
        return (
            self.x0 < other.x0 and other.x1 < self.x1 and self.y0 < other.y0 and other.y1 < self.y1
        )

    def overlap_area(self, other: Rect) -> int:
        """Area shared by both interiors (0 when they only touch)."""
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w * h if w > 0 and h > 0 else 0

    def inset(self, dx: int, dy: int) -> Rect:
        """Shrink by ``dx``/``dy`` on each side (raises if nothing is left)."""
        return Rect(self.x0 + dx, self.y0 + dy, self.x1 - dx, self.y1 - dy)

    @property
    def center(self) -> tuple[float, float]:
        """(lat, lon) of the centre in degrees."""
        return (self.y0 + self.y1) / (2 * MICRO), (self.x0 + self.x1) / (2 * MICRO)

    def polygon(self) -> dict[str, Any]:
        """GeoJSON Polygon, [lon, lat] order, closed counter-clockwise ring."""
        x0, y0, x1, y1 = (v / MICRO for v in (self.x0, self.y0, self.x1, self.y1))
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        return {"type": "Polygon", "coordinates": [ring]}


def rect_from_degrees(lat0: float, lon0: float, lat1: float, lon1: float) -> Rect:
    """Build a rectangle from degree bounds, snapping to whole micro-degrees."""
    return Rect(round(lon0 * MICRO), round(lat0 * MICRO), round(lon1 * MICRO), round(lat1 * MICRO))


def tile(
    rect: Rect,
    weights: Sequence[float],
    rng: random.Random,
    jitter: float = 0.0,
    anchors: Sequence[tuple[float, float]] | None = None,
) -> list[Rect]:
    """Cut ``rect`` into ``len(weights)`` rectangles that tile it exactly.

    Recursive guillotine cuts along the physically longer side; each cut splits the
    items into two groups of about equal weight and is placed proportionally to
    their weights, moved by up to ``jitter`` (a fraction) for irregular shapes.
    ``anchors`` are optional (lat, lon) targets: items are then sorted along the cut
    axis first so each lands roughly where its anchor says (a geographic treemap).
    The result is aligned with ``weights``. Raises ValueError when the rectangle is
    too small to give every item at least one micro-degree.
    """
    n = len(weights)
    if n == 0:
        return []
    if any(w <= 0 for w in weights):
        raise ValueError("tile weights must be positive")
    if max(rect.width, rect.height) < n:
        raise ValueError(f"{rect} is too small to cut into {n} pieces")
    out: list[Rect | None] = [None] * n
    _tile_into(rect, list(range(n)), weights, rng, jitter, anchors, out)
    return [r for r in out if r is not None]


def _tile_into(
    rect: Rect,
    items: list[int],
    weights: Sequence[float],
    rng: random.Random,
    jitter: float,
    anchors: Sequence[tuple[float, float]] | None,
    out: list[Rect | None],
) -> None:
    n = len(items)
    if n == 1:
        out[items[0]] = rect
        return
    along_x = rect.width * LON_SCALE >= rect.height
    if (rect.width if along_x else rect.height) < n:
        along_x = not along_x
    if anchors is not None:
        axis = 1 if along_x else 0
        items = sorted(items, key=lambda i: (anchors[i][axis], i))
    k = _balanced_split(items, weights)
    first, second = items[:k], items[k:]
    w_first = sum(weights[i] for i in first)
    share = w_first / (w_first + sum(weights[i] for i in second))
    if jitter:
        share *= 1.0 + jitter * rng.uniform(-1.0, 1.0)
    lo, hi = (rect.x0, rect.x1) if along_x else (rect.y0, rect.y1)
    cut = lo + round((hi - lo) * share)
    cut = max(lo + len(first), min(hi - len(second), cut))
    if along_x:
        a, b = Rect(rect.x0, rect.y0, cut, rect.y1), Rect(cut, rect.y0, rect.x1, rect.y1)
    else:
        a, b = Rect(rect.x0, rect.y0, rect.x1, cut), Rect(rect.x0, cut, rect.x1, rect.y1)
    _tile_into(a, first, weights, rng, jitter, anchors, out)
    _tile_into(b, second, weights, rng, jitter, anchors, out)


def _balanced_split(items: list[int], weights: Sequence[float]) -> int:
    """Index 1..n-1 where the running weight comes closest to half the total."""
    total = sum(weights[i] for i in items)
    best_k, best_gap, running = 1, float("inf"), 0.0
    for k in range(1, len(items)):
        running += weights[items[k - 1]]
        gap = abs(2 * running - total)
        if gap < best_gap:
            best_k, best_gap = k, gap
    return best_k


def sub_rect(cell: Rect, rng: random.Random, lo: float, hi: float, margin: int = 1) -> Rect:
    """A random rectangle strictly inside ``cell`` covering ``lo..hi`` of each side."""
    inner = cell.inset(margin, margin)
    w = max(1, round(inner.width * rng.uniform(lo, hi)))
    h = max(1, round(inner.height * rng.uniform(lo, hi)))
    x0 = inner.x0 + rng.randint(0, inner.width - w)
    y0 = inner.y0 + rng.randint(0, inner.height - h)
    return Rect(x0, y0, x0 + w, y0 + h)


def rect_from_polygon(polygon: dict[str, Any]) -> Rect:
    """The micro-degree rectangle spanned by a GeoJSON Polygon written by ``Rect.polygon``."""
    ring = polygon["coordinates"][0]
    xs = [round(p[0] * MICRO) for p in ring]
    ys = [round(p[1] * MICRO) for p in ring]
    return Rect(min(xs), min(ys), max(xs), max(ys))
