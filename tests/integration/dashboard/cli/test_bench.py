"""``gridwatch bench ingest`` end to end, briefly: real server, real Redis, figures that add up."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from dashboard.cli.bench import bench_ingest
from dashboard.settings import Settings


def test_bench_prints_positive_figures_and_cleans_up(tmp_path, capsys, monkeypatch):
    # this run's temp Redis and SQLite go under its own scratch dir, so checkouts running
    # at the same time never see each other's gridwatch-bench-* dirs
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    made: list[Path] = []
    mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(
        suffix: str | None = None, prefix: str | None = None, dir: str | None = None
    ) -> str:
        path = mkdtemp(suffix, prefix, dir)
        made.append(Path(path))
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    figures = bench_ingest(Settings(var_dir=var_dir), seconds=1, batch=200, clients=2)

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
    bench_dirs = [path for path in made if path.name.startswith("gridwatch-bench-")]
    assert len(bench_dirs) == 1 and bench_dirs[0].parent == scratch
    assert not bench_dirs[0].exists()  # temp Redis and SQLite removed
    assert not list(scratch.glob("gridwatch-bench-*"))
    assert not any(var_dir.iterdir())  # the caller's var_dir is never touched
