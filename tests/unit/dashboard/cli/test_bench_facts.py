"""The rankings bench's synthetic facts: the contract's shape, reproducible, near the rate."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.cli.bench_facts import COLUMNS, City, facts_days
from data.assessment.scheme import MEASURES

# 40 grids in 4 communities, 5 staff each (ids 1000 + 5 × grid + k)
GRIDS = np.arange(100, 140)
CITY = City(
    grid_ids=GRIDS,
    community=np.arange(40) // 10,
    quality=np.linspace(0.05, 0.95, 40),
    staff_ids=1000 + np.arange(200),
    staff_grid=np.arange(200) // 5,
)
START = dt.date(2026, 11, 1)


def _facts(seed: int, per_year: int = 40 * 365) -> pd.DataFrame:
    return pd.concat(list(facts_days(CITY, START, 20, per_year, seed)), ignore_index=True)


def test_rows_follow_the_facts_contract() -> None:
    facts = _facts(3)
    assert list(facts.columns) == COLUMNS
    assert set(facts["measure"]) <= set(MEASURES)
    assert (facts["value"] != 0).all()
    assert not facts.duplicated(["day", "node_id", "staff_id", "measure"]).any()
    assert set(facts["node_id"]) <= set(GRIDS.tolist())
    people = facts[facts["staff_id"] != 0]
    home = dict(zip(CITY.staff_ids.tolist(), GRIDS[CITY.staff_grid].tolist(), strict=True))
    assert (people["staff_id"].map(home) == people["node_id"]).all()  # staff rows in own grid


def test_grid_rows_are_the_sums_of_their_staff_where_summable() -> None:
    facts = _facts(5)
    summable = facts[~facts["measure"].isin(["ack_seconds_p50"])]
    grid = summable[summable["staff_id"] == 0].groupby(["day", "node_id", "measure"])["value"]
    staff = summable[summable["staff_id"] != 0].groupby(["day", "node_id", "measure"])["value"]
    duty = ["duty_seconds", "online_seconds", "alert_deliveries", "alert_acks"]
    both = pd.concat([grid.sum().rename("grid"), staff.sum().rename("staff")], axis=1)
    both = both[both.index.get_level_values("measure").isin(duty)]
    assert np.allclose(both["grid"], both["staff"])


def test_same_seed_same_facts_and_the_reports_near_the_asked_rate() -> None:
    pd.testing.assert_frame_equal(_facts(7), _facts(7))
    facts = _facts(7, per_year=40 * 365 * 10)  # ten reports per grid and day
    reported = facts[(facts["measure"] == "reported") & (facts["staff_id"] == 0)]
    assert 0.8 * 10 * 40 * 20 < reported["value"].sum() < 1.2 * 10 * 40 * 20
