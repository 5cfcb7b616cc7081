"""Writing a generated demo city into a migrated database in bulk.

Everything goes in through Core ``executemany`` inserts inside one transaction: a
failed or interrupted run leaves the database as it was, and a concurrent second
seeder fails on the primary keys instead of doubling the city.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from data.db import upgrade
from data.demo_city.generator import PLACE_TABLES, DemoCity
from data.demo_city.history import HISTORY_TABLES, write_history
from data.demo_city.history_world import LOCAL_TZ
from data.demo_city.report import SeedReport
from data.demo_city.scales import get_scale
from data.models import Base, Meta, NodeKind, OrgNode

ProgressFn = Callable[[str, int, int], None]

STAGE_PLAN = "生成网格"
STAGE_NODES = "写入组织节点"
STAGE_STAFF = "写入网格人员"
STAGE_PEOPLE = "写入居民"
STAGE_META = "写入元数据"

CHUNK_ROWS = 5_000
META_KEYS = ("demo_scale", "demo_seed", "seeded_at")


def seed_demo_city(
    engine: Engine,
    scale: str,
    seed: int,
    progress: ProgressFn | None = None,
    *,
    history_months: int = 0,
    history_end: dt.date | None = None,
    history_zone: dt.tzinfo = LOCAL_TZ,
) -> SeedReport:
    """Generate the demo city for ``scale``/``seed`` and write it; refuse a non-empty tree.

    ``history_months`` > 0 adds that many months of generated history ending at
    ``history_end`` (default: today), in the same transaction (data/demo_city/history.py),
    with its daily facts computed for days in ``history_zone`` (the display zone).
    """
    spec = get_scale(scale)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    if isinstance(history_months, bool) or not 0 <= history_months <= 120:
        raise ValueError(f"history_months must be 0–120, got {history_months!r}")
    report: ProgressFn = progress or _no_progress
    started = time.perf_counter()
    upgrade(engine)
    city = DemoCity(spec, seed)
    with engine.begin() as conn:
        _refuse_if_seeded(conn)
        report(STAGE_PLAN, 0, spec.grids)
        nodes = city.node_rows()
        report(STAGE_PLAN, spec.grids, spec.grids)
        _insert(conn, "org_node", nodes, len(nodes), STAGE_NODES, report)
        staff_rows = list(city.staff_rows())
        staff = _insert(conn, "staff", staff_rows, spec.staff, STAGE_STAFF, report)
        places = _insert_places(conn, city, spec.residents, report)
        history = None
        if history_months:
            history = write_history(
                conn,
                city,
                history_months,
                end_day=history_end,
                staff_rows=staff_rows,
                progress=report,
                zone=history_zone,
            )
        report(STAGE_META, 0, len(META_KEYS))
        _write_meta(conn, spec.name, seed)
        _advance_sequences(conn, SEEDED_TABLES + (HISTORY_TABLES if history else ()))
        report(STAGE_META, len(META_KEYS), len(META_KEYS))
    kinds = Counter(row["kind"] for row in nodes)
    return SeedReport(
        scale=spec.name,
        seed=seed,
        cities=kinds[NodeKind.CITY.value],
        districts=kinds[NodeKind.DISTRICT.value],
        streets=kinds[NodeKind.STREET.value],
        communities=kinds[NodeKind.COMMUNITY.value],
        grids=kinds[NodeKind.GRID.value],
        staff=staff,
        compounds=places["compound"],
        buildings=places["building"],
        houses=places["house"],
        households=places["household"],
        residents=places["resident"],
        elapsed_s=round(time.perf_counter() - started, 3),
        history=history,
    )


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def _refuse_if_seeded(conn: Connection) -> None:
    if conn.execute(select(OrgNode.id).limit(1)).first() is not None:
        raise ValueError(
            "数据库已有组织数据（org_node 表非空），拒绝重复生成演示城市；"
            "请换一个空数据库或先清空数据。"
        )


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _insert(
    conn: Connection,
    table: str,
    rows: Iterable[dict[str, Any]],
    expected: int,
    stage: str,
    report: ProgressFn,
) -> int:
    """Insert ``rows`` in chunks, reporting after each; returns the number written."""
    target = Base.metadata.tables[table]
    done = 0
    report(stage, 0, expected)
    for chunk in _chunks(rows, CHUNK_ROWS):
        conn.execute(target.insert(), chunk)
        done += len(chunk)
        report(stage, done, expected)
    return done


def _insert_places(
    conn: Connection, city: DemoCity, residents: int, report: ProgressFn
) -> dict[str, int]:
    """Write compound … resident batches parents-first; progress counts residents."""
    tables = {name: Base.metadata.tables[name] for name in PLACE_TABLES}
    written = dict.fromkeys(PLACE_TABLES, 0)
    report(STAGE_PEOPLE, 0, residents)
    for batch in city.place_batches(max_rows=CHUNK_ROWS * 2):
        for name in PLACE_TABLES:
            rows = batch.rows[name]
            if rows:
                conn.execute(tables[name].insert(), rows)
                written[name] += len(rows)
        report(STAGE_PEOPLE, written["resident"], residents)
    return written


def _write_meta(conn: Connection, scale: str, seed: int) -> None:
    now = dt.datetime.now(dt.UTC)
    values = {"demo_scale": scale, "demo_seed": str(seed), "seeded_at": now.isoformat()}
    conn.execute(delete(Meta).where(Meta.key.in_(META_KEYS)))
    conn.execute(
        insert(Meta),
        [{"key": k, "value": values[k], "updated_at": now} for k in META_KEYS],
    )


#: tables the seed fills with explicit ids
SEEDED_TABLES = ("org_node", "staff", "compound", "building", "house", "household", "resident")


def _advance_sequences(conn: Connection, tables: tuple[str, ...]) -> None:
    """PostgreSQL: move each id sequence past the seeded ids, so later inserts get fresh ones.

    (SQLite picks max(id) + 1 by itself.)
    """
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
        )
