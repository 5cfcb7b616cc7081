"""``gridwatch bench ingest`` end to end, briefly: real server, real Redis, figures that add up."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from dashboard.cli.bench import bench_ingest
from dashboard.settings import Settings


def _bench_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("gridwatch-bench-*"))


def test_bench_prints_positive_figures_and_cleans_up(tmp_path, capsys):
    before = _bench_dirs()
    figures = bench_ingest(Settings(var_dir=tmp_path), seconds=1, batch=200, clients=2)

    assert figures["http_fixes_per_s"] > 0
    assert figures["raw_xadd_per_s"] > 0
    assert figures["ratio"] == pytest.approx(
        figures["http_fixes_per_s"] / figures["raw_xadd_per_s"]
    )
    assert figures["failed_requests"] == 0
    assert figures["batch"] == 200 and figures["clients"] == 2 and figures["cores"] >= 1
    assert figures["stream_length"] > 0
    out = capsys.readouterr().out
    assert "HTTP fixes/s" in out and "raw XADD/s" in out
    assert _bench_dirs() == before  # temp Redis and SQLite removed
    assert not any(tmp_path.iterdir())  # the caller's var_dir is never touched
