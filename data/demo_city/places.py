"""Compounds, buildings and houses inside one level-3 grid.

Compounds sit in cells of an inset tiling of the grid, shrunk again so streets
run between them: strictly inside the grid and never overlapping. Buildings sit
in disjoint slots of their compound, each strictly inside its slot. Only the
houses that are registered (occupied plus a few vacant) get a row; a 33-storey
tower therefore has far fewer house rows than flats.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from data.demo_city.apportion import apportion, uneven_weights
from data.demo_city.geometry import Rect, sub_rect, tile
from data.demo_city.ids import IdCounters
from data.demo_city.names import compound_name, road_address, unique_name
from data.demo_city.tree import GridPlan

#: micro-degrees per metre (north-south, east-west at Zhengzhou's latitude)
UNITS_PER_M_LAT = 9.0
UNITS_PER_M_LON = 10.9


@dataclass(frozen=True, slots=True)
class BuildingType:
    """A family of buildings: storeys, stair units and flats per floor and unit."""

    floors: tuple[int, ...]
    units: tuple[int, int]
    per_floor: tuple[int, int]
    unit_length_m: float
    depth_m: float
    area_m2: tuple[float, float]


WALK_UP = BuildingType((6, 6, 6, 7), (2, 4), (2, 2), 13.0, 11.0, (55.0, 110.0))
MID_RISE = BuildingType((11, 12, 18), (1, 3), (2, 3), 20.0, 16.0, (75.0, 140.0))
HIGH_RISE = BuildingType(tuple(range(24, 34)), (1, 3), (2, 4), 22.0, 18.0, (80.0, 160.0))
_TYPES = (WALK_UP, MID_RISE, HIGH_RISE)
_TYPE_WEIGHTS = (0.45, 0.2, 0.35)


@dataclass(slots=True)
class GridPlaces:
    """Rows for one grid plus the ids of the occupied houses, in house order."""

    compounds: list[dict[str, Any]] = field(default_factory=list)
    buildings: list[dict[str, Any]] = field(default_factory=list)
    houses: list[dict[str, Any]] = field(default_factory=list)
    occupied_house_ids: list[int] = field(default_factory=list)


def build_places(
    grid: GridPlan, households: int, rng: random.Random, ids: IdCounters
) -> GridPlaces:
    """Lay out compounds and buildings for ``households`` occupied houses (+ some vacant)."""
    out = GridPlaces()
    n_houses = households + round(households * rng.uniform(0.03, 0.15))
    n_compounds = max(1, min(4, n_houses, round(n_houses / rng.uniform(10.0, 25.0))))
    margin_x = max(1, grid.rect.width // 25)
    margin_y = max(1, grid.rect.height // 25)
    cells = tile(
        grid.rect.inset(margin_x, margin_y), uneven_weights(rng, n_compounds, 0.3), rng, 0.2
    )
    houses_per_compound = apportion(n_houses, uneven_weights(rng, n_compounds, 0.4), minimum=1)
    names: set[str] = set()
    for cell, compound_houses in zip(cells, houses_per_compound, strict=True):
        rect = sub_rect(cell, rng, 0.55, 0.9, margin=max(1, min(cell.width, cell.height) // 20))
        compound_id = ids.next("compound")
        address = road_address(rng, grid.district)
        out.compounds.append(
            {
                "id": compound_id,
                "node_id": grid.id,
                "name": unique_name(lambda: compound_name(rng), names),
                "address": address,
                "boundary": rect.polygon(),
            }
        )
        _add_buildings(out, grid, rect, compound_id, address, compound_houses, rng, ids)
    first_house = out.houses[0]["id"]
    occupied = sorted(rng.sample(range(len(out.houses)), households))
    out.occupied_house_ids = [first_house + i for i in occupied]
    return out


def _add_buildings(
    out: GridPlaces,
    grid: GridPlan,
    compound: Rect,
    compound_id: int,
    address: str,
    n_houses: int,
    rng: random.Random,
    ids: IdCounters,
) -> None:
    n_buildings = max(1, min(8, n_houses, round(n_houses / rng.uniform(3.0, 8.0))))
    houses_per_building = apportion(n_houses, uneven_weights(rng, n_buildings, 0.5), minimum=1)
    inner = compound.inset(max(1, compound.width // 20), max(1, compound.height // 20))
    cols = math.ceil(math.sqrt(n_buildings))
    rows = math.ceil(n_buildings / cols)
    for k, houses in enumerate(houses_per_building):
        row, col = divmod(k, cols)
        slot = Rect(
            inner.x0 + inner.width * col // cols,
            inner.y0 + inner.height * (rows - 1 - row) // rows,
            inner.x0 + inner.width * (col + 1) // cols,
            inner.y0 + inner.height * (rows - row) // rows,
        )
        kind = rng.choices(_TYPES, _TYPE_WEIGHTS)[0]
        floors = rng.choice(kind.floors)
        units = rng.randint(*kind.units)
        per_floor = rng.randint(*kind.per_floor)
        while units * floors * per_floor < houses:  # never in practice; keeps rows valid
            per_floor += 1
        footprint = _footprint(slot, kind, units, rng)
        building_id = ids.next("building")
        name = f"{k + 1}号楼"
        out.buildings.append(
            {
                "id": building_id,
                "compound_id": compound_id,
                "node_id": grid.id,
                "name": name,
                "address": address + name,
                "footprint": footprint.polygon(),
                "floors": floors,
                "units": units,
            }
        )
        per_unit = floors * per_floor
        for position in sorted(rng.sample(range(units * per_unit), houses)):
            unit, rest = divmod(position, per_unit)
            floor, flat = divmod(rest, per_floor)
            out.houses.append(
                {
                    "id": ids.next("house"),
                    "building_id": building_id,
                    "unit": unit + 1,
                    "floor": floor + 1,
                    "number": f"{floor + 1}{flat + 1:02d}",
                    "area_m2": round(rng.uniform(*kind.area_m2), 1),
                }
            )


def _footprint(slot: Rect, kind: BuildingType, units: int, rng: random.Random) -> Rect:
    """A slab (long side east-west) strictly inside ``slot``, at most ~80 % of it."""
    inner = slot.inset(1, 1)
    want_w = round(kind.unit_length_m * units * UNITS_PER_M_LON)
    want_h = round(kind.depth_m * UNITS_PER_M_LAT)
    w = max(1, min(want_w, inner.width * 4 // 5))
    h = max(1, min(want_h, inner.height * 3 // 5))
    x0 = inner.x0 + rng.randint(0, inner.width - w)
    y0 = inner.y0 + rng.randint(0, inner.height - h)
    return Rect(x0, y0, x0 + w, y0 + h)
