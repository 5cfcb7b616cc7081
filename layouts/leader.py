"""The leader page (/leader, 考核排名): period picker, KPI tiles, the 龙虎榜 of the level
below the node in focus with a breadcrumb back, the map shaded by score, a unit's
explanation and the charts.

Tablet first: every tappable thing is at least 44 px high and nothing is told only on
hover (cards show their reasons in the row; the map writes each area's name, rank and
score on it and a tap drills down like the row; assets/leader.css, assets/leader.js).
"""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
import plotly.graph_objects as go
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.access.assessment import (
    LEVEL_LABELS,
    Crumb,
    Kpi,
    LeaderView,
    RankRow,
    UnitDetail,
)
from dashboard.access.assessment_map import NO_DATA, ScoreMap
from dashboard.auth.current import SessionUser
from dashboard.display_time import display_time
from layouts import ids
from layouts.shell import app_page
from layouts.tables import empty_state

EMPTY = "本期暂无数据"
#: the staff level holds every post (网格长, 网格员, 网格民警 …): each row names its own
STAFF_LEVEL = "人员"
PERIOD_KINDS: list[dict[str, str]] = [
    {"label": "日", "value": "day"},
    {"label": "周", "value": "week"},
    {"label": "月", "value": "month"},
    {"label": "季", "value": "quarter"},
    {"label": "年", "value": "year"},
    {"label": "时间段", "value": "range"},
]
PLACEHOLDERS = {
    "day": "例如 2026-12-01",
    "week": "例如 2026-W49",
    "month": "例如 2026-12",
    "quarter": "例如 2026-Q4",
    "year": "例如 2026",
    "range": "例如 2026-11-01..2026-11-15",
}
TREND_ARROWS = {"up": ("▲", "gw-up"), "down": ("▼", "gw-down"), "flat": ("—", "gw-flat")}
#: how many rows at each end of the ranking are marked best / worst
HIGHLIGHT = 3
GRAPH_STYLE = {"height": "300px"}
COLORS = {"found": "#38bdf8", "closed": "#34d399", "score": "#fbbf24"}


def leader_layout(
    who: SessionUser,
    kind: str,
    value: str,
    unit: dict[str, Any] | None,
    tile_url: str = "",
    tile_attribution: str = "",
) -> html.Div:
    """The page frame; the callbacks fill it for the period and the node in focus."""
    body = [
        _toolbar(kind, value),
        html.Div(id=ids.LEADER_MSG),
        html.Nav(id=ids.LEADER_CRUMBS, className="gw-lead-crumbs"),
        html.Div(id=ids.LEADER_KPIS, className="gw-lead-kpis"),
        html.Div(
            [
                html.Div(
                    [
                        html.Section(
                            [
                                html.H2(id=ids.LEADER_TITLE, className="gw-lead-h2"),
                                dcc.Loading(html.Div(id=ids.LEADER_RANKING), type="dot"),
                            ],
                            className="gw-lead-rank gw-lead-panel",
                        ),
                        _map_panel(tile_url, tile_attribution),
                    ],
                    className="gw-lead-left",
                ),
                html.Aside(
                    dcc.Loading(html.Div(id=ids.LEADER_DETAIL), type="dot"),
                    className="gw-lead-detail gw-lead-panel",
                ),
            ],
            className="gw-lead-main",
        ),
        html.Div(
            [
                chart_panel("每月发现与结案（近 12 个月）", ids.LEADER_MONTHLY),
                chart_panel("本期事件类别", ids.LEADER_CATEGORIES),
                chart_panel("所选单位得分趋势（近 12 个月）", ids.LEADER_TREND),
            ],
            className="gw-lead-charts",
        ),
        dcc.Store(id=ids.LEADER_NODE, data=None),
        dcc.Store(id=ids.LEADER_UNIT, data=unit),
    ]
    return app_page(who, "/leader", "考核排名（龙虎榜）", body)


def _toolbar(kind: str, value: str) -> html.Div:
    return html.Div(
        [
            dcc.RadioItems(
                id=ids.LEADER_KIND,
                options=PERIOD_KINDS,
                value=kind,
                className="gw-lead-kinds",
                inputClassName="gw-lead-kind-input",
                labelClassName="gw-lead-kind",
            ),
            dcc.Input(
                id=ids.LEADER_VALUE,
                type="text",
                value=value,
                debounce=True,
                placeholder=PLACEHOLDERS.get(kind, ""),
                className="gw-input gw-lead-value",
            ),
            html.Button("查询", id=ids.LEADER_APPLY, className="gw-button gw-lead-button"),
            html.A(
                "导出 CSV",
                id=ids.LEADER_EXPORT_CSV,
                href="",
                className="gw-button gw-button-secondary gw-lead-button",
            ),
            html.A(
                "导出 Excel",
                id=ids.LEADER_EXPORT_XLSX,
                href="",
                className="gw-button gw-button-secondary gw-lead-button",
            ),
        ],
        className="gw-toolbar gw-lead-toolbar",
    )


def _map_panel(tile_url: str, tile_attribution: str) -> html.Section:
    """得分地图: the children of the node in focus shaded by score, with the legend under it.

    Tiles only where the wall has them (settings.tile_url: the offline base layer); the
    areas carry their name, rank and score on the map (assets/leader.js), so nothing
    is told only on hover, and a tap drills down like a tap on the row.
    """
    layers: list[Component] = []
    if tile_url:
        layers.append(
            dl.TileLayer(
                id=ids.LEADER_MAP_TILES,
                url=tile_url,
                attribution=tile_attribution,
                errorTileUrl="/assets/blank-tile.png",
            )
        )
    layers.append(
        # on a tablet one finger scrolls the page past the map (two move it; ctrl + wheel
        # zooms with a mouse), so the page never gets stuck on the map
        dl.GestureHandling()
    )
    layers.append(
        dl.GeoJSON(
            id=ids.LEADER_MAP_AREAS,
            style={"variable": "gwLeader.areaStyle"},
            onEachFeature={"variable": "gwLeader.areaLabel"},
        )
    )
    return html.Section(
        [
            html.H2("得分地图", className="gw-lead-h2"),
            dl.Map(
                layers,
                id=ids.LEADER_MAP,
                center=[34.78, 113.68],
                zoom=12,
                zoomSnap=0.25,
                attributionControl=bool(tile_url),
                className="gw-lead-map",
            ),
            html.Div(id=ids.LEADER_MAP_LEGEND, className="gw-lead-legend"),
        ],
        className="gw-lead-mapbox gw-lead-panel",
    )


def map_legend(score_map: ScoreMap | None) -> list[Any]:
    """The scale under the map (its two ends and the middle) and grey = 本期无数据; or the
    note that says why there is no choropleth (staff level)."""
    if score_map is None:
        return []
    if score_map.domain is None:
        note = score_map.note or f"{NO_DATA}：各单位均无得分"
        return [html.P(note, className="gw-app-note gw-lead-map-note")]
    low, high = score_map.domain
    return [
        html.Div(
            [
                html.Div(className="gw-lead-legend-bar"),
                html.Div(
                    [
                        html.Span(f"{low:.0f} 分"),
                        html.Span(f"{(low + high) / 2:.0f}"),
                        html.Span(f"{high:.0f} 分"),
                    ],
                    className="gw-lead-legend-ticks",
                ),
            ],
            className="gw-lead-legend-scale",
        ),
        html.Div(
            [html.Span(className="gw-lead-legend-none"), NO_DATA],
            className="gw-lead-legend-item",
        ),
        html.Span("点按区域进入下一级", className="gw-lead-legend-hint"),
    ]


def chart_panel(
    title: str,
    graph_id: str,
    class_name: str = "gw-lead-chart gw-lead-panel",
    style: dict[str, str] | None = None,
) -> html.Section:
    """A titled panel with an empty Plotly graph the callbacks fill (also /stats's)."""
    return html.Section(
        [
            html.H2(title, className="gw-lead-h2"),
            dcc.Graph(
                id=graph_id,
                figure=empty_figure(),
                config={"displayModeBar": False, "responsive": True},
                style=style or GRAPH_STYLE,
            ),
        ],
        className=class_name,
    )


# -- parts the callbacks fill -------------------------------------------------------------------


def crumbs(path: list[Crumb], crumb_type: str = ids.LEADER_CRUMB) -> list[Any]:
    """The breadcrumb: every node but the last is a button back up (``crumb_type`` names
    the page's pattern-matching id)."""
    out: list[Any] = []
    for i, crumb in enumerate(path):
        if i:
            out.append(html.Span("›", className="gw-lead-crumb-sep"))
        if i == len(path) - 1:
            out.append(html.Span(crumb.name, className="gw-lead-crumb gw-lead-crumb-here"))
        else:
            out.append(
                html.Button(
                    crumb.name,
                    id={"type": crumb_type, "nid": crumb.node_id},
                    className="gw-lead-crumb",
                )
            )
    return out


def kpi_tiles(kpis: list[Kpi]) -> list[html.Div]:
    """The tiles; a period with nothing at all in it says 本期无数据 on every tile instead
    of a row of zeros that reads like a perfect month."""
    if all(not k.value for k in kpis):
        return [_empty_tile(k) for k in kpis]
    return [_tile(k) for k in kpis]


def _empty_tile(kpi: Kpi) -> html.Div:
    before = "" if kpi.previous is None else f"（上期 {_number(kpi.previous, kpi.percent)}）"
    return html.Div(
        [
            html.Div(kpi.label, className="gw-lead-kpi-label"),
            html.Div("—", className="gw-lead-kpi-value"),
            html.Div(f"{NO_DATA}{before}", className="gw-lead-kpi-change"),
        ],
        className="gw-lead-kpi gw-lead-kpi-empty",
    )


def _tile(kpi: Kpi) -> html.Div:
    change = kpi.change
    if change is None or abs(change) < 1e-9:
        arrow, css, text = "—", "gw-flat", "与上期持平" if change is not None else "上期无数据"
    else:
        good = (change > 0) == kpi.higher_is_better
        arrow = "▲" if change > 0 else "▼"
        css = "gw-good" if good else "gw-bad"
        sign = "+" if change > 0 else "−"
        change_text = _change(abs(change), kpi.percent)
        text = f"较上期 {sign}{change_text}（上期 {_number(kpi.previous, kpi.percent)}）"
    return html.Div(
        [
            html.Div(kpi.label, className="gw-lead-kpi-label"),
            html.Div(_number(kpi.value, kpi.percent), className="gw-lead-kpi-value"),
            html.Div([html.Span(arrow, className=css), " ", text], className="gw-lead-kpi-change"),
        ],
        className="gw-lead-kpi",
    )


def _number(value: float | None, percent: bool) -> str:
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}"


def _change(value: float, percent: bool) -> str:
    """A change: percentages in points ("25.0 点"), counts as numbers."""
    return f"{value * 100:.1f} 点" if percent else f"{value:,.0f}"


def level_label(level: str) -> str:
    """The level's name in titles and headers: the staff level holds every post."""
    return STAFF_LEVEL if level == "staff" else LEVEL_LABELS[level]


def ranking_title(view: LeaderView) -> str:
    return f"{view.node.name} · {level_label(view.level)}排名 · {view.period.label()}"


def ranking_table(view: LeaderView, posts: dict[int, str] | None = None) -> Any:
    """The 龙虎榜: a tappable row per unit, the top and bottom three marked; a unit with no
    score says 本期无数据 and comes after the ranked ones (still tappable, to look inside).
    At staff level each row names the member's own post."""
    if not view.rows:
        return empty_state(EMPTY)
    scored = [r for r in view.rows if r.score is not None]
    unscored = [r for r in view.rows if r.score is None]
    top, bottom = highlighted(scored)
    head = html.Thead(
        html.Tr([html.Th(c) for c in ["名次", level_label(view.level), "得分", "趋势", "红黄牌"]])
    )
    body = [
        _row(r, view.level, r.unit_id in top, r.unit_id in bottom, (posts or {}).get(r.unit_id))
        for r in scored + unscored
    ]
    table = html.Table([head, html.Tbody(body)], className="gw-table gw-lead-table")
    if scored:
        return table
    note = html.P(f"{NO_DATA}：所选期间没有可计分的记录", className="gw-app-note gw-lead-none")
    return html.Div([note, table])


def highlighted(scored: list[RankRow]) -> tuple[set[int], set[int]]:
    """The best and the worst few: ranks reached by the first rows and, below them, by the
    last rows; a unit tied with the best is never marked worst."""
    top_ranks = {r.rank for r in scored[:HIGHLIGHT]}
    bottom_ranks = {r.rank for r in scored[-HIGHLIGHT:]} - top_ranks
    top = {r.unit_id for r in scored if r.rank in top_ranks}
    bottom = {r.unit_id for r in scored if r.rank in bottom_ranks}
    return top, bottom


def _row(row: RankRow, level: str, top: bool, bottom: bool, post: str | None) -> html.Tr:
    css = "gw-lead-row" + (" gw-lead-top" if top else "") + (" gw-lead-bottom" if bottom else "")
    name: list[Any] = [row.name]
    if post:
        name.append(html.Span(post, className="gw-lead-post"))
    if row.score is None:
        score: Any = html.Span(NO_DATA, className="gw-lead-na")
        trend: Any = "—"
        css += " gw-lead-nodata"
    else:
        score = f"{row.score:.2f}"
        arrow, arrow_css = TREND_ARROWS.get(row.trend, TREND_ARROWS["flat"])
        moved = f"{row.rank_change:+d}" if row.rank_change else "±0"
        trend = [html.Span(arrow, className=arrow_css), f" 名次 {moved}"]
    return html.Tr(
        [
            html.Td(str(row.rank) if row.rank is not None else "—", className="gw-lead-rankno"),
            html.Td(name, className="gw-lead-name"),
            html.Td(score, className="gw-num"),
            html.Td(trend),
            html.Td(_cards(row)),
        ],
        id={"type": ids.LEADER_ROW, "uid": row.unit_id, "lvl": level},
        n_clicks=0,
        className=css,
        role="button",
        tabIndex="0",
    )


def _cards(row: RankRow) -> list[Any]:
    if not row.cards:
        return ["—"]
    chips: list[Any] = []
    if row.red_cards:
        chips.append(html.Span(f"红牌 {row.red_cards}", className="gw-lead-card gw-lead-card-red"))
    if row.yellow_cards:
        chips.append(
            html.Span(f"黄牌 {row.yellow_cards}", className="gw-lead-card gw-lead-card-yellow")
        )
    chips.append(html.Div(row.cards, className="gw-lead-reasons"))
    return chips


def detail_panel(
    detail: UnitDetail | None, post: str | None = None, hours: frozenset[str] = frozenset()
) -> list[Any]:
    """A unit's indicators with their raw numbers, and the incidents behind deductions; a
    staff member is named with their own post. ``hours``: the codes of rates of seconds
    (on duty, online), shown in hours rather than as eight-digit second counts."""
    if detail is None:
        return [html.H2("得分明细", className="gw-lead-h2"), empty_state("点选一行查看得分明细")]
    rows = [indicator_row(ind, ind.get("code") in hours) for ind in detail.indicators]
    what = post or (STAFF_LEVEL if detail.level == "staff" else LEVEL_LABELS[detail.level])
    if detail.score is None:
        score: list[Any] = [html.Strong(NO_DATA, className="gw-lead-score gw-lead-na")]
    else:
        score = [html.Strong(f"{detail.score:.2f}", className="gw-lead-score"), " 分"]
    out: list[Any] = [
        html.H2(f"{detail.name}（{what}）", className="gw-lead-h2"),
        html.Div(score),
    ]
    if detail.cards:
        out.append(html.Div(detail.cards, className="gw-lead-reasons gw-lead-reasons-block"))
    out.append(_simple_table(["指标", "原始数", "得分/满分"], rows))
    out.append(html.H3("扣分事件", className="gw-lead-h3"))
    out.append(_incidents(detail.incidents))
    return out


def indicator_row(ind: dict[str, Any], in_hours: bool = False) -> list[Any]:
    """Label, raw numbers, points of one indicator; a rate with nothing to divide by does
    not count (it is left out of the score, not given zero). A median reads as seconds
    over so many acknowledgements, a rate of seconds in hours."""
    numerator, denominator = ind.get("numerator"), ind.get("denominator")
    if denominator is not None and denominator == 0:
        return [ind["label"], html.Span("本期无数据", className="gw-lead-na"), "不计入"]
    if ind.get("kind") == "deduction":
        raw = f"扣 {_plain(numerator)}"
    elif ind.get("kind") == "median":
        raw = f"{_scaled(numerator, 1)} 秒（{_plain(denominator)} 次签收）"
    elif in_hours:
        raw = f"{_scaled(numerator, 3600)} / {_scaled(denominator, 3600)} 小时"
    else:
        raw = _raw(numerator, denominator)
    return [ind["label"], raw, f"{_plain(ind.get('points'))} / {_plain(ind.get('weight'))}"]


def _incidents(incidents: list[dict[str, Any]]) -> Any:
    if not incidents:
        return html.P("本期无扣分事件", className="gw-app-note")
    rows = [
        [i["tracking_no"], i["what"], display_time(i["at"]), i["grid"], i["title"]]
        for i in incidents[:50]
    ]
    return _simple_table(["编号", "原因", "时间", "网格", "事件"], rows)


def _simple_table(columns: list[str], rows: list[list[Any]]) -> html.Div:
    return html.Div(
        html.Table(
            [
                html.Thead(html.Tr([html.Th(c) for c in columns])),
                html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows]),
            ],
            className="gw-table gw-lead-small",
        ),
        className="gw-table-wrap",
    )


def _raw(numerator: Any, denominator: Any) -> str:
    if denominator is None or denominator != denominator:  # NaN: a deduction or a median
        return _plain(numerator)
    return f"{_plain(numerator)} / {_plain(denominator)}"


def _scaled(value: Any, unit: float) -> str:
    """A count of seconds in whole ``unit``s (1: seconds, 3600: hours)."""
    if value is None or value != value:
        return "—"
    return _plain(round(float(value) / unit))


def _plain(value: Any) -> str:
    if value is None or value != value:
        return "—"
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


# -- figures ----------------------------------------------------------------------------------


def _dark(fig: go.Figure) -> go.Figure:
    fig.update_layout(
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": "#cbd5e1", "size": 13},
        margin={"l": 44, "r": 12, "t": 12, "b": 40},
        legend={"orientation": "h", "y": -0.18},
    )
    fig.update_xaxes(gridcolor="#1c2c4a", type="category")  # "2026-11", not "Nov 2026"
    fig.update_yaxes(gridcolor="#1c2c4a", rangemode="tozero")
    return fig


def empty_figure(text: str = EMPTY) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, font={"size": 16, "color": "#8da2c0"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _dark(fig)


def monthly_figure(monthly: list[tuple[str, int, int]]) -> go.Figure:
    if not any(found or closed for _, found, closed in monthly):
        return empty_figure()
    months = [m for m, _, _ in monthly]
    fig = go.Figure(
        [
            go.Bar(
                x=months, y=[f for _, f, _ in monthly], name="发现", marker_color=COLORS["found"]
            ),
            go.Scatter(
                x=months,
                y=[c for _, _, c in monthly],
                name="结案",
                mode="lines+markers",
                line={"color": COLORS["closed"], "width": 3},
            ),
        ]
    )
    return _dark(fig)


def category_figure(categories: list[tuple[str, int]]) -> go.Figure:
    if not categories:
        return empty_figure()
    fig = go.Figure(
        go.Pie(
            labels=[name for name, _ in categories],
            values=[count for _, count in categories],
            hole=0.45,
            textinfo="label+value",
            textposition="inside",
            insidetextorientation="horizontal",
        )
    )
    fig.update_layout(showlegend=False)
    return _dark(fig)


def trend_figure(detail: UnitDetail | None) -> go.Figure:
    if detail is None or all(score is None for _, score in detail.trend):
        return empty_figure("点选一行查看得分趋势" if detail is None else EMPTY)
    fig = go.Figure(
        go.Scatter(
            x=[m for m, _ in detail.trend],
            y=[s for _, s in detail.trend],
            name=detail.name,
            mode="lines+markers",
            connectgaps=False,
            line={"color": COLORS["score"], "width": 3},
        )
    )
    fig.update_yaxes(range=[0, 100])
    return _dark(fig)
