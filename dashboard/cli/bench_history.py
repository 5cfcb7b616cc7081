"""``gridwatch bench history``: how fast months of demo history are generated and written.

The city is seeded first (not timed) into a throw-away SQLite file, or into the
empty database ``--database`` names; then the history is generated alone (rows/s of
the pure generator) and generated and written in one transaction (rows/s of the whole
seed step). Peak memory is the process's maximum resident set (getrusage), which
includes the city seed before it: an upper bound for the history step.
"""

from __future__ import annotations

import datetime as dt
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from data.db import make_engine
from data.demo_city import DemoCity, seed_demo_city
from data.demo_city.history import HistoryGenerator, write_history
from data.demo_city.history_world import HistoryWindow, build_world

#: the bench's fixed window end, so runs on different days write the same rows
BENCH_END_DAY = dt.date(2026, 12, 1)


def peak_rss_mb() -> float:
    """Maximum resident set of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def bench_history(
    scale: str, months: int, seed: int, database_url: str | None = None
) -> dict[str, Any]:
    """Seed ``scale`` (untimed), then time generating and writing ``months`` of history."""
    scratch = None if database_url else Path(tempfile.mkdtemp(prefix="gridwatch-bench-"))
    url = database_url or f"sqlite:///{scratch}/bench.db"
    engine = make_engine(url)
    try:
        city_started = time.perf_counter()
        seed_demo_city(engine, scale, seed)
        city_s = time.perf_counter() - city_started
        city = DemoCity(scale, seed)
        generated, generate_s = _generate_only(city, months)
        cpu_started = time.process_time()
        with engine.begin() as conn:
            report = write_history(conn, city, months, end_day=BENCH_END_DAY)
        write_cpu_s = time.process_time() - cpu_started
        figures: dict[str, Any] = {
            "scale": scale,
            "months": months,
            "database": engine.dialect.name,
            "city_seed_s": round(city_s, 2),
            "rows": report.total_rows,
            "rows_by_table": report.rows,
            "generate_s": round(generate_s, 2),
            "generate_rows_per_s": round(generated / generate_s),
            "write_s": report.elapsed_s,
            "write_rows_per_s": round(report.total_rows / report.elapsed_s),
            # this process's CPU (SQLite works in it; PostgreSQL's server CPU is not counted):
            # on a shared machine the wall time also holds the time waited for a core
            "write_cpu_s": round(write_cpu_s, 2),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    finally:
        engine.dispose()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    _print(figures)
    return figures


def _generate_only(city: DemoCity, months: int) -> tuple[int, float]:
    """Rows the pure generator makes, and the seconds it takes (nothing written)."""
    started = time.perf_counter()
    generator = HistoryGenerator(
        city, HistoryWindow(BENCH_END_DAY, months), world=build_world(city)
    )
    rows = sum(len(unit) for unit in generator.unit_rows())
    return rows, time.perf_counter() - started


def _print(figures: dict[str, Any]) -> None:
    table = Table(title=f"history: {figures['scale']}, {figures['months']} months")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        if name == "rows_by_table":
            for table_name, count in value.items():
                table.add_row(f"  rows {table_name}", f"{count:,}")
        elif isinstance(value, int) and not isinstance(value, bool):
            table.add_row(name, f"{value:,}")
        else:
            table.add_row(name, str(value))
    Console().print(table)
