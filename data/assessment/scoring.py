"""Scores, ranks and cards from daily facts: one row per unit of a level under a node.

Grids are aggregated up the tree by summing their measures over the ancestor at the
level asked for (a pandas group-by), never by averaging scores; staff members sum
their own rows. Each indicator gives points (docs/assessment.md); a unit's score is
100 × the points it got over the weights of the indicators that apply to it (a rate
with no denominator does not apply), so units with and without, say, alerts compare
fairly. A unit to which no indicator applies (no incidents, no alerts, no duty, no
deduction) has no data: its score is NaN, it gets no rank and is listed after the
ranked units, by name (``has_data`` False; the page shows "本期无数据"), rather than
a perfect 100 for doing nothing. Ranks are dense (1 = best), ties listed by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data.assessment.facts import (
    deduction_incidents,
    load_daily,
    load_sum_table,
    load_unit_months,
)
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
ACK_MEDIAN = "ack_seconds_p50"
#: the daily rows behind the ack-count-weighted median of daily medians
ACK_MEASURES = (ACK_MEDIAN, "alert_acks")


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
    score (NaN: no data), has_data, rank (<NA>: no data), prev_score, prev_rank, trend
    (up/down/flat; flat without a score to compare), rank_change (+ = climbed), cards
    (reasons, "；"-joined), red_cards, yellow_cards.
    """
    now = score_units(scheme, tree, facts, period, level, node_id, staff)
    before = score_units(scheme, tree, facts, period.previous(), level, node_id, staff)
    return _compared(now, before)


def ranking_from_store(
    session: Session,
    scheme: Scheme,
    tree: OrgTree,
    period: Period,
    level: Level,
    node_id: int,
    staff: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``ranking`` with the per-period sums done by the database (``load_sums``).

    The same table as ``ranking(scheme, tree, load_facts(session, previous.start,
    period.end, node.path), ...)``: facts of the grids under ``node_id`` count, staff
    members' too. Only the measures the scheme reads at ``level`` are summed, and pandas
    gets one row per grid (or staff member) and measure, not one per day.
    """
    units = unit_list(tree, level, node_id, staff)
    owners = None if level == "staff" else grid_owners(tree, level, node_id)
    path = _scope_path(tree, node_id)
    args = (scheme, period.previous(), level, units, owners, path)
    engine = _second_reader(session)
    if engine is None:
        now = _stored_totals(session, scheme, period, level, units, owners, path)
        before = _stored_totals(session, *args)
    else:
        # the previous period on a second connection meanwhile: the database sums while
        # this thread sums (sqlite3 and psycopg let go of the GIL while they wait)
        with ThreadPoolExecutor(1) as pool:
            later = pool.submit(_totals_apart, engine, *args)
            now = _stored_totals(session, scheme, period, level, units, owners, path)
            before = later.result()
    # the previous period only lends its score and rank: no cards, columns or sorting
    return _compared(
        score_totals(scheme, level, units, now), _scores_only(scheme, level, units, before)
    )


def _compared(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """``now`` with the previous period's score and rank, the trend and the rank change."""
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
    return score_totals(scheme, level, units, totals)


def score_from_store(
    session: Session,
    scheme: Scheme,
    tree: OrgTree,
    period: Period,
    level: Level,
    node_id: int,
    staff: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``score_units`` of one period, summed by the database; see ``ranking_from_store``."""
    units = unit_list(tree, level, node_id, staff)
    owners = None if level == "staff" else grid_owners(tree, level, node_id)
    path = _scope_path(tree, node_id)
    totals = _stored_totals(session, scheme, period, level, units, owners, path)
    return score_totals(scheme, level, units, totals)


def _stored_totals(
    session: Session,
    scheme: Scheme,
    period: Period,
    level: Level,
    units: pd.DataFrame,
    owners: pd.DataFrame | None,
    path: str | None,
) -> pd.DataFrame:
    """One period's ``unit_totals`` from the database's sums (units and owners worked out
    once): the sums arrive as a unit × measure array and are added up per owner with
    numpy, no long frame, merge or pivot (those dominate a drill-down's few rows)."""
    per_staff = level == "staff"
    wanted = scheme_measures(scheme, level)
    summable = wanted - {ACK_MEDIAN}
    ids, names, values = load_sum_table(
        session, period.start, period.end, per_staff, summable, path
    )
    ack_measures = ACK_MEASURES if ACK_MEDIAN in wanted else ()
    acks = load_daily(session, period.start, period.end, per_staff, ack_measures, path)
    unit_ids = units["unit_id"].to_numpy(dtype=np.int64)
    position = pd.Index(unit_ids).get_indexer(_owner_of(ids, owners))
    inside = position >= 0
    table = np.zeros((len(unit_ids), len(MEASURES)), dtype=np.float64)
    for column, name in enumerate(names):
        table[:, MEASURES.index(name)] = np.bincount(
            position[inside], weights=values[inside, column], minlength=len(unit_ids)
        )
    totals = pd.DataFrame(table, index=pd.Index(unit_ids, name="unit_id"), columns=list(MEASURES))
    if acks.empty:
        totals[ACK_MEDIAN] = np.nan
        return totals
    owner = _owner_of(acks["unit"].to_numpy(dtype=np.int64), owners)
    acks = acks.assign(unit_id=owner)[owner >= 0]
    totals[ACK_MEDIAN] = _weighted_median(acks).reindex(totals.index)
    return totals


def _totals_apart(engine: Engine, *args: Any) -> pd.DataFrame:
    """``_stored_totals`` on a connection of its own (another thread's)."""
    with Session(engine) as session:
        return _stored_totals(session, *args)


def _second_reader(session: Session) -> Engine | None:
    """The engine to read the previous period from on a second connection, or None when
    that connection could see something else than ``session``: its own writes not yet
    committed (pending objects, an SQLite write transaction, a PostgreSQL transaction
    with an id), or an in-memory SQLite database (one per connection)."""
    bind = session.get_bind()
    if not isinstance(bind, Engine) or session.new or session.dirty or session.deleted:
        return None
    if bind.dialect.name == "sqlite":
        database = bind.url.database or ""
        if database in ("", ":memory:") or "mode=memory" in database:
            return None
        if session.in_transaction():
            raw = session.connection().connection.dbapi_connection
            if raw is None or getattr(raw, "in_transaction", True):
                return None
        return bind
    if bind.dialect.name == "postgresql":
        if session.in_transaction():
            written = session.connection().exec_driver_sql(
                "SELECT pg_current_xact_id_if_assigned()"
            )
            if written.scalar() is not None:
                return None
        return bind
    return None


def _owner_of(ids: npt.NDArray[np.int64], owners: pd.DataFrame | None) -> npt.NDArray[np.int64]:
    """The unit each grid (or staff member) counts for; −1 where none (outside the scope)."""
    if owners is None:
        return ids
    found = pd.Index(owners["grid_id"].to_numpy(dtype=np.int64)).get_indexer(ids)
    unit = owners["unit_id"].to_numpy(dtype=np.int64)
    return np.where(found >= 0, unit[found], -1)


def scheme_measures(scheme: Scheme, level: Level) -> set[str]:
    """Every measure an indicator or a card of ``level`` reads."""
    wanted = {m for ind in scheme.for_level(level).values() for m in ind.measures()}
    return wanted | {c.measure for c in scheme.cards_for(level) if c.measure is not None}


def score_totals(
    scheme: Scheme, level: Level, units: pd.DataFrame, totals: pd.DataFrame
) -> pd.DataFrame:
    """Points, score, cards and rank of every unit from its summed measures (``totals``)."""
    scored = units.set_index("unit_id")
    score, has_data = _scores(scheme, level, scored.index, totals, scored)
    scored["score"] = score
    scored["has_data"] = has_data.astype(bool)
    scored = _with_cards(scored, scheme, level, totals)
    return _ranked(scored.reset_index())


def _scores(
    scheme: Scheme,
    level: Level,
    index: pd.Index,
    totals: pd.DataFrame,
    scored: pd.DataFrame | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Each unit's score (NaN: no data) and whether it has data; with ``scored``, each
    indicator's numerator, denominator, value and points are set on it as columns."""
    applicable_weight = pd.Series(0.0, index=index)
    points = pd.Series(0.0, index=index)
    has_data = pd.Series(False, index=index)
    for code, indicator in scheme.for_level(level).items():
        columns = indicator_columns(indicator, totals)
        if scored is not None:
            for part in ("numerator", "denominator", "value", "points"):
                scored[f"{code}.{part}"] = columns[part]
        applies = columns["applies"]
        points += columns["points"].where(applies, 0.0)
        applicable_weight += applies * indicator.weight
        # a deduction always "applies" (nothing to deduct is full marks): it is data
        # only when something was deducted
        if isinstance(indicator, DeductionIndicator):
            has_data |= columns["numerator"] > 0
        else:
            has_data |= applies.astype(bool)
    total = 100 * points / applicable_weight.where(applicable_weight > 0)
    return total.where(has_data).round(2), has_data


def _scores_only(
    scheme: Scheme, level: Level, units: pd.DataFrame, totals: pd.DataFrame
) -> pd.DataFrame:
    """unit_id, score and rank as ``score_totals`` gives them, without its other columns:
    all the comparison with the previous period reads."""
    index = pd.Index(units["unit_id"].to_numpy(dtype=np.int64), name="unit_id")
    score, _ = _scores(scheme, level, index, totals)
    rank = score.rank(method="dense", ascending=False).astype("Int64")
    return pd.DataFrame({"unit_id": index, "score": score.to_numpy(), "rank": rank.array})


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
    acks = rows[rows["measure"].isin(ACK_MEASURES)]
    return unit_totals(tree, per_source.reset_index(), acks, level, node_id, units)


def unit_totals(
    tree: OrgTree,
    per_source: pd.DataFrame,
    acks: pd.DataFrame,
    level: Level,
    node_id: int,
    units: pd.DataFrame,
    owners: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``unit_measures`` from sums per grid or staff member (unit, measure, value) and the
    daily ack rows (day, unit, measure, value) the weighted median needs; ``owners``
    (``grid_owners``) may be passed when already worked out."""
    if owners is None and level != "staff":
        owners = grid_owners(tree, level, node_id)
    per_source, acks = (_owned(frame, owners) for frame in (per_source, acks))
    per_source = per_source[per_source["unit_id"].isin(units["unit_id"])]
    sums = per_source.groupby(["unit_id", "measure"], observed=True)["value"].sum()
    sums = sums.unstack("measure")
    sums = sums.reindex(index=units["unit_id"], columns=list(MEASURES)).fillna(0.0)
    sums[ACK_MEDIAN] = _weighted_median(acks).reindex(sums.index)
    return sums


def _owned(frame: pd.DataFrame, owners: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` (by ``unit``: a grid or a staff member) with the unit_id it counts for:
    the staff member itself (``owners`` None), else the grid's owner."""
    if owners is None:
        return frame.assign(unit_id=frame["unit"])
    return frame.merge(owners, left_on="unit", right_on="grid_id")


def grid_owners(tree: OrgTree, level: Level, node_id: int) -> pd.DataFrame:
    """(grid_id, unit_id): the ancestor of kind ``level`` of every grid under ``node_id``."""
    root = tree.get(node_id)
    if root is None:
        raise ScoringError(f"未知的节点 {node_id}")
    kind, nodes = NodeKind(level), tree.nodes
    # a loop over the tree, not a frame of it: a drill-down's few grids in ~ms
    pairs = [
        (grid.id, owner)
        for grid in nodes.values()
        if grid.kind == NodeKind.GRID and grid.path.startswith(root.path)
        for owner in map(int, grid.path.strip("/").split("/"))
        if owner in nodes and nodes[owner].kind == kind
    ]
    return pd.DataFrame(pairs, columns=["grid_id", "unit_id"], dtype="int64")


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
    """One unit's indicators with raw numbers, and the incidents behind its deductions.

    The row (score, rank, cards) is the unit's in the ranking of its siblings (the units
    of ``level`` under its parent, or a staff member's grid): the ranking the user saw.
    ``facts`` must cover the parent's subtree.
    """
    scope = sibling_scope(tree, level, unit_id, staff)
    scored = score_units(scheme, tree, facts, period, level, scope, staff)
    return _explanation(session, scheme, tree, scored, period, level, unit_id, tz, staff)


def explain_from_store(
    session: Session,
    scheme: Scheme,
    tree: OrgTree,
    period: Period,
    level: Level,
    unit_id: int,
    tz: dt.tzinfo,
    staff: pd.DataFrame | None = None,
) -> Explanation:
    """``explain`` with the sums done by the database (``score_from_store``)."""
    scope = sibling_scope(tree, level, unit_id, staff)
    scored = score_from_store(session, scheme, tree, period, level, scope, staff)
    return _explanation(session, scheme, tree, scored, period, level, unit_id, tz, staff)


def _explanation(
    session: Session,
    scheme: Scheme,
    tree: OrgTree,
    scored: pd.DataFrame,
    period: Period,
    level: Level,
    unit_id: int,
    tz: dt.tzinfo,
    staff: pd.DataFrame | None,
) -> Explanation:
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


def month_scores(
    session: Session,
    scheme: Scheme,
    tree: OrgTree,
    months: Sequence[Period],
    level: Level,
    unit_id: int,
    staff: pd.DataFrame | None = None,
) -> pd.Series:
    """One unit's score in each of ``months`` (consecutive calendar months, the last may
    end early), indexed by each month's first day; NaN where it has no data.

    Two queries for the whole span (the month sums, the ack rows), the months scored as
    if they were units: the same score as ``score_from_store`` of each month.
    """
    if not months:
        return pd.Series(dtype="float64")
    per_staff = level == "staff"
    path, staff_id = _unit_source(tree, level, unit_id, staff)
    start, end = months[0].start, months[-1].end
    wanted = scheme_measures(scheme, level)
    sums = load_unit_months(session, start, end, wanted - {ACK_MEDIAN}, path, staff_id)
    firsts = [pd.Timestamp(m.start.replace(day=1)) for m in months]
    index = pd.Series(range(len(firsts)), index=firsts)
    units = pd.DataFrame({"unit_id": index.to_numpy(), "name": [str(m) for m in firsts]})
    totals = (
        sums.assign(unit_id=sums["month"].map(index))
        .dropna(subset=["unit_id"])
        .groupby(["unit_id", "measure"], observed=True)["value"]
        .sum()
        .unstack("measure")
        .reindex(index=units["unit_id"], columns=list(MEASURES))
        .fillna(0.0)
    )
    if ACK_MEDIAN in wanted:
        acks = load_daily(session, start, end, per_staff, ACK_MEASURES, path)
        if staff_id is not None:
            acks = acks[acks["unit"] == staff_id]
        month_of = acks["day"].dt.to_period("M").dt.start_time.map(index)
        acks = acks.assign(unit_id=month_of).dropna(subset=["unit_id"])
        medians = _weighted_median(acks.astype({"unit_id": "int64"}))
        totals[ACK_MEDIAN] = medians.reindex(totals.index)
    else:
        totals[ACK_MEDIAN] = np.nan
    scored = score_totals(scheme, level, units, totals).set_index("unit_id")["score"]
    return pd.Series(scored.reindex(units["unit_id"]).to_numpy(), index=firsts, dtype="float64")


def sibling_scope(
    tree: OrgTree, level: Level, unit_id: int, staff: pd.DataFrame | None = None
) -> int:
    """The node whose ranking of ``level`` lists the unit: its parent, a staff member's
    grid, the unit itself when it has no parent (a tree of one)."""
    if level == "staff":
        return _scope_of(tree, level, unit_id, staff)
    node = tree.get(unit_id)
    if node is None:
        raise ScoringError(f"未知的节点 {unit_id}")
    parent = node.parent_id
    return parent if parent is not None and tree.get(parent) is not None else unit_id


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


def _scope_path(tree: OrgTree, node_id: int) -> str | None:
    """The path whose grids count for a ranking under ``node_id``; None for the whole tree."""
    node = tree.get(node_id)
    if node is None:
        raise ScoringError(f"未知的节点 {node_id}")
    root = tree.root
    return None if root is not None and root.id == node.id else node.path


def _subtree_ids(tree: OrgTree, path: str) -> list[int]:
    # a loop, not a frame of the whole tree: ~20× faster for a drill-down
    return [n.id for n in tree.nodes.values() if n.path.startswith(path)]


def _scope_of(tree: OrgTree, level: Level, unit_id: int, staff: pd.DataFrame | None) -> int:
    """The node whose subtree holds the unit (itself, or a staff member's grid)."""
    if level != "staff":
        return unit_id
    people = staff if staff is not None else pd.DataFrame(columns=STAFF_COLUMNS)
    match = people[people["staff_id"] == unit_id]
    if match.empty:
        raise ScoringError(f"未知的人员 {unit_id}")
    return int(match.iloc[0]["node_id"])


def _unit_source(
    tree: OrgTree, level: Level, unit_id: int, staff: pd.DataFrame | None
) -> tuple[str, int | None]:
    """Where a unit's facts are: the subtree path, and the staff member for staff (their
    rows in their own grid, as the grid's staff ranking counts them)."""
    if level == "staff":
        grid = tree.get(_scope_of(tree, level, unit_id, staff))
        if grid is None:
            raise ScoringError(f"未知的人员 {unit_id}")
        return grid.path, unit_id
    node = tree.get(unit_id)
    if node is None:
        raise ScoringError(f"未知的节点 {unit_id}")
    return node.path, None


def _grids_of(
    tree: OrgTree, level: Level, unit_id: int, staff: pd.DataFrame | None
) -> tuple[list[int] | None, int | None]:
    """The grids a unit's deductions come from (None: any), and the staff member for staff."""
    if level == "staff":
        return None, unit_id  # wherever the staff member's lapses lay
    node = tree.get(unit_id)
    return ([] if node is None else _grid_ids_under(tree, node.path)), None


def _grid_ids_under(tree: OrgTree, path: str) -> list[int]:
    return [
        n.id for n in tree.nodes.values() if n.kind == NodeKind.GRID and n.path.startswith(path)
    ]
