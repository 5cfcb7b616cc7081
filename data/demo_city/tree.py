"""The organisation tree: city → districts → streets → communities → level-3 grids.

Counts are apportioned first (exact totals), then the geometry is cut top-down so
each node's boundary is tiled exactly by its children. Ids are handed out level
by level, so inserting rows in id order always inserts parents first.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from data.demo_city.apportion import apportion, uneven_weights
from data.demo_city.geometry import Rect, tile
from data.demo_city.names import community_name, street_name, unique_name
from data.demo_city.scales import CITY_CODE, CITY_NAME, DistrictSpec, ScaleSpec
from data.models import GRID_LEVEL_OF_KIND, NodeKind

#: how far (as a fraction) a cut may wander from its proportional position
DISTRICT_JITTER = 0.12
STREET_JITTER = 0.25
COMMUNITY_JITTER = 0.3
GRID_JITTER = 0.35

_RURAL_CODES = ("410122", "410181", "410182", "410183", "410184", "410185")


@dataclass(frozen=True, slots=True)
class GridPlan:
    """What the place and people generators need to know about one level-3 grid."""

    id: int
    code: str
    rect: Rect
    district: str
    district_code: str
    residents: int
    staff: int


@dataclass(frozen=True, slots=True)
class CityPlan:
    """The org tree as insert-ready rows plus the level-3 grids to populate."""

    nodes: list[dict[str, Any]]
    grids: list[GridPlan]


@dataclass(slots=True)
class _Node:
    id: int
    parent: _Node | None
    kind: NodeKind
    code: str
    name: str
    rect: Rect
    district: DistrictSpec | None

    @property
    def path(self) -> str:
        ids: list[int] = []
        node: _Node | None = self
        while node is not None:
            ids.append(node.id)
            node = node.parent
        return "/" + "/".join(str(i) for i in reversed(ids)) + "/"

    def row(self, depth: int) -> dict[str, Any]:
        lat, lon = self.rect.center
        return {
            "id": self.id,
            "parent_id": self.parent.id if self.parent else None,
            "kind": self.kind.value,
            "grid_level": GRID_LEVEL_OF_KIND[self.kind],
            "code": self.code,
            "name": self.name,
            "path": self.path,
            "depth": depth,
            "boundary": self.rect.polygon(),
            "center_lat": lat,
            "center_lon": lon,
        }


def build_city(spec: ScaleSpec, rng: random.Random) -> CityPlan:
    """Apportion counts, cut the geometry and name every node of the tree.

    The steps draw from ``rng`` in a fixed order (counts, districts, streets,
    communities, grids): a seed always makes the same city.
    """
    counts = _apportion_counts(spec, rng)
    next_id = iter(range(1, 10**9))
    city = _Node(next(next_id), None, NodeKind.CITY, CITY_CODE, CITY_NAME, spec.box, None)
    districts = _districts(spec, rng, city, next_id)
    # Children's tiles are weighted by how many grids they hold, so grid sizes stay even.
    grid_counts = iter(counts.grids_per_community)
    community_counts = iter(counts.communities_per_street)
    street_grids = [
        [next(grid_counts) for _ in range(next(community_counts))]
        for _ in counts.communities_per_street
    ]
    streets = _streets(districts, counts.streets_per_district, street_grids, rng)
    _number(streets, next_id)
    communities, community_grids = _communities(streets, street_grids, rng)
    _number(communities, next_id)
    grids = _grids(communities, community_grids, rng)
    _number(grids, next_id)
    levels = [[city], districts, streets, communities, grids]
    rows = [node.row(depth) for depth, nodes in enumerate(levels) for node in nodes]
    return CityPlan(nodes=rows, grids=_grid_plans(grids, counts))


@dataclass(frozen=True)
class _Counts:
    """How many of each level every parent holds, and residents and staff per grid."""

    streets_per_district: list[int]
    communities_per_street: list[int]
    grids_per_community: list[int]
    residents_per_grid: list[int]
    staff_per_grid: list[int]


def _apportion_counts(spec: ScaleSpec, rng: random.Random) -> _Counts:
    streets_per_district = apportion(spec.streets, [d.streets for d in spec.districts], minimum=1)
    n_streets = sum(streets_per_district)
    communities_per_street = apportion(
        spec.communities, uneven_weights(rng, n_streets, 0.4), minimum=1
    )
    n_communities = sum(communities_per_street)
    grids_per_community = apportion(
        spec.grids, uneven_weights(rng, n_communities, spec.grid_spread), minimum=1
    )
    residents_per_grid = apportion(
        spec.residents, [rng.lognormvariate(0.0, 0.45) for _ in range(spec.grids)], minimum=5
    )
    staff_weights = [math.sqrt(r) * rng.uniform(0.8, 1.2) for r in residents_per_grid]
    staff_per_grid = apportion(spec.staff, staff_weights, minimum=2)
    if max(*streets_per_district, *communities_per_street, *grids_per_community, 1) > 999:
        raise ValueError("more than 999 children under one node do not fit the 3-digit codes")
    return _Counts(
        streets_per_district,
        communities_per_street,
        grids_per_community,
        residents_per_grid,
        staff_per_grid,
    )


def _number(nodes: list[_Node], next_id: Iterator[int]) -> None:
    """Ids level by level (breadth first), once the whole level exists."""
    for node in nodes:
        node.id = next(next_id)


def _districts(
    spec: ScaleSpec, rng: random.Random, city: _Node, next_id: Iterator[int]
) -> list[_Node]:
    districts = spec.districts
    if len(districts) == 1:
        rects = [spec.box]
    else:
        rects = tile(
            spec.box,
            [d.area for d in districts],
            rng,
            DISTRICT_JITTER,
            anchors=[(d.lat, d.lon) for d in districts],
        )
    return [
        _Node(next(next_id), city, NodeKind.DISTRICT, d.code, d.name, r, d)
        for d, r in zip(districts, rects, strict=True)
    ]


def _streets(
    districts: list[_Node],
    streets_per_district: list[int],
    street_grids: list[list[int]],
    rng: random.Random,
) -> list[_Node]:
    streets: list[_Node] = []
    street_iter = iter(street_grids)
    used_street_names: set[str] = set()
    for district, count in zip(districts, streets_per_district, strict=True):
        spec_d = district.district
        assert spec_d is not None
        grids_in = [next(street_iter) for _ in range(count)]
        rects = tile(district.rect, [sum(g) for g in grids_in], rng, STREET_JITTER)
        names = _street_names(rng, spec_d, count, used_street_names)
        for i, (rect, name) in enumerate(zip(rects, names, strict=True), start=1):
            streets.append(
                _Node(0, district, NodeKind.STREET, f"{district.code}{i:03d}", name, rect, spec_d)
            )
    return streets


def _communities(
    streets: list[_Node], street_grids: list[list[int]], rng: random.Random
) -> tuple[list[_Node], list[int]]:
    """The communities of every street, and how many grids each one holds."""
    communities: list[_Node] = []
    community_grids: list[int] = []
    used_community_names: dict[str, set[str]] = {}
    for street, grids_in in zip(streets, street_grids, strict=True):
        rects = tile(street.rect, grids_in, rng, COMMUNITY_JITTER)
        used = used_community_names.setdefault(street.parent.code if street.parent else "", set())
        for i, rect in enumerate(rects, start=1):
            name = unique_name(lambda: community_name(rng), used)
            communities.append(
                _Node(0, street, NodeKind.COMMUNITY, f"{street.code}{i:03d}", name, rect, None)
            )
        community_grids.extend(grids_in)
    return communities, community_grids


def _grids(communities: list[_Node], community_grids: list[int], rng: random.Random) -> list[_Node]:
    grids: list[_Node] = []
    for community, count in zip(communities, community_grids, strict=True):
        rects = tile(community.rect, uneven_weights(rng, count, 0.3), rng, GRID_JITTER)
        for i, rect in enumerate(rects, start=1):
            code = f"{community.code}{i:03d}"
            grids.append(_Node(0, community, NodeKind.GRID, code, f"第{i}网格", rect, None))
    return grids


def _grid_plans(grids: list[_Node], counts: _Counts) -> list[GridPlan]:
    plans = []
    for node, residents, staff in zip(
        grids, counts.residents_per_grid, counts.staff_per_grid, strict=True
    ):
        district_node = node.parent.parent.parent if node.parent and node.parent.parent else None
        assert district_node is not None and district_node.district is not None
        plans.append(
            GridPlan(
                id=node.id,
                code=node.code,
                rect=node.rect,
                district=district_node.name,
                district_code=district_node.code,
                residents=residents,
                staff=staff,
            )
        )
    return plans


def _street_names(
    rng: random.Random, district: DistrictSpec, count: int, used: set[str]
) -> list[str]:
    """Real street names of the district first (in seeded order), then generated ones."""
    real = [n for n in district.street_names if n not in used]
    picked = rng.sample(real, min(count, len(real)))
    used.update(picked)
    rural = district.code in _RURAL_CODES
    while len(picked) < count:
        picked.append(unique_name(lambda: street_name(rng, rural), used))
    return picked
