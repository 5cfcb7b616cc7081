"""The pure generation layer: a seed and a scale in, insert-ready rows out.

Nothing here touches a database, so determinism can be tested by generating
twice. Every stream has its own ``random.Random`` derived from the seed (string
seeds are hashed with SHA-512 by ``random``, independent of PYTHONHASHSEED), and
each grid gets its own generator, so one stream's draws never shift another's.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from data.demo_city.ids import IdCounters
from data.demo_city.places import build_places
from data.demo_city.residents import IdNumberRegistry, build_people, household_sizes
from data.demo_city.scales import ScaleSpec, get_scale
from data.demo_city.staff import staff_rows
from data.demo_city.tree import CityPlan, build_city

#: the place tables in foreign-key order (parents first)
PLACE_TABLES = ("compound", "building", "house", "household", "resident")


@dataclass(slots=True)
class PlaceBatch:
    """Rows of whole grids, to be written table by table in PLACE_TABLES order."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {t: [] for t in PLACE_TABLES}
    )

    def __len__(self) -> int:
        return sum(len(r) for r in self.rows.values())

    @property
    def residents(self) -> int:
        return len(self.rows["resident"])


class DemoCity:
    """Deterministic rows for one (scale, seed)."""

    def __init__(self, scale: str | ScaleSpec, seed: int) -> None:
        self.spec = get_scale(scale) if isinstance(scale, str) else scale
        self.seed = seed

    def _rng(self, *stream: object) -> random.Random:
        parts = ["gridwatch-demo", self.spec.name, str(self.seed), *map(str, stream)]
        return random.Random(":".join(parts))

    @cached_property
    def plan(self) -> CityPlan:
        """The org tree and per-grid targets (cheap: ~20k nodes at the largest scale)."""
        return build_city(self.spec, self._rng("tree"))

    def node_rows(self) -> list[dict[str, Any]]:
        """org_node rows in id order (parents before children)."""
        return self.plan.nodes

    def staff_rows(self) -> Iterator[dict[str, Any]]:
        """staff rows in id order."""
        return staff_rows(self.plan.grids, self._rng("staff"), IdCounters())

    def place_batches(self, max_rows: int = 8_000) -> Iterator[PlaceBatch]:
        """Compounds … residents, grid by grid, cut into batches of about ``max_rows``."""
        ids = IdCounters()
        registry = IdNumberRegistry()
        batch = PlaceBatch()
        for grid in self.plan.grids:
            rng = self._rng("grid", grid.id)
            sizes = household_sizes(rng, grid.residents)
            places = build_places(grid, len(sizes), rng, ids)
            people = build_people(grid, sizes, places.occupied_house_ids, rng, ids, registry)
            rows = batch.rows
            rows["compound"].extend(places.compounds)
            rows["building"].extend(places.buildings)
            rows["house"].extend(places.houses)
            rows["household"].extend(people.households)
            rows["resident"].extend(people.residents)
            if len(batch) >= max_rows:
                yield batch
                batch = PlaceBatch()
        if len(batch):
            yield batch
