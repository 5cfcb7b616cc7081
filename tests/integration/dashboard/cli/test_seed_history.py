"""``gridwatch seed --history-months`` and ``gridwatch bench history`` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from dashboard.cli.bench_history import bench_history
from data.db import make_engine
from data.demo_city.history import STAGE_HISTORY
from data.models import Incident, IncidentHistory


def _seed(tmp_path: Path, months: int) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDWATCH_")}
    env.update(GRIDWATCH_DATABASE_URL=url, GRIDWATCH_VAR_DIR=str(tmp_path / "var"))
    command = ["seed", "--scale", "small", "--history-months", str(months)]
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return url, done.stdout


def _counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        incidents = conn.execute(select(func.count()).select_from(Incident)).scalar_one()
        history = conn.execute(select(func.count()).select_from(IncidentHistory)).scalar_one()
    engine.dispose()
    return incidents, history


def test_seed_shows_the_history_bar_and_writes_history(tmp_path: Path) -> None:
    url, out = _seed(tmp_path, 1)
    assert STAGE_HISTORY in out and "写入居民" in out
    assert "HistoryReport(months=1" in out
    incidents, history = _counts(url)
    assert 100 <= incidents <= 300 and history > 5 * incidents


def test_history_months_zero_writes_no_history(tmp_path: Path) -> None:
    url, out = _seed(tmp_path, 0)
    assert STAGE_HISTORY not in out and "history=None" in out
    assert _counts(url) == (0, 0)


def test_bench_history_prints_figures_and_cleans_up(tmp_path: Path, capsys, monkeypatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    figures = bench_history("small", 1, seed=3)
    assert figures["rows"] == sum(figures["rows_by_table"].values()) > 1000
    assert figures["write_rows_per_s"] > 0 and figures["generate_rows_per_s"] > 0
    assert figures["peak_rss_mb"] > 0
    out = capsys.readouterr().out
    assert "write_rows_per_s" in out and "peak_rss_mb" in out
    assert not any(scratch.iterdir())  # the throw-away database is gone
