"""The wall's rankings: top and bottom units of the level below its focus, this month.

Part of ``Perm.VIEW_WALL``, not ``Perm.VIEW_ASSESSMENT``: a wall shows the ranking of its
own scope on a screen everyone in the room already sees, with no export, no drill-down
and no explanation of a score (those stay on /leader). The focus must lie in the
signed-in account's subtree; a node outside is refused and logged, never answered.

The scores come from the database's sums (``ranking_from_store``), the monthly found vs
closed from the monthly sums of the focus (``found_and_closed``, its own read so the
ranking never waits for a year of sums): never a month of daily facts per grid. The wall asks
again every few minutes, not per fix.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.access.assessment import LEVEL_BELOW, LEVEL_LABELS, found_and_closed
from dashboard.access.base import Refused, require
from dashboard.auth.current import SessionUser
from dashboard.auth.permissions import Perm
from dashboard.services import Services
from data.assessment.facts import load_month_totals, load_staff
from data.assessment.periods import Period, period_of, to_date
from data.assessment.scoring import ranking_from_store
from data.org_tree import NodeInfo, OrgTree

log = logging.getLogger("gridwatch.scope")

NO_RIGHT = "无权查看大屏"
OUTSIDE = "该范围不在您的管辖范围内"
NO_DATA = "本期无数据"
#: the full-screen view lists this many at each end; the side panel the first five
FULL_SIZE = 10
PANEL_SIZE = 5
#: the month's figures the view shows (found, closed, red lapses)
MEASURES = ("reported", "closed", "red")


@dataclass(frozen=True)
class WallRankRow:
    """One unit as the wall shows it: rank, name, score, trend, rank change, cards."""

    unit_id: int
    rank: int | None
    name: str
    score: float | None
    trend: str
    rank_change: int
    red_cards: int
    yellow_cards: int


@dataclass(frozen=True)
class WallRankings:
    """The focus's ranking of this month and the month's figures."""

    focus_id: int
    focus_name: str
    level: str
    level_label: str
    period_label: str
    #: every unit with a score, best first
    ranking: list[WallRankRow]
    #: units with no data this period (score None): named, never ranked
    no_data: list[str]
    ranked: int
    found: int
    closed: int
    red_lapses: int
    red_units: int
    yellow_units: int

    def top(self, size: int) -> list[WallRankRow]:
        """The best ``size``, best first."""
        return self.ranking[:size]

    def half(self, most: int) -> int:
        """How many each end lists: ``most``, or half the units (the best half rounded up)
        when there are fewer than twice as many, so top and bottom split them all."""
        return min(most, (len(self.ranking) + 1) // 2)

    def bottom(self, size: int) -> list[WallRankRow]:
        """The worst ``size``, worst first; never a unit ``top(size)`` already lists."""
        return list(reversed(self.ranking[size:]))[:size]


def wall_rankings(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    focus_id: int | None,
    today: dt.date | None = None,
) -> WallRankings:
    """The ranking of the level below ``focus_id`` (the user's own node when None)."""
    node = _focus(tree, who, focus_id)
    level = LEVEL_BELOW[node.kind]
    period = _this_month(services, today)
    with services.sessions() as db:
        staff = load_staff(db, node.path) if level == "staff" else None
        table = ranking_from_store(db, services.scheme, tree, period, level, node.id, staff)
        sums = load_month_totals(db, period.start, period.end, MEASURES, node.path)
    rows = [_row(tree, level, r) for r in table.to_dict("records")]
    scored = sorted((r for r in rows if r.score is not None), key=_best_first)
    totals = _totals(sums)
    return WallRankings(
        focus_id=node.id,
        focus_name=node.name,
        level=level,
        level_label=LEVEL_LABELS[level],
        period_label=f"{period.start.year}年{period.start.month}月",
        ranking=scored,
        no_data=[r.name for r in rows if r.score is None],
        ranked=len(scored),
        found=totals.get("reported", 0),
        closed=totals.get("closed", 0),
        red_lapses=totals.get("red", 0),
        red_units=sum(1 for r in rows if r.red_cards),
        yellow_units=sum(1 for r in rows if r.yellow_cards),
    )


def wall_monthly(
    services: Services,
    tree: OrgTree,
    who: SessionUser,
    focus_id: int | None,
    today: dt.date | None = None,
) -> list[tuple[str, int, int]]:
    """Found and closed per month under the focus, twelve months up to this one, oldest
    first. Its own read: a year of a city's facts takes the database seconds to sum, and
    the side panel's ranking must not wait for the chart."""
    node = _focus(tree, who, focus_id)
    with services.sessions() as db:
        return found_and_closed(db, node.path, _this_month(services, today))


def _this_month(services: Services, today: dt.date | None) -> Period:
    """This month up to today: its trend compares like for like (``to_date``)."""
    day = today or dt.datetime.now(services.settings.display_zone).date()
    return to_date(period_of("month", day), day)


def _focus(tree: OrgTree, who: SessionUser, focus_id: int | None) -> NodeInfo:
    scope = require(tree, who, Perm.VIEW_WALL, NO_RIGHT)
    if focus_id is None:
        return scope
    node = tree.get(focus_id)
    if node is None or not node.path.startswith(scope.path):
        log.warning("scope: user %s asked for wall rankings of node %s", who.username, focus_id)
        raise Refused(OUTSIDE)
    return node


def _best_first(row: WallRankRow) -> tuple[int, float, str]:
    return (row.rank if row.rank is not None else 1 << 30, -(row.score or 0.0), row.name)


def _totals(sums: pd.DataFrame) -> dict[str, int]:
    if sums.empty:
        return {}
    per_measure = sums.groupby("measure", observed=True)["value"].sum()
    return {str(k): int(v) for k, v in per_measure.items()}


def _row(tree: OrgTree, level: str, r: dict[str, Any]) -> WallRankRow:
    """A ranking row as the wall shows it: a node by its own name (the wall's title already
    names the focus above it, and a wall column is narrow), a staff member by name."""
    node = None if level == "staff" else tree.get(int(r["unit_id"]))
    return WallRankRow(
        unit_id=int(r["unit_id"]),
        rank=_int(r.get("rank")),
        name=node.name if node is not None else str(r["name"]),
        score=_float(r.get("score")),
        trend=str(r.get("trend") or "flat"),
        rank_change=int(r.get("rank_change") or 0),
        red_cards=int(r.get("red_cards") or 0),
        yellow_cards=int(r.get("yellow_cards") or 0),
    )


def _float(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return round(float(value), 2)


def _int(value: Any) -> int | None:
    if value is None or pd.isna(value):
        return None
    return int(value)
