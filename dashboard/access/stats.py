"""Statistics reads for /stats (统计报表) and its exports: the scheme's rates per unit, the
node's own total, found vs closed per month and the red/yellow card list.

Every read checks ``Perm.VIEW_ASSESSMENT`` and the user's subtree through
``dashboard.access.assessment.focus_node`` (a node outside is refused with a message,
logged, never answered). The database does the sums (``score_from_store``,
``load_sums``, ``load_month_totals``): no daily fact reaches pandas, so a city-wide view
costs one grouped query per level, not millions of rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from dashboard.access.assessment import (
    KIND_LEVEL,
    LEVEL_BELOW,
    LEVEL_LABELS,
    MAX_EXPORT_ROWS,
    TOO_BIG,
    Crumb,
    breadcrumb,
    focus_node,
    found_and_closed,
)
from dashboard.access.base import Refused
from dashboard.auth.current import SessionUser
from dashboard.services import Services
from data.assessment.facts import load_daily, load_staff, load_sums
from data.assessment.periods import Period
from data.assessment.scheme import Level, Scheme
from data.assessment.scoring import (
    ACK_MEASURES,
    ACK_MEDIAN,
    grid_owners,
    scheme_measures,
    score_totals,
    unit_list,
    unit_totals,
)
from data.models import NodeKind
from data.org_tree import NodeInfo, OrgTree

#: the card list shows (and the page says so) at most this many cards, red first
MAX_CARDS = 500
#: the months of the found vs closed chart, the period's own month included
#: the counts beside the rates (found = incidents reported, closed = 结案)
COUNT_MEASURES = ("reported", "closed")
#: the four rates the seed platforms chart (调查发现率, 处置交办率, 上报反馈率, 结案率)
SEED_RATES = ("discovery_rate", "dispatch_rate", "feedback_rate", "closure_rate")
#: the levels whose cards are listed under a node of each kind, top down. Above a street
#: the staff members are left out: summing a month of every staff member of Zhengzhou
#: (85,319) is twice the database work of every grid (15 s against 7.5 s on the
#: development box), and their cards are one tap away under each street
CARD_LEVELS: dict[NodeKind, tuple[Level, ...]] = {
    NodeKind.CITY: ("district", "street", "community", "grid"),
    NodeKind.DISTRICT: ("street", "community", "grid"),
    NodeKind.STREET: ("community", "grid", "staff"),
    NodeKind.COMMUNITY: ("grid", "staff"),
    NodeKind.GRID: ("staff",),
}
DIGITS = re.compile(r"(\d+)")
COLOR_LABELS = {"red": "红牌", "yellow": "黄牌"}
#: the levels whose units are sums of grids
GRID_LEVELS: tuple[Level, ...] = ("district", "street", "community", "grid")
#: the scheme level whose indicators describe the city's own total (no level ranks the city)
CITY_LEVEL: Level = "district"
NO_STAFF_CARDS = "区县及以上只列到网格一级；网格员的红黄牌请进入街道后查看"
CARDS_CAPPED = (
    "共 {total} 张红黄牌，只列出前 {shown} 张（红牌在前）；导出可得全部（最多 {limit} 行）"
)


@dataclass(frozen=True)
class Column:
    """One indicator of the level shown: its code, label and kind (ratio/deduction/median)."""

    code: str
    label: str
    kind: str


@dataclass(frozen=True)
class Cell:
    """An indicator's raw numbers for one unit; ``value`` None when nothing to divide by."""

    numerator: float | None
    denominator: float | None
    value: float | None


@dataclass(frozen=True)
class StatsRow:
    unit_id: int
    name: str
    found: int
    closed: int
    cells: dict[str, Cell]
    score: float | None


@dataclass(frozen=True)
class CardRow:
    level: Level
    unit_id: int
    name: str
    color: str
    reason: str

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def color_label(self) -> str:
        return COLOR_LABELS.get(self.color, self.color)


@dataclass(frozen=True)
class StatsView:
    """What /stats shows for one node in focus and one period."""

    node: NodeInfo
    level: Level
    period: Period
    breadcrumb: list[Crumb]
    columns: list[Column]
    rows: list[StatsRow]
    #: the node itself (its grids summed), with the indicators of the level below
    total: StatsRow
    #: (month "2026-11", found, closed), oldest first
    monthly: list[tuple[str, int, int]]
    #: red first, at most ``MAX_CARDS``
    cards: list[CardRow]
    #: how many cards there are in all (more than ``len(cards)`` when capped)
    cards_total: int

    @property
    def cards_note(self) -> str:
        """What the list leaves out: staff members above a street, cards beyond the cap."""
        notes = [] if "staff" in CARD_LEVELS[self.node.kind] else [NO_STAFF_CARDS]
        if self.cards_total > len(self.cards):
            notes.append(
                CARDS_CAPPED.format(
                    total=self.cards_total, shown=len(self.cards), limit=MAX_EXPORT_ROWS
                )
            )
        return "；".join(notes)


# -- the public reads ------------------------------------------------------------------------


def stats_view(
    services: Services, tree: OrgTree, who: SessionUser, node_id: int | None, period: Period
) -> StatsView:
    """The rates of the level below the node, its total, the monthly counts and the cards."""
    node = focus_node(tree, who, node_id)
    level = LEVEL_BELOW[node.kind]
    scheme = services.scheme
    with services.sessions() as db:
        sums = read_sums(db, scheme, tree, node, period, staff="staff" in CARD_LEVELS[node.kind])
        monthly = found_and_closed(db, node.path, period)
    cards, cards_total = _cards(scheme, tree, node, sums, MAX_CARDS)
    return StatsView(
        node=node,
        level=level,
        period=period,
        breadcrumb=breadcrumb(tree, who, node),
        columns=columns(scheme, level),
        rows=_unit_rows(scheme, tree, node, level, sums),
        total=_total_row(scheme, tree, node, level, sums),
        monthly=monthly,
        cards=cards,
        cards_total=cards_total,
    )


def rates_export(
    services: Services, tree: OrgTree, who: SessionUser, node_id: int | None, period: Period
) -> tuple[NodeInfo, Level, list[str], list[list[Any]]]:
    """The rates table as an export: Chinese headers, one row per unit, the total last."""
    node = focus_node(tree, who, node_id)
    level = LEVEL_BELOW[node.kind]
    with services.sessions() as db:
        sums = read_sums(db, services.scheme, tree, node, period, staff=level == "staff")
    rows = _unit_rows(services.scheme, tree, node, level, sums)
    if len(rows) > MAX_EXPORT_ROWS:
        raise Refused(TOO_BIG.format(rows=len(rows), limit=MAX_EXPORT_ROWS))
    total = _total_row(services.scheme, tree, node, level, sums)
    cols = columns(services.scheme, level)
    header = [LEVEL_LABELS[level], "发现事件", "结案"]
    for col in cols:
        header += _export_headers(col)
    header.append("综合得分")
    body = [_export_row(row, cols) for row in [*rows, total]]
    return node, level, header, body


def cards_export(
    services: Services, tree: OrgTree, who: SessionUser, node_id: int | None, period: Period
) -> tuple[NodeInfo, list[str], list[list[Any]]]:
    """Every card of every level below the node, red first; more than the cap is refused."""
    node = focus_node(tree, who, node_id)
    with services.sessions() as db:
        staff = "staff" in CARD_LEVELS[node.kind]
        sums = read_sums(db, services.scheme, tree, node, period, staff=staff)
    cards, total = _cards(services.scheme, tree, node, sums, MAX_EXPORT_ROWS)
    if total > MAX_EXPORT_ROWS:
        raise Refused(TOO_BIG.format(rows=total, limit=MAX_EXPORT_ROWS))
    header = ["层级", "单位", "牌色", "原因"]
    return node, header, [[c.level_label, c.name, c.color_label, c.reason] for c in cards]


@dataclass(frozen=True)
class Sums:
    """One period's measures under a node, summed by the database once and shared by every
    level: per grid (districts, streets, communities, grids and the node's total are all
    sums of grids) and per staff member; plus the daily rows the ack median needs."""

    grids: pd.DataFrame
    grid_acks: pd.DataFrame
    staff_list: pd.DataFrame | None
    staff: pd.DataFrame | None
    staff_acks: pd.DataFrame | None


def read_sums(
    db: Session, scheme: Scheme, tree: OrgTree, node: NodeInfo, period: Period, staff: bool
) -> Sums:
    """Two grouped queries (grids; staff members when ``staff``), each over every measure
    any level's indicators, cards or counts read."""
    root = tree.root
    path = None if root is not None and root.id == node.id else node.path
    grid_wanted = set(COUNT_MEASURES).union(*(scheme_measures(scheme, lv) for lv in GRID_LEVELS))
    grids, grid_acks = _summed(db, period, False, grid_wanted, path)
    if not staff:
        return Sums(grids, grid_acks, None, None, None)
    people, people_acks = _summed(
        db, period, True, scheme_measures(scheme, "staff") | set(COUNT_MEASURES), path
    )
    return Sums(grids, grid_acks, load_staff(db, node.path), people, people_acks)


def _summed(
    db: Session, period: Period, per_staff: bool, wanted: set[str], path: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    sums = load_sums(db, period.start, period.end, per_staff, wanted - {ACK_MEDIAN}, path)
    ack_measures = ACK_MEASURES if ACK_MEDIAN in wanted else ()
    acks = load_daily(db, period.start, period.end, per_staff, ack_measures, path)
    return sums, acks


def score_level(
    scheme: Scheme,
    tree: OrgTree,
    node: NodeInfo,
    level: Level,
    sums: Sums,
    units: pd.DataFrame | None = None,
    owners: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``score_from_store``'s table for ``level`` under the node from the shared sums, with
    each unit's ``reported`` and ``closed`` beside it (``units``/``owners`` to score other
    units, e.g. the node itself)."""
    if level == "staff":
        if sums.staff is None or sums.staff_acks is None:
            raise ValueError("staff sums were not read")
        units = unit_list(tree, level, node.id, sums.staff_list) if units is None else units
        per, acks = sums.staff, sums.staff_acks
    else:
        units = unit_list(tree, level, node.id) if units is None else units
        owners = grid_owners(tree, level, node.id) if owners is None else owners
        per, acks = sums.grids, sums.grid_acks
    totals = unit_totals(tree, per, acks, level, node.id, units, owners)
    scored = score_totals(scheme, level, units, totals)
    counts = totals[list(COUNT_MEASURES)]
    return scored.merge(counts, how="left", left_on="unit_id", right_index=True)


def columns(scheme: Scheme, level: Level) -> list[Column]:
    """The scheme's indicators at ``level``, in file order."""
    return [Column(code, ind.label, ind.kind) for code, ind in scheme.for_level(level).items()]


# -- helpers ----------------------------------------------------------------------------------


def _unit_rows(
    scheme: Scheme, tree: OrgTree, node: NodeInfo, level: Level, sums: Sums
) -> list[StatsRow]:
    """One row per unit of ``level`` under the node, in name order (a report, not a rank)."""
    scored = score_level(scheme, tree, node, level, sums)
    codes = list(scheme.for_level(level))
    rows = [_stats_row(r, codes) for r in scored.to_dict("records")]
    return sorted(rows, key=lambda row: natural_key(row.name))


def _total_row(scheme: Scheme, tree: OrgTree, node: NodeInfo, level: Level, sums: Sums) -> StatsRow:
    """The node itself: its grids' measures summed, with the indicators of the level below
    (so the total lines up with the rows) and the score its own level would give."""
    own: Level = KIND_LEVEL.get(node.kind, CITY_LEVEL)
    units = pd.DataFrame({"unit_id": [node.id], "name": [f"{node.name}（合计）"]})
    units = units.astype({"unit_id": "int64"})
    grids = [
        n.id
        for n in tree.nodes.values()
        if n.kind == NodeKind.GRID and n.path.startswith(node.path)
    ]
    owners = pd.DataFrame({"grid_id": grids, "unit_id": node.id}, dtype="int64")
    totals = unit_totals(tree, sums.grids, sums.grid_acks, own, node.id, units, owners)
    # the cells follow the columns of the rows below (a grid's staff have fewer indicators),
    # the score is the one the node's own level gives it
    row = score_totals(scheme, level, units, totals).to_dict("records")[0]
    row["score"] = score_totals(scheme, own, units, totals)["score"].iloc[0]
    row |= {m: totals[m].iloc[0] for m in COUNT_MEASURES}
    return _stats_row(row, list(scheme.for_level(level)))


def _stats_row(r: dict[str, Any], codes: list[str]) -> StatsRow:
    return StatsRow(
        unit_id=int(r["unit_id"]),
        name=str(r["name"]),
        found=int(_number(r.get("reported")) or 0),
        closed=int(_number(r.get("closed")) or 0),
        cells={
            code: Cell(
                numerator=_number(r.get(f"{code}.numerator")),
                denominator=_number(r.get(f"{code}.denominator")),
                value=_number(r.get(f"{code}.value")),
            )
            for code in codes
        },
        score=_number(r.get("score")),
    )


def _cards(
    scheme: Scheme, tree: OrgTree, node: NodeInfo, sums: Sums, cap: int
) -> tuple[list[CardRow], int]:
    """Every card of every level below the node (all scored from the shared sums), red
    first, then top level first, then by name; the first ``cap`` and the count."""
    found: list[CardRow] = []
    for level in CARD_LEVELS[node.kind]:
        if not scheme.cards_for(level):
            continue
        scored = score_level(scheme, tree, node, level, sums)
        carded = scored[scored["cards"] != ""]
        colour = {card.reason: card.color for card in scheme.cards_for(level)}
        for r in carded[["unit_id", "name", "cards"]].to_dict("records"):
            for reason in str(r["cards"]).split("；"):
                color = colour.get(reason, "red")
                found.append(CardRow(level, int(r["unit_id"]), str(r["name"]), color, reason))
    return first_cards(found, CARD_LEVELS[node.kind], cap)


def first_cards(
    cards: list[CardRow], levels: tuple[Level, ...], cap: int
) -> tuple[list[CardRow], int]:
    """Red before yellow, then the higher level first, then by name and reason: the first
    ``cap`` of them, and how many there are in all."""
    order = {level: i for i, level in enumerate(levels)}
    ranked = sorted(
        cards, key=lambda c: (c.color != "red", order[c.level], natural_key(c.name), c.reason)
    )
    return ranked[:cap], len(ranked)


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Names with their numbers read as numbers: 第2网格 before 第10网格."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in DIGITS.split(name) if part
    )


def _export_headers(col: Column) -> list[str]:
    if col.kind == "ratio":
        return [f"{col.label}·分子", f"{col.label}·分母", f"{col.label}（%）"]
    if col.kind == "deduction":
        return [f"{col.label}（扣分）"]
    return [f"{col.label}（秒）", f"{col.label}·签收数"]


def _export_row(row: StatsRow, cols: list[Column]) -> list[Any]:
    out: list[Any] = [row.name, row.found, row.closed]
    for col in cols:
        cell = row.cells[col.code]
        if col.kind == "ratio":
            percent = None if cell.value is None else round(cell.value * 100, 2)
            out += [_whole(cell.numerator), _whole(cell.denominator), percent]
        elif col.kind == "deduction":
            out.append(_whole(cell.numerator))
        else:
            seconds = None if cell.value is None else round(cell.value, 1)
            out += [seconds, _whole(cell.denominator)]
    out.append(None if row.score is None else round(row.score, 2))
    return out


def _whole(value: float | None) -> float | int | None:
    """Counts as whole numbers in the file (15, not 15.0); seconds sums may be fractions."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 2)


def _number(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)
