"""Synthetic daily facts with the shape of a generated year, for ``gridwatch bench rankings``.

The history generator writes incidents through the record and then computes facts from
it, which at Zhengzhou scale takes minutes per month; the rankings bench only needs the
facts table. This draws it directly from a seeded distribution of the same shape
(docs/benchmarks.md "Rankings"): per grid and day Poisson counts of every workflow
measure at ``incidents_per_year`` across the city, each also on one staff member of the
grid; alerts to whole communities (~1.2 per community and month) with deliveries,
acknowledgements and ack seconds per staff member and grid; duty and online seconds per
staff member and day (and summed per grid), as the history's duty generator writes them.
Every rate leans on a per-grid quality, so units rank differently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from data.models import NodeKind, OrgNode, Staff

COLUMNS = ["day", "node_id", "staff_id", "measure", "value"]
#: share of reported incidents behind each workflow measure: (base, lean on quality)
EVENT_RATES: dict[str, tuple[float, float]] = {
    "accepted": (0.97, 0.0),
    "dispatched": (0.85, 0.1),
    "handled": (0.8, 0.1),
    "handled_on_time": (0.6, 0.3),
    "closed": (0.7, 0.25),
    "verified": (0.7, 0.2),
    "returned": (0.12, -0.1),
    "yellow": (0.2, -0.18),
    "red": (0.08, -0.07),
    "escalated": (0.03, -0.02),
}
ALERTS_PER_COMMUNITY_DAY = 1.2 / 30.4
DUTY_SHARE = 0.8


@dataclass(frozen=True)
class City:
    """The grids (with their community and quality) and the staff of each grid."""

    grid_ids: np.ndarray
    community: np.ndarray
    quality: np.ndarray
    staff_ids: np.ndarray
    staff_grid: np.ndarray  # index into grid_ids


def load_city(session: Session, seed: int) -> City:
    """Grids, their communities and active staff from the seeded city; qualities drawn."""
    grids = pd.DataFrame(
        session.execute(
            select(OrgNode.id, OrgNode.parent_id).where(OrgNode.kind == NodeKind.GRID)
        ).all(),
        columns=["id", "parent"],
    ).sort_values("id")
    staff = pd.DataFrame(
        session.execute(
            select(Staff.id, Staff.node_id).where(Staff.active.is_(True)).order_by(Staff.id)
        ).all(),
        columns=["id", "node_id"],
    )
    position = pd.Series(np.arange(len(grids)), index=grids["id"].to_numpy())
    staff = staff[staff["node_id"].isin(position.index)]
    rng = np.random.default_rng(seed)
    return City(
        grid_ids=grids["id"].to_numpy(),
        community=pd.factorize(grids["parent"])[0],
        quality=rng.beta(2.0, 2.0, len(grids)),
        staff_ids=staff["id"].to_numpy(),
        staff_grid=position.loc[staff["node_id"]].to_numpy(),
    )


def day_facts(
    city: City, day: dt.date, per_grid_day: float, rng: np.random.Generator
) -> pd.DataFrame:
    """One day's facts of the whole city (``COLUMNS``; zero counts left out)."""
    parts = [
        _event_facts(city, per_grid_day, rng),
        _alert_facts(city, rng),
        _duty_facts(city, rng),
    ]
    out = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    out.insert(0, "day", day)
    return out[COLUMNS]


def facts_days(
    city: City, start: dt.date, days: int, incidents_per_year: int, seed: int
) -> Iterator[pd.DataFrame]:
    """``day_facts`` for ``days`` days from ``start``, reproducible from ``seed``."""
    rng = np.random.default_rng(seed + 1)
    per_grid_day = incidents_per_year / 365 / len(city.grid_ids)
    for offset in range(days):
        yield day_facts(city, start + dt.timedelta(days=offset), per_grid_day, rng)


def write_facts(connection: Connection, facts: pd.DataFrame) -> int:
    """Insert one day's rows with the driver (executemany on SQLite, COPY on PostgreSQL)."""
    day = facts["day"].iloc[0].isoformat()
    rows = list(
        zip(
            [day] * len(facts),
            facts["node_id"].tolist(),
            facts["staff_id"].tolist(),
            facts["measure"].tolist(),
            facts["value"].tolist(),
            strict=True,
        )
    )
    raw = connection.connection.driver_connection
    cursor = raw.cursor()  # type: ignore[union-attr]  # the driver's own connection
    if connection.dialect.name == "postgresql":
        columns = ", ".join(COLUMNS)
        with cursor.copy(f"COPY assessment_fact ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(
            "INSERT INTO assessment_fact (day, node_id, staff_id, measure, value)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


# -- one day's parts ----------------------------------------------------------------------


def _event_facts(city: City, per_grid_day: float, rng: np.random.Generator) -> pd.DataFrame:
    """Workflow counts per grid, each also on one staff member of the grid."""
    quality = city.quality
    reported = rng.poisson(per_grid_day * (0.7 + 0.6 * quality))
    counts = {"reported": reported, "reported_own": rng.binomial(reported, 0.5 + 0.4 * quality)}
    for measure, (base, lean) in EVENT_RATES.items():
        counts[measure] = rng.poisson(reported * np.clip(base + lean * quality, 0.0, 1.0))
    frames = []
    for measure, count in counts.items():
        where = np.flatnonzero(count)
        frames.append(pd.DataFrame({"grid": where, "measure": measure, "value": count[where]}))
    grid_rows = pd.concat(frames, ignore_index=True)
    staff = _one_staff_of(city, grid_rows["grid"].to_numpy(), rng)
    staff_rows = grid_rows.assign(staff_id=staff)[staff >= 0]
    both = pd.concat([grid_rows.assign(staff_id=0), staff_rows], ignore_index=True)
    return _with_node_ids(city, both)


def _one_staff_of(city: City, grids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random staff id of each grid (-1 where the grid has none)."""
    order = np.argsort(city.staff_grid, kind="stable")
    first = np.searchsorted(city.staff_grid[order], np.arange(len(city.grid_ids)))
    count = np.bincount(city.staff_grid, minlength=len(city.grid_ids))
    pick = first[grids] + (rng.random(len(grids)) * np.maximum(count[grids], 1)).astype(int)
    pick = np.minimum(pick, len(order) - 1)
    return np.where(count[grids] > 0, city.staff_ids[order[pick]], -1)


def _alert_facts(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """Alerts to whole communities: deliveries, acks and ack seconds per staff and grid."""
    communities = int(city.community.max()) + 1
    alerted = rng.random(communities) < ALERTS_PER_COMMUNITY_DAY
    reached = np.flatnonzero(alerted[city.community[city.staff_grid]])
    if reached.size == 0:
        return pd.DataFrame(columns=["node_id", "staff_id", "measure", "value"])
    grid = city.staff_grid[reached]
    acked = rng.random(reached.size) < 0.55 + 0.4 * city.quality[grid]
    seconds = np.where(acked, rng.exponential(300 + 1500 * (1 - city.quality[grid])), np.nan)
    sent = pd.DataFrame({"grid": grid, "staff_id": city.staff_ids[reached], "ack": acked})
    sent["seconds"] = seconds
    per_staff = _delivery_measures(sent, ["grid", "staff_id"])
    per_grid = _delivery_measures(sent, ["grid"]).assign(staff_id=0)
    return _with_node_ids(city, pd.concat([per_grid, per_staff], ignore_index=True))


def _delivery_measures(sent: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = sent.groupby(keys).agg(
        alert_deliveries=("ack", "size"),
        alert_acks=("ack", "sum"),
        ack_seconds_sum=("seconds", "sum"),
        ack_seconds_p50=("seconds", "median"),
    )
    long = grouped.reset_index().melt(id_vars=keys, var_name="measure", value_name="value")
    return long.dropna(subset=["value"])[lambda f: f["value"] != 0]


def _duty_facts(city: City, rng: np.random.Generator) -> pd.DataFrame:
    """Seconds on duty (6–10 h in quarter hours) and online per staff member and grid."""
    on = np.flatnonzero(rng.random(city.staff_ids.size) < DUTY_SHARE)
    grid = city.staff_grid[on]
    duty = (24 + (rng.random(on.size) * 17).astype(int)) * 900.0
    share = np.minimum(1.0, 0.33 + 0.5 * city.quality[grid] + 0.24 * rng.random(on.size))
    online = np.round(duty * share)
    staff = city.staff_ids[on]
    frames = [
        pd.DataFrame({"grid": grid, "staff_id": staff, "measure": "duty_seconds", "value": duty}),
        pd.DataFrame(
            {"grid": grid, "staff_id": staff, "measure": "online_seconds", "value": online}
        ),
    ]
    for measure, values in (("duty_seconds", duty), ("online_seconds", online)):
        total = np.bincount(grid, weights=values, minlength=city.grid_ids.size)
        where = np.flatnonzero(total)
        frames.append(
            pd.DataFrame({"grid": where, "staff_id": 0, "measure": measure, "value": total[where]})
        )
    return _with_node_ids(city, pd.concat(frames, ignore_index=True))


def _with_node_ids(city: City, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(node_id=city.grid_ids[frame["grid"].to_numpy()])
    return out.astype({"staff_id": "int64", "value": "float64"})[
        ["node_id", "staff_id", "measure", "value"]
    ]
