"""Assessment reads for the leader page and its exports: rankings, drill-down, explanations.

Every function takes the session user, checks ``Perm.VIEW_ASSESSMENT`` and bounds the
work by the user's subtree: a node (or staff member) outside it is refused with a
message fit to show, never answered with another street's numbers. The scores come
from ``data.assessment.scoring`` (its public API only) with the sums done by the
database (``ranking_from_store``: stored monthly sums plus the edge days), and the
tiles and charts from month-grouped sums: no daily fact row reaches pandas except the
few the ack median needs. This module chooses the level below the node in focus and
hands back plain values.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.access.base import Refused, require
from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from dashboard.services import Services
from data.assessment.facts import load_month_totals, load_staff, utc_window
from data.assessment.periods import Period, PeriodError, parse_period, split, to_date
from data.assessment.scheme import Level
from data.assessment.scoring import (
    ScoringError,
    explain_from_store,
    month_scores,
    ranking_from_store,
)
from data.masking import mask_text
from data.models import Incident, NodeKind, OrgNode
from data.org_tree import NodeInfo, OrgTree

log = logging.getLogger("gridwatch.scope")

NO_RIGHT = "无权查看考核排名"
OUTSIDE = "该单位不在您的管辖范围内"
NO_STAFF = "该网格员不在您的管辖范围内"
TOO_BIG = "导出行数过多（{rows} 行，最多 {limit} 行）：请选择更低一级的单位"
#: the most rows one export may hold (a ranking of every staff member of a city is not a table)
MAX_EXPORT_ROWS = 20_000
#: the months the charts look back over, the period's own month included
CHART_MONTHS = 12

#: the level ranked below a node of each kind; a grid ranks its staff members
LEVEL_BELOW: dict[NodeKind, Level] = {
    NodeKind.CITY: "district",
    NodeKind.DISTRICT: "street",
    NodeKind.STREET: "community",
    NodeKind.COMMUNITY: "grid",
    NodeKind.GRID: "staff",
}
LEVEL_LABELS: dict[str, str] = {
    "district": "区县",
    "street": "街道",
    "community": "社区",
    "grid": "网格",
    "staff": "网格员",
}
#: a node's own level (the city is ranked by no one)
KIND_LEVEL: dict[NodeKind, Level] = {
    NodeKind.DISTRICT: "district",
    NodeKind.STREET: "street",
    NodeKind.COMMUNITY: "community",
    NodeKind.GRID: "grid",
}
MEASURE_LABELS = {"yellow": "黄灯超时", "red": "红灯超时", "escalated": "上报上级"}


@dataclass(frozen=True)
class Crumb:
    node_id: int
    name: str


@dataclass(frozen=True)
class Kpi:
    """One tile: this period's value, the previous period's, and which way is better."""

    label: str
    value: float | None
    previous: float | None
    percent: bool = False
    higher_is_better: bool = True

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class RankRow:
    unit_id: int
    name: str
    score: float | None
    prev_score: float | None
    rank: int | None
    prev_rank: int | None
    trend: str
    rank_change: int
    red_cards: int
    yellow_cards: int
    cards: str
    #: False: no indicator applied in the period (score and rank None: "本期无数据")
    has_data: bool = True


@dataclass(frozen=True)
class LeaderView:
    """What the page shows for one node in focus and one period."""

    node: NodeInfo
    level: Level
    period: Period
    breadcrumb: list[Crumb]
    rows: list[RankRow]
    kpis: list[Kpi]
    #: (month "2026-11", found, closed), oldest first
    monthly: list[tuple[str, int, int]]
    #: (category name, incidents reported in the period), most first
    categories: list[tuple[str, int]]


@dataclass(frozen=True)
class UnitDetail:
    """One unit's score taken apart, and its score month by month."""

    unit_id: int
    level: Level
    name: str
    score: float | None
    rank: int | None
    cards: str
    #: label, numerator, denominator, value, points, weight
    indicators: list[dict[str, Any]]
    #: tracking no, what, when (UTC), grid, masked title
    incidents: list[dict[str, Any]]
    #: (month "2026-11", score or None)
    trend: list[tuple[str, float | None]]
    #: False: no indicator applied in the period (score and rank None: "本期无数据")
    has_data: bool = True


# -- the public reads ------------------------------------------------------------------------


def read_period(kind: str | None, value: str | None) -> Period:
    """The period the page or the export names; :class:`Refused` with the reason otherwise."""
    try:
        return parse_period(kind or "", value or "")
    except PeriodError as err:
        raise Refused(str(err)) from None


def focus_node(tree: OrgTree, who: SessionUser, node_id: int | None) -> NodeInfo:
    """The node asked for (the user's own when None), if it lies in their subtree."""
    scope = require(tree, who, Perm.VIEW_ASSESSMENT, NO_RIGHT)
    if node_id is None:
        return scope
    node = tree.get(node_id)
    if node is None or not node.path.startswith(scope.path):
        log.warning("scope: user %s asked for assessment of node %s", who.username, node_id)
        raise Refused(OUTSIDE)
    return node


def breadcrumb(tree: OrgTree, who: SessionUser, node: NodeInfo) -> list[Crumb]:
    """The way from the user's own node down to ``node`` (never above the user's node)."""
    scope = require(tree, who, Perm.VIEW_ASSESSMENT, NO_RIGHT)
    return [Crumb(n.id, n.name) for n in tree.breadcrumb(node.id) if n.path.startswith(scope.path)]


def leader_view(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    node_id: int | None,
    period: Period,
    today: dt.date | None = None,
) -> LeaderView:
    """The ranking of the level below the node, the KPI tiles and the charts' data; a
    running period is scored and compared up to today (``to_date``)."""
    node = focus_node(tree, who, node_id)
    level = LEVEL_BELOW[node.kind]
    scored = to_date(period, today or _today(services))
    with services.sessions() as db:
        staff = load_staff(db, node.path) if level == "staff" else None
        table = ranking_from_store(db, services.scheme, tree, scored, level, node.id, staff)
        tiles = kpis(db, node.path, scored)
        series = found_and_closed(db, node.path, period)
        categories = _categories(db, services, node.path, period)
    return LeaderView(
        node=node,
        level=level,
        period=period,
        breadcrumb=breadcrumb(tree, who, node),
        rows=[_rank_row(r) for r in table.to_dict("records")],
        kpis=tiles,
        monthly=series,
        categories=categories,
    )


def unit_detail(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    level: str,
    unit_id: int,
    period: Period,
) -> UnitDetail:
    """One unit's indicators with raw numbers, its rank among its siblings (the ranking
    the user saw), the incidents behind its deductions and its score over the last
    twelve months; a unit outside the user's subtree is refused."""
    scope = require(tree, who, Perm.VIEW_ASSESSMENT, NO_RIGHT)
    unit_level = _unit_level(tree, who, scope, level, unit_id)
    with services.sessions() as db:
        staff = load_staff(db, scope.path) if unit_level == "staff" else None
        if staff is not None and unit_id not in set(staff["staff_id"]):
            raise Refused(NO_STAFF)
        try:
            why = explain_from_store(
                db,
                services.scheme,
                tree,
                period,
                unit_level,
                unit_id,
                services.settings.display_zone,
                staff,
            )
            trend = unit_trend(services, db, tree, period, unit_level, unit_id, staff)
        except ScoringError as err:
            raise Refused(str(err)) from None
        incidents = _deduction_rows(db, tree, why.incidents)
    row = why.row
    # the user's own node is ranked among units outside their subtree: no rank shown
    own = unit_level != "staff" and unit_id == scope.id
    return UnitDetail(
        unit_id=unit_id,
        level=unit_level,
        name=str(row["name"]),
        score=_float(row.get("score")),
        rank=None if own else _int(row.get("rank")),
        cards=str(row.get("cards") or ""),
        indicators=why.indicators.to_dict("records"),
        incidents=incidents,
        trend=trend,
        has_data=bool(row.get("has_data", True)),
    )


def export_table(
    services: Services, tree: OrgTree, who: SessionUser, node_id: int | None, period: Period
) -> tuple[LeaderView, list[str], list[list[Any]]]:
    """The ranking as an export: Chinese headers and one row per unit; too big is refused."""
    node = focus_node(tree, who, node_id)
    level = LEVEL_BELOW[node.kind]
    scored = to_date(period, _today(services))
    with services.sessions() as db:
        staff = load_staff(db, node.path) if level == "staff" else None
        table = ranking_from_store(db, services.scheme, tree, scored, level, node.id, staff)
    if len(table) > MAX_EXPORT_ROWS:
        raise Refused(TOO_BIG.format(rows=len(table), limit=MAX_EXPORT_ROWS))
    indicators = services.scheme.for_level(level)
    header = [
        "名次",
        LEVEL_LABELS[level],
        "得分",
        "上期得分",
        "上期名次",
        "名次变化",
        "趋势",
        "红牌",
        "黄牌",
        "红黄牌原因",
    ] + [f"{ind.label}（得分）" for ind in indicators.values()]
    rows = [_export_row(r, list(indicators)) for r in table.to_dict("records")]
    view = LeaderView(node, level, period, breadcrumb(tree, who, node), [], [], [], [])
    return view, header, rows


# -- KPI tiles and charts ---------------------------------------------------------------------


#: the measures the tiles and the monthly chart add up
KPI_MEASURES = ("reported", "closed", "handled", "handled_on_time", "red")


def kpis(db: Session, path: str, period: Period) -> list[Kpi]:
    """Found, closed, on-time rate and overdue lapses, with the previous period beside them."""
    now = _totals(db, path, period)
    before = _totals(db, path, period.previous())
    return [
        Kpi("发现事件", now["reported"], before["reported"]),
        Kpi("结案", now["closed"], before["closed"]),
        Kpi(
            "按时办理率",
            _rate(now["handled_on_time"], now["handled"]),
            _rate(before["handled_on_time"], before["handled"]),
            percent=True,
        ),
        Kpi("超时（红灯）", now["red"], before["red"], higher_is_better=False),
    ]


def found_and_closed(db: Session, path: str, period: Period) -> list[tuple[str, int, int]]:
    """Found and closed per month for the twelve months up to the period's end (one
    month-grouped query: the stored monthly sums, and the days of a partial last month)."""
    months = [p.start.strftime("%Y-%m") for p in chart_months(period)]
    first = chart_months(period)[0].start
    sums = load_month_totals(db, first, period.end, ("reported", "closed"), path)
    if sums.empty:
        return [(m, 0, 0) for m in months]
    table = sums.assign(month=sums["month"].dt.strftime("%Y-%m")).pivot_table(
        index="month", columns="measure", values="value", aggfunc="sum", observed=True
    )
    table = table.reindex(index=months, columns=["reported", "closed"]).fillna(0)
    return [(m, int(r["reported"]), int(r["closed"])) for m, r in table.iterrows()]


def unit_trend(
    services: Services,
    db: Session,
    tree: OrgTree,
    period: Period,
    level: Level,
    unit_id: int,
    staff: pd.DataFrame | None,
) -> list[tuple[str, float | None]]:
    """The unit's score in each of the twelve months up to the period's end (None: no
    data that month), from the monthly sums in one grouped query."""
    months = chart_months(period)
    scores = month_scores(db, services.scheme, tree, months, level, unit_id, staff)
    return [
        (month.start.strftime("%Y-%m"), _float(scores.iloc[i])) for i, month in enumerate(months)
    ]


# -- helpers ----------------------------------------------------------------------------------


def _today(services: Services) -> dt.date:
    return dt.datetime.now(services.settings.display_zone).date()


def chart_months(period: Period) -> list[Period]:
    """The calendar months of the twelve up to the period's end (the last one cut at it)."""
    end = period.end
    year, month = divmod(end.year * 12 + end.month - 1 - (CHART_MONTHS - 1), 12)
    return split(Period(dt.date(year, month + 1, 1), end), "month")


def _totals(db: Session, path: str, period: Period) -> dict[str, float]:
    """The KPI measures of the grids under ``path`` summed over the period, in SQL."""
    sums = load_month_totals(db, period.start, period.end, KPI_MEASURES, path)
    per_measure = sums.groupby("measure", observed=False)["value"].sum()
    return {m: float(per_measure.get(m, 0.0)) for m in KPI_MEASURES}


def _rate(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _categories(
    db: Session, services: Services, path: str, period: Period
) -> list[tuple[str, int]]:
    """Incidents reported in the period under ``path``, counted per category."""
    low, high = utc_window(period.start, period.end, services.settings.display_zone)
    rows = db.execute(
        select(Incident.category, func.count())
        .join(OrgNode, OrgNode.id == Incident.node_id)
        .where(
            Incident.created_at >= low,
            Incident.created_at < high,
            OrgNode.path.startswith(path, autoescape=True),
        )
        .group_by(Incident.category)
    ).all()
    named = [(_category_name(services, code), int(count)) for code, count in rows]
    return sorted(named, key=lambda item: (-item[1], item[0]))


def _category_name(services: Services, code: str) -> str:
    category = services.categories.get(code)
    return category.name if category is not None else code


def _unit_level(
    tree: OrgTree, who: SessionUser, scope: NodeInfo, level: str, unit_id: int
) -> Level:
    """The unit's level; a node outside the user's subtree (or the city) is refused."""
    if level == "staff":
        return "staff"
    node = tree.get(unit_id)
    if node is None or not node.path.startswith(scope.path) or node.kind == NodeKind.CITY:
        log.warning("scope: user %s asked to explain node %s", who.username, unit_id)
        raise Refused(OUTSIDE)
    return KIND_LEVEL[node.kind]


def _deduction_rows(db: Session, tree: OrgTree, incidents: pd.DataFrame) -> list[dict[str, Any]]:
    """The incidents behind the deductions, with their titles masked."""
    if incidents.empty:
        return []
    ids = [int(i) for i in incidents["incident_id"].unique()]
    titles = dict(db.execute(select(Incident.id, Incident.title).where(Incident.id.in_(ids))).all())
    return [
        {
            "tracking_no": r["tracking_no"],
            "what": MEASURE_LABELS.get(str(r["measure"]), str(r["measure"])),
            "at": r["at"],
            "grid": tree.place_name(int(r["node_id"])),
            "title": mask_text(titles.get(int(r["incident_id"]), "")),
        }
        for r in incidents.to_dict("records")
    ]


def _rank_row(r: dict[str, Any]) -> RankRow:
    return RankRow(
        unit_id=int(r["unit_id"]),
        name=str(r["name"]),
        score=_float(r.get("score")),
        prev_score=_float(r.get("prev_score")),
        rank=_int(r.get("rank")),
        prev_rank=_int(r.get("prev_rank")),
        trend=str(r.get("trend") or "flat"),
        rank_change=int(r.get("rank_change") or 0),
        red_cards=int(r.get("red_cards") or 0),
        yellow_cards=int(r.get("yellow_cards") or 0),
        cards=str(r.get("cards") or ""),
        has_data=bool(r.get("has_data", True)),
    )


TREND_LABELS = {"up": "上升", "down": "下降", "flat": "持平"}


def _export_row(r: dict[str, Any], codes: list[str]) -> list[Any]:
    row = _rank_row(r)
    return [
        row.rank,
        row.name,
        row.score,
        row.prev_score,
        row.prev_rank,
        row.rank_change,
        TREND_LABELS.get(row.trend, row.trend),
        row.red_cards,
        row.yellow_cards,
        row.cards,
    ] + [_float(r.get(f"{code}.points")) for code in codes]


def _float(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return round(float(value), 2)


def _int(value: Any) -> int | None:
    if value is None or pd.isna(value):
        return None
    return int(value)
