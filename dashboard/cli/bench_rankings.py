"""``gridwatch bench rankings``: a month's ranking of every level at city scale, timed.

Seeds the city (untimed) into a SQLite file in a temp dir (or uses ``--db``/an empty
PostgreSQL database), writes synthetic daily facts (``dashboard/cli/bench_facts.py``),
then times each step on the stored facts with its peak memory (tracemalloc, measured in
a second run of the step so tracing does not slow the timed one): a month's ranking of
every level over the whole city, the drill-downs (one street's communities, one grid's
staff) and the leader page's own data functions (``leader_view`` of the city, a street
and a community: ranking, KPI tiles, monthly series, categories; ``unit_detail`` of a
grid and a community: explanation, deductions, twelve-month trend). The monthly sums
(``assessment_fact_month``) are built from the daily facts when absent. With
``compare`` the old path (``load_facts`` + ``ranking``: every daily row into pandas) is
timed too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access.assessment import leader_view, unit_detail
from dashboard.access.stats import stats_view
from dashboard.access.wall_rankings import wall_rankings
from dashboard.auth.current import SessionUser
from dashboard.cli.bench_facts import facts_days, load_city, write_facts
from dashboard.services import Services, make_redis
from dashboard.settings import Settings
from data.assessment.facts import load_facts, load_staff, rebuild_months
from data.assessment.periods import Period, period_of
from data.assessment.scheme import LEVELS, Level, Scheme, load_scheme
from data.assessment.scoring import ranking, ranking_from_store
from data.db import make_engine
from data.demo_city import seed_demo_city
from data.incidents.categories import load_categories
from data.models import AssessmentFact, AssessmentFactMonth, Base, NodeKind, OrgNode, Role
from data.org_tree import OrgTree

#: the issue's goals, seconds (memory in MB)
GOALS = {"grid": 1.0, "drill": 0.15, "memory_mb": 1024.0}
#: the last day of the generated window: runs are comparable
WINDOW_END = dt.date(2026, 11, 30)


@dataclass(frozen=True)
class Figure:
    """One measured step: seconds, tracemalloc peak (MB) and the goal it is held to."""

    name: str
    seconds: float
    peak_mb: float
    rows: int
    goal_s: float | None


def bench_rankings(
    scale: str = "zhengzhou",
    months: int = 12,
    incidents_per_year: int = 1_000_000,
    seed: int = 1,
    database: str | None = None,
    compare: bool = False,
    console: Any = None,
) -> list[Figure]:
    """Seed (unless the database holds a city), write facts (unless present), time, print."""
    say = console.print if console is not None else functools.partial(print, flush=True)
    with _engine(database) as engine:
        _prepare(engine, scale, months, incidents_per_year, seed, say)
        before = os.getloadavg()[0]
        figures = measure(engine, compare)
    # the machine may be shared: the figures move 2–3× with its load
    say(f"load average (1 min) before/after timing: {before:.2f} / {os.getloadavg()[0]:.2f}")
    _print_figures(figures, say)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"process peak RSS (seeding and writing included): {peak:,.0f} MB")
    return figures


@contextlib.contextmanager
def _engine(database: str | None) -> Iterator[Engine]:
    if database is not None:
        url = database if "://" in database else f"sqlite:///{Path(database).resolve()}"
        yield make_engine(url)
        return
    with tempfile.TemporaryDirectory(prefix="gw-bench-rankings-") as tmp:
        yield make_engine(f"sqlite:///{tmp}/rankings.db")


def _prepare(
    engine: Engine, scale: str, months: int, incidents: int, seed: int, say: Callable[..., Any]
) -> None:
    """Seed the city and write ``months`` months of facts ending ``WINDOW_END``, if absent."""
    with Session(engine) as session:
        seeded = _count(session, OrgNode.id) > 0 if _has_table(engine) else False
    if not seeded:
        started = time.perf_counter()
        seed_demo_city(engine, scale, seed)
        say(f"seeded {scale} in {time.perf_counter() - started:.1f} s")
    Base.metadata.tables["assessment_fact_month"].create(engine, checkfirst=True)  # pre-0009
    with Session(engine) as session:
        present = _count(session, AssessmentFact.day)
        city = None if present else load_city(session, seed)
    if present:
        say(f"facts present: {present:,} rows (kept)")
    else:
        assert city is not None
        start = _window_start(months)
        days = (WINDOW_END - start).days + 1
        started, rows = time.perf_counter(), 0
        with engine.begin() as connection:
            for facts in facts_days(city, start, days, incidents, seed):
                rows += write_facts(connection, facts)
        say(
            f"wrote {rows:,} fact rows ({start} – {WINDOW_END})"
            f" in {time.perf_counter() - started:.0f} s"
        )
    _prepare_months(engine, say)


def _prepare_months(engine: Engine, say: Callable[..., Any]) -> None:
    """The monthly sums of every month with facts, as the refresh keeps them, if absent."""
    with Session(engine) as session:
        if _count(session, AssessmentFactMonth.month) > 0:
            say(f"monthly sums present: {_count(session, AssessmentFactMonth.month):,} rows")
            return
        first, last = session.execute(
            select(func.min(AssessmentFact.day), func.max(AssessmentFact.day))
        ).one()
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        rebuild_months(session, first, last)
    with Session(engine) as session:
        rows = _count(session, AssessmentFactMonth.month)
    say(f"summed {rows:,} monthly rows in {time.perf_counter() - started:.0f} s")


def _has_table(engine: Engine) -> bool:
    from sqlalchemy import inspect

    return inspect(engine).has_table("org_node")


def _count(session: Session, column: Any) -> int:
    return int(session.scalar(select(func.count(column))) or 0)


def _window_start(months: int) -> dt.date:
    first = WINDOW_END.replace(day=1)
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def measure(engine: Engine, compare: bool) -> list[Figure]:
    """Every step on the stored facts (see the module docstring)."""
    scheme = load_scheme()
    period = period_of("month", WINDOW_END)
    with Session(engine) as session:
        tree = OrgTree.load(session)
        root = tree.root
        assert root is not None
        street = _first_of(tree, NodeKind.STREET)
        grid = _first_of(tree, NodeKind.GRID)
        new = functools.partial(_new, session, scheme, tree, period)
        old = functools.partial(_old, session, scheme, tree, period)
        figures = [
            _timed(f"month: {level} (whole city)", functools.partial(new, level, root.id),
                   GOALS["grid"] if level == "grid" else None)
            for level in LEVELS
        ]  # fmt: skip
        figures += [
            _timed("drill: one street's communities", functools.partial(new, "community", street),
                   GOALS["drill"]),
            _timed("drill: one grid's staff", functools.partial(new, "staff", grid),
                   GOALS["drill"]),
        ]  # fmt: skip
        page = functools.partial(_page, engine, scheme, tree, period)
        community = _first_of(tree, NodeKind.COMMUNITY)
        figures += [
            _timed("leader_view: city (districts)", functools.partial(page, "view", root.id),
                   None),
            _timed("leader_view: one street (communities)",
                   functools.partial(page, "view", street), GOALS["drill"]),
            _timed("leader_view: one community (grids)",
                   functools.partial(page, "view", community), GOALS["drill"]),
            _timed("unit_detail: one grid", functools.partial(page, "detail", grid),
                   GOALS["drill"]),
            _timed("unit_detail: one community", functools.partial(page, "detail", community),
                   GOALS["drill"]),
            _timed("stats_view: city", functools.partial(page, "stats", root.id), None),
            _timed("stats_view: one street", functools.partial(page, "stats", street), None),
            _timed("wall_rankings: city", functools.partial(page, "wall", root.id), None),
        ]  # fmt: skip
        if compare:
            figures += [
                _timed_once("old path: drill: one grid's staff",
                            functools.partial(old, "staff", grid), GOALS["drill"]),
                _timed_once("old path: month: grid (whole city)",
                            functools.partial(old, "grid", root.id), GOALS["grid"]),
            ]  # fmt: skip
    return figures


def _new(
    session: Session, scheme: Scheme, tree: OrgTree, period: Period, level: Level, node: int
) -> int:
    staff = _staff_for(session, tree, level, node)
    return len(ranking_from_store(session, scheme, tree, period, level, node, staff))


def _old(
    session: Session, scheme: Scheme, tree: OrgTree, period: Period, level: Level, node: int
) -> int:
    info = tree.get(node)
    assert info is not None
    facts = load_facts(session, period.previous().start, period.end, info.path)
    staff = _staff_for(session, tree, level, node)
    return len(ranking(scheme, tree, facts, period, level, node, staff))


def _page(
    engine: Engine, scheme: Scheme, tree: OrgTree, period: Period, what: str, node: int
) -> int:
    """What /leader asks the access layer for: a node's view, or a unit's detail, as a
    leader at the city (scope and permission checks included)."""
    root = tree.root
    assert root is not None
    services = Services(
        settings=Settings(database_url=engine.url.render_as_string(hide_password=False)),
        engine=engine,
        sessions=sessionmaker(engine),
        redis=make_redis("redis://127.0.0.1:1/0"),  # never contacted by these reads
        categories=load_categories(None),
        scheme=scheme,
    )
    who = SessionUser(0, "bench", "基准", Role.LEADER, root.id)
    if what == "view":
        return len(leader_view(services, tree, who, node, period).rows)
    if what == "stats":
        return len(stats_view(services, tree, who, node, period).rows)
    if what == "wall":
        return wall_rankings(services, tree, who, node, today=period.end).ranked
    info = tree.get(node)
    assert info is not None
    level = {NodeKind.GRID: "grid", NodeKind.COMMUNITY: "community"}[info.kind]
    return len(unit_detail(services, tree, who, level, node, period).trend)


def _staff_for(session: Session, tree: OrgTree, level: Level, node: int) -> pd.DataFrame | None:
    info = tree.get(node)
    return load_staff(session, info.path) if level == "staff" and info is not None else None


def _first_of(tree: OrgTree, kind: NodeKind) -> int:
    return min(n.id for n in tree.nodes.values() if n.kind == kind)


def _timed(name: str, step: Callable[[], int], goal: float | None) -> Figure:
    """Time ``step`` (best of two: the first warms the database's cache), then trace its memory."""
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        rows = step()
        best = min(best, time.perf_counter() - started)
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return Figure(name, best, peak, rows, goal)


def _timed_once(name: str, step: Callable[[], int], goal: float | None) -> Figure:
    """One run, memory as the process's peak RSS after it (for the old path: tracing its
    millions of Python rows would take minutes)."""
    started = time.perf_counter()
    rows = step()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Figure(f"{name} [RSS]", seconds, peak, rows, goal)


def _print_figures(figures: list[Figure], say: Callable[..., Any]) -> None:
    say(f"{'step':<44} {'seconds':>8} {'goal':>6} {'ratio':>6} {'peak MB':>8} {'rows':>7}")
    for f in figures:
        goal = f"{f.goal_s:.2f}" if f.goal_s else "—"
        ratio = f"{f.seconds / f.goal_s:.2f}" if f.goal_s else "—"
        mem = f"{f.peak_mb:8.0f}" + ("" if f.peak_mb <= GOALS["memory_mb"] else " (> 1 GB)")
        say(f"{f.name:<44} {f.seconds:8.3f} {goal:>6} {ratio:>6} {mem} {f.rows:>7,}")
