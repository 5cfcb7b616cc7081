"""Pure-generator properties of the demo city: tiling, counts, identity numbers, determinism."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections import Counter, defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.demo_city import DemoCity
from data.demo_city.apportion import apportion
from data.demo_city.geometry import Rect, rect_from_polygon, tile
from data.demo_city.idcard import check_char, gender_of, is_valid_id_number, make_id_number
from data.demo_city.residents import REFERENCE_DATE, household_sizes
from tests.support.hypothesis_profiles import examples

rects = st.builds(
    lambda x, y, w, h: Rect(x, y, x + w, y + h),
    st.integers(113_000_000, 114_000_000),
    st.integers(34_000_000, 35_000_000),
    st.integers(1, 200_000),
    st.integers(1, 200_000),
)


def assert_tiles(parent: Rect, children: list[Rect]) -> None:
    """Children lie inside the parent, do not overlap and cover it completely."""
    assert all(parent.contains(c) for c in children)
    for a, b in itertools.combinations(children, 2):
        assert a.overlap_area(b) == 0, (a, b)
    assert sum(c.area for c in children) == parent.area


@settings(max_examples=examples(300), deadline=None)
@given(
    parent=rects,
    weights=st.lists(st.floats(0.05, 20.0), min_size=1, max_size=40),
    seed=st.integers(0, 2**32),
    jitter=st.sampled_from([0.0, 0.2, 0.5, 1.5]),
    anchored=st.booleans(),
)
def test_tile_partitions_parent_exactly(
    parent: Rect, weights: list[float], seed: int, jitter: float, anchored: bool
) -> None:
    if max(parent.width, parent.height) < len(weights):
        with pytest.raises(ValueError, match="too small"):
            tile(parent, weights, random.Random(seed), jitter)
        return
    rng = random.Random(seed)
    anchors = [(rng.uniform(34, 35), rng.uniform(113, 114)) for _ in weights] if anchored else None
    children = tile(parent, weights, random.Random(seed), jitter, anchors)
    assert len(children) == len(weights)
    assert_tiles(parent, children)


@settings(max_examples=examples(100), deadline=None)
@given(parent=rects)
def test_polygon_is_closed_ccw_and_round_trips(parent: Rect) -> None:
    ring = parent.polygon()["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    signed = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
    assert signed > 0  # counter-clockwise
    assert all(round(v, 6) == v for point in ring for v in point)
    assert rect_from_polygon(parent.polygon()) == parent


def test_tile_follows_weights_without_jitter() -> None:
    parent = Rect(0, 0, 1_000_000, 1_000)
    children = tile(parent, [1.0, 3.0], random.Random(1))
    assert [c.area for c in children] == [250_000_000, 750_000_000]


@settings(max_examples=examples(200), deadline=None)
@given(
    weights=st.lists(st.floats(0.01, 50.0), min_size=1, max_size=60),
    minimum=st.integers(0, 5),
    extra=st.integers(0, 100_000),
)
def test_apportion_hits_exact_total(weights: list[float], minimum: int, extra: int) -> None:
    total = minimum * len(weights) + extra
    parts = apportion(total, weights, minimum)
    assert sum(parts) == total
    assert min(parts) >= minimum


@settings(max_examples=examples(100), deadline=None)
@given(residents=st.integers(1, 500), seed=st.integers(0, 2**32))
def test_household_sizes_add_up(residents: int, seed: int) -> None:
    sizes = household_sizes(random.Random(seed), residents)
    assert sum(sizes) == residents and all(1 <= s <= 6 for s in sizes)


def test_id_check_digit_matches_published_examples() -> None:
    # The worked examples from GB 11643-1999.
    assert check_char("11010519491231002") == "X"
    assert check_char("44052418800101001") == "4"
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("11010519491331002X")  # month 13


@given(
    birth=st.dates(dt.date(1920, 1, 1), dt.date(2025, 12, 31)),
    seq=st.integers(0, 999),
    position=st.integers(0, 16),
)
def test_generated_id_valid_and_single_digit_errors_caught(
    birth: dt.date, seq: int, position: int
) -> None:
    number = make_id_number("410105", birth, seq)
    assert is_valid_id_number(number)
    assert gender_of(number) == ("M" if seq % 2 else "F")
    digit = str((int(number[position]) + 1) % 10)
    assert not is_valid_id_number(number[:position] + digit + number[position + 1 :])


def _dump(city: DemoCity) -> str:
    rows: dict[str, Any] = {"nodes": city.node_rows(), "staff": list(city.staff_rows())}
    rows["places"] = [b.rows for b in city.place_batches()]
    return json.dumps(rows, default=str, ensure_ascii=False, sort_keys=True)


def test_same_seed_same_rows_and_other_seed_differs() -> None:
    first = _dump(DemoCity("small", 42))
    assert first == _dump(DemoCity("small", 42))
    assert first != _dump(DemoCity("small", 43))


def test_unknown_scale_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown demo scale 'huge'"):
        DemoCity("huge", 1)


def test_zhengzhou_totals_are_exact() -> None:
    city = DemoCity("zhengzhou", 5)
    kinds = Counter(n["grid_level"] for n in city.node_rows())
    assert (kinds[1], kinds[2], kinds[3]) == (198, 2_997, 17_350)
    assert len({n["name"] for n in city.node_rows() if n["kind"] == "district"}) == 16
    assert sum(g.residents for g in city.plan.grids) == 599_174
    assert sum(g.staff for g in city.plan.grids) == 85_319
    assert len(list(city.staff_rows())) == 85_319


def test_every_level_tiles_its_parent_at_city_scale() -> None:
    nodes = DemoCity("city", 9).node_rows()
    rect = {n["id"]: rect_from_polygon(n["boundary"]) for n in nodes}
    children: dict[int, list[Rect]] = defaultdict(list)
    for n in nodes:
        if n["parent_id"] is not None:
            children[n["parent_id"]].append(rect[n["id"]])
    assert len(children) == len(nodes) - 1000  # every non-grid node has children
    for parent_id, kids in children.items():
        assert_tiles(rect[parent_id], kids)
    box = rect[1]
    assert (box.y0, box.x0, box.y1, box.x1) == (34_740_000, 113_620_000, 34_860_000, 113_780_000)


def test_places_nest_strictly_and_people_hang_together() -> None:
    city = DemoCity("small", 11)
    grid_rect = {g.id: g.rect for g in city.plan.grids}
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for batch in city.place_batches():
        for table, table_rows in batch.rows.items():
            rows[table].extend(table_rows)
    compound_rect = {c["id"]: rect_from_polygon(c["boundary"]) for c in rows["compound"]}
    by_grid: dict[int, list[Rect]] = defaultdict(list)
    for c in rows["compound"]:
        assert grid_rect[c["node_id"]].strictly_contains(compound_rect[c["id"]])
        by_grid[c["node_id"]].append(compound_rect[c["id"]])
    by_compound: dict[int, list[Rect]] = defaultdict(list)
    for b in rows["building"]:
        footprint = rect_from_polygon(b["footprint"])
        assert compound_rect[b["compound_id"]].strictly_contains(footprint)
        by_compound[b["compound_id"]].append(footprint)
        assert 6 <= b["floors"] <= 33 and 1 <= b["units"] <= 4
    for group in [*by_grid.values(), *by_compound.values()]:
        assert all(a.overlap_area(b) == 0 for a, b in itertools.combinations(group, 2))

    heads = Counter(r["household_id"] for r in rows["resident"] if r["relation"] == "户主")
    assert set(heads.values()) == {1} and len(heads) == len(rows["household"])
    for r in rows["resident"]:
        number, birth = r["id_number"], r["birth_date"]
        assert is_valid_id_number(number) and number.startswith("4101")
        assert number[6:14] == birth.strftime("%Y%m%d")
        assert gender_of(number) == r["gender"]
        age = REFERENCE_DATE.year - birth.year - 1
        assert ("elderly" in r["tags"]) == (age >= 80)
    assert len({r["id_number"] for r in rows["resident"]}) == len(rows["resident"])
