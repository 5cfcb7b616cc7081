"""Scores, ranks and cards from daily facts: one row per unit of a level under a node.

Grids are aggregated up the tree by summing their measures over the ancestor at the
level asked for (a pandas group-by), never by averaging scores; staff members sum
their own rows. Each indicator gives points (docs/assessment.md); a unit's score is
100 × the points it got over the weights of the indicators that apply to it (a rate
with no denominator does not apply), so units with and without, say, alerts compare
fairly. Ranks are dense (1 = best), ties listed by name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from data.assessment.facts import deduction_incidents
from data.assessment.periods import Period
from data.assessment.scheme import (
    MEASURES,
    DeductionIndicator,
    Indicator,
    Level,
    MedianIndicator,
    RatioIndicator,
    Scheme,
)
from data.models import NodeKind
from data.org_tree import OrgTree

#: how far apart two scores must be to count as a change (scores are shown to 2 places)
FLAT = 0.005
STAFF_COLUMNS = ["staff_id", "name", "node_id"]


class ScoringError(ValueError):
    """An unknown node or level; the message is fit to show."""


@dataclass(frozen=True)
class Explanation:
    """One unit's score taken apart: its ranking row, each indicator, the incidents behind
    its deductions (incident_id, tracking_no, measure, at, node_id)."""

    row: dict[str, Any]
    indicators: pd.DataFrame
    incidents: pd.DataFrame


def ranking(
    scheme: Scheme,
    tree: OrgTree,
    facts: pd.DataFrame,
    period: Period,
    level: Level,
    node_id: int,
    staff: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every unit of ``level`` under ``node_id`` for ``period``, best first.

    ``facts`` must cover ``period`` and ``period.previous()``; ``staff`` (staff_id,
    name, node_id) names the staff members when ``level`` is ``staff``. Columns:
    unit_id, name, for each indicator ``<code>.numerator/.denominator/.value/.points``,
    score, rank, prev_score, prev_rank, trend (up/down/flat), rank_change (+ = climbed),
    cards (reasons, "；"-joined), red_cards, yellow_cards.
    """
    now = score_units(scheme, tree, facts, period, level, node_id, staff)
    before = score_units(scheme, tree, facts, period.previous(), level, node_id, staff)
    previous = before[["unit_id", "score", "rank"]].rename(
        columns={"score": "prev_score", "rank": "prev_rank"}
    )
    out = now.merge(previous, on="unit_id", how="left")
    delta = out["score"] - out["prev_score"]
    out["trend"] = np.select([delta > FLAT, delta < -FLAT], ["up", "down"], "flat")
    out["rank_change"] = (out["prev_rank"] - out["rank"]).fillna(0).astype("int64")
    return out


def score_units(
    scheme: Scheme,
    tree: OrgTree,
    facts: pd.DataFrame,
    period: Period,
    level: Level,
    node_id: int,
    staff: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Scores, ranks and cards of one period (no comparison); see ``ranking``."""
    units = unit_list(tree, level, node_id, staff)
    in_period = facts[_within(facts["day"], period)]
    totals = unit_measures(tree, in_period, level, node_id, units)
    indicators = scheme.for_level(level)
    scored = units.set_index("unit_id")
    applicable_weight = pd.Series(0.0, index=scored.index)
    points = pd.Series(0.0, index=scored.index)
    for code, indicator in indicators.items():
        columns = indicator_columns(indicator, totals)
        for part in ("numerator", "denominator", "value", "points"):
            scored[f"{code}.{part}"] = columns[part]
        applies = columns["applies"]
        points += columns["points"].where(applies, 0.0)
        applicable_weight += applies * indicator.weight
    total = 100 * points / applicable_weight.where(applicable_weight > 0)
    scored["score"] = total.round(2)
    scored = _with_cards(scored, scheme, level, totals)
    return _ranked(scored.reset_index())


def unit_list(
    tree: OrgTree, level: Level, node_id: int, staff: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The units (unit_id, name) of ``level`` in the subtree of ``node_id``."""
    root = tree.get(node_id)
    if root is None:
        raise ScoringError(f"未知的节点 {node_id}")
    if level == "staff":
        people = staff if staff is not None else pd.DataFrame(columns=STAFF_COLUMNS)
        inside = people["node_id"].isin(_subtree_ids(tree, root.path))
        found = people[inside].rename(columns={"staff_id": "unit_id"})[["unit_id", "name"]]
        return found.astype({"unit_id": "int64"}).reset_index(drop=True)
    kind = NodeKind(level)
    rows = [
        (node.id, tree.place_name(node.id))
        for node in tree.nodes.values()
        if node.kind == kind and node.path.startswith(root.path)
    ]
    return pd.DataFrame(rows, columns=["unit_id", "name"]).astype({"unit_id": "int64"})


def unit_measures(
    tree: OrgTree, facts: pd.DataFrame, level: Level, node_id: int, units: pd.DataFrame
) -> pd.DataFrame:
    """Each unit's summed measures (one column per measure, 0 when absent), index unit_id.

    ``ack_seconds_p50`` is the ack-count-weighted median of the daily medians.
    """
    if level == "staff":
        rows = facts[facts["staff_id"] != 0].rename(columns={"staff_id": "unit"})
    else:
        rows = facts[facts["staff_id"] == 0].rename(columns={"node_id": "unit"})
    # sum per grid (or staff member) first: a month of a city is millions of rows,
    # its grids only tens of thousands; the tree is joined to the small result
    per_source = rows.groupby(["unit", "measure"], sort=False, observed=True)["value"].sum()
    per_source = per_source.reset_index()
    acks = rows[rows["measure"].isin(["ack_seconds_p50", "alert_acks"])]
    per_source, acks = (_owned(frame, tree, level, node_id) for frame in (per_source, acks))
    per_source = per_source[per_source["unit_id"].isin(units["unit_id"])]
    sums = per_source.groupby(["unit_id", "measure"], observed=True)["value"].sum()
    sums = sums.unstack("measure")
    sums = sums.reindex(index=units["unit_id"], columns=list(MEASURES)).fillna(0.0)
    sums["ack_seconds_p50"] = _weighted_median(acks).reindex(sums.index)
    return sums


def _owned(frame: pd.DataFrame, tree: OrgTree, level: Level, node_id: int) -> pd.DataFrame:
    """``frame`` (by ``unit``: a grid or a staff member) with the unit_id it counts for."""
    if level == "staff":
        return frame.assign(unit_id=frame["unit"])
    owner = grid_owners(tree, level, node_id)
    return frame.merge(owner, left_on="unit", right_on="grid_id")


def grid_owners(tree: OrgTree, level: Level, node_id: int) -> pd.DataFrame:
    """(grid_id, unit_id): the ancestor of kind ``level`` of every grid under ``node_id``."""
    root = tree.get(node_id)
    if root is None:
        raise ScoringError(f"未知的节点 {node_id}")
    nodes = _tree_frame(tree)
    grids = nodes[(nodes["kind"] == NodeKind.GRID) & nodes["path"].str.startswith(root.path)]
    ancestors = grids.assign(unit_id=grids["path"].str.strip("/").str.split("/"))
    ancestors = ancestors.explode("unit_id").astype({"unit_id": "int64"})
    kinds = nodes.set_index("id")["kind"]
    owned = ancestors[ancestors["unit_id"].map(kinds) == NodeKind(level)]
    return owned.rename(columns={"id": "grid_id"})[["grid_id", "unit_id"]]


def indicator_columns(indicator: Indicator, totals: pd.DataFrame) -> dict[str, pd.Series]:
    """numerator, denominator, value, points and applies of one indicator for every unit."""
    if isinstance(indicator, RatioIndicator):
        numerator = totals[indicator.numerator].sum(axis=1)
        denominator = totals[indicator.denominator].sum(axis=1)
        applies = denominator > 0
        value = (numerator / denominator.where(applies)).astype("float64")
        share = value.clip(0.0, 1.0)
        share = share if indicator.higher_is_better else 1.0 - share
        points = indicator.weight * share
    elif isinstance(indicator, DeductionIndicator):
        numerator = sum(totals[m] * per for m, per in indicator.per.items())
        denominator = pd.Series(np.nan, index=totals.index)
        applies = pd.Series(True, index=totals.index)
        value = numerator
        points = (indicator.weight - numerator).clip(lower=0.0)
    else:
        numerator, denominator, applies, value, points = _median_columns(indicator, totals)
    return {
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "points": points.fillna(0.0),
        "applies": applies,
    }


def explain(
    session: Session,
    scheme: Scheme,
    tree: OrgTree,
    facts: pd.DataFrame,
    period: Period,
    level: Level,
    unit_id: int,
    tz: dt.tzinfo,
    staff: pd.DataFrame | None = None,
) -> Explanation:
    """One unit's indicators with raw numbers, and the incidents behind its deductions."""
    scored = score_units(
        scheme, tree, facts, period, level, _scope_of(tree, level, unit_id, staff), staff
    )
    match = scored[scored["unit_id"] == unit_id]
    if match.empty:
        raise ScoringError(f"{unit_id} 不是{level}级的考核对象")
    row = match.iloc[0].to_dict()
    table = [
        {
            "code": code,
            "label": indicator.label,
            "kind": indicator.kind,
            "weight": indicator.weight,
            **{
                part: row[f"{code}.{part}"]
                for part in ("numerator", "denominator", "value", "points")
            },
        }
        for code, indicator in scheme.for_level(level).items()
    ]
    grids, staff_id = _grids_of(tree, level, unit_id, staff)
    incidents = deduction_incidents(session, grids, period.start, period.end, tz, staff_id)
    return Explanation(row=row, indicators=pd.DataFrame(table), incidents=incidents)


# -- helpers ------------------------------------------------------------------------------


def _median_columns(
    indicator: MedianIndicator, totals: pd.DataFrame
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series, pd.Series]:
    median = totals[indicator.measure]
    count = totals[indicator.count]
    applies = (count > 0) & median.notna()
    span = indicator.bad_seconds - indicator.good_seconds
    share = ((indicator.bad_seconds - median) / span).clip(0.0, 1.0)
    return median, count, applies, median.where(applies), indicator.weight * share


def _weighted_median(rows: pd.DataFrame) -> pd.Series:
    """Per unit: the median of daily ``ack_seconds_p50`` weighted by that day's ``alert_acks``."""
    keys = ["unit_id", "day", "unit"]
    medians = rows[rows["measure"] == "ack_seconds_p50"][[*keys, "value"]]
    weights = rows[rows["measure"] == "alert_acks"][[*keys, "value"]].rename(
        columns={"value": "weight"}
    )
    both = medians.merge(weights, on=keys).sort_values(["unit_id", "value"])
    if both.empty:
        return pd.Series(dtype="float64")
    running = both.groupby("unit_id")["weight"].cumsum()
    half = both.groupby("unit_id")["weight"].transform("sum") / 2
    return both[running >= half].groupby("unit_id")["value"].first()


def _with_cards(
    scored: pd.DataFrame, scheme: Scheme, level: Level, totals: pd.DataFrame
) -> pd.DataFrame:
    """``cards`` ("；"-joined reasons, red first), ``red_cards`` and ``yellow_cards``."""
    reasons = pd.Series("", index=scored.index)
    counts = {"red": pd.Series(0, index=scored.index), "yellow": pd.Series(0, index=scored.index)}
    ordered = sorted(scheme.cards_for(level), key=lambda card: card.color != "red")
    for card in ordered:
        if card.measure is not None and card.at_least is not None:
            given = totals[card.measure] >= card.at_least
        else:
            value = scored.get(f"{card.indicator}.value")
            if value is None or card.below is None:
                continue  # the indicator does not apply at this level
            given = value.notna() & (value < card.below)
        reasons = reasons + np.where(given, card.reason + "；", "")
        counts[card.color] = counts[card.color] + given.astype("int64")
    scored["cards"] = reasons.str.rstrip("；")
    scored["red_cards"] = counts["red"]
    scored["yellow_cards"] = counts["yellow"]
    return scored


def _ranked(scored: pd.DataFrame) -> pd.DataFrame:
    """Best first, ties by name; rank is dense (equal scores share one)."""
    out = scored.sort_values(["score", "name"], ascending=[False, True], na_position="last")
    out["rank"] = out["score"].rank(method="dense", ascending=False).astype("Int64")
    return out.reset_index(drop=True)


def _within(days: pd.Series, period: Period) -> pd.Series:
    """Which rows fall in ``period``; fast on datetime64 days (``load_facts``), right on dates."""
    if pd.api.types.is_datetime64_any_dtype(days):
        return days.between(pd.Timestamp(period.start), pd.Timestamp(period.end))
    return days.between(period.start, period.end)


def _tree_frame(tree: OrgTree) -> pd.DataFrame:
    rows = [(n.id, n.kind, n.path) for n in tree.nodes.values()]
    return pd.DataFrame(rows, columns=["id", "kind", "path"])


def _subtree_ids(tree: OrgTree, path: str) -> list[int]:
    nodes = _tree_frame(tree)
    ids: list[int] = nodes[nodes["path"].str.startswith(path)]["id"].tolist()
    return ids


def _scope_of(tree: OrgTree, level: Level, unit_id: int, staff: pd.DataFrame | None) -> int:
    """The node whose subtree holds the unit (itself, or a staff member's grid)."""
    if level != "staff":
        return unit_id
    people = staff if staff is not None else pd.DataFrame(columns=STAFF_COLUMNS)
    match = people[people["staff_id"] == unit_id]
    if match.empty:
        raise ScoringError(f"未知的人员 {unit_id}")
    return int(match.iloc[0]["node_id"])


def _grids_of(
    tree: OrgTree, level: Level, unit_id: int, staff: pd.DataFrame | None
) -> tuple[list[int] | None, int | None]:
    """The grids a unit's deductions come from (None: any), and the staff member for staff."""
    if level == "staff":
        return None, unit_id  # wherever the staff member's lapses lay
    node = tree.get(unit_id)
    return ([] if node is None else _grid_ids_under(tree, node.path)), None


def _grid_ids_under(tree: OrgTree, path: str) -> list[int]:
    nodes = _tree_frame(tree)
    inside = nodes["path"].str.startswith(path) & (nodes["kind"] == NodeKind.GRID)
    ids: list[int] = nodes[inside]["id"].tolist()
    return ids
