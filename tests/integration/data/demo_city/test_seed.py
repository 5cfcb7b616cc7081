"""Seeding the small demo city into real SQLite and PostgreSQL databases."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select

from data.db import make_engine
from data.demo_city import SeedReport, seed_demo_city
from data.demo_city.geometry import Rect, rect_from_polygon
from data.demo_city.idcard import is_valid_id_number
from data.models import Base

TABLES = ("org_node", "staff", "compound", "building", "house", "household", "resident")


def rows_of(conn: Connection, table: str) -> list[dict[str, Any]]:
    t = Base.metadata.tables[table]
    return [
        dict(r._mapping)
        for r in conn.execute(select(t).order_by(t.c[t.primary_key.columns.keys()[0]]))
    ]


def count(conn: Connection, table: str) -> int:
    return conn.execute(select(func.count()).select_from(Base.metadata.tables[table])).scalar_one()


def test_small_city_is_consistent(engine: Engine) -> None:
    calls: list[tuple[str, int, int]] = []
    report = seed_demo_city(engine, "small", 3, lambda s, d, t: calls.append((s, d, t)))

    with engine.connect() as conn:
        assert_counts(conn, report)
        nodes = rows_of(conn, "org_node")
        assert_tree(nodes)
        assert_places_nest(conn, nodes)
        assert_people(conn)
        meta = {r["key"]: r["value"] for r in rows_of(conn, "gw_meta")}
    assert meta["demo_scale"] == "small" and meta["demo_seed"] == "3" and meta["seeded_at"]
    assert_progress(calls, report)


def assert_counts(conn: Connection, report: SeedReport) -> None:
    assert report.scale == "small" and report.elapsed_s > 0
    assert report.nodes_by_kind == {
        "city": 1,
        "district": 1,
        "street": 1,
        "community": 4,
        "grid": 40,
    }
    assert 150 <= report.staff <= 250 and 1_500 <= report.residents <= 2_500
    assert report.households < report.houses <= 2 * report.households
    assert report.compounds < report.buildings
    for table, expected in [
        ("org_node", report.nodes),
        ("staff", report.staff),
        ("compound", report.compounds),
        ("building", report.buildings),
        ("house", report.houses),
        ("household", report.households),
        ("resident", report.residents),
    ]:
        assert count(conn, table) == expected, table


def assert_tree(nodes: list[dict[str, Any]]) -> None:
    by_id = {n["id"]: n for n in nodes}
    levels = {"city": None, "district": None, "street": 1, "community": 2, "grid": 3}
    depths = {"city": 0, "district": 1, "street": 2, "community": 3, "grid": 4}
    children: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for n in nodes:
        assert n["grid_level"] == levels[n["kind"]] and n["depth"] == depths[n["kind"]]
        if n["parent_id"] is None:
            assert n["path"] == f"/{n['id']}/" and n["name"] == "郑州市"
            continue
        parent = by_id[n["parent_id"]]
        assert n["path"] == f"{parent['path']}{n['id']}/"
        assert n["code"].startswith(parent["code"] if parent["depth"] else "4101")
        children[parent["id"]].append(n)
    assert len({n["code"] for n in nodes}) == len(nodes)
    for parent_id, kids in children.items():
        parent_rect = rect_from_polygon(by_id[parent_id]["boundary"])
        rects = [rect_from_polygon(k["boundary"]) for k in kids]
        assert all(parent_rect.contains(r) for r in rects)
        assert all(a.overlap_area(b) == 0 for a, b in itertools.combinations(rects, 2))
        assert sum(r.area for r in rects) == parent_rect.area
    for n in nodes:
        lat, lon = rect_from_polygon(n["boundary"]).center
        assert (n["center_lat"], n["center_lon"]) == pytest.approx((lat, lon), abs=1e-9)
        assert 34.74 <= n["center_lat"] <= 34.86 and 113.62 <= n["center_lon"] <= 113.78


def assert_places_nest(conn: Connection, nodes: list[dict[str, Any]]) -> None:
    grids = {n["id"]: rect_from_polygon(n["boundary"]) for n in nodes if n["kind"] == "grid"}
    compounds = {c["id"]: c for c in rows_of(conn, "compound")}
    compound_rects = {cid: rect_from_polygon(c["boundary"]) for cid, c in compounds.items()}
    for cid, c in compounds.items():
        assert grids[c["node_id"]].strictly_contains(compound_rects[cid])
    footprints: dict[int, list[Rect]] = defaultdict(list)
    for b in rows_of(conn, "building"):
        footprint = rect_from_polygon(b["footprint"])
        assert compound_rects[b["compound_id"]].strictly_contains(footprint)
        assert grids[b["node_id"]].strictly_contains(footprint)
        assert compounds[b["compound_id"]]["node_id"] == b["node_id"]
        footprints[b["compound_id"]].append(footprint)
    for group in footprints.values():
        assert all(a.overlap_area(b) == 0 for a, b in itertools.combinations(group, 2))
    houses = rows_of(conn, "house")
    assert all(f"{h['floor']}" == h["number"][:-2] for h in houses)


def assert_people(conn: Connection) -> None:
    households = rows_of(conn, "household")
    residents = rows_of(conn, "resident")
    heads = Counter(r["household_id"] for r in residents if r["relation"] == "户主")
    assert len(heads) == len(households) and set(heads.values()) == {1}
    assert {h["registration"] for h in households} <= {"户籍", "流动", "寄住"}
    node_of_household = {h["id"]: h["node_id"] for h in households}
    for r in residents:
        assert r["node_id"] == node_of_household[r["household_id"]]
        assert is_valid_id_number(r["id_number"]) and r["id_number"].startswith("4101")
        assert r["id_number"][6:14] == r["birth_date"].strftime("%Y%m%d")
        assert r["gender"] in {"M", "F"}
        assert r["phone"] is None or (
            len(r["phone"]) == 11 and r["phone"][:2] in {"13", "15", "18"}
        )
    staff = rows_of(conn, "staff")
    assert Counter(s["post"] for s in staff)["grid_manager"] == 40
    assert len({s["phone"] for s in staff}) == len(staff)


def assert_progress(calls: list[tuple[str, int, int]], report: SeedReport) -> None:
    stages = list(dict.fromkeys(s for s, _, _ in calls))
    assert stages == ["生成网格", "写入组织节点", "写入网格人员", "写入居民", "写入元数据"]
    people = [(d, t) for s, d, t in calls if s == "写入居民"]
    assert people[-1] == (report.residents, report.residents)
    assert all(b[0] >= a[0] for a, b in itertools.pairwise(people))


def test_seeding_twice_is_refused(sqlite_engine: Engine) -> None:
    seed_demo_city(sqlite_engine, "small", 1)
    with pytest.raises(ValueError, match="数据库已有组织数据"):
        seed_demo_city(sqlite_engine, "small", 2)
    with sqlite_engine.connect() as conn:
        assert count(conn, "org_node") == 47
        meta = {r["key"]: r["value"] for r in rows_of(conn, "gw_meta")}
    assert meta["demo_seed"] == "1"


def test_unknown_scale_touches_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError, match="unknown demo scale 'tiny'"):
        seed_demo_city(engine, "tiny", 1)
    engine.dispose()
    assert not (tmp_path / "x.db").exists() or (tmp_path / "x.db").stat().st_size == 0


def dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {table: rows_of(conn, table) for table in TABLES}


@pytest.mark.postgres
def test_same_seed_gives_identical_rows_in_sqlite_and_postgres(
    sqlite_engine: Engine, pg_engine: Engine, tmp_path: Path
) -> None:
    seed_demo_city(sqlite_engine, "small", 2024)
    seed_demo_city(pg_engine, "small", 2024)
    in_sqlite, in_postgres = dump(sqlite_engine), dump(pg_engine)
    for table in TABLES:
        assert in_sqlite[table] == in_postgres[table], table

    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    seed_demo_city(other, "small", 2025)
    in_other = dump(other)
    other.dispose()
    assert in_other["resident"] != in_sqlite["resident"]
    assert in_other["org_node"] != in_sqlite["org_node"]


def test_rows_added_after_seeding_get_fresh_ids(engine: Engine) -> None:
    """Seeding writes explicit ids; the database must still number later rows itself."""
    from sqlalchemy.orm import Session

    from data.models import OrgNode, Post, Staff

    seed_demo_city(engine, "small", 1)
    with Session(engine) as session, session.begin():
        grid = session.scalar(select(OrgNode).where(OrgNode.kind == "grid").order_by(OrgNode.id))
        staff = Staff(node_id=grid.id, name="新网格员", phone="13800000000", post=Post.ASSISTANT)
        session.add(staff)
        session.flush()
        highest = session.scalar(select(func.max(Staff.id)).where(Staff.id != staff.id))
        assert staff.id > highest
