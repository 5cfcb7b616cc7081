"""``gridwatch bench rankings`` end to end at the small scale: every step it promises is
timed and printed, the page reads (/leader, /stats, the wall) included, and a second run
reuses the file it wrote."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from dashboard.cli.main import main

STEPS = (
    "month: grid (whole city)",
    "drill: one street's communities",
    "leader_view: one street (communities)",
    "unit_detail: one community",
    "stats_view: city",
    "wall_rankings: city",
)


def _run(database: Path) -> str:
    args = ["bench", "rankings", "--scale", "small", "--months", "2", "--incidents", "5000"]
    result = CliRunner().invoke(main, [*args, "--db", str(database)])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_step_is_timed_and_the_file_is_reused(tmp_path: Path) -> None:
    database = tmp_path / "bench.db"
    first = _run(database)
    for step in STEPS:
        line = next((row for row in first.splitlines() if row.startswith(step)), None)
        assert line is not None, f"{step} missing from:\n{first}"
        seconds = float(line[len(step) :].split()[0])
        assert seconds > 0, line
    assert re.search(r"process peak RSS .*: \d+ MB", first)
    assert "(kept)" in _run(database)  # the facts written the first time are reused
