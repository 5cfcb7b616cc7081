"""The database-summed ranking equals the pandas one on random stored facts (SQLite, PostgreSQL).

``ranking_from_store`` sums each period in SQL; ``ranking`` sums the daily rows that
``load_facts`` returns. On any facts table, for every level and for the drill-downs,
both must give the same table, to the last column.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session, sessionmaker

from data.assessment.facts import load_facts, load_staff
from data.assessment.periods import Period
from data.assessment.scheme import LEVELS, MEASURES, Level, load_scheme
from data.assessment.scoring import ranking, ranking_from_store
from data.models import AssessmentFact, NodeKind
from data.org_tree import OrgTree

PERIOD = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
FIRST = PERIOD.previous().start - dt.timedelta(days=3)  # a few days outside both periods
SCHEME = load_scheme()


def _random_facts(session: Session, tree: OrgTree, seed: int, density: float) -> list[dict]:
    """Grid rows and rows of staff members (most in their own grid, some elsewhere)."""
    rng = np.random.default_rng(seed)
    grids = sorted(n.id for n in tree.nodes.values() if n.kind == NodeKind.GRID)
    staff = load_staff(session, tree.root.path) if tree.root else pd.DataFrame()
    days = (PERIOD.end - FIRST).days + 3
    rows: dict[tuple[dt.date, int, int, str], float] = {}
    for _ in range(int(density * days * len(grids))):
        day = FIRST + dt.timedelta(days=int(rng.integers(days)))
        person = staff.iloc[int(rng.integers(len(staff)))]
        own = rng.random() < 0.8
        grid = int(person["node_id"]) if own else grids[int(rng.integers(len(grids)))]
        measure = MEASURES[int(rng.integers(len(MEASURES)))]
        value = float(rng.integers(1, 5) if rng.random() < 0.7 else rng.exponential(900))
        rows[(day, grid, 0, measure)] = value
        if rng.random() < 0.7:
            rows[(day, grid, int(person["staff_id"]), measure)] = value
    return [
        {"day": d, "node_id": n, "staff_id": s, "measure": m, "value": v}
        for (d, n, s, m), v in rows.items()
    ]


def _scopes(tree: OrgTree) -> list[tuple[Level, int]]:
    """Every level over the whole city, a street's communities, a grid's staff."""
    root = tree.root
    assert root is not None
    first = {
        kind: min(n.id for n in tree.nodes.values() if n.kind == kind)
        for kind in (NodeKind.STREET, NodeKind.GRID)
    }
    return [
        *((level, root.id) for level in LEVELS),
        ("community", first[NodeKind.STREET]),
        ("grid", first[NodeKind.STREET]),
        ("staff", first[NodeKind.STREET]),
        ("staff", first[NodeKind.GRID]),
    ]


def _both(session: Session, tree: OrgTree, level: Level, node: int) -> tuple[pd.DataFrame, ...]:
    info = tree.get(node)
    assert info is not None
    staff = load_staff(session, info.path) if level == "staff" else None
    facts = load_facts(session, PERIOD.previous().start, PERIOD.end, info.path)
    old = ranking(SCHEME, tree, facts, PERIOD, level, node, staff)
    new = ranking_from_store(session, SCHEME, tree, PERIOD, level, node, staff)
    return old, new


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), density=st.sampled_from([0.0, 0.05, 0.6]))
def test_sums_in_sql_rank_as_the_daily_rows_do(
    sessions: sessionmaker[Session], seed: int, density: float
) -> None:
    with sessions.begin() as db:
        tree = OrgTree.load(db)
        db.execute(delete(AssessmentFact))
        rows = _random_facts(db, tree, seed, density)
        if rows:
            db.execute(insert(AssessmentFact), rows)
    with sessions() as db:
        for level, node in _scopes(tree):
            old, new = _both(db, tree, level, node)
            assert len(new) > 0
            pd.testing.assert_frame_equal(new, old, obj=f"{level} under {node}")
