"""The database-summed ranking equals the pandas one on random stored facts (SQLite, PostgreSQL).

``ranking_from_store`` sums each period in SQL (whole months from the monthly sums,
edge days from the daily rows); ``ranking`` sums the daily rows that ``load_facts``
returns. On any facts table, for every level and for the drill-downs, both must give
the same table, to the last column; ``load_sums`` of any range (across month edges
too) the same sums as the daily rows; ``month_scores`` each month's ``score_from_store``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from data.assessment import facts
from data.assessment.facts import (
    load_facts,
    load_month_totals,
    load_staff,
    load_sums,
    rebuild_months,
)
from data.assessment.periods import Period, split
from data.assessment.scheme import LEVELS, MEASURES, Level, load_scheme
from data.assessment.scoring import (
    _second_reader,
    month_scores,
    ranking,
    ranking_from_store,
    score_from_store,
)
from data.models import AssessmentFact, NodeKind
from data.org_tree import OrgTree

PERIOD = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
FIRST = PERIOD.previous().start - dt.timedelta(days=3)  # a few days outside both periods
LAST = PERIOD.end + dt.timedelta(days=2)
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
    tree = _store(sessions, seed, density)
    with sessions() as db:
        for level, node in _scopes(tree):
            old, new = _both(db, tree, level, node)
            assert len(new) > 0
            pd.testing.assert_frame_equal(new, old, obj=f"{level} under {node}")


def _store(sessions: sessionmaker[Session], seed: int, density: float) -> OrgTree:
    """Random daily facts, and their monthly sums as the refresh keeps them."""
    with sessions.begin() as db:
        tree = OrgTree.load(db)
        db.execute(delete(AssessmentFact))
        rows = _random_facts(db, tree, seed, density)
        if rows:
            db.execute(insert(AssessmentFact), rows)
        rebuild_months(db, FIRST, LAST)
    return tree


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    first=st.integers(0, (LAST - FIRST).days),
    length=st.integers(0, 70),
    per_staff=st.booleans(),
)
def test_sums_across_month_edges_are_the_daily_rows_summed(
    sessions: sessionmaker[Session], seed: int, first: int, length: int, per_staff: bool
) -> None:
    tree = _store(sessions, seed, 0.3)
    start = FIRST + dt.timedelta(days=first)
    end = min(start + dt.timedelta(days=length), LAST)
    summable = [m for m in MEASURES if m != "ack_seconds_p50"]
    street = min(n.path for n in tree.nodes.values() if n.kind == NodeKind.STREET)
    with sessions() as db:
        for path in (None, street):
            stored = load_sums(db, start, end, per_staff, summable, path)
            daily = load_facts(db, start, end, path)
            rows = daily[(daily["staff_id"] != 0) if per_staff else (daily["staff_id"] == 0)]
            rows = rows[rows["measure"].isin(summable)]
            unit = "staff_id" if per_staff else "node_id"
            expected = rows.groupby([unit, "measure"], observed=True)["value"].sum()
            got = stored.set_index(["unit", "measure"])["value"]
            got.index = got.index.set_names([unit, "measure"])
            pd.testing.assert_series_equal(
                got.sort_index(), expected.sort_index(), check_index_type=False, check_names=False
            )


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1))
def test_a_units_months_score_as_each_month_does(
    sessions: sessionmaker[Session], seed: int
) -> None:
    tree = _store(sessions, seed, 0.6)
    months = split(Period(FIRST.replace(day=1), PERIOD.end - dt.timedelta(days=4)), "month")
    street = min(n.id for n in tree.nodes.values() if n.kind == NodeKind.STREET)
    grid = min(n.id for n in tree.nodes.values() if n.kind == NodeKind.GRID)
    with sessions() as db:
        staff = load_staff(db, tree.nodes[grid].path)
        units: list[tuple[Level, int, int]] = [
            ("street", street, tree.nodes[street].parent_id or street),
            ("grid", grid, tree.nodes[grid].parent_id or grid),
            ("staff", int(staff.iloc[0]["staff_id"]), grid),
        ]
        for level, unit, scope in units:
            scores = month_scores(db, SCHEME, tree, months, level, unit, staff)
            for month, score in zip(months, scores, strict=True):
                table = score_from_store(db, SCHEME, tree, month, level, scope, staff)
                one = table.loc[table["unit_id"] == unit, "score"].iloc[0]
                assert (pd.isna(one) and pd.isna(score)) or one == score, (level, month)


def test_a_ranking_in_a_transaction_that_wrote_facts_counts_them_in_both_periods(
    sessions: sessionmaker[Session],
) -> None:
    """The previous period is read on a second connection only when that connection sees
    what the session sees: after an uncommitted write both periods come from the session."""
    tree = _store(sessions, 11, 0.3)
    root = tree.root
    assert root is not None
    street = min(n.id for n in tree.nodes.values() if n.kind == NodeKind.STREET)
    grid = min(n.id for n in tree.nodes.values() if n.kind == NodeKind.GRID)
    with sessions() as db:
        db.execute(select(AssessmentFact.day).limit(1)).all()  # a read: a second reader is fine
        assert _second_reader(db) is not None
        day = PERIOD.previous().start + dt.timedelta(days=3)
        db.execute(
            delete(AssessmentFact).where(
                AssessmentFact.day == day,
                AssessmentFact.node_id == grid,
                AssessmentFact.staff_id == 0,
                AssessmentFact.measure == "red",
            )
        )
        db.execute(
            insert(AssessmentFact),
            [{"day": day, "node_id": grid, "staff_id": 0, "measure": "red", "value": 7.0}],
        )
        rebuild_months(db, day, day)
        assert _second_reader(db) is None
        scopes: list[tuple[Level, int]] = [("grid", root.id), ("community", street)]
        for level, node in scopes:
            old, new = _both(db, tree, level, node)
            pd.testing.assert_frame_equal(new, old, obj=f"{level} under {node}")
        db.rollback()


def test_a_big_subtree_read_through_a_subquery_sums_as_a_listed_one(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to ``GRID_LIST_MAX`` nodes a subtree is bound as a list of ids, above it as a
    subquery (the small test city never has that many: the limit is lowered here)."""
    tree = _store(sessions, 5, 0.3)
    street = min(n.path for n in tree.nodes.values() if n.kind == NodeKind.STREET)
    summable = [m for m in MEASURES if m != "ack_seconds_p50"]
    start, end = PERIOD.previous().start, PERIOD.end
    with sessions() as db:
        listed = (
            load_sums(db, start, end, False, summable, street),
            load_month_totals(db, start, end, summable, street),
        )
        monkeypatch.setattr(facts, "GRID_LIST_MAX", 0)
        queried = (
            load_sums(db, start, end, False, summable, street),
            load_month_totals(db, start, end, summable, street),
        )
    assert len(listed[0]) > 0
    for one, other in zip(listed, queried, strict=True):
        pd.testing.assert_frame_equal(one, other)
